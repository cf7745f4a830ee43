// The discrete-event core of the case-study simulators: a virtual clock and a queue of timed
// tasks. Deterministic: no threads, no sleeping, no wall clock; two runs that schedule the same
// tasks in the same order execute them in the same order. A virtual hour of a model runs in as
// long as its events take to execute.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/task.hpp"

namespace hexwire::sim::cases {

/// Virtual time and durations, in nanoseconds since the start of the run.
using SimTime = std::int64_t;
inline constexpr SimTime kMicrosecond = 1'000;
inline constexpr SimTime kMillisecond = 1'000'000;
inline constexpr SimTime kSecond = 1'000'000'000;
inline constexpr SimTime kMinute = 60 * kSecond;
inline constexpr SimTime kHour = 60 * kMinute;
inline constexpr SimTime kDay = 24 * kHour;

[[nodiscard]] inline double to_seconds(SimTime t) noexcept {
  return static_cast<double>(t) / static_cast<double>(kSecond);
}
[[nodiscard]] inline SimTime from_seconds(double s) noexcept {
  return static_cast<SimTime>(s * static_cast<double>(kSecond));
}

/// Identifies a scheduled event; 0 is never valid. Cancelling an event that already ran, or was
/// cancelled, is a harmless no-op.
using EventId = std::uint64_t;

class EventLoop {
 public:
  EventLoop() = default;
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  /// The virtual clock: the time of the event running now, or where run_until() left it.
  [[nodiscard]] SimTime now() const noexcept { return now_; }

  /// Schedules `task` at virtual time `time` (a time before now() is treated as now()).
  /// Ordering contract: events run in time order; events at the same time run in the order they
  /// were scheduled (FIFO), including events scheduled by a running event for the current time,
  /// which run after every event already due at that time. A task never runs inline.
  EventId at(SimTime time, core::Task task);
  /// at(now() + delay).
  EventId after(SimTime delay, core::Task task) { return at(now_ + delay, std::move(task)); }
  /// Cancels a pending event; false when it already ran, was cancelled or never existed.
  bool cancel(EventId id) noexcept;

  /// Runs the earliest pending event (advancing the clock to its time). False when none is left
  /// or stop() was called.
  bool run_next();
  /// Runs every event due at or before `until`, then sets the clock to `until` (unless stop() was
  /// called first). Returns the number of events run.
  std::uint64_t run_until(SimTime until);
  /// Makes run_next()/run_until() return after the running event. Sticky until resume().
  void stop() noexcept { stopped_ = true; }
  void resume() noexcept { stopped_ = false; }
  [[nodiscard]] bool stopped() const noexcept { return stopped_; }

  /// Events scheduled and not yet run or cancelled.
  [[nodiscard]] std::size_t pending() const noexcept { return live_; }
  /// Events run since construction.
  [[nodiscard]] std::uint64_t executed() const noexcept { return executed_; }
  /// Time of the earliest pending event (cancelled ones may be counted); now() when empty.
  [[nodiscard]] SimTime next_time() const noexcept;

 private:
  struct Entry {
    SimTime time;
    std::uint64_t seq;  // scheduling order: the tie-break for equal times
    std::uint32_t slot;
    std::uint32_t generation;
  };
  struct Slot {
    core::Task task;
    std::uint32_t generation = 1;
    bool pending = false;
  };
  static bool later(const Entry& a, const Entry& b) noexcept;
  std::uint32_t take_slot();
  void release_slot(std::uint32_t slot) noexcept;
  void drop_dead_top() noexcept;

  SimTime now_ = 0;
  std::uint64_t next_seq_ = 0;
  std::uint64_t executed_ = 0;
  std::size_t live_ = 0;
  bool stopped_ = false;
  std::vector<Entry> heap_;  // min-heap on (time, seq)
  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_slots_;
};

}  // namespace hexwire::sim::cases
