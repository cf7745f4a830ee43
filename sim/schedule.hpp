// Open-loop arrival schedules. Each schedule fixes, ahead of time and from a seed, the instant
// every send is *intended* to happen; the client sends when it can and measures latency from the
// intended instant, so a stalled server or a lagging client shows up in the percentiles instead of
// silently slowing the load down (coordinated omission). Times are monotonic nanoseconds
// (core::monotonic_ns).
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string_view>
#include <vector>

#include "sim/random.hpp"

namespace hexwire::sim {

inline constexpr std::uint64_t kNever = std::numeric_limits<std::uint64_t>::max();

enum class ArrivalProcess {
  kConstant,  // evenly spaced sends: 1/rate apart
  kPoisson,   // independent exponential gaps with mean 1/rate (memoryless traffic from many users)
};

std::string_view to_string(ArrivalProcess process) noexcept;

/// One stream of intended send times at `rate_per_s`, starting at `start_ns` (the first send is due
/// one gap after the start, so streams started together do not fire in lock-step) and ending before
/// `end_ns`. A rate of 0 means "never". Deterministic for a seed; independent of when sends happen.
class ArrivalSchedule {
 public:
  ArrivalSchedule(ArrivalProcess process, double rate_per_s, std::uint64_t start_ns,
                  std::uint64_t seed, std::uint64_t end_ns = kNever) noexcept;

  /// Intended time of the next send (kNever when the schedule is exhausted).
  [[nodiscard]] std::uint64_t next_ns() const noexcept { return next_ns_; }
  [[nodiscard]] bool due(std::uint64_t now_ns) const noexcept { return next_ns_ <= now_ns; }

  /// Returns the next intended time and advances; kNever once exhausted.
  std::uint64_t pop() noexcept;

  /// Calls fn(intended_ns) for every send due at `now_ns` (intended <= now), oldest first, at most
  /// `max_sends` of them; returns how many. A caller that lagged catches up here: every missed send
  /// is still issued, each with its own intended time, so latency is charged from when it should
  /// have gone out. Leftovers (beyond max_sends) stay due for the next call.
  template <typename Fn>
  std::size_t drain_due(std::uint64_t now_ns, Fn&& fn,
                        std::size_t max_sends = std::numeric_limits<std::size_t>::max()) {
    std::size_t n = 0;
    while (n < max_sends && next_ns_ <= now_ns) {
      fn(pop());
      ++n;
    }
    return n;
  }

  /// Sends issued so far (pop calls that returned a time).
  [[nodiscard]] std::uint64_t issued() const noexcept { return issued_; }
  [[nodiscard]] double rate_per_s() const noexcept { return rate_per_s_; }
  [[nodiscard]] ArrivalProcess process() const noexcept { return process_; }

 private:
  void advance() noexcept;

  ArrivalProcess process_;
  double rate_per_s_;
  double gap_ns_;  // mean gap
  std::uint64_t start_ns_;
  std::uint64_t end_ns_;
  double offset_ns_ = 0.0;  // offset of the next send from start_ns_, kept in double: no drift
  std::uint64_t next_ns_ = kNever;
  std::uint64_t issued_ = 0;
  Rng rng_;
};

/// Many independent streams (e.g. one per connection) behind one priority queue: `drain_due` hands
/// out every due send of every stream in intended-time order. O(log streams) per send; the arrays
/// grow only in add(). Removing a stream is lazy (its queue entries are skipped when they surface).
class SendScheduler {
 public:
  using StreamId = std::uint32_t;

  explicit SendScheduler(ArrivalProcess process, std::uint64_t seed) noexcept
      : process_(process), seed_(seed) {}

  /// Starts (or restarts) stream `id` at `rate_per_s` from `start_ns`; it ends before `end_ns`.
  void add(StreamId id, double rate_per_s, std::uint64_t start_ns, std::uint64_t end_ns = kNever);
  /// Stops stream `id` (e.g. its connection closed). Unknown ids are ignored.
  void remove(StreamId id) noexcept;
  [[nodiscard]] bool active(StreamId id) const noexcept;
  [[nodiscard]] std::size_t active_count() const noexcept { return active_count_; }

  /// Earliest intended time over all streams (kNever if none): when to wake up next.
  [[nodiscard]] std::uint64_t next_ns() noexcept;

  /// Calls fn(stream_id, intended_ns) for due sends across all streams, oldest intended first, at
  /// most max_sends; returns how many. Same catch-up semantics as ArrivalSchedule::drain_due.
  template <typename Fn>
  std::size_t drain_due(std::uint64_t now_ns, Fn&& fn,
                        std::size_t max_sends = std::numeric_limits<std::size_t>::max()) {
    std::size_t n = 0;
    while (n < max_sends) {
      const std::uint64_t next = next_ns();
      if (next > now_ns) {
        break;
      }
      const Entry top = pop_top();
      fn(top.stream, top.intended_ns);
      reschedule(top);
      ++n;
    }
    return n;
  }

 private:
  struct Entry {
    std::uint64_t intended_ns;
    StreamId stream;
    std::uint32_t generation;
  };
  struct Stream {
    ArrivalSchedule schedule;
    std::uint32_t generation;
    bool active;
  };

  Entry pop_top() noexcept;
  void push(Entry entry);
  void reschedule(const Entry& done);
  void drop_stale_top() noexcept;

  ArrivalProcess process_;
  std::uint64_t seed_;
  std::vector<Stream> streams_;
  std::vector<Entry> heap_;  // min-heap on intended_ns
  std::size_t active_count_ = 0;
};

/// Ramp-up: connection i (0-based) is due at start + i / rate (the first at start). A rate of 0
/// opens all of them at once. Like ArrivalSchedule, opening late still reports the intended time,
/// so the connect latency includes the time the simulator itself fell behind.
class RampSchedule {
 public:
  RampSchedule(std::uint64_t total, double rate_per_s, std::uint64_t start_ns) noexcept
      : total_(total), rate_per_s_(rate_per_s), start_ns_(start_ns) {}

  [[nodiscard]] std::uint64_t intended_ns(std::uint64_t index) const noexcept;
  /// How many connections should have been opened by now_ns (including ones already opened).
  [[nodiscard]] std::uint64_t due_count(std::uint64_t now_ns) const noexcept;
  [[nodiscard]] std::uint64_t opened() const noexcept { return opened_; }
  [[nodiscard]] bool done() const noexcept { return opened_ >= total_; }
  /// Intended time of the next connection to open; kNever when done.
  [[nodiscard]] std::uint64_t next_ns() const noexcept {
    return done() ? kNever : intended_ns(opened_);
  }
  /// Time by which every connection is due (start when rate is 0).
  [[nodiscard]] std::uint64_t finish_ns() const noexcept {
    return total_ == 0 ? start_ns_ : intended_ns(total_ - 1);
  }

  /// Calls fn(index, intended_ns) for every connection due at now_ns, at most max_opens.
  template <typename Fn>
  std::size_t drain_due(std::uint64_t now_ns, Fn&& fn,
                        std::size_t max_opens = std::numeric_limits<std::size_t>::max()) {
    const std::uint64_t due = due_count(now_ns);
    std::size_t n = 0;
    while (n < max_opens && opened_ < due) {
      fn(opened_, intended_ns(opened_));
      ++opened_;
      ++n;
    }
    return n;
  }

 private:
  std::uint64_t total_;
  double rate_per_s_;
  std::uint64_t start_ns_;
  std::uint64_t opened_ = 0;
};

/// Wait before retry number `retry` (1-based) of a refused request: `first_ns` doubled per earlier
/// retry, capped at `max_ns`, then drawn between half and all of it by `draw` (0 <= draw < 1):
/// "equal jitter", so a burst of clients refused together does not come back at one instant, and
/// each still waits at least half the backoff.
[[nodiscard]] std::uint64_t jittered_backoff_ns(std::uint32_t retry, std::uint64_t first_ns,
                                                std::uint64_t max_ns, double draw) noexcept;

}  // namespace hexwire::sim
