// The feature-store fallback of `spotify features` on a virtual network with constant 1 ms links:
// which features each call was answered with, and how long it took, when the store is up, late,
// or down for the whole run, with and without the fallback.
#include <catch2/catch.hpp>

#include <vector>

#include "sim/cases/spotify/features_model.hpp"
#include "sim/cases/virtual_network.hpp"

namespace cases = hexwire::sim::cases;
namespace spotify = hexwire::sim::cases::spotify;
using cases::kMillisecond;
using cases::kSecond;
using spotify::Source;

namespace {

std::vector<spotify::CallRecord> run(spotify::FeaturesConfig config) {
  cases::VirtualNetwork net(cases::LatencyDistribution::constant(kMillisecond), hexwire::sim::Rng(1));
  const cases::RngStreams rng(3);
  spotify::FeaturesModel model(config, net, rng);
  model.start();
  net.run_until(config.duration + config.timeout + kSecond);
  REQUIRE(model.done());
  return model.calls();
}

spotify::FeaturesConfig small(bool fallback) {
  spotify::FeaturesConfig c;
  c.fallback = fallback;
  c.rate = 100;
  c.duration = 5 * kSecond;
  c.users = 20;
  c.candidates = 50;
  c.store_latency = cases::LatencyDistribution::constant(4 * kMillisecond);
  c.outage_length = 0;
  return c;
}

int count(const std::vector<spotify::CallRecord>& calls, Source source) {
  int n = 0;
  for (const auto& c : calls) {
    n += c.source == source ? 1 : 0;
  }
  return n;
}

}  // namespace

TEST_CASE("features: a store within the deadline answers every call fresh") {
  const auto calls = run(small(true));
  REQUIRE(calls.size() > 300);
  CHECK(count(calls, Source::kFresh) == static_cast<int>(calls.size()));
  for (const auto& c : calls) {
    // Four 1 ms links and the 4 ms read, plus the ranker's measured (wall-clock) time.
    CHECK(c.latency >= 8 * kMillisecond);
  }
}

TEST_CASE("features: a late store is replaced by cached features, then by defaults") {
  spotify::FeaturesConfig c = small(true);
  c.store_latency = cases::LatencyDistribution::constant(30 * kMillisecond);
  c.deadline = 15 * kMillisecond;
  const auto calls = run(c);
  CHECK(count(calls, Source::kFresh) == 0);
  // 20 users: the first call of each finds nothing cached; the late answers fill the cache.
  CHECK(count(calls, Source::kDefault) >= 20);
  CHECK(count(calls, Source::kStale) > static_cast<int>(calls.size()) - 40);
  for (const auto& call : calls) {
    CHECK(call.latency >= 17 * kMillisecond);  // link + deadline + link (+ the ranker's time)
  }
}

TEST_CASE("features: stale features older than --max-stale are not used") {
  spotify::FeaturesConfig c = small(true);
  c.store_latency = cases::LatencyDistribution::constant(30 * kMillisecond);
  c.max_stale = 0;
  const auto calls = run(c);
  CHECK(count(calls, Source::kStale) == 0);
  CHECK(count(calls, Source::kDefault) == static_cast<int>(calls.size()));
}

TEST_CASE("features: with the store down, the fallback answers and waiting times out") {
  spotify::FeaturesConfig c = small(true);
  c.outage_start = 0;
  c.outage_length = c.duration;
  const auto with = run(c);
  for (const auto& call : with) {
    if (call.started + c.deadline <= c.outage_start + c.outage_length) {
      CHECK(call.source == Source::kDefault);  // nothing was ever cached
    }
  }
  c.fallback = false;
  const auto without = run(c);
  // The store recovers at the end of the run: calls made in the last `timeout` before that are
  // answered fresh once it is back; every earlier call waits the whole timeout.
  int waited = 0;
  for (const auto& call : without) {
    if (call.started + c.timeout <= c.outage_start + c.outage_length) {
      CHECK(call.source == Source::kTimedOut);
      CHECK(call.latency == c.timeout);
      ++waited;
    } else {
      CHECK(call.source != Source::kStale);
      CHECK(call.source != Source::kDefault);
    }
  }
  CHECK(waited > 300);
}
