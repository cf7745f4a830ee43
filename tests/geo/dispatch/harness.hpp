// Test harness for DispatchEngine: a deterministic FakeExecutor with N shards and a controllable
// clock, a metrics registry, a RecordingEvents sink and the engine, plus blocking-style helpers
// that make one call on a chosen shard and run the executor until idle to return its answer.
#pragma once

#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <vector>

#include "core/metrics.hpp"
#include "core/testing/fake_executor.hpp"
#include "geo/dispatch/engine.hpp"
#include "tests/geo/dispatch/recording_events.hpp"

namespace hexwire::geo::testing {

using core::testing::FakeExecutor;

inline constexpr std::uint64_t kSecond = 1'000'000'000;

struct Harness {
  explicit Harness(unsigned shards, DispatchConfig config = {}, std::uint64_t seed = 0)
      : exec(shards, seed),
        metrics(shards),
        engine(exec, metrics, clocked(std::move(config)), events) {}

  FakeExecutor exec;
  core::MetricsRegistry metrics;
  RecordingEvents events;
  DispatchEngine engine;

  DispatchConfig clocked(DispatchConfig config) {
    config.wall_clock_us = [this] { return exec.wall_us(); };
    return config;
  }

  LocationReply locate(const std::string& driver, double lat, double lng, unsigned shard = 0,
                       bool available = true) {
    GpsFix fix;
    fix.lat_deg = lat;
    fix.lng_deg = lng;
    fix.heading_deg = 45;
    fix.speed_mps = 10;
    fix.available = available;
    std::optional<LocationReply> reply;
    exec.run_on(shard,
                [&] { engine.update_location(driver, fix, [&](LocationReply r) { reply = r; }); });
    exec.run_until_idle();
    REQUIRE(reply.has_value());
    return *reply;
  }

  std::vector<NearbyDriver> nearby(double lat, double lng, std::size_t k, unsigned shard = 0) {
    std::optional<std::vector<NearbyDriver>> result;
    exec.run_on(shard, [&] {
      engine.nearby(lat, lng, k, [&](DispatchError e, std::vector<NearbyDriver> list) {
        REQUIRE(e == DispatchError::kOk);
        REQUIRE(exec.current_shard() == shard);  // answers come back on the caller's shard
        result = std::move(list);
      });
    });
    exec.run_until_idle();
    REQUIRE(result.has_value());
    return *result;
  }

  RideReply ride(const std::string& rider, LatLngDeg pickup, LatLngDeg destination,
                 unsigned shard = 0) {
    std::optional<RideReply> reply;
    exec.run_on(shard, [&] {
      engine.request_ride(rider, pickup, destination, [&](RideReply r) { reply = std::move(r); });
    });
    exec.run_until_idle();
    REQUIRE(reply.has_value());
    return *reply;
  }

  DispatchError accept(const std::string& driver, const std::string& trip, unsigned shard = 0) {
    return answer(
        [&](DispatchEngine::ActionDone done) { engine.accept(driver, trip, std::move(done)); },
        shard);
  }
  DispatchError decline(const std::string& driver, const std::string& trip, unsigned shard = 0) {
    return answer(
        [&](DispatchEngine::ActionDone done) { engine.decline(driver, trip, std::move(done)); },
        shard);
  }
  DispatchError act(const std::string& user, const std::string& trip, TripAction action,
                    unsigned shard = 0) {
    return answer(
        [&](DispatchEngine::ActionDone done) {
          engine.trip_action(user, trip, action, std::move(done));
        },
        shard);
  }

  template <typename Call>
  DispatchError answer(Call&& call, unsigned shard) {
    std::optional<DispatchError> result;
    exec.run_on(shard, [&] { call([&](DispatchError e) { result = e; }); });
    exec.run_until_idle();
    REQUIRE(result.has_value());
    return *result;
  }

  std::uint64_t counter(const std::string& name) {
    std::uint64_t total = 0;
    for (unsigned s = 0; s < exec.shard_count(); ++s) {
      total += metrics.counter(name, "", s).value();
    }
    return total;
  }
};

}  // namespace hexwire::geo::testing
