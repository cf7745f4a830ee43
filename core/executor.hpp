// The narrow view of the shard runtime that the layers above (pubsub, geo dispatch, app) code
// against: which shard am I on, how many are there, run this on that shard, and this shard's
// timers. core::Runtime implements it over real threads; tests may implement it deterministically.
#pragma once

#include "core/task.hpp"
#include "core/timer_wheel.hpp"

namespace hexwire::core {

class Executor {
 public:
  virtual ~Executor() = default;
  /// Number of shards (fixed for the executor's life).
  [[nodiscard]] virtual unsigned shard_count() const noexcept = 0;
  /// The shard whose thread is calling. Calling from a thread that is not a shard is a bug.
  [[nodiscard]] virtual unsigned current_shard() const noexcept = 0;
  /// Runs `task` on shard `shard`'s thread, after the tasks this shard queued there before (FIFO per
  /// ordered pair of shards). Submitting to the current shard queues it too (it never runs inline).
  /// Must be called from a shard thread.
  virtual void submit_to(unsigned shard, Task task) = 0;
  /// The calling shard's timer wheel.
  [[nodiscard]] virtual TimerWheel& timers() noexcept = 0;
};

}  // namespace hexwire::core
