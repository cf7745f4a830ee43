// Shared fixture of the dispatch-over-/ws integration tests: the engine in-process on 127.0.0.1
// with 2 shards, the /ws application and the dispatch engine (coarse cells small enough that the
// test city spans both shards), Boost.Beast synchronous WebSocket clients (an implementation nobody
// here wrote), drivers placed around a pickup with their brute-force distances, and a watchdog
// that bounds every test in time. Header-only, included by the test files of this folder.
#pragma once

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
#include <deque>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "app/dispatch_bridge.hpp"
#include "app/dispatch_ops.hpp"
#include "app/jwt.hpp"
#include "app/node.hpp"
#include "app/ws_app.hpp"
#include "geo/hexgrid.hpp"
#include "tests/app/test_engine_config.hpp"

namespace hexwire::dispatch_test {

namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

constexpr std::string_view kSecret = "dispatch-secret";
constexpr double kPickupLat = 37.7749;
constexpr double kPickupLng = -122.4194;

/// `offer_expiry_ns`: long by default so that a busy machine never lets an offer expire before the
/// test's driver answers; the expiry test picks a short one on purpose.
inline geo::DispatchConfig test_dispatch_config(std::uint64_t offer_expiry_ns = 30'000'000'000) {
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
/// What the test waits for right now (printed by the watchdog).
inline std::mutex waiting_mutex;
inline std::string waiting_for;
inline std::string last_frame;
inline void note_wait(const std::string& what) {
  std::lock_guard lock(waiting_mutex);
  waiting_for = what;
}

struct Watchdog {
  std::mutex mutex;
  std::condition_variable done_cv;
  bool done = false;
  core::MetricsRegistry* metrics = nullptr;  // set once the engine exists: dumped on a hang
  std::thread thread{[this] {
    std::unique_lock lock(mutex);
    if (!done_cv.wait_for(lock, std::chrono::seconds(60), [this] { return done; })) {
      std::lock_guard wait_lock(waiting_mutex);
      std::fprintf(stderr, "watchdog: test still waiting after 60 s: %s (last frame: %s)\n",
                   waiting_for.c_str(), last_frame.c_str());
      if (metrics != nullptr) {
        std::fprintf(stderr, "%s\n", metrics->prometheus_text().c_str());
      }
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
  std::unique_ptr<app::Node> engine;
  app::WsService* service = nullptr;
  std::uint16_t port = 0;

  explicit Server(geo::DispatchConfig dispatch = test_dispatch_config()) {
    app::EngineConfig config = app::testing::loopback_engine_config();
    config.ws_app.auth.anonymous = true;
    config.ws_app.auth.jwt_secret = std::string(kSecret);
    config.ws_app.publish_rate_per_s = 0;
    config.dispatch = std::move(dispatch);
    engine = std::make_unique<app::Node>(std::move(config));
    service = &engine->services().ws();
    {
      std::lock_guard lock(watchdog.mutex);
      watchdog.metrics = &engine->metrics();
    }
    port = app::testing::start_or_skip(*engine);
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
  std::deque<std::string> kept;  // frames a wait passed over, oldest first
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
  /// The next frame: a kept one first (see take), else one from the socket.
  simdjson::dom::element receive() {
    if (!kept.empty()) {
      text = std::move(kept.front());
      kept.pop_front();
      return parse_text();
    }
    return read_frame();
  }
  /// The first frame `match` accepts. Frames it passes over are kept for later waits: a reply and
  /// an event caused by the same request may arrive in either order.
  template <typename Match>
  simdjson::dom::element take(Match&& match) {
    for (std::size_t i = 0; i < kept.size(); ++i) {
      text = kept[i];
      if (match(parse_text())) {
        kept.erase(kept.begin() + static_cast<std::ptrdiff_t>(i));
        return parse_text();
      }
    }
    for (;;) {
      if (match(read_frame())) {
        return parse_text();
      }
      kept.push_back(text);
    }
  }
  /// The first frame with this op.
  simdjson::dom::element receive_op(std::string_view op) {
    note_wait(user + " waits for op " + std::string(op));
    return take([op](simdjson::dom::element e) { return std::string_view(e["op"]) == op; });
  }
  /// The reply (or error) carrying request id `id`.
  simdjson::dom::element reply(std::int64_t id) {
    note_wait(user + " waits for the reply to id " + std::to_string(id));
    return take([id](simdjson::dom::element e) {
      std::int64_t got = -1;
      return e["id"].get(got) == simdjson::SUCCESS && got == id;
    });
  }
  /// The trip event of `trip` with `status`.
  simdjson::dom::element trip_status(std::string_view trip, std::string_view status) {
    note_wait(user + " waits for trip " + std::string(trip) + " status " + std::string(status));
    return take([trip, status](simdjson::dom::element e) {
      std::string_view op = e["op"];
      std::string_view t;
      return op == "trip" && e["id"].error() == simdjson::NO_SUCH_FIELD &&
             e["trip"].get(t) == simdjson::SUCCESS && t == trip &&
             std::string_view(e["status"]) == status;
    });
  }
  simdjson::dom::element read_frame() {
    beast::flat_buffer buffer;
    ws.read(buffer);
    text = beast::buffers_to_string(buffer.data());
    {
      std::lock_guard lock(waiting_mutex);
      last_frame = user + " got " + text;
    }
    return parse_text();
  }
  simdjson::dom::element parse_text() {
    simdjson::dom::element e;
    if (dom.parse(text).get(e) != simdjson::SUCCESS) {
      throw std::runtime_error("invalid JSON frame: " + text);
    }
    return e;
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

inline std::string error_code(simdjson::dom::element e) {
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
inline std::vector<Placed> place_drivers(int count, const std::string& prefix) {
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

inline std::vector<Placed> by_distance(std::vector<Placed> drivers) {
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

}  // namespace hexwire::dispatch_test
