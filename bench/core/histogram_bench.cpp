// Histogram record and percentile cost vs the plain baseline of keeping every value in a
// std::vector and sorting a copy to read percentiles.
// Usage: histogram_bench [--benchmark_min_time=0.2] [--benchmark_repetitions=3]
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "core/histogram.hpp"

namespace {

using hexwire::core::Histogram;

// Lognormal latencies around 50 us (ns), pre-generated so the benchmark measures recording only.
const std::vector<std::uint64_t>& samples() {
  static const std::vector<std::uint64_t> values = [] {
    std::mt19937_64 rng(1);
    std::lognormal_distribution<double> dist(std::log(50'000.0), 1.2);
    std::vector<std::uint64_t> v(1 << 16);
    for (auto& x : v) {
      x = static_cast<std::uint64_t>(dist(rng));
    }
    return v;
  }();
  return values;
}

constexpr double kPercentiles[] = {50.0, 90.0, 99.0, 99.9};

void BM_Histogram_Record(benchmark::State& state) {
  const auto& values = samples();
  Histogram h;
  std::size_t i = 0;
  for (auto _ : state) {
    h.record(values[i++ & (values.size() - 1)]);
  }
  benchmark::DoNotOptimize(h.count());
  state.SetItemsProcessed(state.iterations());
}

void BM_VectorBaseline_Record(benchmark::State& state) {
  const auto& values = samples();
  std::vector<std::uint64_t> recorded;
  recorded.reserve(1 << 20);
  std::size_t i = 0;
  for (auto _ : state) {
    if (recorded.size() == (1u << 20)) {
      state.PauseTiming();  // keep memory bounded; growth cost is excluded in the baseline's favour
      recorded.clear();
      state.ResumeTiming();
    }
    recorded.push_back(values[i++ & (values.size() - 1)]);
  }
  benchmark::DoNotOptimize(recorded.data());
  state.SetItemsProcessed(state.iterations());
}

// Four percentiles (p50, p90, p99, p99.9) over N recorded values.
void BM_Histogram_Percentiles(benchmark::State& state) {
  const auto& values = samples();
  Histogram h;
  for (std::int64_t i = 0; i < state.range(0); ++i) {
    h.record(values[static_cast<std::size_t>(i) & (values.size() - 1)]);
  }
  for (auto _ : state) {
    for (const double p : kPercentiles) {
      benchmark::DoNotOptimize(h.percentile(p));
    }
  }
}

void BM_VectorBaseline_SortPercentiles(benchmark::State& state) {
  const auto& values = samples();
  std::vector<std::uint64_t> recorded;
  for (std::int64_t i = 0; i < state.range(0); ++i) {
    recorded.push_back(values[static_cast<std::size_t>(i) & (values.size() - 1)]);
  }
  std::vector<std::uint64_t> sorted;
  for (auto _ : state) {
    sorted = recorded;  // the live vector keeps receiving values, so each read sorts a copy
    std::sort(sorted.begin(), sorted.end());
    for (const double p : kPercentiles) {
      const auto rank =
          static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
      benchmark::DoNotOptimize(sorted[std::max<std::size_t>(rank, 1) - 1]);
    }
  }
}

BENCHMARK(BM_Histogram_Record);
BENCHMARK(BM_VectorBaseline_Record);
BENCHMARK(BM_Histogram_Percentiles)->Arg(100'000)->Arg(1'000'000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_VectorBaseline_SortPercentiles)
    ->Arg(100'000)
    ->Arg(1'000'000)
    ->Unit(benchmark::kMicrosecond);

}  // namespace
