// DispatchEngine on the deterministic executor with several shards: cross-shard nearest search
// equals brute force, drivers are handed over between shards, GPS errors, the offer sequence
// (decline and timeout move to the next candidate, accept matches), the trip lifecycle with its
// events, immediate vs batched matching, the unmatched deadline, live map throttling and surge.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <set>

#include "tests/geo/dispatch/harness.hpp"

using namespace hexwire;
using namespace hexwire::geo;
using namespace hexwire::geo::testing;

namespace {
constexpr double kLat = 37.77;
constexpr double kLng = -122.42;

/// A point `east_km` east and `north_km` north of (kLat, kLng).
LatLngDeg at(double east_km, double north_km = 0) {
  return {kLat + north_km / 111.195, kLng + east_km / (111.195 * std::cos(kLat * M_PI / 180))};
}

DispatchConfig sharded_config() {
  DispatchConfig config;
  config.coarse_res = 6;  // several coarse cells (and so several shards) inside one city
  return config;
}
}  // namespace

TEST_CASE("nearby across shards equals brute force over the whole fleet", "[engine]") {
  Harness h(3, sharded_config());
  std::mt19937_64 rng(21);
  std::uniform_real_distribution<double> east(-8, 8), north(-7, 7);
  std::map<std::string, LatLngDeg> where;
  for (int i = 0; i < 1500; ++i) {
    const std::string id = "d" + std::to_string(i);
    const LatLngDeg p = at(east(rng), north(rng));
    REQUIRE(h.locate(id, p.lat, p.lng, static_cast<unsigned>(rng() % 3)).error ==
            DispatchError::kOk);
    where[id] = p;
  }
  std::set<unsigned> holders;
  for (const auto& [id, p] : where) {
    holders.insert(h.engine.owner_shard({degs_to_rads(p.lat), degs_to_rads(p.lng)}));
  }
  REQUIRE(holders.size() == 3);  // the fleet really is spread over every shard
  for (int q = 0; q < 400; ++q) {
    const LatLngDeg p = at(east(rng) * 1.2, north(rng) * 1.2);
    const std::size_t k = 1 + rng() % 20;
    const auto got = h.nearby(p.lat, p.lng, k, static_cast<unsigned>(rng() % 3));
    std::vector<std::pair<double, std::string>> want;
    const LatLng query{degs_to_rads(p.lat), degs_to_rads(p.lng)};
    for (const auto& [id, d] : where) {
      const double km = great_circle_distance_km(query, {degs_to_rads(d.lat), degs_to_rads(d.lng)});
      if (km <= h.engine.config().max_search_km) {
        want.emplace_back(km, id);
      }
    }
    std::sort(want.begin(), want.end());
    want.resize(std::min(want.size(), k));
    REQUIRE(got.size() == want.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
      REQUIRE(got[i].driver == want[i].second);
      REQUIRE(got[i].distance_km == want[i].first);
    }
  }
  REQUIRE(h.exec.sent(0, 1) + h.exec.sent(1, 2) + h.exec.sent(2, 0) > 0);
}

TEST_CASE("a driver crossing into another shard's coarse cell is handed over and found once",
          "[engine]") {
  Harness h(3, sharded_config());
  // Walk east in 150 m steps every 10 s until the owner shard has changed a few times.
  const unsigned first = h.engine.owner_shard({degs_to_rads(at(0).lat), degs_to_rads(at(0).lng)});
  unsigned last = first;
  int changes = 0;
  for (int step = 0; step < 200 && changes < 3; ++step) {
    const LatLngDeg p = at(0.15 * step);
    h.exec.advance_time(10 * kSecond);
    REQUIRE(h.locate("walker", p.lat, p.lng, 1).outcome == FixOutcome::kAccepted);
    const auto found = h.nearby(p.lat, p.lng, 5, static_cast<unsigned>(step % 3));
    REQUIRE(found.size() == 1);
    REQUIRE(found[0].driver == "walker");
    const unsigned owner = h.engine.owner_shard({degs_to_rads(p.lat), degs_to_rads(p.lng)});
    REQUIRE(found[0].shard == owner);
    if (owner != last) {
      ++changes;
      last = owner;
    }
  }
  REQUIRE(changes == 3);
  REQUIRE(h.counter("dispatch_driver_handovers_total") >= 3);
}

TEST_CASE("a stream of unanswered fixes follows its driver across shards without replies",
          "[engine]") {
  Harness h(3, sharded_config());
  int answered = 0;
  const auto stream = [&](double lat, double lng) {
    GpsFix fix;
    fix.lat_deg = lat;
    fix.lng_deg = lng;
    h.exec.run_on(1, [&] {
      h.engine.update_location(
          "walker", fix,
          [&](LocationReply r) {
            REQUIRE(r.error == DispatchError::kBadRequest);  // only rejections come back
            ++answered;
          },
          LocationReplies::kErrorsOnly);
    });
    h.exec.run_until_idle();
  };
  unsigned last = h.engine.owner_shard({degs_to_rads(at(0).lat), degs_to_rads(at(0).lng)});
  int changes = 0;
  for (int step = 0; step < 200 && changes < 3; ++step) {
    const LatLngDeg p = at(0.15 * step);
    h.exec.advance_time(10 * kSecond);
    const unsigned owner = h.engine.owner_shard({degs_to_rads(p.lat), degs_to_rads(p.lng)});
    const std::uint64_t to_caller_before = h.exec.sent(owner, 1);
    stream(p.lat, p.lng);
    const std::uint64_t to_caller = h.exec.sent(owner, 1) - to_caller_before;
    const auto found = h.nearby(p.lat, p.lng, 5, 0);
    REQUIRE(found.size() == 1);
    REQUIRE(found[0].driver == "walker");
    REQUIRE(found[0].shard == owner);
    if (owner != last) {
      ++changes;
      last = owner;
    } else if (owner != 1 && step > 0) {
      // Applied where it was sent and still held there: nothing travels back to shard 1.
      REQUIRE(to_caller == 0);
    }
  }
  REQUIRE(changes == 3);
  REQUIRE(answered == 0);
  stream(std::nan(""), 0);
  REQUIRE(answered == 1);
}

TEST_CASE("bad coordinates answer bad_request, an implausible jump is held", "[engine]") {
  Harness h(2);
  const LocationReply bad = h.locate("d", std::nan(""), 1);
  REQUIRE(bad.error == DispatchError::kBadRequest);
  REQUIRE(h.locate("d", 91, 0).error == DispatchError::kBadRequest);
  const LocationReply ok = h.locate("d", kLat, kLng);
  REQUIRE(ok.outcome == FixOutcome::kAccepted);
  REQUIRE(ok.cell != 0);
  const LocationReply jump = h.locate("d", kLat + 1, kLng);
  REQUIRE(jump.error == DispatchError::kOk);
  REQUIRE(jump.outcome == FixOutcome::kJumpHeld);
  REQUIRE(jump.cell == 0);
  REQUIRE(h.nearby(kLat, kLng, 3).size() == 1);  // still at its last confirmed place
}

TEST_CASE(
    "decline and timeout move to the next candidate, accept matches, the trip runs to completion",
    "[engine]") {
  Harness h(3, sharded_config());
  h.locate("d1", at(0.1).lat, at(0.1).lng, 0);
  h.locate("d2", at(0.2).lat, at(0.2).lng, 1);
  h.locate("d3", at(0.3).lat, at(0.3).lng, 2);
  const RideReply ride = h.ride("r1", at(0), at(3), 2);
  REQUIRE(ride.error == DispatchError::kOk);
  REQUIRE(ride.surge >= 1.0);
  REQUIRE(ride.fare_estimate > 0);
  const std::string trip = ride.trip;
  REQUIRE(h.events.offers.size() == 1);
  REQUIRE(h.events.offers[0].driver == "d1");
  REQUIRE(h.events.offers[0].trip == trip);
  REQUIRE(h.events.offers[0].expires_ms == 10'000);
  // An offered driver is no longer available to others.
  REQUIRE(h.nearby(at(0).lat, at(0).lng, 5).size() == 2);

  REQUIRE(h.decline("d1", trip, 1) == DispatchError::kOk);
  REQUIRE(h.events.offers.size() == 2);
  REQUIRE(h.events.offers[1].driver == "d2");
  REQUIRE(h.decline("d1", trip) == DispatchError::kConflict);  // no longer d1's offer

  h.exec.advance_time(10 * kSecond + 2'000'000);  // d2 lets the offer expire
  REQUIRE(h.events.offers.size() == 3);
  REQUIRE(h.events.offers[2].driver == "d3");
  REQUIRE(h.accept("d2", trip) == DispatchError::kConflict);
  REQUIRE(h.accept("d3", trip, 0) == DispatchError::kOk);
  REQUIRE(h.accept("d3", trip, 0) == DispatchError::kConflict);

  // d1 and d2 are available again; d3 is busy.
  auto free_drivers = h.nearby(at(0).lat, at(0).lng, 5);
  REQUIRE(free_drivers.size() == 2);
  REQUIRE(free_drivers[0].driver == "d1");
  REQUIRE(free_drivers[1].driver == "d2");

  REQUIRE(h.act("stranger", trip, TripAction::kArrive) == DispatchError::kForbidden);
  REQUIRE(h.act("r1", trip, TripAction::kArrive) == DispatchError::kForbidden);
  REQUIRE(h.act("d3", trip, TripAction::kStart) == DispatchError::kConflict);
  REQUIRE(h.act("d3", trip, TripAction::kArrive) == DispatchError::kOk);
  REQUIRE(h.act("d3", trip, TripAction::kStart) == DispatchError::kOk);
  REQUIRE(h.act("r1", trip, TripAction::kCancel) == DispatchError::kConflict);  // riding: too late
  REQUIRE(h.act("d3", trip, TripAction::kComplete) == DispatchError::kOk);
  REQUIRE(h.act("d3", trip, TripAction::kComplete) == DispatchError::kConflict);
  REQUIRE(h.act("d3", "t9-1", TripAction::kComplete) == DispatchError::kNotFound);

  using S = TripStatus;
  REQUIRE(h.events.statuses(trip) ==
          std::vector<S>{S::kRequested, S::kOffered, S::kRequested, S::kOffered, S::kRequested,
                         S::kOffered, S::kMatched, S::kArrived, S::kOnTrip, S::kCompleted});
  for (const auto& e : h.events.trips) {
    REQUIRE(e.rider == "r1");
    REQUIRE(e.ts_us >= FakeExecutor::kWallEpochUs);
    if (e.status == S::kMatched) {
      REQUIRE(e.driver == "d3");
      REQUIRE(e.eta_s > 0);
    }
  }
  // Completed: d3 takes rides again.
  REQUIRE(h.nearby(at(0.3).lat, at(0.3).lng, 1)[0].driver == "d3");
}

TEST_CASE("the rider learns unmatched after the deadline when nobody is near", "[engine]") {
  DispatchConfig config;
  config.match_deadline_ns = 20 * kSecond;
  Harness h(2, config);
  h.locate("far", at(50).lat, at(50).lng);  // beyond max_search_km
  const RideReply ride = h.ride("r", at(0), at(1));
  for (int i = 0; i < 25; ++i) {
    h.exec.advance_time(kSecond);
  }
  using S = TripStatus;
  REQUIRE(h.events.statuses(ride.trip) == std::vector<S>{S::kRequested, S::kUnmatched});
  REQUIRE(h.events.offers.empty());
  REQUIRE(h.counter("dispatch_trips_unmatched_total") == 1);
  REQUIRE(h.counter("dispatch_searches_total") >= 5);  // retried every 2 s
  REQUIRE(h.act("r", ride.trip, TripAction::kCancel) == DispatchError::kConflict);
}

TEST_CASE("a rider who cancels during an offer frees the driver", "[engine]") {
  Harness h(2);
  h.locate("d", at(0.2).lat, at(0.2).lng);
  const RideReply ride = h.ride("r", at(0), at(1));
  REQUIRE(h.events.offers.size() == 1);
  REQUIRE(h.nearby(at(0).lat, at(0).lng, 1).empty());
  REQUIRE(h.act("d", ride.trip, TripAction::kCancel) ==
          DispatchError::kConflict);  // drivers decline
  REQUIRE(h.act("r", ride.trip, TripAction::kCancel) == DispatchError::kOk);
  REQUIRE(h.nearby(at(0).lat, at(0).lng, 1).size() == 1);
  REQUIRE(h.accept("d", ride.trip) == DispatchError::kConflict);
  REQUIRE(h.events.statuses(ride.trip).back() == TripStatus::kCancelled);
}

TEST_CASE("batched matching minimises total pickup ETA where immediate matching is greedy",
          "[engine]") {
  // Riders at 0 km and 2.0 km, drivers at 0.9 km (between them) and -1.0 km. Greedy gives the
  // first rider the 0.9 km driver and the second one the far driver (0.9 + 3.0 km); the optimum
  // is 1.0 + 1.1 km.
  const auto total_eta = [](MatchMode mode) {
    DispatchConfig config;  // one coarse cell: both requests share a home shard and a batch
    config.mode = mode;
    Harness h(2, config);
    h.locate("near", at(0.9).lat, at(0.9).lng);
    h.locate("west", at(-1.0).lat, at(-1.0).lng);
    const RideReply a = h.ride("ra", at(0), at(5));
    const RideReply b = h.ride("rb", at(2.0), at(5), 1);
    h.exec.advance_time(2 * kSecond + 2'000'000);  // the batch window
    REQUIRE(h.events.offers.size() == 2);
    REQUIRE(h.events.offers[0].driver != h.events.offers[1].driver);  // a valid matching
    std::map<std::string, std::string> driver_of;
    const std::map<std::string, LatLngDeg> driver_at = {{"near", at(0.9)}, {"west", at(-1.0)}};
    const std::map<std::string, LatLngDeg> pickup_of = {{a.trip, at(0)}, {b.trip, at(2.0)}};
    double total = 0;
    for (const auto& o : h.events.offers) {
      driver_of[o.trip] = o.driver;
      total += o.eta_s;
      // The ETA offered is the driver's own distance to this trip's pickup.
      const LatLngDeg d = driver_at.at(o.driver), p = pickup_of.at(o.trip);
      const double km = great_circle_distance_km({degs_to_rads(d.lat), degs_to_rads(d.lng)},
                                                 {degs_to_rads(p.lat), degs_to_rads(p.lng)});
      REQUIRE(o.eta_s == Approx(km * 1000 * config.detour_factor / config.pickup_speed_mps));
      REQUIRE(o.pickup.lat == Approx(p.lat));
    }
    if (mode == MatchMode::kImmediate) {
      REQUIRE(driver_of[a.trip] == "near");
      REQUIRE(driver_of[b.trip] == "west");
    } else {
      REQUIRE(driver_of[a.trip] == "west");
      REQUIRE(driver_of[b.trip] == "near");
    }
    return total;
  };
  const double immediate = total_eta(MatchMode::kImmediate);
  const double batched = total_eta(MatchMode::kBatched);
  REQUIRE(batched < immediate);
}

TEST_CASE("immediate and batched matching on a random city give valid matchings", "[engine]") {
  for (const MatchMode mode : {MatchMode::kImmediate, MatchMode::kBatched}) {
    DispatchConfig config = sharded_config();
    config.mode = mode;
    Harness h(3, config, /*seed=*/5);
    std::mt19937_64 rng(31);
    std::uniform_real_distribution<double> coord(-4, 4);
    for (int i = 0; i < 60; ++i) {
      const LatLngDeg p = at(coord(rng), coord(rng));
      h.locate("d" + std::to_string(i), p.lat, p.lng, static_cast<unsigned>(i % 3));
    }
    std::vector<std::string> trips;
    for (int i = 0; i < 40; ++i) {
      trips.push_back(
          h.ride("r" + std::to_string(i), at(coord(rng), coord(rng)), at(0), i % 3).trip);
    }
    // Shards batch separately and may compete for a driver: a loser tries its next candidate or
    // the next window.
    for (int window = 0; window < 4; ++window) {
      h.exec.advance_time(2 * kSecond + 2'000'000);
    }
    // Every trip got an offer, and no driver holds two offers.
    std::set<std::string> offered_drivers, offered_trips;
    for (const auto& o : h.events.offers) {
      REQUIRE(offered_drivers.insert(o.driver).second);
      offered_trips.insert(o.trip);
    }
    REQUIRE(offered_trips.size() == trips.size());
    // All accept: 40 matched trips with 40 distinct drivers.
    for (const auto& o : h.events.offers) {
      REQUIRE(h.accept(o.driver, o.trip, static_cast<unsigned>(rng() % 3)) == DispatchError::kOk);
    }
    REQUIRE(h.counter("dispatch_trips_matched_total") == trips.size());
    REQUIRE(h.nearby(at(0).lat, at(0).lng, 100).size() == 20);
  }
}

TEST_CASE("live map positions are throttled per driver and carry the res-7 cell", "[engine]") {
  DispatchConfig config;
  config.live_map_interval_ns = 2 * kSecond;
  Harness h(2, config);
  h.locate("a", at(0).lat, at(0).lng);
  h.locate("b", at(0.5).lat, at(0.5).lng);
  h.exec.advance_time(kSecond / 2);
  h.locate("a", at(0.001).lat, at(0.001).lng);  // within the interval: not emitted
  h.exec.advance_time(2 * kSecond);
  h.locate("a", at(0.002).lat, at(0.002).lng);
  std::size_t a_count = 0;
  for (const auto& p : h.events.positions) {
    CellId expected = 0;
    REQUIRE(lat_lng_to_cell({degs_to_rads(p.lat), degs_to_rads(p.lng)}, 7, &expected) ==
            H3Error::kSuccess);
    REQUIRE(p.cell == expected);
    a_count += p.driver == "a";
  }
  REQUIRE(a_count == 2);
  REQUIRE(h.events.positions.size() == 3);
}

TEST_CASE("surge rises with demand over supply and is reported, and riders see it", "[engine]") {
  DispatchConfig config;
  config.surge.smoothing = 1.0;  // no smoothing: the target shows at once
  config.surge.sensitivity = 0.2;
  config.match_deadline_ns = 600 * kSecond;
  Harness h(2, config);
  h.locate("d", at(0.1).lat, at(0.1).lng);
  for (int i = 0; i < 9; ++i) {
    h.ride("r" + std::to_string(i), at(0), at(2));
  }
  h.exec.advance_time(kSecond + 2'000'000);  // the periodic surge update
  REQUIRE(!h.events.surges.empty());
  const auto& change = h.events.surges.back();
  CellId cell7 = 0;
  REQUIRE(lat_lng_to_cell({degs_to_rads(at(0).lat), degs_to_rads(at(0).lng)}, 7, &cell7) ==
          H3Error::kSuccess);
  REQUIRE(change.cell == cell7);
  REQUIRE(change.demand == 9);
  REQUIRE(change.supply == 0);  // the only driver holds an offer
  REQUIRE(change.multiplier == Approx(1 + 0.2 * 8));
  REQUIRE(change.multiplier <= config.surge.cap);
  const RideReply next = h.ride("late", at(0), at(2));
  REQUIRE(next.surge == change.multiplier);
}

TEST_CASE("silent and offline drivers leave the search", "[engine]") {
  Harness h(2);
  h.locate("quiet", at(0.1).lat, at(0.1).lng);
  h.locate("leaving", at(0.2).lat, at(0.2).lng, 1);
  h.exec.run_on(1, [&] { h.engine.driver_offline("leaving"); });
  h.exec.run_until_idle();
  REQUIRE(h.nearby(at(0).lat, at(0).lng, 5).size() == 1);
  h.exec.advance_time(31 * kSecond);
  REQUIRE(h.nearby(at(0).lat, at(0).lng, 5).empty());
  REQUIRE(h.counter("dispatch_drivers_expired_total") == 1);
  h.locate("quiet", at(0.1).lat, at(0.1).lng);  // back
  REQUIRE(h.nearby(at(0).lat, at(0).lng, 5).size() == 1);
}

TEST_CASE("trips on different shards racing for one driver never share it", "[engine]") {
  std::uint64_t races = 0;
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    Harness h(3, sharded_config(), seed);  // seeded: random interleaving of the shards' queues
    // Two pickups owned by different shards, both nearest to driver "x".
    LatLngDeg p = at(0), q = at(0);
    const unsigned owner_p = h.engine.owner_shard({degs_to_rads(p.lat), degs_to_rads(p.lng)});
    for (double east = 0.1; east < 20; east += 0.1) {
      q = at(east);
      if (h.engine.owner_shard({degs_to_rads(q.lat), degs_to_rads(q.lng)}) != owner_p) {
        break;
      }
    }
    const LatLngDeg mid = {(p.lat + q.lat) / 2, (p.lng + q.lng) / 2};
    h.locate("x", mid.lat, mid.lng);
    h.locate("y", mid.lat + 0.02, mid.lng);
    std::vector<RideReply> replies;
    h.exec.run_on(0, [&] {
      h.engine.request_ride("ra", p, at(5), [&](RideReply r) { replies.push_back(r); });
    });
    h.exec.run_on(1, [&] {
      h.engine.request_ride("rb", q, at(5), [&](RideReply r) { replies.push_back(r); });
    });
    h.exec.run_until_idle();
    REQUIRE(replies.size() == 2);
    REQUIRE(h.events.offers.size() == 2);
    REQUIRE(h.events.offers[0].driver != h.events.offers[1].driver);
    REQUIRE(h.events.offers[0].trip != h.events.offers[1].trip);
    races += h.counter("dispatch_reservations_refused_total");
  }
  REQUIRE(races > 0);  // some interleavings really had both trips reserve the same driver
}

namespace {

/// A pool where this node owns every region; driver_trip questions wait for the test to answer.
struct AskedPool final : DispatchPeers {
  struct Question {
    std::string driver;
    unsigned shard;
    std::function<void(DriverTripState)> done;
  };
  FakeExecutor* exec = nullptr;
  std::vector<Question> questions;

  NodeRef region_node(CellId) noexcept override { return 0; }
  NodeRef node_named(std::string_view) override { return 0; }
  void search(NodeRef, LatLng, std::size_t, double,
              std::function<void(std::vector<NearbyDriver>)> done) override {
    done({});
  }
  void reserve(const NearbyDriver&, std::string_view, std::function<void(bool)> done) override {
    done(false);
  }
  void driver_state(NodeRef, unsigned, std::string_view, std::string_view, DriverStatus,
                    bool) override {}
  void driver_trip(std::string_view driver,
                   std::function<void(DriverTripState)> done) override {
    questions.push_back({std::string(driver), exec->current_shard(), std::move(done)});
  }
  /// Answers the oldest open question (on the shard that asked).
  void answer(DriverTripState state) {
    REQUIRE(!questions.empty());
    Question q = std::move(questions.front());
    questions.erase(questions.begin());
    exec->run_on(q.shard, [&] { q.done(std::move(state)); });
    exec->run_until_idle();
  }
};

}  // namespace

TEST_CASE("in a pool, a driver new to the node is matchable only once the pool says it is free",
          "[engine]") {
  AskedPool pool;
  DispatchConfig config = sharded_config();
  config.peers = &pool;
  Harness h(2, config);
  pool.exec = &h.exec;
  const LatLngDeg p = at(0);

  REQUIRE(h.locate("d1", p.lat, p.lng, 1).outcome == FixOutcome::kAccepted);
  REQUIRE(pool.questions.size() == 1);
  CHECK(pool.questions[0].driver == "d1");
  CHECK(h.nearby(p.lat, p.lng, 5).empty());  // checking: not in any search

  // No answer from the pool's store: still checking, asked again at the next sweep.
  pool.answer({});
  REQUIRE(h.locate("d1", p.lat, p.lng, 1).outcome == FixOutcome::kAccepted);
  CHECK(h.nearby(p.lat, p.lng, 5).empty());
  CHECK(pool.questions.empty());
  h.exec.advance_time(kSecond + kSecond / 10);
  h.exec.run_until_idle();
  REQUIRE(pool.questions.size() == 1);

  // On a trip of another node: busy; a rider next to it gets no offer; asked again every sweep.
  pool.answer({true, "t0-7.run-elsewhere", DriverStatus::kEnRoute});
  const RideReply ride = h.ride("r1", p, at(2));
  REQUIRE(ride.error == DispatchError::kOk);
  CHECK(h.events.offers.empty());
  CHECK(h.nearby(p.lat, p.lng, 5).empty());
  h.exec.advance_time(kSecond + kSecond / 10);
  h.exec.run_until_idle();
  REQUIRE(pool.questions.size() == 1);

  // The trip is over: available again, and the waiting ride is offered to it.
  pool.answer({true, {}, DriverStatus::kAvailable});
  REQUIRE(h.nearby(p.lat, p.lng, 5).size() == 1);
  h.exec.advance_time(3 * kSecond);  // the ride's retry interval
  h.exec.run_until_idle();
  REQUIRE(h.events.offers.size() == 1);
  CHECK(h.events.offers[0].driver == "d1");
  CHECK(h.events.offers[0].trip == ride.trip);
}
