// Open-loop send scheduling for many connections: SendScheduler (one min-heap over all streams)
// against the plain baseline of one ArrivalSchedule per connection, every one checked on every
// loop turn. Each iteration is one 1 ms loop turn of a worker owning N connections that each send
// 1 message per second (so ~N/1000 sends are due per turn).
#include <benchmark/benchmark.h>

#include <vector>

#include "sim/schedule.hpp"

using namespace hexwire::sim;

namespace {

constexpr std::uint64_t kTurnNs = 1'000'000;
constexpr double kPerConnectionRate = 1.0;

void BM_SendSchedulerHeap(benchmark::State& state) {
  const auto connections = static_cast<std::uint32_t>(state.range(0));
  SendScheduler scheduler(ArrivalProcess::kPoisson, 1);
  for (std::uint32_t c = 0; c < connections; ++c) {
    scheduler.add(c, kPerConnectionRate, 0);
  }
  std::uint64_t now = 0;
  std::uint64_t sends = 0;
  for (auto _ : state) {
    now += kTurnNs;
    sends += scheduler.drain_due(now, [](SendScheduler::StreamId id, std::uint64_t intended) {
      benchmark::DoNotOptimize(id);
      benchmark::DoNotOptimize(intended);
    });
  }
  state.counters["sends_per_turn"] =
      benchmark::Counter(static_cast<double>(sends) / static_cast<double>(state.iterations()));
}
BENCHMARK(BM_SendSchedulerHeap)->Arg(1'000)->Arg(100'000);

void BM_PerConnectionScanBaseline(benchmark::State& state) {
  const auto connections = static_cast<std::uint32_t>(state.range(0));
  std::vector<ArrivalSchedule> schedules;
  schedules.reserve(connections);
  for (std::uint32_t c = 0; c < connections; ++c) {
    schedules.emplace_back(ArrivalProcess::kPoisson, kPerConnectionRate, 0, derive_seed(1, c));
  }
  std::uint64_t now = 0;
  std::uint64_t sends = 0;
  for (auto _ : state) {
    now += kTurnNs;
    for (std::uint32_t c = 0; c < connections; ++c) {
      sends += schedules[c].drain_due(now, [c](std::uint64_t intended) {
        benchmark::DoNotOptimize(c);
        benchmark::DoNotOptimize(intended);
      });
    }
  }
  state.counters["sends_per_turn"] =
      benchmark::Counter(static_cast<double>(sends) / static_cast<double>(state.iterations()));
}
BENCHMARK(BM_PerConnectionScanBaseline)->Arg(1'000)->Arg(100'000);

}  // namespace
