// Dispatch over /ws end to end, matching and trips: requests go to the truly nearest available
// driver (brute force over the placed drivers, across both shards), declines and expired offers
// move on to the next nearest, trips run through their states with illegal steps refused, both
// sides cancel, and batched matching picks the least total pickup distance. No timing assertions.
#include <catch2/catch.hpp>

#include "tests/app_dispatch/dispatch_test_fixture.hpp"

using namespace hexwire;
using namespace hexwire::dispatch_test;

TEST_CASE("a ride request is offered to the truly nearest available driver") {
  Server server;
  Fleet fleet(server.port, 12, "near");
  const std::vector<Placed> expected = by_distance(fleet.placed);

  // The drivers really are spread over both shards.
  std::vector<unsigned> shards;
  for (const Placed& p : fleet.placed) {
    shards.push_back(server.service->dispatch()->engine().owner_shard(
        {geo::degs_to_rads(p.lat), geo::degs_to_rads(p.lng)}));
  }
  REQUIRE(std::count(shards.begin(), shards.end(), 0u) > 0);
  REQUIRE(std::count(shards.begin(), shards.end(), 1u) > 0);

  Client rider(server.port, "rider1", "rider");
  rider.send(R"({"op":"nearby","id":7,"lat":37.7749,"lng":-122.4194,"k":5})");
  auto nearby = rider.reply(7);
  REQUIRE(std::string_view(nearby["op"]) == "nearby");
  simdjson::dom::array list = nearby["drivers"];
  REQUIRE(list.size() == 5);
  std::size_t i = 0;
  for (simdjson::dom::element d : list) {
    CHECK(std::string_view(d["driver"]) == expected[i].name);
    CHECK(double(d["dist_m"]) == Approx(expected[i].distance_km * 1000).epsilon(0.001));
    ++i;
  }

  const std::string trip = rider.ride(8);
  auto offered = rider.trip_status(trip, "offered");
  CHECK(std::string_view(offered["driver"]) == expected[0].name);

  Client& nearest = fleet.client(expected[0].name);
  auto offer = nearest.receive_op("offer");
  CHECK(std::string_view(offer["trip"]) == trip);
  CHECK(double(offer["pickup"]["lat"]) == Approx(kPickupLat));
  CHECK(std::int64_t(offer["expires_ms"]) == 30000);

  nearest.send(R"({"op":"accept","id":9,"trip":")" + trip + "\"}");
  auto accepted = nearest.reply(9);
  CHECK(std::string_view(accepted["op"]) == "accept");
  CHECK(std::string_view(accepted["trip"]) == trip);
  auto matched = rider.trip_status(trip, "matched");
  CHECK(std::string_view(matched["driver"]) == expected[0].name);
  CHECK(nearest.trip_status(trip, "matched")["ts"].is_int64());

  // The matched driver is no longer offered to anyone: nearby skips it.
  rider.send(R"({"op":"nearby","id":10,"lat":37.7749,"lng":-122.4194,"k":1})");
  auto after = rider.reply(10);
  simdjson::dom::array rest = after["drivers"];
  REQUIRE(rest.size() == 1);
  CHECK(std::string_view((*rest.begin())["driver"]) == expected[1].name);
}

TEST_CASE("a decline and an expired offer move the request to the next nearest driver") {
  Server server(test_dispatch_config(2'000'000'000));  // the third driver answers within 2 s
  Fleet fleet(server.port, 6, "next");
  const std::vector<Placed> expected = by_distance(fleet.placed);
  Client rider(server.port, "rider2", "rider");
  const std::string trip = rider.ride(1);

  CHECK(std::string_view(rider.trip_status(trip, "offered")["driver"]) == expected[0].name);
  Client& first = fleet.client(expected[0].name);
  CHECK(std::string_view(first.receive_op("offer")["trip"]) == trip);
  first.send(R"({"op":"decline","id":2,"trip":")" + trip + "\"}");
  CHECK(std::string_view(first.reply(2)["op"]) == "decline");

  // The second nearest never answers: its offer expires and the third one gets it.
  CHECK(std::string_view(rider.trip_status(trip, "offered")["driver"]) == expected[1].name);
  Client& second = fleet.client(expected[1].name);
  CHECK(std::string_view(second.receive_op("offer")["trip"]) == trip);
  CHECK(std::string_view(rider.trip_status(trip, "offered")["driver"]) == expected[2].name);

  second.send(R"({"op":"accept","id":3,"trip":")" + trip + "\"}");
  CHECK(error_code(second.reply(3)) == "conflict");

  Client& third = fleet.client(expected[2].name);
  CHECK(std::string_view(third.receive_op("offer")["trip"]) == trip);
  third.send(R"({"op":"accept","id":4,"trip":")" + trip + "\"}");
  CHECK(std::string_view(third.reply(4)["op"]) == "accept");
  CHECK(std::string_view(rider.trip_status(trip, "matched")["driver"]) == expected[2].name);
}

TEST_CASE("trips run through their states, illegal actions get conflict, both sides can cancel") {
  Server server;
  Fleet fleet(server.port, 3, "trip");
  const std::vector<Placed> expected = by_distance(fleet.placed);
  Client rider(server.port, "rider3", "rider");

  const auto match = [&](int id) {
    const std::string trip = rider.ride(id);
    const std::string driver(std::string_view(rider.trip_status(trip, "offered")["driver"]));
    Client& d = fleet.client(driver);
    d.receive_op("offer");
    d.send(R"({"op":"accept","id":1,"trip":")" + trip + "\"}");
    REQUIRE(std::string_view(d.reply(1)["op"]) == "accept");
    rider.trip_status(trip, "matched");
    return std::make_pair(trip, &d);
  };
  const auto act = [](Client& c, const std::string& trip, std::string_view action, int id) {
    c.send(R"({"op":"trip","id":)" + std::to_string(id) + R"(,"trip":")" + trip +
           R"(","action":")" + std::string(action) + "\"}");
    return c.reply(id);
  };

  SECTION("the full trip, with illegal steps refused") {
    auto [trip, driver] = match(10);
    CHECK(error_code(act(*driver, trip, "complete", 11)) == "conflict");  // not on trip yet
    CHECK(error_code(act(rider, trip, "start", 12)) == "forbidden");      // riders never start
    CHECK(std::string_view(act(*driver, trip, "arrive", 13)["action"]) == "arrive");
    rider.trip_status(trip, "arrived");
    CHECK(std::string_view(act(*driver, trip, "start", 14)["action"]) == "start");
    rider.trip_status(trip, "on_trip");
    CHECK(error_code(act(rider, trip, "cancel", 15)) == "conflict");  // too late to cancel
    CHECK(std::string_view(act(*driver, trip, "complete", 16)["action"]) == "complete");
    CHECK(std::string_view(rider.trip_status(trip, "completed")["driver"]) == driver->user);
    CHECK(error_code(act(*driver, trip, "arrive", 17)) == "conflict");
  }
  SECTION("the rider cancels a matched trip") {
    auto [trip, driver] = match(20);
    CHECK(std::string_view(act(rider, trip, "cancel", 21)["action"]) == "cancel");
    rider.trip_status(trip, "cancelled");
    driver->trip_status(trip, "cancelled");
  }
  SECTION("the driver cancels a matched trip") {
    auto [trip, driver] = match(30);
    CHECK(std::string_view(act(*driver, trip, "cancel", 31)["action"]) == "cancel");
    rider.trip_status(trip, "cancelled");
    driver->trip_status(trip, "cancelled");
    CHECK(error_code(act(rider, trip, "cancel", 32)) == "conflict");
  }
  SECTION("the rider cancels while the request waits for an answer") {
    const std::string trip = rider.ride(40);
    rider.trip_status(trip, "offered");
    CHECK(std::string_view(act(rider, trip, "cancel", 41)["action"]) == "cancel");
    rider.trip_status(trip, "cancelled");
  }
  SECTION("someone else's trip is forbidden") {
    auto [trip, driver] = match(50);
    Client stranger(server.port, "stranger", "rider");
    CHECK(error_code(act(stranger, trip, "cancel", 51)) == "forbidden");
  }
}

TEST_CASE("batched matching assigns a window's requests by least total pickup distance") {
  // Greedy in request order would give rider A its nearest driver (near) and leave rider B the
  // far one; the batch must pick the pairing with the smaller total, checked by brute force.
  geo::DispatchConfig config = test_dispatch_config();
  config.mode = geo::MatchMode::kBatched;
  config.batch_window_ns = 1'000'000'000;
  config.coarse_res = 3;  // one batch: every pickup and driver on one shard
  Server server(config);
  const double step = 0.01;  // degrees of longitude, ~0.88 km here
  struct Spot {
    double lat, lng;
  };
  const Spot rider_a{kPickupLat, kPickupLng};
  const Spot rider_b{kPickupLat, kPickupLng + 2.2 * step};
  const Spot near{kPickupLat, kPickupLng + 1.0 * step};
  const Spot far{kPickupLat, kPickupLng - 1.5 * step};
  Client d_near(server.port, "d-near", "driver");
  Client d_far(server.port, "d-far", "driver");
  d_near.locate(near.lat, near.lng, 1);
  d_far.locate(far.lat, far.lng, 1);
  const auto km = [](Spot a, Spot b) {
    return geo::great_circle_distance_km({geo::degs_to_rads(a.lat), geo::degs_to_rads(a.lng)},
                                         {geo::degs_to_rads(b.lat), geo::degs_to_rads(b.lng)});
  };
  const bool crossed_is_best =
      km(rider_a, far) + km(rider_b, near) < km(rider_a, near) + km(rider_b, far);
  REQUIRE(crossed_is_best);

  Client a(server.port, "rider-a", "rider");
  Client b(server.port, "rider-b", "rider");
  const std::string trip_a = a.ride(1, rider_a.lat, rider_a.lng);
  const std::string trip_b = b.ride(1, rider_b.lat, rider_b.lng);
  CHECK(std::string_view(a.trip_status(trip_a, "offered")["driver"]) == "d-far");
  CHECK(std::string_view(b.trip_status(trip_b, "offered")["driver"]) == "d-near");
  CHECK(std::string_view(d_far.receive_op("offer")["trip"]) == trip_a);
  CHECK(std::string_view(d_near.receive_op("offer")["trip"]) == trip_b);
}

TEST_CASE("a driver whose connection closes is no longer offered or listed") {
  Server server;
  Fleet fleet(server.port, 3, "gone");
  const std::vector<Placed> expected = by_distance(fleet.placed);
  fleet.client(expected[0].name).ws.close(websocket::close_code::normal);

  // The close is handled on the engine's shard asynchronously: ask until it has been (bounded).
  Client rider(server.port, "rider-gone", "rider");
  bool listed = true;
  for (int attempt = 0; attempt < 100 && listed; ++attempt) {
    rider.send(R"({"op":"nearby","id":)" + std::to_string(100 + attempt) +
               R"(,"lat":37.7749,"lng":-122.4194,"k":3})");
    simdjson::dom::array list = rider.reply(100 + attempt)["drivers"];
    listed = false;
    for (simdjson::dom::element d : list) {
      listed = listed || std::string_view(d["driver"]) == expected[0].name;
    }
    if (listed) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  CHECK_FALSE(listed);

  const std::string trip = rider.ride(200);
  auto offered = rider.trip_status(trip, "offered");
  CHECK(std::string_view(offered["driver"]) == expected[1].name);
}
