// Zipf sampling: rejection-inversion (no table, O(1) per sample) against the plain baseline of a
// precomputed cumulative table searched with std::upper_bound (O(log N), N doubles of memory).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "sim/zipf.hpp"

using hexwire::sim::Rng;
using hexwire::sim::ZipfSampler;

namespace {

constexpr double kExponent = 1.1;

void BM_ZipfRejectionInversion(benchmark::State& state) {
  const ZipfSampler zipf(static_cast<std::uint64_t>(state.range(0)), kExponent);
  Rng rng(1);
  for (auto _ : state) {
    benchmark::DoNotOptimize(zipf.sample(rng));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ZipfRejectionInversion)->Arg(1'000)->Arg(100'000)->Arg(10'000'000);

void BM_ZipfCdfBinarySearchBaseline(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  std::vector<double> cdf(n);
  double sum = 0.0;
  for (std::size_t k = 1; k <= n; ++k) {
    sum += std::pow(static_cast<double>(k), -kExponent);
    cdf[k - 1] = sum;
  }
  for (double& c : cdf) {
    c /= sum;
  }
  Rng rng(1);
  for (auto _ : state) {
    const double u = rng.uniform01();
    const auto it = std::upper_bound(cdf.begin(), cdf.end(), u);
    benchmark::DoNotOptimize(std::min<std::size_t>(it - cdf.begin(), n - 1) + 1);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ZipfCdfBinarySearchBaseline)->Arg(1'000)->Arg(100'000)->Arg(10'000'000);

// Set-up cost: the sampler is ready in constant time; the table takes O(N).
void BM_ZipfSamplerSetup(benchmark::State& state) {
  for (auto _ : state) {
    ZipfSampler zipf(static_cast<std::uint64_t>(state.range(0)), kExponent);
    benchmark::DoNotOptimize(&zipf);
  }
}
BENCHMARK(BM_ZipfSamplerSetup)->Arg(10'000'000);

void BM_ZipfCdfSetupBaseline(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  for (auto _ : state) {
    std::vector<double> cdf(n);
    double sum = 0.0;
    for (std::size_t k = 1; k <= n; ++k) {
      sum += std::pow(static_cast<double>(k), -kExponent);
      cdf[k - 1] = sum;
    }
    benchmark::DoNotOptimize(cdf.data());
  }
}
BENCHMARK(BM_ZipfCdfSetupBaseline)->Arg(10'000'000)->Unit(benchmark::kMillisecond);

}  // namespace
