// MailboxMesh vs a std::mutex + std::deque<Task> queue doing the same work: cross-thread throughput
// (one producer thread, one draining consumer thread) and single-thread push+pop cost.
// Usage: mailbox_bench [--benchmark_min_time=0.2] [--benchmark_repetitions=3]
#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <mutex>
#include <thread>

#include "core/mailbox.hpp"

namespace {

using hexwire::core::MailboxMesh;
using hexwire::core::Task;

constexpr std::size_t kBatch = 256;  // tasks run per sender per drain call

// Baseline: one lock-protected deque per receiver; the consumer takes up to kBatch under the lock.
class MutexDequeMailbox {
 public:
  void push(Task&& task) {
    const std::lock_guard lock(mutex_);
    tasks_.push_back(std::move(task));
  }
  std::size_t drain(std::size_t max) {
    std::size_t n = 0;
    for (; n < max; ++n) {
      Task task;
      {
        const std::lock_guard lock(mutex_);
        if (tasks_.empty()) {
          break;
        }
        task = std::move(tasks_.front());
        tasks_.pop_front();
      }
      task();
    }
    return n;
  }

 private:
  std::mutex mutex_;
  std::deque<Task> tasks_;
};

struct MeshAdapter {
  MailboxMesh mesh{2};
  void push(Task&& task) { mesh.push(0, 1, std::move(task)); }
  std::size_t drain(std::size_t max) { return mesh.drain(1, max); }
};

struct DequeAdapter {
  MutexDequeMailbox box;
  void push(Task&& task) { box.push(std::move(task)); }
  std::size_t drain(std::size_t max) { return box.drain(max); }
};

// Each iteration: the producer pushes `per_iteration` tasks while the consumer thread drains; the
// iteration ends when the consumer has run them all (manual time, so waiting counts).
template <typename Box>
void cross_thread(benchmark::State& state) {
  const auto per_iteration = static_cast<std::uint64_t>(state.range(0));
  Box box;
  std::atomic<std::uint64_t> consumed{
      0};  // written by the consumer (release), read by the producer (acquire)
  std::atomic<bool> stop{false};
  std::uint64_t local = 0;  // touched only on the consumer thread, inside tasks
  std::thread consumer([&] {
    while (!stop.load(std::memory_order_relaxed)) {
      if (box.drain(kBatch) != 0) {
        consumed.store(local, std::memory_order_release);
      } else {
        std::this_thread::yield();  // 2 shared cores: give the producer the CPU rather than spin
      }
    }
  });
  std::uint64_t target = 0;
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    for (std::uint64_t i = 0; i < per_iteration; ++i) {
      box.push([&local] { ++local; });
    }
    target += per_iteration;
    while (consumed.load(std::memory_order_acquire) < target) {
      std::this_thread::yield();
    }
    state.SetIterationTime(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  stop.store(true, std::memory_order_relaxed);
  consumer.join();
  state.SetItemsProcessed(static_cast<std::int64_t>(target));
}

template <typename Box>
void single_thread(benchmark::State& state) {
  Box box;
  std::uint64_t ran = 0;
  for (auto _ : state) {
    box.push([&ran] { ++ran; });
    benchmark::DoNotOptimize(box.drain(1));
  }
  benchmark::DoNotOptimize(ran);
  state.SetItemsProcessed(state.iterations());
}

void BM_MailboxMesh_CrossThread(benchmark::State& state) {
  cross_thread<MeshAdapter>(state);
}
void BM_MutexDeque_CrossThread(benchmark::State& state) {
  cross_thread<DequeAdapter>(state);
}
void BM_MailboxMesh_SingleThreadPushPop(benchmark::State& state) {
  single_thread<MeshAdapter>(state);
}
void BM_MutexDeque_SingleThreadPushPop(benchmark::State& state) {
  single_thread<DequeAdapter>(state);
}

BENCHMARK(BM_MailboxMesh_CrossThread)->Arg(65536)->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MutexDeque_CrossThread)->Arg(65536)->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MailboxMesh_SingleThreadPushPop);
BENCHMARK(BM_MutexDeque_SingleThreadPushPop);

}  // namespace
