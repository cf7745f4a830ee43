// TimerWheel vs a std::priority_queue timer heap with lazy cancellation (live ids in a hash set;
// cancelled entries are skipped when they reach the top), on two workloads: idle-timeout re-arming
// (cancel + add with N timers pending, time creeping forward) and add-then-fire of N timers.
// Usage: timer_wheel_bench [--benchmark_min_time=0.2] [--benchmark_repetitions=3]
#include <benchmark/benchmark.h>

#include <cstdint>
#include <queue>
#include <random>
#include <unordered_set>
#include <vector>

#include "core/timer_wheel.hpp"

namespace {

using hexwire::core::TimerTask;
using hexwire::core::TimerId;
using hexwire::core::TimerWheel;

constexpr std::uint64_t kMs = 1'000'000;
constexpr std::uint64_t kStart = 1'000'000'000;

// Baseline: binary heap ordered by (deadline, id), cancellation by erasing from the live set.
class HeapTimers {
 public:
  explicit HeapTimers(std::uint64_t now) : now_(now) {}
  TimerId add_at(std::uint64_t deadline, TimerTask fn) {
    const TimerId id = ++next_id_;
    heap_.push(Entry{deadline, id, std::move(fn)});
    live_.insert(id);
    return id;
  }
  bool cancel(TimerId id) { return live_.erase(id) != 0; }
  std::size_t advance(std::uint64_t now) {
    now_ = now;
    std::size_t ran = 0;
    while (!heap_.empty() && heap_.top().deadline <= now) {
      // priority_queue::top is const; the entry is popped right after, so moving the task is safe.
      TimerTask fn = std::move(const_cast<Entry&>(heap_.top()).fn);
      const TimerId id = heap_.top().id;
      heap_.pop();
      if (live_.erase(id) != 0) {
        fn();
        ++ran;
      }
    }
    return ran;
  }
  [[nodiscard]] std::uint64_t now_ns() const { return now_; }

 private:
  struct Entry {
    std::uint64_t deadline;
    TimerId id;
    TimerTask fn;
    bool operator<(const Entry& o) const {  // max-heap inverted: earliest deadline on top
      return deadline != o.deadline ? deadline > o.deadline : id > o.id;
    }
  };
  std::uint64_t now_;
  TimerId next_id_ = 0;
  std::priority_queue<Entry> heap_;
  std::unordered_set<TimerId> live_;
};

// N connections each hold an idle timeout of 5-10 s; every operation re-arms one connection
// (cancel its timer, add a new one) and time moves 1 us; the wheel is advanced every 1000 ops.
template <typename Timers>
void rearm(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  std::mt19937_64 rng(9);
  std::vector<std::uint64_t> delays(4096);
  for (auto& d : delays) {
    d = 5000 * kMs + rng() % (5000 * kMs);
  }
  Timers timers(kStart);
  std::uint64_t fired = 0;
  std::vector<TimerId> ids(n);
  std::uint64_t now = kStart;
  for (std::size_t i = 0; i < n; ++i) {
    ids[i] = timers.add_at(now + delays[i & 4095], [&fired] { ++fired; });
  }
  std::size_t op = 0;
  for (auto _ : state) {
    const std::size_t conn = (op * 7919) % n;
    timers.cancel(ids[conn]);
    ids[conn] = timers.add_at(now + delays[op & 4095], [&fired] { ++fired; });
    now += 1000;
    if (++op % 1000 == 0) {
      timers.advance(now);
    }
  }
  benchmark::DoNotOptimize(fired);
  state.SetItemsProcessed(state.iterations());
}

// Each iteration: add N timers spread over the next second, then advance past them all.
template <typename Timers>
void add_and_fire(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  std::mt19937_64 rng(5);
  std::vector<std::uint64_t> offsets(n);
  for (auto& o : offsets) {
    o = 1 + rng() % (1000 * kMs);
  }
  Timers timers(kStart);
  std::uint64_t now = kStart;
  std::uint64_t fired = 0;
  for (auto _ : state) {
    for (std::size_t i = 0; i < n; ++i) {
      timers.add_at(now + offsets[i], [&fired] { ++fired; });
    }
    now += 1000 * kMs + 1;
    benchmark::DoNotOptimize(timers.advance(now));
  }
  if (fired != static_cast<std::uint64_t>(state.iterations()) * n) {
    state.SkipWithError("not every timer fired");
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(fired));
}

void BM_TimerWheel_Rearm(benchmark::State& state) {
  rearm<TimerWheel>(state);
}
void BM_HeapBaseline_Rearm(benchmark::State& state) {
  rearm<HeapTimers>(state);
}
void BM_TimerWheel_AddFire(benchmark::State& state) {
  add_and_fire<TimerWheel>(state);
}
void BM_HeapBaseline_AddFire(benchmark::State& state) {
  add_and_fire<HeapTimers>(state);
}

BENCHMARK(BM_TimerWheel_Rearm)->Arg(1000)->Arg(100'000);
BENCHMARK(BM_HeapBaseline_Rearm)->Arg(1000)->Arg(100'000);
BENCHMARK(BM_TimerWheel_AddFire)->Arg(1000)->Arg(65'536)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_HeapBaseline_AddFire)->Arg(1000)->Arg(65'536)->Unit(benchmark::kMicrosecond);

}  // namespace
