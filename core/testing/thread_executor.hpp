// A small thread-per-shard core::Executor for tests on real threads: one thread per shard, one
// mutex-protected inbox each (a producer's tasks stay in order, so FIFO per ordered pair of shards
// holds), and a TimerWheel per shard advanced from the monotonic clock.
#pragma once

#include <atomic>
#include <chrono>
#include <climits>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "core/clock.hpp"
#include "core/executor.hpp"
#include "core/timer_wheel.hpp"

namespace hexwire::core::testing {

class ThreadExecutor final : public core::Executor {
 public:
  explicit ThreadExecutor(unsigned shards) {
    for (unsigned i = 0; i < shards; ++i) {
      shards_.push_back(std::make_unique<Shard>());
      shards_.back()->wheel = std::make_unique<core::TimerWheel>(core::monotonic_ns());
    }
    for (unsigned i = 0; i < shards; ++i) {
      shards_[i]->thread = std::thread([this, i] { run(i); });
    }
  }
  ~ThreadExecutor() override { stop(); }
  ThreadExecutor(const ThreadExecutor&) = delete;
  ThreadExecutor& operator=(const ThreadExecutor&) = delete;

  [[nodiscard]] unsigned shard_count() const noexcept override {
    return static_cast<unsigned>(shards_.size());
  }
  [[nodiscard]] unsigned current_shard() const noexcept override { return tls_shard_; }
  void submit_to(unsigned shard, core::Task task) override { post(shard, std::move(task)); }
  [[nodiscard]] core::TimerWheel& timers() noexcept override { return *shards_[tls_shard_]->wheel; }

  /// Queues `task` on `shard` from any thread (the test driver uses this).
  void post(unsigned shard, core::Task task) {
    Shard& s = *shards_[shard];
    {
      std::lock_guard lock(s.mutex);
      s.inbox.push_back(std::move(task));
    }
    s.wake.notify_one();
  }

  /// Stops every shard thread after the tasks already queued to it; idempotent.
  void stop() {
    if (stopping_.exchange(true, std::memory_order_acq_rel)) {
      return;
    }
    for (auto& s : shards_) {
      {
        std::lock_guard lock(s->mutex);  // pairs with the waiter's predicate check
      }
      s->wake.notify_one();
    }
    for (auto& s : shards_) {
      s->thread.join();
    }
  }

 private:
  struct Shard {
    std::mutex mutex;
    std::condition_variable wake;
    std::deque<core::Task> inbox;
    std::unique_ptr<core::TimerWheel> wheel;
    std::thread thread;
  };

  void run(unsigned id) {
    tls_shard_ = id;
    Shard& s = *shards_[id];
    std::deque<core::Task> batch;
    for (;;) {
      {
        std::unique_lock lock(s.mutex);
        s.wake.wait_for(lock, std::chrono::milliseconds(1), [&] {
          return !s.inbox.empty() || stopping_.load(std::memory_order_acquire);
        });
        batch.swap(s.inbox);
        if (batch.empty() && stopping_.load(std::memory_order_acquire)) {
          return;
        }
      }
      for (core::Task& task : batch) {
        task();
      }
      batch.clear();
      s.wheel->advance(core::monotonic_ns());
    }
  }

  inline static thread_local unsigned tls_shard_ = UINT_MAX;
  std::vector<std::unique_ptr<Shard>> shards_;
  std::atomic<bool> stopping_{false};
};

}  // namespace hexwire::core::testing
