// Dispatch across the nodes of a pool, against a real redis-server: three app::Node engines with
// the Redis broker and dispatch, WebSocket clients on different nodes. Regions (res-3 cells) are
// owned by rendezvous hashing over the live nodes; the test picks two neighbouring regions owned
// by different nodes and puts the rider on the third node, the nearest driver just across the
// border and connected to yet another node than the one owning its region. Nearby and matching
// must agree with a brute-force nearest over every driver of the pool; a trip is kept in Redis;
// when the owner of a region stops, its region moves and the drivers' next fixes rebuild it.
#include <catch2/catch.hpp>

#include <sys/socket.h>

#include <fmt/format.h>
#include <simdjson.h>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "app/dispatch_cluster.hpp"
#include "app/node.hpp"
#include "geo/hexgrid.hpp"
#include "redis_server.hpp"
#include "scaleout/region_owners.hpp"
#include "tests/app/test_engine_config.hpp"
#include "pool_support.hpp"

using namespace hexwire;
namespace websocket = boost::beast::websocket;
namespace asio = boost::asio;

namespace {

using scaleout::testing::start_node;
using scaleout::testing::WsClient;

const std::vector<std::string> kNodes = {"node-a", "node-b", "node-c"};

using Pool = std::map<std::string, std::unique_ptr<app::Node>>;

void stop_all(Pool& nodes) {
  for (auto& [id, node] : nodes) {
    node->request_stop();
  }
  for (auto& [id, node] : nodes) {
    node->join();
  }
}

/// Waits (at most 20 s) until every shard of every node knows `count` live nodes.
void wait_for_pool(const std::vector<app::Node*>& nodes, std::size_t count) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  const auto ready = [&] {
    return std::all_of(nodes.begin(), nodes.end(), [&](app::Node* n) {
      return n->services().dispatch_cluster()->live_nodes_known() == count;
    });
  };
  while (!ready() && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  REQUIRE(ready());
}

/// The three nodes of kNodes on `server`, once each knows the other two.
Pool start_pool(const testing::RedisServer& server) {
  Pool nodes;
  for (const std::string& id : kNodes) {
    nodes[id] = start_node(server.url(), id);
  }
  wait_for_pool({nodes["node-a"].get(), nodes["node-b"].get(), nodes["node-c"].get()}, 3);
  return nodes;
}

struct Point {
  double lat;
  double lng;
};

geo::CellId region_of(Point p) {
  geo::CellId cell = 0;
  geo::CellId region = 0;
  REQUIRE(geo::lat_lng_to_cell({geo::degs_to_rads(p.lat), geo::degs_to_rads(p.lng)}, 9, &cell) ==
          geo::H3Error::kSuccess);
  REQUIRE(geo::cell_to_parent(cell, 3, &region) == geo::H3Error::kSuccess);
  return region;
}

Point centre(geo::CellId cell) {
  geo::LatLng c{};
  REQUIRE(geo::cell_to_lat_lng(cell, &c) == geo::H3Error::kSuccess);
  return {geo::rads_to_degs(c.lat), geo::rads_to_degs(c.lng)};
}

Point along(Point a, Point b, double t) {
  return {a.lat + (b.lat - a.lat) * t, a.lng + (b.lng - a.lng) * t};
}

double distance_km(Point a, Point b) {
  return geo::great_circle_distance_km({geo::degs_to_rads(a.lat), geo::degs_to_rads(a.lng)},
                                       {geo::degs_to_rads(b.lat), geo::degs_to_rads(b.lng)});
}

/// Two neighbouring res-3 regions near San Francisco owned by different nodes, and the line
/// between their centres: the border lies at `t_border`.
struct Border {
  geo::CellId near_region = 0;  // the pickup's side
  geo::CellId far_region = 0;   // across the border
  Point from{};
  Point to{};
  double t_border = 0;
  std::string near_owner;
  std::string far_owner;
  std::string third;

  [[nodiscard]] Point at_km(double km_from_border) const {  // < 0: near side, > 0: far side
    return along(from, to, t_border + km_from_border / distance_km(from, to));
  }
};

Border find_border() {
  scaleout::RegionOwners owners(kNodes[0]);
  owners.set_live(kNodes);
  const geo::CellId home = region_of({37.77, -122.42});
  std::vector<geo::CellId> disk(7);
  REQUIRE(geo::grid_disk(home, 1, disk) == geo::H3Error::kSuccess);
  for (const geo::CellId a : disk) {
    for (const geo::CellId b : disk) {
      if (a == 0 || b == 0 || a == b || owners.owner_of(a) == owners.owner_of(b)) {
        continue;
      }
      Border border;
      border.near_region = a;
      border.far_region = b;
      border.from = centre(a);
      border.to = centre(b);
      double lo = 0;
      double hi = 1;
      if (region_of(border.from) != a || region_of(border.to) != b) {
        continue;
      }
      for (int i = 0; i < 50; ++i) {
        const double mid = (lo + hi) / 2;
        (region_of(along(border.from, border.to, mid)) == a ? lo : hi) = mid;
      }
      border.t_border = lo;
      // Usable when the line crosses straight from a into b (no third region in between).
      if (region_of(border.at_km(-2.0)) != a || region_of(border.at_km(-0.3)) != a ||
          region_of(border.at_km(0.4)) != b || region_of(border.at_km(2.0)) != b) {
        continue;
      }
      border.near_owner = owners.owner_of(a);
      border.far_owner = owners.owner_of(b);
      for (const std::string& n : kNodes) {
        if (n != border.near_owner && n != border.far_owner) {
          border.third = n;
        }
      }
      return border;
    }
  }
  FAIL("no pair of neighbouring regions with different owners");
  return {};
}

struct Driver {
  std::string id;
  Point at;
  std::string node;  // where its connection is
  std::unique_ptr<WsClient> ws;
};

/// Sends a fix with an id and waits for its reply (the owner applied it).
void send_fix(Driver& d) {
  d.ws->send(fmt::format(R"({{"op":"loc","id":1,"lat":{},"lng":{},"available":true}})", d.at.lat,
                         d.at.lng));
  const std::string reply = d.ws->next("loc");
  INFO(d.id << " on " << d.node << ": " << reply);
  REQUIRE(reply.find("\"cell\"") != std::string::npos);
}

/// The k nearest driver ids of `drivers` to `p`, by a scan of all of them.
std::vector<std::string> brute_force(const std::vector<Driver>& drivers, Point p, std::size_t k) {
  std::vector<std::pair<double, std::string>> all;
  for (const Driver& d : drivers) {
    all.emplace_back(distance_km(p, d.at), d.id);
  }
  std::sort(all.begin(), all.end());
  std::vector<std::string> ids;
  for (std::size_t i = 0; i < std::min(k, all.size()); ++i) {
    ids.push_back(all[i].second);
  }
  return ids;
}

std::vector<std::string> nearby(WsClient& client, Point p, std::size_t k) {
  client.send(fmt::format(R"({{"op":"nearby","id":5,"lat":{},"lng":{},"k":{}}})", p.lat, p.lng, k));
  const std::string reply = client.next("nearby");
  INFO(reply);
  simdjson::dom::element e = client.parse(reply);
  simdjson::dom::array drivers;
  REQUIRE(e["drivers"].get(drivers) == simdjson::SUCCESS);
  std::vector<std::string> ids;
  for (simdjson::dom::element d : drivers) {
    ids.emplace_back(std::string_view(d["driver"]));
  }
  return ids;
}

/// Polls `nearby` (every 50 ms) for `span`: true when `driver` was among the k=10 nearest of `p`
/// at least once.
bool seen_within(WsClient& asker, Point p, const std::string& driver,
                 std::chrono::milliseconds span) {
  const auto until = std::chrono::steady_clock::now() + span;
  while (std::chrono::steady_clock::now() < until) {
    const std::vector<std::string> ids = nearby(asker, p, 10);
    if (std::find(ids.begin(), ids.end(), driver) != ids.end()) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

/// Waits (at most 5 s) until `driver` shows in `nearby` at its position, asked through `asker`.
/// A driver new to the node holding it stays out of searches until the pool's trip check
/// (hw:{driver:ID}, one Redis round trip after its first fix) says it is on no trip: a search or
/// a ride sent right after the fix may rightly not find it yet.
void await_searchable(WsClient& asker, const Driver& driver) {
  INFO("driver " << driver.id << " searchable");
  REQUIRE(seen_within(asker, driver.at, driver.id, std::chrono::milliseconds(5000)));
}

/// Drivers around the border: the nearest to `pickup` just across it (connected to the near
/// region's owner, so its fixes are forwarded), a decoy on the pickup's side farther away
/// (connected to the far owner), and others at least 2 km from the pickup on every node.
std::vector<Driver> place_drivers(const Border& border, Point pickup) {
  std::vector<Driver> drivers;
  drivers.push_back({"d-near", border.at_km(0.4), border.near_owner, nullptr});
  drivers.push_back({"d-decoy", border.at_km(-1.6), border.far_owner, nullptr});
  std::mt19937 rng(14);
  std::uniform_real_distribution<double> offset(-0.06, 0.06);  // degrees, ~6 km
  const Point middle = border.at_km(0);
  while (drivers.size() < 12) {
    const Point p{middle.lat + offset(rng), middle.lng + offset(rng)};
    if (distance_km(p, pickup) < 2.0) {
      continue;
    }
    drivers.push_back({"d" + std::to_string(drivers.size()), p,
                       kNodes[drivers.size() % kNodes.size()], nullptr});
  }
  return drivers;
}

/// What most cases start from: a redis-server, the three nodes of kNodes once each knows the other
/// two, and two neighbouring regions owned by different nodes. The nodes still running are stopped
/// when the case ends, also when it fails.
class PoolCase {
 public:
  PoolCase() : border(find_border()), nodes(start_pool(server)) {}
  ~PoolCase() { stop_all(nodes); }
  PoolCase(const PoolCase&) = delete;
  PoolCase& operator=(const PoolCase&) = delete;

 protected:
  /// Connects each of `drivers` to its node and applies its first fix.
  void connect(std::vector<Driver>& drivers) {
    for (Driver& d : drivers) {
      d.ws = std::make_unique<WsClient>(nodes[d.node]->port(), d.id);
      send_fix(d);
    }
    for (Driver& d : drivers) {
      await_searchable(*d.ws, d);
    }
  }

  testing::RedisServer server;
  const Border border;
  Pool nodes;
};

}  // namespace

TEST_CASE_METHOD(PoolCase,
                 "a rider on one node is matched with the truly nearest driver, across a region "
                 "border") {
  const Point pickup = border.at_km(-0.3);
  REQUIRE(region_of(pickup) == border.near_region);
  std::vector<Driver> drivers = place_drivers(border, pickup);
  connect(drivers);
  // The rider is on the node that owns neither region: every op of it is forwarded.
  WsClient rider(nodes[border.third]->port(), "rider-1");

  const std::vector<std::string> expected = brute_force(drivers, pickup, 5);
  REQUIRE(expected.front() == "d-near");
  CHECK(nearby(rider, pickup, 5) == expected);
  // From the far side too, asked on another node.
  const Point far_side = border.at_km(1.0);
  CHECK(nearby(*drivers[1].ws, far_side, 5) == brute_force(drivers, far_side, 5));

  rider.send(fmt::format(R"({{"op":"ride","id":8,"lat":{},"lng":{},"dest_lat":{},"dest_lng":{}}})",
                         pickup.lat, pickup.lng, pickup.lat + 0.01, pickup.lng));
  const std::string ride = rider.next("ride");
  INFO(ride);
  const std::string trip(std::string_view(rider.parse(ride)["trip"]));
  CHECK(trip.ends_with("-" + border.near_owner));  // homed on the pickup region's owner

  // The offer reaches the nearest driver (its region is owned by another node than its own).
  Driver& nearest = drivers.front();
  const std::string offer = nearest.ws->next("offer");
  INFO(offer);
  CHECK(std::string_view(nearest.ws->parse(offer)["trip"]) == trip);
  nearest.ws->send(R"({"op":"accept","id":9,"trip":")" + trip + "\"}");
  CHECK(nearest.ws->next("accept").find("\"error\"") == std::string::npos);
  for (;;) {
    const std::string event = rider.next("trip");
    simdjson::dom::element e = rider.parse(event);
    REQUIRE(std::string_view(e["op"]) == "trip");
    if (std::string_view(e["status"]) == "matched") {
      CHECK(std::string_view(e["driver"]) == "d-near");
      break;
    }
  }
  // The trip is kept in Redis, with its driver.
  const std::string key = "hw:{trip:" + trip + "}";
  CHECK(server.command({"HGET", key, "status"}).str() == "matched");
  CHECK(server.command({"HGET", key, "driver"}).str() == "d-near");
  CHECK(server.command({"TTL", key}).integer() > 0);
  // A trip action of the rider (connected elsewhere) reaches the trip's home node.
  rider.send(R"({"op":"trip","id":10,"trip":")" + trip + R"(","action":"cancel"})");
  CHECK(rider.next("trip").find("\"error\"") == std::string::npos);
}

TEST_CASE_METHOD(PoolCase,
                 "when a region's owner stops, its region moves and the drivers' next fixes "
                 "rebuild it") {
  // Every client on the two nodes that stay; the far region's owner goes away.
  const std::string leaving = border.far_owner;
  std::vector<std::string> staying;
  for (const std::string& id : kNodes) {
    if (id != leaving) {
      staying.push_back(id);
    }
  }
  const Point pickup = border.at_km(-0.3);
  std::vector<Driver> drivers = place_drivers(border, pickup);
  for (std::size_t i = 0; i < drivers.size(); ++i) {
    drivers[i].node = staying[i % staying.size()];
    drivers[i].ws = std::make_unique<WsClient>(nodes[drivers[i].node]->port(), drivers[i].id);
    send_fix(drivers[i]);
  }
  WsClient asker(nodes[staying[0]]->port(), "rider-2");
  const Point far_side = border.at_km(0.6);
  CHECK(nearby(asker, far_side, 4) == brute_force(drivers, far_side, 4));

  nodes[leaving]->request_stop();
  nodes[leaving]->join();
  nodes.erase(leaving);
  wait_for_pool({nodes[staying[0]].get(), nodes[staying[1]].get()}, 2);

  // The drivers' next fixes go to the region's new owner and rebuild it.
  for (Driver& d : drivers) {
    send_fix(d);
  }
  CHECK(nearby(asker, far_side, 4) == brute_force(drivers, far_side, 4));
  CHECK(nearby(asker, pickup, 4) == brute_force(drivers, pickup, 4));
}

namespace {

/// Polls `nearby` (every 50 ms, at most `limit`) until `driver` is absent from the k=10 nearest
/// of `p`; how long that took, or nullopt when it never left.
std::optional<std::chrono::milliseconds> wait_until_gone(WsClient& asker, Point p,
                                                         const std::string& driver,
                                                         std::chrono::milliseconds limit) {
  const auto start = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - start < limit) {
    const std::vector<std::string> ids = nearby(asker, p, 10);
    if (std::find(ids.begin(), ids.end(), driver) == ids.end()) {
      return std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - start);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return std::nullopt;
}

std::uint64_t forwarded_on_shard(app::Node& node, unsigned shard) {
  const core::Counter* c = node.metrics().find_counter("dispatch_forwarded_total", shard);
  return c == nullptr ? 0 : c->value();
}

}  // namespace

TEST_CASE_METHOD(PoolCase,
                 "a driver held by another node goes offline there as soon as its connection "
                 "closes") {
  // The driver is connected to the node owning neither region; its region's owner holds it.
  const Point at = border.at_km(-1.0);
  REQUIRE(region_of(at) == border.near_region);
  Driver driver{"d-leaving", at, border.third, nullptr};
  driver.ws = std::make_unique<WsClient>(nodes[driver.node]->port(), driver.id, "driver");
  send_fix(driver);
  WsClient asker(nodes[border.near_owner]->port(), "rider-3");
  await_searchable(asker, driver);
  REQUIRE(nearby(asker, at, 10) == std::vector<std::string>{"d-leaving"});

  driver.ws->close();
  // The driver TTL is 30 s: gone within 5 s means the close was passed on to the holder.
  const auto gone = wait_until_gone(asker, at, driver.id, std::chrono::seconds(5));
  REQUIRE(gone.has_value());
  INFO("offline at the holder after " << gone->count() << " ms");
  CHECK(*gone < std::chrono::seconds(5));
}

TEST_CASE_METHOD(PoolCase,
                 "a driver whose fixes move to another node's region leaves no copy on the old "
                 "holder") {
  // Connected to the third node: first in the far region (its owner holds the driver), then in
  // the near region (another owner). A copy left at the far owner would be the nearest answer to
  // a search at the old position.
  Driver driver{"d-moving", border.at_km(0.5), border.third, nullptr};
  REQUIRE(region_of(driver.at) == border.far_region);
  REQUIRE(region_of(border.at_km(-1.5)) == border.near_region);
  driver.ws = std::make_unique<WsClient>(nodes[driver.node]->port(), driver.id, "driver");
  send_fix(driver);
  const Point old_position = driver.at;
  WsClient asker(nodes[border.far_owner]->port(), "rider-4");
  await_searchable(asker, driver);
  REQUIRE(nearby(asker, old_position, 10) == std::vector<std::string>{"d-moving"});

  driver.at = border.at_km(-1.5);
  send_fix(driver);
  // The near owner holds the driver, new to it, out of searches until the pool says it is on no
  // trip (one Redis round trip after the fix, longer under load): asked until it shows (at most
  // 5 s); no answer meanwhile may show it at its old position.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  std::string reply;
  simdjson::dom::array found;
  for (;;) {
    asker.send(fmt::format(R"({{"op":"nearby","id":6,"lat":{},"lng":{},"k":10}})",
                           old_position.lat, old_position.lng));
    reply = asker.next("nearby");
    INFO(reply);
    REQUIRE(asker.parse(reply)["drivers"].get(found) == simdjson::SUCCESS);
    for (simdjson::dom::element d : found) {
      CHECK_FALSE((double(d["lat"]) == Approx(old_position.lat).margin(1e-4) &&
                   double(d["lng"]) == Approx(old_position.lng).margin(1e-4)));
    }
    if (found.size() != 0 || std::chrono::steady_clock::now() > give_up) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  INFO(reply);
  REQUIRE(found.size() == 1);
  // Found once, at its new position (across the border, on the near owner).
  CHECK(double(found.at(0)["lat"]) == Approx(driver.at.lat).margin(1e-4));
  CHECK(double(found.at(0)["lng"]) == Approx(driver.at.lng).margin(1e-4));
}

TEST_CASE_METHOD(PoolCase, "forwarded ops are answered to every shard of the asking node") {
  const Point pickup = border.at_km(-0.3);
  std::vector<Driver> drivers = place_drivers(border, pickup);
  connect(drivers);
  // Riders on the node owning neither region (every nearby is forwarded) until connections on both
  // of its shards have forwarded (the kernel spreads connections over the shards' listeners).
  app::Node& third = *nodes[border.third];
  REQUIRE(third.metrics().shards() == 2);
  const std::vector<std::string> expected = brute_force(drivers, pickup, 5);
  std::vector<std::unique_ptr<WsClient>> riders;
  while (riders.size() < 24 &&
         (forwarded_on_shard(third, 0) == 0 || forwarded_on_shard(third, 1) == 0)) {
    riders.push_back(
        std::make_unique<WsClient>(third.port(), "rider-s" + std::to_string(riders.size())));
    CHECK(nearby(*riders.back(), pickup, 5) == expected);
  }
  CHECK(forwarded_on_shard(third, 0) > 0);
  CHECK(forwarded_on_shard(third, 1) > 0);
}

namespace {

/// The statuses of the trip events `client` receives until `last` (at most 30 s, whatever else
/// arrives meanwhile).
std::vector<std::string> statuses_until(WsClient& client, const std::string& trip,
                                        std::string_view last) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  std::vector<std::string> seen;
  while (seen.empty() || seen.back() != last) {
    if (std::chrono::steady_clock::now() > give_up) {
      FAIL("no '" << last << "' event of " << trip << " within 30 s; seen: " << seen.size());
    }
    const std::string frame = client.next("trip");
    simdjson::dom::element e = client.parse(frame);
    std::string_view status;
    if (std::string_view(e["op"]) == "trip" && e["status"].get(status) == simdjson::SUCCESS &&
        std::string_view(e["trip"]) == trip) {
      seen.emplace_back(status);
    }
  }
  return seen;
}

/// Sends `frame` (an accept or trip action with id 21) until it is answered other than
/// `unavailable` or `not_found`, as while the trip's home is dead and not yet adopted (at most
/// 15 s); the answer. The statuses of trip events read meanwhile go to `events` (if given).
std::string until_answered(WsClient& client, const std::string& frame, std::string_view op,
                           std::vector<std::string>* events = nullptr) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  for (;;) {
    client.send(frame);
    std::string reply;
    for (;;) {
      if (std::chrono::steady_clock::now() > give_up + std::chrono::seconds(10)) {
        FAIL("no reply to " << frame << " within 25 s");
      }
      reply = client.next(op);  // trip events (no id) of this client come this way too
      if (reply.find("\"id\":21") != std::string::npos) {
        break;
      }
      std::string_view status;
      if (events != nullptr && client.parse(reply)["status"].get(status) == simdjson::SUCCESS) {
        events->emplace_back(status);
      }
    }
    const bool retry = reply.find("\"unavailable\"") != std::string::npos ||
                       reply.find("\"not_found\"") != std::string::npos;
    if (!retry || std::chrono::steady_clock::now() > give_up) {
      return reply;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

std::string trip_frame(const std::string& trip, std::string_view action) {
  return R"({"op":"trip","id":21,"trip":")" + trip + R"(","action":")" + std::string(action) +
         "\"}";
}

/// Stops `leaving` and returns the node among the others that now owns `region`, once every
/// remaining node knows the smaller pool.
std::string stop_node(Pool& nodes, const std::string& leaving, geo::CellId region) {
  nodes[leaving]->request_stop();
  nodes[leaving]->join();
  nodes.erase(leaving);
  std::vector<app::Node*> rest;
  std::vector<std::string> ids;
  for (auto& [id, node] : nodes) {
    rest.push_back(node.get());
    ids.push_back(id);
  }
  wait_for_pool(rest, rest.size());
  scaleout::RegionOwners owners(ids.front());
  owners.set_live(ids);
  return owners.owner_of(region);
}

/// Waits (at most 15 s) until the record `key` names `node` as the trip's home.
void wait_for_home(testing::RedisServer& server, const std::string& key, const std::string& node) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (server.command({"HGET", key, "home"}).str() != node &&
         std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  REQUIRE(server.command({"HGET", key, "home"}).str() == node);
}

std::string ride_frame(Point pickup) {
  return fmt::format(R"({{"op":"ride","id":8,"lat":{},"lng":{},"dest_lat":{},"dest_lng":{}}})",
                     pickup.lat, pickup.lng, pickup.lat + 0.01, pickup.lng);
}

}  // namespace

TEST_CASE_METHOD(PoolCase,
                 "a matched trip goes on to completion on another node when its home node stops") {
  const std::string home = border.near_owner;  // owns the pickup's region: the trip's home

  const Point pickup = border.at_km(-0.8);
  REQUIRE(region_of(pickup) == border.near_region);
  Driver driver{"d-trip", border.at_km(-1.2), border.third, nullptr};
  driver.ws = std::make_unique<WsClient>(nodes[driver.node]->port(), driver.id, "driver");
  send_fix(driver);
  WsClient rider(nodes[border.far_owner]->port(), "rider-5", "rider");
  rider.send(ride_frame(pickup));
  const std::string trip(std::string_view(rider.parse(rider.next("ride"))["trip"]));
  REQUIRE(trip.ends_with("-" + home));
  const std::string offer = driver.ws->next("offer");
  REQUIRE(std::string_view(driver.ws->parse(offer)["trip"]) == trip);
  driver.ws->send(R"({"op":"accept","id":9,"trip":")" + trip + "\"}");
  REQUIRE(driver.ws->next("accept").find("\"error\"") == std::string::npos);
  // (the `requested` event may come before the ride's reply, which skipped it)
  std::vector<std::string> seen = statuses_until(rider, trip, "matched");
  std::erase(seen, "requested");
  CHECK(server.command({"SISMEMBER", "hw:{node:" + home + "}:trips", trip}).integer() == 1);

  // The home stops; the new owner of the pickup's region adopts the trip from its record.
  const std::string adopter = stop_node(nodes, home, border.near_region);
  for (const std::string_view action : {"arrive", "start", "complete"}) {
    const std::string reply = until_answered(*driver.ws, trip_frame(trip, action), "trip");
    INFO(action << ": " << reply);
    REQUIRE(reply.find("\"action\"") != std::string::npos);
  }
  const std::vector<std::string> after = statuses_until(rider, trip, "completed");
  seen.insert(seen.end(), after.begin(), after.end());
  CHECK(seen == std::vector<std::string>{"offered", "matched", "arrived", "on_trip", "completed"});
  const std::string key = "hw:{trip:" + trip + "}";
  CHECK(server.command({"HGET", key, "status"}).str() == "completed");
  CHECK(server.command({"HGET", key, "home"}).str() == adopter);
  CHECK(server.command({"SISMEMBER", "hw:{node:" + home + "}:trips", trip}).integer() == 0);
  CHECK(server.command({"SISMEMBER", "hw:{node:" + adopter + "}:trips", trip}).integer() == 0);
  CHECK(nodes[adopter]->metrics().counter_total("dispatch_trips_adopted_total") == 1);
}

TEST_CASE_METHOD(PoolCase,
                 "a trip waiting for a driver when its home node stops is matched by the adopting "
                 "node") {
  const std::string home = border.near_owner;

  // No driver yet: the trip is requested and searched again every retry interval.
  const Point pickup = border.at_km(-0.8);
  WsClient rider(nodes[border.far_owner]->port(), "rider-6", "rider");
  rider.send(ride_frame(pickup));
  const std::string trip(std::string_view(rider.parse(rider.next("ride"))["trip"]));
  REQUIRE(trip.ends_with("-" + home));

  const std::string adopter = stop_node(nodes, home, border.near_region);
  const std::string key = "hw:{trip:" + trip + "}";
  wait_for_home(server, key, adopter);

  // A driver comes online near the pickup (connected to the rider's node): the adopter offers it
  // the trip, and the accept reaches the adopter although the trip id names the dead node.
  Driver driver{"d-late", border.at_km(-1.2), border.far_owner, nullptr};
  driver.ws = std::make_unique<WsClient>(nodes[driver.node]->port(), driver.id, "driver");
  send_fix(driver);
  const std::string offer = driver.ws->next("offer");
  INFO(offer);
  REQUIRE(std::string_view(driver.ws->parse(offer)["trip"]) == trip);
  const std::string accepted = until_answered(
      *driver.ws, R"({"op":"accept","id":21,"trip":")" + trip + "\"}", "accept");
  INFO(accepted);
  CHECK(accepted.find("\"error\"") == std::string::npos);
  std::vector<std::string> seen = statuses_until(rider, trip, "matched");
  std::erase(seen, "requested");  // at creation (maybe skipped by the ride reply's wait)
  CHECK(seen == std::vector<std::string>{"offered", "matched"});
  CHECK(server.command({"HGET", key, "driver"}).str() == "d-late");

  // The rider cancels through its own node; the adopter answers.
  const std::string cancel = until_answered(rider, trip_frame(trip, "cancel"), "trip");
  INFO(cancel);
  CHECK(cancel.find("\"action\"") != std::string::npos);
}

namespace {

/// A driver 1.2 km from the border on the near side (held by the near region's owner), connected
/// to the third node, its first fix applied.
Driver driver_near_border(Pool& nodes, const Border& border, const std::string& id) {
  Driver driver{id, border.at_km(-1.2), border.third, nullptr};
  driver.ws = std::make_unique<WsClient>(nodes[driver.node]->port(), driver.id, "driver");
  send_fix(driver);
  return driver;
}

/// A trip of `rider` at `pickup` offered to and accepted by `driver` (its only candidate); the
/// trip id.
std::string matched_trip(WsClient& rider, Driver& driver, Point pickup) {
  await_searchable(rider, driver);
  rider.send(ride_frame(pickup));
  const std::string trip(std::string_view(rider.parse(rider.next("ride"))["trip"]));
  const std::string offer = driver.ws->next("offer");
  REQUIRE(std::string_view(driver.ws->parse(offer)["trip"]) == trip);
  driver.ws->send(R"({"op":"accept","id":9,"trip":")" + trip + "\"}");
  REQUIRE(driver.ws->next("accept").find("\"error\"") == std::string::npos);
  (void)statuses_until(rider, trip, "matched");
  return trip;
}

/// Runs the trip of `driver` to completion from its current connection: every action answered,
/// and the rider and the driver see on_trip and completed.
void finish_trip(WsClient& rider, Driver& driver, const std::string& trip) {
  std::vector<std::string> driver_saw;
  for (const std::string_view action : {"arrive", "start", "complete"}) {
    const std::string reply =
        until_answered(*driver.ws, trip_frame(trip, action), "trip", &driver_saw);
    INFO(action << ": " << reply);
    REQUIRE(reply.find("\"action\"") != std::string::npos);
  }
  const std::vector<std::string> rider_saw = statuses_until(rider, trip, "completed");
  CHECK(std::find(rider_saw.begin(), rider_saw.end(), "on_trip") != rider_saw.end());
  if (std::find(driver_saw.begin(), driver_saw.end(), "completed") == driver_saw.end()) {
    driver_saw = statuses_until(*driver.ws, trip, "completed");
  }
  CHECK(std::find(driver_saw.begin(), driver_saw.end(), "completed") != driver_saw.end());
}

}  // namespace

TEST_CASE_METHOD(PoolCase,
                 "a driver on a trip whose fixes move to another node's region keeps its trip "
                 "there") {
  // Matched while held by the near region's owner (connected to the third node).
  const Point pickup = border.at_km(-0.8);
  Driver driver = driver_near_border(nodes, border, "d-crossing");
  WsClient rider(nodes[border.far_owner]->port(), "rider-7", "rider");
  const std::string trip = matched_trip(rider, driver, pickup);

  // It drives across the border: the far region's owner holds it now, and must not see it
  // available (no nearby answer, no offer) while the trip lasts.
  driver.at = border.at_km(1.5);
  REQUIRE(region_of(driver.at) == border.far_region);
  send_fix(driver);
  WsClient asker(nodes[border.near_owner]->port(), "rider-8", "rider");
  CHECK_FALSE(seen_within(asker, driver.at, driver.id, std::chrono::milliseconds(1500)));
  WsClient other(nodes[border.far_owner]->port(), "rider-9", "rider");
  other.send(ride_frame(driver.at));
  const std::string second(std::string_view(other.parse(other.next("ride"))["trip"]));
  send_fix(driver);  // a fix while the second trip searches: still not a candidate

  finish_trip(rider, driver, trip);
  // Free again: the next offer it gets is the second trip's.
  const std::string offer = driver.ws->next("offer");
  INFO(offer);
  CHECK(std::string_view(driver.ws->parse(offer)["trip"]) == second);
}

TEST_CASE_METHOD(PoolCase,
                 "a driver on a trip who reconnects to another node keeps its trip and stays "
                 "busy") {
  const Point pickup = border.at_km(-0.8);
  Driver driver = driver_near_border(nodes, border, "d-roaming");
  WsClient rider(nodes[border.near_owner]->port(), "rider-10", "rider");
  const std::string trip = matched_trip(rider, driver, pickup);

  // The phone reconnects to the far region's owner, already across the border (its fixes are
  // that node's own now): it must not be matchable there during the trip.
  driver.ws->close();
  driver.node = border.far_owner;
  driver.at = border.at_km(1.5);
  driver.ws = std::make_unique<WsClient>(nodes[driver.node]->port(), driver.id, "driver");
  send_fix(driver);
  WsClient asker(nodes[border.third]->port(), "rider-11", "rider");
  CHECK_FALSE(seen_within(asker, driver.at, driver.id, std::chrono::milliseconds(1500)));

  // The trip's ops work from the new connection, events reach both, and then it is free again.
  finish_trip(rider, driver, trip);
  send_fix(driver);
  CHECK(seen_within(asker, driver.at, driver.id, std::chrono::milliseconds(5000)));
}

TEST_CASE_METHOD(PoolCase,
                 "trips adopted while their node was down stay with the adopter when it comes "
                 "back") {
  const std::string home = border.near_owner;

  const Point pickup = border.at_km(-0.8);
  Driver driver = driver_near_border(nodes, border, "d-loyal");
  WsClient rider(nodes[border.far_owner]->port(), "rider-12", "rider");
  const std::string trip = matched_trip(rider, driver, pickup);
  const std::string key = "hw:{trip:" + trip + "}";

  const std::string adopter = stop_node(nodes, home, border.near_region);
  wait_for_home(server, key, adopter);
  send_fix(driver);  // now held by the adopter, which learns its trip from the pool

  // The node comes back under the same id and owns the pickup's region again.
  nodes[home] = start_node(server.url(), home);
  wait_for_pool({nodes["node-a"].get(), nodes["node-b"].get(), nodes["node-c"].get()}, 3);
  send_fix(driver);  // held by the restarted node now: a driver new to it
  CHECK(server.command({"HGET", key, "home"}).str() == adopter);
  CHECK(server.command({"SISMEMBER", "hw:{node:" + home + "}:trips", trip}).integer() == 0);

  // A new trip there gets an id of its own, and is not offered to the busy driver.
  WsClient other(nodes[home]->port(), "rider-13", "rider");
  other.send(ride_frame(driver.at));
  const std::string second(std::string_view(other.parse(other.next("ride"))["trip"]));
  CHECK(second != trip);
  CHECK(second.ends_with("-" + home));
  CHECK_FALSE(seen_within(other, driver.at, driver.id, std::chrono::milliseconds(1500)));

  // The trip's ops reach the adopter although the id names the restarted node.
  finish_trip(rider, driver, trip);
  CHECK(server.command({"HGET", key, "status"}).str() == "completed");
  const std::string offer = driver.ws->next("offer");
  INFO(offer);
  CHECK(std::string_view(driver.ws->parse(offer)["trip"]) == second);
}

TEST_CASE("a node restarted before anyone adopted its trips takes them back") {
  testing::RedisServer server;
  Pool nodes;
  nodes["solo"] = start_node(server.url(), "solo");
  wait_for_pool({nodes["solo"].get()}, 1);

  const Point pickup{37.77, -122.42};
  Driver driver{"d-patient", {37.775, -122.42}, "solo", nullptr};
  driver.ws = std::make_unique<WsClient>(nodes["solo"]->port(), driver.id, "driver");
  send_fix(driver);
  auto rider = std::make_unique<WsClient>(nodes["solo"]->port(), "rider-14", "rider");
  const std::string trip = matched_trip(*rider, driver, pickup);
  const std::string key = "hw:{trip:" + trip + "}";
  const std::string first_run(server.command({"HGET", key, "run"}).str());

  nodes["solo"]->request_stop();
  nodes["solo"]->join();
  nodes["solo"] = start_node(server.url(), "solo");
  wait_for_pool({nodes["solo"].get()}, 1);
  driver.ws = std::make_unique<WsClient>(nodes["solo"]->port(), driver.id, "driver");
  rider = std::make_unique<WsClient>(nodes["solo"]->port(), "rider-14", "rider");
  send_fix(driver);
  WsClient asker(nodes["solo"]->port(), "rider-15", "rider");
  CHECK_FALSE(seen_within(asker, driver.at, driver.id, std::chrono::milliseconds(1000)));

  finish_trip(*rider, driver, trip);
  CHECK(server.command({"HGET", key, "home"}).str() == "solo");
  CHECK(server.command({"HGET", key, "run"}).str() != first_run);
  CHECK(nodes["solo"]->metrics().counter_total("dispatch_trips_adopted_total") == 1);

  stop_all(nodes);
}
