// Per-shard hierarchical timing wheel for idle timeouts, pings and batch windows: O(1) add and
// cancel, callbacks run from advance() on the owning shard's thread. Not thread-safe: one shard
// owns each wheel.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/unique_function.hpp"

namespace hexwire::core {

/// Identifies a scheduled timer; 0 is never a valid id. Ids are not reused while the wheel lives,
/// so cancelling a timer that already fired (or was cancelled) is a harmless no-op.
using TimerId = std::uint64_t;

/// A timer's callback. Captures of up to 16 bytes (`this`, or `this` and an id) are stored inside
/// the timer; larger ones are heap-allocated. The small buffer keeps a timer at 56 bytes, which
/// matters because every WebSocket connection holds one (docs/capacity.md).
using TimerTask = UniqueFunction<void(), 16>;

class TimerWheel {
 public:
  /// `now_ns`: the current monotonic time; `tick_ns`: the resolution (a timer fires no earlier
  /// than its deadline and at most one tick after it, measured at advance()).
  explicit TimerWheel(std::uint64_t now_ns, std::uint64_t tick_ns = 1'000'000);
  ~TimerWheel();
  TimerWheel(const TimerWheel&) = delete;
  TimerWheel& operator=(const TimerWheel&) = delete;

  /// Schedules `fn` at absolute monotonic time `deadline_ns` (a deadline in the past fires at the
  /// next advance()).
  TimerId add_at(std::uint64_t deadline_ns, TimerTask fn);
  /// Schedules `fn` `delay_ns` after the wheel's current time.
  TimerId add_after(std::uint64_t delay_ns, TimerTask fn);
  /// Cancels a pending timer; returns false if it already fired, was cancelled or never existed.
  bool cancel(TimerId id) noexcept;

  /// Runs every timer whose deadline is <= now_ns, in deadline order (ties: insertion order).
  /// Callbacks may add or cancel timers. Returns the number of callbacks run.
  /// During advance() the wheel's time is already now_ns: a timer added by a callback with a
  /// deadline <= now_ns runs at the next advance(), never in this one (a callback re-arming itself
  /// with zero delay cannot loop). Cancelling a timer that this advance() collected but has not run
  /// yet still prevents it (returns true); a timer cancelling itself from its callback gets false.
  /// A callback that throws propagates; timers collected but not yet run stay pending.
  /// Not reentrant: do not call advance() from a callback.
  std::size_t advance(std::uint64_t now_ns);

  /// How long the owner may sleep before it must call advance() again: an upper bound that is
  /// never later than the earliest pending deadline (rounded up to a tick); UINT64_MAX when empty.
  [[nodiscard]] std::uint64_t ns_until_next(std::uint64_t now_ns) const noexcept;

  [[nodiscard]] std::size_t size() const noexcept;
  [[nodiscard]] std::uint64_t now_ns() const noexcept;

 private:
  struct Impl;
  Impl* impl_;
};

}  // namespace hexwire::core
