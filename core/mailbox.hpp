// Cross-shard mailboxes: one single-producer/single-consumer queue (moodycamel ReaderWriterQueue)
// per ordered pair of shards, so no two threads ever push into the same queue. The receiving shard
// drains its inbound queues in batches once per loop turn. Waking a sleeping receiver and the
// backpressure that bounds a queue (the sender stops reading its connections) are the runtime's
// job (see core/runtime.hpp); this class moves tasks and tells a sender its backlog.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "core/task.hpp"

namespace hexwire::core {

class MailboxMesh {
 public:
  /// `shards` x `shards` queues, each pre-sized for `initial_capacity` tasks.
  explicit MailboxMesh(unsigned shards, std::size_t initial_capacity = 4096);
  ~MailboxMesh();
  MailboxMesh(const MailboxMesh&) = delete;
  MailboxMesh& operator=(const MailboxMesh&) = delete;

  /// Queues `task` from shard `from` to shard `to`. Only shard `from`'s thread may call this for a
  /// given `from`. Grows the queue when it is full (never fails, never blocks).
  void push(unsigned from, unsigned to, Task&& task);
  /// Like push but fails (returns false, task untouched) instead of growing past `max_depth`.
  bool try_push(unsigned from, unsigned to, Task& task, std::size_t max_depth);

  /// Runs up to `max_per_sender` tasks from each sender's queue to shard `to`, round-robin over
  /// senders. Only shard `to`'s thread may call this. Returns the number of tasks run.
  std::size_t drain(unsigned to, std::size_t max_per_sender);

  /// Approximate number of queued tasks addressed to `to` (any thread; for metrics and sleeping).
  [[nodiscard]] std::size_t depth(unsigned to) const noexcept;
  /// Approximate number of tasks queued from `from` to `to` (any thread).
  [[nodiscard]] std::size_t depth(unsigned from, unsigned to) const noexcept;
  /// Tasks `from` pushed to `to` that have not run yet, as far as `from` can tell: exact up to
  /// the receiver's last drain batch, never less than the truth. Only shard `from`'s thread may
  /// call this; it costs one load of a counter the receiver writes once per batch.
  [[nodiscard]] std::size_t backlog(unsigned from, unsigned to) const noexcept;
  [[nodiscard]] unsigned shards() const noexcept { return shards_; }

 private:
  struct Queue;
  struct DrainCursor;
  unsigned shards_;
  std::vector<std::unique_ptr<Queue>> queues_;  // index from * shards_ + to
  std::unique_ptr<DrainCursor[]> cursors_;      // one per receiver: where its next drain starts
};

}  // namespace hexwire::core
