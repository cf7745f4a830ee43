// Dispatch over /ws end to end: the engine in-process on 127.0.0.1 with 2 shards, the /ws
// application and the dispatch engine (coarse cells small enough that the test city spans both
// shards); drivers and riders are Boost.Beast synchronous WebSocket clients with socket timeouts,
// so a hung server fails a test instead of hanging it. Matching is checked against a brute-force
// nearest over the drivers the test placed. No timing assertions.
#include <catch2/catch.hpp>

#include <sys/socket.h>

#include <simdjson.h>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "app/dispatch_bridge.hpp"
#include "app/dispatch_ops.hpp"
#include "app/engine.hpp"
#include "app/jwt.hpp"
#include "app/ws_app.hpp"
#include "geo/hexgrid.hpp"

namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace hexwire;

namespace {

constexpr std::string_view kSecret = "dispatch-secret";
constexpr double kPickupLat = 37.7749;
constexpr double kPickupLng = -122.4194;

/// `offer_expiry_ns`: long by default so that a busy machine never lets an offer expire before the
/// test's driver answers; the expiry test picks a short one on purpose.
geo::DispatchConfig test_dispatch_config(std::uint64_t offer_expiry_ns = 30'000'000'000) {
  geo::DispatchConfig d;
  d.coarse_res = 7;  // ~5 km2 partition cells: the drivers below live on both shards
  d.offer_expiry_ns = offer_expiry_ns;
  d.retry_interval_ns = 200'000'000;
  d.match_deadline_ns = 20'000'000'000;
  d.live_map_interval_ns = 0;  // every accepted fix reaches the live map
  d.sweep_interval_ns = 100'000'000;
  d.surge.smoothing = 1.0;
  return d;
}

/// Asio's blocking reads wait in poll() after SO_RCVTIMEO expires, so a lost event would hang a
/// test: this watchdog ends the process with a message once a test runs for 60 s.
struct Watchdog {
  std::mutex mutex;
  std::condition_variable done_cv;
  bool done = false;
  std::thread thread{[this] {
    std::unique_lock lock(mutex);
    if (!done_cv.wait_for(lock, std::chrono::seconds(60), [this] { return done; })) {
      std::fprintf(stderr, "watchdog: test still waiting for a frame after 60 s\n");
      std::_Exit(1);
    }
  }};
  ~Watchdog() {
    {
      std::lock_guard lock(mutex);
      done = true;
    }
    done_cv.notify_one();
    thread.join();
  }
};

struct Server {
  Watchdog watchdog;
  std::unique_ptr<app::Engine> engine;
  std::shared_ptr<app::WsService> service;
  std::uint16_t port = 0;

  explicit Server(geo::DispatchConfig dispatch = test_dispatch_config()) {
    app::EngineConfig config;
    config.host = "127.0.0.1";
    config.port = 0;
    config.shards = 2;
    config.pin_threads = false;
    config.shutdown_timeout_ms = 1000;
    config.log_level = "warn";
    engine = std::make_unique<app::Engine>(config);
    app::WsAppConfig ws;
    ws.auth.anonymous = true;
    ws.auth.jwt_secret = std::string(kSecret);
    ws.publish_rate_per_s = 0;
    service = app::register_ws_application(*engine, std::move(ws));
    app::enable_dispatch(*engine, *service, std::move(dispatch));
    try {
      engine->start();
    } catch (const std::system_error& e) {
      std::fprintf(stderr, "SKIPPED: engine cannot start: %s\n", e.what());
      std::exit(4);
    }
    port = engine->port();
  }
  ~Server() {
    engine->request_stop();
    engine->join();
  }
};

struct Client {
  asio::io_context io;
  websocket::stream<tcp::socket> ws{io};
  simdjson::dom::parser dom;
  std::string text;
  std::string user;

  /// Anonymous auth with `role`, or (token_role set) an HS256 token on the upgrade URL whose
  /// `role` claim is token_role.
  Client(std::uint16_t port, std::string name, std::string_view role,
         std::string_view token_role = {})
      : user(std::move(name)) {
    ws.next_layer().connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    timeval tv{10, 0};
    ::setsockopt(ws.next_layer().native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    ::setsockopt(ws.next_layer().native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    if (!token_role.empty()) {
      const std::string token = app::sign_hs256_jwt(
          R"({"sub":")" + user + R"(","exp":4000000000,"role":")" + std::string(token_role) + "\"}",
          kSecret);
      ws.handshake("127.0.0.1", "/ws?token=" + token);
    } else {
      ws.handshake("127.0.0.1", "/ws");
      send(R"({"op":"auth","id":0,"user":")" + user + R"(","role":")" + std::string(role) + "\"}");
    }
    if (std::string_view(receive_op("auth")["user"]) != user) {
      throw std::runtime_error("auth answered for another user");
    }
    // The implicit user:<id> subscription is made asynchronously on its owner shard; a history
    // request goes the same way after it, so its reply means events to this user now arrive.
    send(R"({"op":"history","id":-1,"channel":"user:)" + user + "\"}");
    (void)reply(-1);
  }

  void send(const std::string& message) {
    ws.text(true);
    ws.write(asio::buffer(message));
  }
  simdjson::dom::element receive() {
    beast::flat_buffer buffer;
    ws.read(buffer);
    text = beast::buffers_to_string(buffer.data());
    simdjson::dom::element e;
    if (dom.parse(text).get(e) != simdjson::SUCCESS) {
      throw std::runtime_error("invalid JSON frame: " + text);
    }
    return e;
  }
  /// Reads until a frame with this op (skipping others).
  simdjson::dom::element receive_op(std::string_view op) {
    for (;;) {
      auto e = receive();
      if (std::string_view(e["op"]) == op) {
        return e;
      }
    }
  }
  /// Reads until the reply (or error) carrying request id `id`.
  simdjson::dom::element reply(std::int64_t id) {
    for (;;) {
      auto e = receive();
      std::int64_t got = -1;
      if (e["id"].get(got) == simdjson::SUCCESS && got == id) {
        return e;
      }
    }
  }
  /// Reads trip events of `trip` until one has `status`.
  simdjson::dom::element trip_status(std::string_view trip, std::string_view status) {
    for (;;) {
      auto e = receive_op("trip");
      std::string_view t;
      if (e["id"].error() == simdjson::NO_SUCH_FIELD && e["trip"].get(t) == simdjson::SUCCESS &&
          t == trip && std::string_view(e["status"]) == status) {
        return e;
      }
    }
  }
  void locate(double lat, double lng, int id) {
    send(R"({"op":"loc","id":)" + std::to_string(id) + R"(,"lat":)" + num(lat) + R"(,"lng":)" +
         num(lng) + R"(,"heading":90,"speed_mps":5,"available":true})");
    auto r = reply(id);
    if (std::string_view(r["op"]) != "loc") {
      throw std::runtime_error("loc refused: " + text);
    }
  }
  std::string ride(int id, double lat = kPickupLat, double lng = kPickupLng) {
    send(R"({"op":"ride","id":)" + std::to_string(id) + R"(,"lat":)" + num(lat) + R"(,"lng":)" +
         num(lng) + R"(,"dest_lat":37.80,"dest_lng":-122.41})");
    auto r = reply(id);
    if (std::string_view(r["op"]) != "ride") {
      throw std::runtime_error("ride refused: " + text);
    }
    return std::string(std::string_view(r["trip"]));
  }
  static std::string num(double v) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.7f", v);
    return buffer;
  }
};

std::string error_code(simdjson::dom::element e) {
  std::string_view op = e["op"];
  return op == "error" ? std::string(std::string_view(e["code"])) : "no error: " + std::string(op);
}

struct Placed {
  std::string name;
  double lat;
  double lng;
  double distance_km;
};

/// Drivers on a spiral around the pickup, 0.3..3 km away, each at a distinct distance.
std::vector<Placed> place_drivers(int count, const std::string& prefix) {
  std::vector<Placed> drivers;
  const geo::LatLng pickup{geo::degs_to_rads(kPickupLat), geo::degs_to_rads(kPickupLng)};
  for (int i = 0; i < count; ++i) {
    const double radius_deg = 0.003 + 0.0023 * ((i * 7) % count);
    const double angle = 2.399963 * i;  // golden angle: spread in every direction
    const double lat = kPickupLat + radius_deg * std::sin(angle);
    const double lng =
        kPickupLng + radius_deg * std::cos(angle) / std::cos(kPickupLat * M_PI / 180);
    const double d =
        geo::great_circle_distance_km(pickup, {geo::degs_to_rads(lat), geo::degs_to_rads(lng)});
    drivers.push_back({prefix + std::to_string(i), lat, lng, d});
  }
  return drivers;
}

std::vector<Placed> by_distance(std::vector<Placed> drivers) {
  std::sort(drivers.begin(), drivers.end(),
            [](const Placed& a, const Placed& b) { return a.distance_km < b.distance_km; });
  return drivers;
}

struct Fleet {
  std::vector<Placed> placed;
  std::vector<std::unique_ptr<Client>> clients;

  Fleet(std::uint16_t port, int count, const std::string& prefix)
      : placed(place_drivers(count, prefix)) {
    for (std::size_t i = 0; i < placed.size(); ++i) {
      clients.push_back(std::make_unique<Client>(port, placed[i].name, "driver"));
      clients.back()->locate(placed[i].lat, placed[i].lng, 100);
    }
  }
  Client& client(std::string_view name) {
    for (std::size_t i = 0; i < placed.size(); ++i) {
      if (placed[i].name == name) {
        return *clients[i];
      }
    }
    throw std::runtime_error("no driver " + std::string(name));
  }
};

}  // namespace

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

TEST_CASE("a rider subscribed to a cell channel sees drivers move") {
  Server server;
  Client rider(server.port, "watcher", "rider");
  Client driver(server.port, "mover", "driver");
  geo::CellId cell = 0;
  REQUIRE(geo::lat_lng_to_cell({geo::degs_to_rads(kPickupLat), geo::degs_to_rads(kPickupLng)}, 7,
                               &cell) == geo::H3Error::kSuccess);
  const std::string channel = app::cell_channel(cell);
  rider.send(R"({"op":"sub","id":1,"channel":")" + channel + "\"}");
  REQUIRE(std::string_view(rider.reply(1)["op"]) == "subbed");

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

TEST_CASE("surge channels report the multiplier when demand outruns supply") {
  Server server;
  Client rider(server.port, "crowd", "rider");
  geo::CellId cell = 0;
  REQUIRE(geo::lat_lng_to_cell({geo::degs_to_rads(kPickupLat), geo::degs_to_rads(kPickupLng)}, 7,
                               &cell) == geo::H3Error::kSuccess);
  const std::string channel = app::surge_channel(cell);
  rider.send(R"({"op":"sub","id":1,"channel":")" + channel + "\"}");
  REQUIRE(std::string_view(rider.reply(1)["op"]) == "subbed");
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

TEST_CASE("batched matching assigns a window's requests by least total pickup distance") {
  // Greedy in request order would give rider A its nearest driver (near) and leave rider B the
  // far one; the batch must pick the pairing with the smaller total, checked by brute force.
  geo::DispatchConfig config = test_dispatch_config();
  config.mode = geo::MatchMode::batched;
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
