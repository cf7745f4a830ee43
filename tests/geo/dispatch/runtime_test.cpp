// DispatchEngine on core::Runtime (real shard threads, mailboxes, timer wheels): drivers report
// from both shards at once, a nearest search from either shard equals brute force, and a ride goes
// from request through offer and accept to matched with the callbacks on the caller's shard.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <future>
#include <mutex>
#include <random>
#include <thread>

#include "core/runtime.hpp"
#include "geo/dispatch/engine.hpp"
#include "tests/geo/dispatch/recording_events.hpp"

using namespace hexwire;
using namespace hexwire::geo;

namespace {
constexpr unsigned kShards = 2;

// Polls `done` (bounded: gives up after 20 s so a bug fails instead of hanging).
template <typename Pred>
bool wait_for(Pred&& done) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!done()) {
    if (std::chrono::steady_clock::now() > give_up) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}
}  // namespace

TEST_CASE("on core::Runtime: concurrent location updates, exact search, a matched ride",
          "[engine][threads]") {
  core::RuntimeConfig config;
  config.shards = kShards;
  config.pin_threads = false;
  core::MetricsRegistry metrics(kShards);
  config.metrics = &metrics;
  auto runtime = std::make_unique<core::Runtime>(config);
  try {
    runtime->start();
  } catch (const std::system_error&) {  // no io_uring here: the epoll backend runs the same loop
    config.backend = core::BackendKind::kEpoll;
    runtime = std::make_unique<core::Runtime>(config);
    runtime->start();
  }
  testing::RecordingEvents events;
  DispatchConfig dispatch;
  dispatch.coarse_res = 6;  // the city spans several coarse cells on both shards
  DispatchEngine engine(*runtime, metrics, dispatch, events);
  struct StopFirst {  // shard threads stop before the engine goes, even when a check fails
    core::Runtime& runtime;
    ~StopFirst() {
      runtime.request_stop();
      runtime.join();
    }
  } stop_first{*runtime};

  constexpr int kDrivers = 2000;
  std::mt19937_64 rng(41);
  std::uniform_real_distribution<double> lat(37.70, 37.82), lng(-122.52, -122.36);
  std::vector<std::pair<double, double>> where(kDrivers);
  for (auto& p : where) {
    p = {lat(rng), lng(rng)};
  }
  std::atomic<int> located{0};
  std::atomic<int> wrong_shard{0};
  for (unsigned s = 0; s < kShards; ++s) {
    runtime->post(s, [&, s] {
      for (int i = static_cast<int>(s); i < kDrivers; i += kShards) {
        GpsFix fix;
        fix.lat_deg = where[i].first;
        fix.lng_deg = where[i].second;
        engine.update_location("d" + std::to_string(i), fix, [&, s](LocationReply r) {
          if (r.outcome != FixOutcome::kAccepted || runtime->current_shard() != s) {
            wrong_shard.fetch_add(1, std::memory_order_relaxed);
          }
          located.fetch_add(1, std::memory_order_release);
        });
      }
    });
  }
  REQUIRE(wait_for([&] { return located.load(std::memory_order_acquire) == kDrivers; }));
  REQUIRE(wrong_shard.load() == 0);

  for (int q = 0; q < 100; ++q) {
    const double qlat = lat(rng), qlng = lng(rng);
    const std::size_t k = 1 + static_cast<std::size_t>(q % 15);
    std::promise<std::vector<NearbyDriver>> answer;
    runtime->post(static_cast<unsigned>(q % kShards), [&] {
      engine.nearby(qlat, qlng, k, [&](DispatchError, std::vector<NearbyDriver> list) {
        answer.set_value(std::move(list));
      });
    });
    auto future = answer.get_future();
    REQUIRE(future.wait_for(std::chrono::seconds(20)) == std::future_status::ready);
    const auto got = future.get();
    std::vector<std::pair<double, std::string>> want;
    for (int i = 0; i < kDrivers; ++i) {
      want.emplace_back(
          great_circle_distance_km({degs_to_rads(qlat), degs_to_rads(qlng)},
                                   {degs_to_rads(where[i].first), degs_to_rads(where[i].second)}),
          "d" + std::to_string(i));
    }
    std::sort(want.begin(), want.end());
    REQUIRE(got.size() == k);
    for (std::size_t i = 0; i < k; ++i) {
      REQUIRE(got[i].driver == want[i].second);
    }
  }

  // A ride requested from shard 0, accepted by the offered driver from shard 1.
  std::promise<RideReply> ride;
  runtime->post(0, [&] {
    engine.request_ride("rider", {37.77, -122.42}, {37.80, -122.40},
                        [&](RideReply r) { ride.set_value(r); });
  });
  auto ride_future = ride.get_future();
  REQUIRE(ride_future.wait_for(std::chrono::seconds(20)) == std::future_status::ready);
  const RideReply reply = ride_future.get();
  REQUIRE(reply.error == DispatchError::kOk);
  REQUIRE(wait_for([&] { return events.offer_count() >= 1; }));
  // The offer went to the nearest driver of the pickup.
  std::vector<std::pair<double, std::string>> by_distance;
  for (int i = 0; i < kDrivers; ++i) {
    by_distance.emplace_back(
        great_circle_distance_km({degs_to_rads(37.77), degs_to_rads(-122.42)},
                                 {degs_to_rads(where[i].first), degs_to_rads(where[i].second)}),
        "d" + std::to_string(i));
  }
  std::sort(by_distance.begin(), by_distance.end());
  REQUIRE(events.offer_count() == 1);
  const std::string offered = events.offer_at(0).driver;
  REQUIRE(offered == by_distance[0].second);
  std::promise<DispatchError> accepted;
  runtime->post(1, [&] {
    engine.accept(offered, reply.trip, [&](DispatchError e) { accepted.set_value(e); });
  });
  auto accepted_future = accepted.get_future();
  REQUIRE(accepted_future.wait_for(std::chrono::seconds(20)) == std::future_status::ready);
  REQUIRE(accepted_future.get() == DispatchError::kOk);
  REQUIRE(wait_for([&] {
    const auto s = events.statuses(reply.trip);
    return !s.empty() && s.back() == TripStatus::kMatched;
  }));
}
