// MailboxMesh: shards x shards single-producer/single-consumer queues. The receiver drains its
// inbound queues round-robin, starting one sender further each call and taking at most a fixed
// batch from each, so one chatty sender can neither starve nor always precede the others.
#include "core/mailbox.hpp"

#include <readerwriterqueue/readerwriterqueue.h>

#include <atomic>
#include <stdexcept>

namespace hexwire::core {

struct MailboxMesh::Queue {
  explicit Queue(std::size_t capacity) : tasks(capacity) {}
  moodycamel::ReaderWriterQueue<Task> tasks;
  // Tasks pushed; touched only by the producer's thread.
  alignas(64) std::size_t pushed = 0;
  // Tasks run; written only by the consumer, once per drain batch (relaxed: the producer reads it
  // for its backlog, where a stale, smaller value only overstates the backlog for a while).
  alignas(64) std::atomic<std::size_t> ran{0};
};

// Per-receiver drain cursor, written only by the receiving shard's thread; padded so receivers
// do not share a cache line.
struct alignas(64) MailboxMesh::DrainCursor {
  unsigned next_sender = 0;
};

MailboxMesh::MailboxMesh(unsigned shards, std::size_t initial_capacity)
    : shards_(shards), cursors_(std::make_unique<DrainCursor[]>(shards)) {
  if (shards == 0) {
    throw std::invalid_argument("MailboxMesh: need at least one shard");
  }
  queues_.reserve(static_cast<std::size_t>(shards) * shards);
  for (std::size_t i = 0; i < static_cast<std::size_t>(shards) * shards; ++i) {
    queues_.push_back(std::make_unique<Queue>(initial_capacity));
  }
}

MailboxMesh::~MailboxMesh() = default;

void MailboxMesh::push(unsigned from, unsigned to, Task&& task) {
  Queue& queue = *queues_[static_cast<std::size_t>(from) * shards_ + to];
  queue.tasks.enqueue(std::move(task));
  ++queue.pushed;
}

bool MailboxMesh::try_push(unsigned from, unsigned to, Task& task, std::size_t max_depth) {
  Queue& queue = *queues_[static_cast<std::size_t>(from) * shards_ + to];
  // Only this thread adds to the queue, so the depth can only shrink between the check and the
  // push.
  if (queue.tasks.size_approx() >= max_depth) {
    return false;
  }
  if (!queue.tasks.enqueue(std::move(task))) {
    return false;
  }
  ++queue.pushed;
  return true;
}

std::size_t MailboxMesh::drain(unsigned to, std::size_t max_per_sender) {
  DrainCursor& cursor = cursors_[to];
  const unsigned first = cursor.next_sender;
  cursor.next_sender = first + 1 == shards_ ? 0 : first + 1;
  std::size_t ran = 0;
  Task task;
  for (unsigned k = 0; k < shards_; ++k) {
    unsigned from = first + k;
    if (from >= shards_) {
      from -= shards_;
    }
    Queue& queue = *queues_[static_cast<std::size_t>(from) * shards_ + to];
    std::size_t n = 0;
    for (; n < max_per_sender && queue.tasks.try_dequeue(task); ++n) {
      task();
      task.reset();  // release captures before the next task, as if it had run alone
    }
    if (n != 0) {
      queue.ran.store(queue.ran.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
      ran += n;
    }
  }
  return ran;
}

std::size_t MailboxMesh::backlog(unsigned from, unsigned to) const noexcept {
  const Queue& queue = *queues_[static_cast<std::size_t>(from) * shards_ + to];
  return queue.pushed - queue.ran.load(std::memory_order_relaxed);
}

std::size_t MailboxMesh::depth(unsigned to) const noexcept {
  std::size_t total = 0;
  for (unsigned from = 0; from < shards_; ++from) {
    total += queues_[static_cast<std::size_t>(from) * shards_ + to]->tasks.size_approx();
  }
  return total;
}

std::size_t MailboxMesh::depth(unsigned from, unsigned to) const noexcept {
  return queues_[static_cast<std::size_t>(from) * shards_ + to]->tasks.size_approx();
}

}  // namespace hexwire::core
