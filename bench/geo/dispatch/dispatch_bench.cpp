// Dispatch micro-benchmarks: location-update ingest and nearest-10 search over 100k and 1M drivers
// spread uniformly over a 30 km x 30 km metro box around San Francisco, each against a plain
// baseline in the same binary (ingest: writing the position into a flat array with no index;
// search: a linear scan over every driver). Per-query latencies go into a core::Histogram and are
// reported as p50_ns / p99_ns counters.
#include <benchmark/benchmark.h>

#include <cmath>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/histogram.hpp"
#include "core/metrics.hpp"
#include "core/testing/fake_executor.hpp"
#include "geo/dispatch/engine.hpp"
#include "geo/dispatch/fleet.hpp"
#include "geo/dispatch/nearest.hpp"

using namespace hexwire;
using namespace hexwire::geo;

namespace {
constexpr double kLat0 = 37.64, kLat1 = 37.91;      // ~30 km north-south
constexpr double kLng0 = -122.60, kLng1 = -122.26;  // ~30 km east-west
constexpr std::uint64_t kStart = 1'000'000'000'000;

struct City {
  FleetIndex fleet;
  std::vector<GpsFix> fixes;    // one per driver, the position it holds
  std::vector<LatLng> queries;  // query points
  std::uint64_t now = kStart;
};

GpsFix random_fix(std::mt19937_64& rng) {
  std::uniform_real_distribution<double> lat(kLat0, kLat1), lng(kLng0, kLng1);
  GpsFix f;
  f.lat_deg = lat(rng);
  f.lng_deg = lng(rng);
  f.speed_mps = 10;
  return f;
}

City& city(std::size_t drivers, int index_res = 9) {
  static std::map<std::pair<std::size_t, int>, std::unique_ptr<City>> cities;
  auto& slot = cities[{drivers, index_res}];
  if (!slot) {
    FleetConfig config;
    config.index_res = index_res;
    config.driver_ttl_ns = UINT64_MAX / 4;  // nobody expires during the run
    slot = std::make_unique<City>(City{FleetIndex(config), {}, {}});
    std::mt19937_64 rng(drivers);
    for (std::size_t i = 0; i < drivers; ++i) {
      const DriverIndex d = slot->fleet.find_or_add("driver-" + std::to_string(i));
      slot->fixes.push_back(random_fix(rng));
      slot->fleet.apply_fix(d, slot->fixes.back(), kStart);
    }
    for (int q = 0; q < 4096; ++q) {
      const GpsFix f = random_fix(rng);
      slot->queries.push_back({degs_to_rads(f.lat_deg), degs_to_rads(f.lng_deg)});
    }
  }
  return *slot;
}

// Each update moves a random driver by up to ~30 m in a random direction.
struct UpdateStream {
  explicit UpdateStream(std::size_t drivers)
      : rng(drivers * 7 + 1), pick(0, drivers - 1), step(-0.0003, 0.0003) {}
  std::mt19937_64 rng;
  std::uniform_int_distribution<std::size_t> pick;
  std::uniform_real_distribution<double> step;
};

void BM_LocationUpdate_Index(benchmark::State& state) {
  City& c = city(static_cast<std::size_t>(state.range(0)));
  UpdateStream s(c.fixes.size());
  for (auto _ : state) {
    const std::size_t i = s.pick(s.rng);
    GpsFix& f = c.fixes[i];
    f.lat_deg = std::clamp(f.lat_deg + s.step(s.rng), kLat0, kLat1);
    f.lng_deg = std::clamp(f.lng_deg + s.step(s.rng), kLng0, kLng1);
    c.now += 1'000'000;
    benchmark::DoNotOptimize(c.fleet.apply_fix(static_cast<DriverIndex>(i), f, c.now));
  }
  state.counters["updates_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

void BM_LocationUpdate_FlatArray(benchmark::State& state) {
  // Baseline: the position is stored, nothing is indexed (what a linear-scan search needs).
  City& c = city(static_cast<std::size_t>(state.range(0)));
  std::vector<LatLng> positions(c.fixes.size());
  UpdateStream s(c.fixes.size());
  for (auto _ : state) {
    const std::size_t i = s.pick(s.rng);
    GpsFix& f = c.fixes[i];
    f.lat_deg = std::clamp(f.lat_deg + s.step(s.rng), kLat0, kLat1);
    f.lng_deg = std::clamp(f.lng_deg + s.step(s.rng), kLng0, kLng1);
    positions[i] = {degs_to_rads(f.lat_deg), degs_to_rads(f.lng_deg)};
    benchmark::DoNotOptimize(positions[i]);
  }
  state.counters["updates_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

void BM_LocationUpdate_Engine(benchmark::State& state) {
  // The whole DispatchEngine path on one logical shard: validation, routing hint, fix, index,
  // live-map throttle, callback.
  const auto drivers = static_cast<std::size_t>(state.range(0));
  core::testing::FakeExecutor exec(1);
  core::MetricsRegistry metrics(1);
  struct NoEvents final : DispatchEvents {
    void offer(std::string_view, std::string_view, LatLngDeg, double, std::uint32_t) override {}
    void trip_event(const TripEvent&) override {}
    void driver_position(CellId, std::string_view, double, double, double) override {}
    void surge_changed(CellId, double, std::uint32_t, std::uint32_t) override {}
  } events;
  DispatchConfig config;
  config.fleet.driver_ttl_ns = UINT64_MAX / 4;
  DispatchEngine engine(exec, metrics, config, events);
  std::vector<std::string> names;
  std::vector<GpsFix> fixes;
  std::mt19937_64 rng(drivers);
  for (std::size_t i = 0; i < drivers; ++i) {
    names.push_back("driver-" + std::to_string(i));
    fixes.push_back(random_fix(rng));
    engine.update_location(names.back(), fixes.back(), [](LocationReply) {});
  }
  exec.run_until_idle();
  UpdateStream s(drivers);
  std::uint64_t accepted = 0;
  const DispatchEngine::LocationDone count = [&accepted](LocationReply r) {
    accepted += r.outcome == FixOutcome::kAccepted;
  };
  for (auto _ : state) {
    const std::size_t i = s.pick(s.rng);
    GpsFix& f = fixes[i];
    f.lat_deg = std::clamp(f.lat_deg + s.step(s.rng), kLat0, kLat1);
    f.lng_deg = std::clamp(f.lng_deg + s.step(s.rng), kLng0, kLng1);
    engine.update_location(names[i], f, count);
  }
  state.counters["updates_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["accepted_fraction"] =
      static_cast<double>(accepted) / static_cast<double>(state.iterations());
}

template <bool kIndexed>
void BM_Nearest10(benchmark::State& state) {
  City& c = city(static_cast<std::size_t>(state.range(0)), state.range(1));
  NearestSearch search(c.fleet);
  std::vector<NearestCandidate> out;
  core::Histogram latency;
  std::size_t q = 0;
  for (auto _ : state) {
    const NearestQuery query{c.queries[q++ % c.queries.size()], 10, 25.0, c.now, -1};
    const std::uint64_t start = core::monotonic_ns();
    if constexpr (kIndexed) {
      search.find(query, out);
    } else {
      nearest_brute_force(c.fleet, query, out);
    }
    latency.record(core::monotonic_ns() - start);
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["p50_ns"] = static_cast<double>(latency.percentile(50));
  state.counters["p99_ns"] = static_cast<double>(latency.percentile(99));
  state.counters["queries_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

void BM_Nearest10_Index(benchmark::State& state) {
  BM_Nearest10<true>(state);
}
void BM_Nearest10_BruteForce(benchmark::State& state) {
  BM_Nearest10<false>(state);
}

}  // namespace

BENCHMARK(BM_LocationUpdate_Index)->Arg(100'000)->Arg(1'000'000);
BENCHMARK(BM_LocationUpdate_FlatArray)->Arg(100'000)->Arg(1'000'000);
BENCHMARK(BM_LocationUpdate_Engine)->Arg(100'000)->Arg(1'000'000);
// Args: drivers, index resolution (9 is the default; 10 suits a very dense fleet).
BENCHMARK(BM_Nearest10_Index)->Args({100'000, 9})->Args({1'000'000, 9})->Args({1'000'000, 10});
BENCHMARK(BM_Nearest10_BruteForce)->Args({100'000, 9})->Args({1'000'000, 9});
