// Dispatch over /ws end to end, events and input checks: live-map positions and trips on
// cell:<res7>, surge on surge:<res7>, bad coordinates and k, and the role rules (anonymous role or
// JWT `role` claim). No timing assertions.
#include <catch2/catch.hpp>

#include "tests/app_dispatch/dispatch_test_fixture.hpp"

using namespace hexwire;
using namespace hexwire::dispatch_test;

namespace {

/// The res-7 cell around the fixture's pickup point (its cell: and surge: channels).
geo::CellId pickup_cell() {
  geo::CellId cell = 0;
  REQUIRE(geo::lat_lng_to_cell({geo::degs_to_rads(kPickupLat), geo::degs_to_rads(kPickupLng)}, 7,
                               &cell) == geo::H3Error::kSuccess);
  return cell;
}

void subscribe(Client& client, const std::string& channel) {
  client.send(R"({"op":"sub","id":1,"channel":")" + channel + "\"}");
  REQUIRE(std::string_view(client.reply(1)["op"]) == "subbed");
}

}  // namespace

TEST_CASE("a rider subscribed to a cell channel sees drivers move") {
  Server server;
  Client rider(server.port, "watcher", "rider");
  Client driver(server.port, "mover", "driver");
  const std::string channel = app::cell_channel(pickup_cell());
  subscribe(rider, channel);

  // Three fixes a few metres apart, all inside the same res-7 cell.
  for (int step = 0; step < 3; ++step) {
    driver.locate(kPickupLat + 0.0001 * step, kPickupLng, 10 + step);
    auto msg = rider.receive_op("msg");
    CHECK(std::string_view(msg["channel"]) == channel);
    auto data = msg["data"];
    CHECK(std::string_view(data["driver"]) == "mover");
    CHECK(double(data["lat"]) == Approx(kPickupLat + 0.0001 * step).epsilon(1e-9));
    CHECK(double(data["lng"]) == Approx(kPickupLng).epsilon(1e-9));
    CHECK(double(data["heading"]) == Approx(90));
  }
}

TEST_CASE("a trip's status changes show on its pickup cell's live map, without the rider") {
  Server server;
  Client watcher(server.port, "map-watcher", "rider");
  Client driver(server.port, "map-driver", "driver");
  Client rider(server.port, "map-rider", "rider");
  const std::string channel = app::cell_channel(pickup_cell());
  subscribe(watcher, channel);
  driver.locate(kPickupLat + 0.001, kPickupLng, 2);  // the same res-7 cell
  // A position: the map tells it from a trip by the missing `trip`.
  auto position = watcher.receive_op("msg")["data"];
  CHECK(std::string_view(position["driver"]) == "map-driver");
  CHECK(position["trip"].error() == simdjson::NO_SUCH_FIELD);

  const std::string trip = rider.ride(3);
  const auto on_map = [&](std::string_view status) {  // valid until the watcher's next wait
    return watcher.take([&](simdjson::dom::element e) {
      std::string_view t;
      return std::string_view(e["op"]) == "msg" && e["data"]["trip"].get(t) == simdjson::SUCCESS &&
             t == trip && std::string_view(e["data"]["status"]) == status;
    })["data"];
  };
  auto requested = on_map("requested");
  CHECK(requested["rider"].error() == simdjson::NO_SUCH_FIELD);
  CHECK(requested["driver"].error() == simdjson::NO_SUCH_FIELD);
  CHECK(double(requested["pickup"]["lat"]) == Approx(kPickupLat).epsilon(1e-9));
  CHECK(double(requested["pickup"]["lng"]) == Approx(kPickupLng).epsilon(1e-9));
  CHECK(double(requested["destination"]["lat"]) == Approx(37.80).epsilon(1e-9));
  CHECK(double(requested["destination"]["lng"]) == Approx(-122.41).epsilon(1e-9));

  driver.receive_op("offer");
  CHECK(std::string_view(on_map("offered")["driver"]) == "map-driver");
  driver.send(R"({"op":"accept","id":4,"trip":")" + trip + "\"}");
  REQUIRE(std::string_view(driver.reply(4)["op"]) == "accept");
  auto matched = on_map("matched");
  CHECK(std::string_view(matched["driver"]) == "map-driver");
  CHECK(matched["rider"].error() == simdjson::NO_SUCH_FIELD);
  driver.send(R"({"op":"trip","id":5,"trip":")" + trip + R"(","action":"cancel"})");
  (void)driver.reply(5);
  CHECK(std::string_view(on_map("cancelled")["trip"]) == trip);
}

TEST_CASE("surge channels report the multiplier when demand outruns supply") {
  Server server;
  Client rider(server.port, "crowd", "rider");
  const std::string channel = app::surge_channel(pickup_cell());
  subscribe(rider, channel);
  for (int i = 0; i < 4; ++i) {
    rider.ride(10 + i);  // no driver anywhere: demand 4, supply 0
  }
  auto msg = rider.receive_op("msg");
  CHECK(std::string_view(msg["channel"]) == channel);
  CHECK(double(msg["data"]["multiplier"]) > 1.0);
  CHECK(std::int64_t(msg["data"]["demand"]) == 4);
  CHECK(std::int64_t(msg["data"]["supply"]) == 0);
}

TEST_CASE(
    "bad coordinates, bad k and the wrong role are refused and the connection keeps working") {
  Server server;
  Client driver(server.port, "d-bad", "driver");
  Client rider(server.port, "r-bad", "rider");

  driver.send(R"({"op":"loc","id":1,"lat":91,"lng":0})");
  CHECK(error_code(driver.reply(1)) == "bad_request");
  driver.send(R"({"op":"loc","id":2,"lat":"north","lng":0})");
  CHECK(error_code(driver.reply(2)) == "bad_request");
  driver.send(R"({"op":"loc","id":3,"lat":10,"lng":-180.5})");
  CHECK(error_code(driver.reply(3)) == "bad_request");
  rider.send(R"({"op":"nearby","id":4,"lat":100,"lng":0})");
  CHECK(error_code(rider.reply(4)) == "bad_request");
  rider.send(R"({"op":"nearby","id":5,"lat":10,"lng":0,"k":0})");
  CHECK(error_code(rider.reply(5)) == "bad_request");
  rider.send(R"({"op":"nearby","id":6,"lat":10,"lng":0,"k":101})");
  CHECK(error_code(rider.reply(6)) == "bad_request");
  rider.send(R"({"op":"ride","id":7,"lat":10,"lng":0,"dest_lat":-95,"dest_lng":0})");
  CHECK(error_code(rider.reply(7)) == "bad_request");

  rider.send(R"({"op":"accept","id":8,"trip":"t0-1"})");
  CHECK(error_code(rider.reply(8)) == "forbidden");
  rider.send(R"({"op":"loc","id":9,"lat":10,"lng":0})");
  CHECK(error_code(rider.reply(9)) == "forbidden");
  driver.send(R"({"op":"ride","id":10,"lat":10,"lng":0,"dest_lat":10.1,"dest_lng":0})");
  CHECK(error_code(driver.reply(10)) == "forbidden");
  driver.send(R"({"op":"accept","id":11,"trip":"t0-999"})");
  CHECK(error_code(driver.reply(11)) == "conflict");

  // A valid fix without id is not answered; the next one with id is, with its res-9 cell.
  driver.send(R"({"op":"loc","lat":37.7749,"lng":-122.4194})");
  driver.send(R"({"op":"loc","id":12,"lat":37.7749,"lng":-122.4194})");
  auto ok = driver.receive();
  CHECK(std::string_view(ok["op"]) == "loc");
  CHECK(std::int64_t(ok["id"]) == 12);
  geo::CellId cell = 0;
  REQUIRE(geo::lat_lng_to_cell({geo::degs_to_rads(37.7749), geo::degs_to_rads(-122.4194)}, 9,
                               &cell) == geo::H3Error::kSuccess);
  std::array<char, 17> hex{};
  const std::size_t n = geo::cell_to_string(cell, hex);
  CHECK(std::string_view(ok["cell"]) == std::string_view(hex.data(), n));
}

TEST_CASE("roles come from the JWT role claim as well") {
  Server server;
  Client rider(server.port, "jwt-rider", "", "rider");
  Client driver(server.port, "jwt-driver", "", "driver");
  rider.send(R"({"op":"accept","id":1,"trip":"t0-1"})");
  CHECK(error_code(rider.reply(1)) == "forbidden");
  rider.send(R"({"op":"loc","id":2,"lat":37.77,"lng":-122.41})");
  CHECK(error_code(rider.reply(2)) == "forbidden");
  driver.locate(kPickupLat, kPickupLng + 0.01, 3);
  const std::string trip = rider.ride(4);
  CHECK(std::string_view(driver.receive_op("offer")["trip"]) == trip);
  driver.send(R"({"op":"accept","id":5,"trip":")" + trip + "\"}");
  CHECK(std::string_view(driver.reply(5)["op"]) == "accept");
  CHECK(std::string_view(rider.trip_status(trip, "matched")["driver"]) == "jwt-driver");
}
