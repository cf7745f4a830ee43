// The node's one sharding rule (app/placement.hpp): a cell's cell:/surge: channels are owned by the
// shard of the cell's region, which is where dispatch holds its drivers; and the hops one location
// update costs on a node built on the deterministic executor, counted task by task.
#include <catch2/catch.hpp>

#include <array>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "app/node_services.hpp"
#include "app/placement.hpp"
#include "app/ws_app.hpp"
#include "core/testing/fake_executor.hpp"
#include "geo/dispatch/engine.hpp"
#include "geo/hexgrid.hpp"
#include "tests/app/recording_link.hpp"

using namespace hexwire;
using namespace hexwire::app;

namespace {

std::string hex_of(geo::CellId cell) {
  std::array<char, 17> hex{};
  const std::size_t n = geo::cell_to_string(cell, hex);
  return std::string(hex.data(), n);
}

geo::CellId cell_at(double lat_deg, double lng_deg, int res) {
  geo::CellId cell = 0;
  REQUIRE(geo::lat_lng_to_cell({geo::degs_to_rads(lat_deg), geo::degs_to_rads(lng_deg)}, res,
                               &cell) == geo::H3Error::kSuccess);
  return cell;
}

/// The live-map cell of a position: the res-7 parent of its index cell (res 9).
geo::CellId live_map_cell(double lat_deg, double lng_deg) {
  geo::CellId cell7 = 0;
  REQUIRE(geo::cell_to_parent(cell_at(lat_deg, lng_deg, 9), 7, &cell7) == geo::H3Error::kSuccess);
  return cell7;
}

/// A node with dispatch on 2 deterministic shards; every fix is published on the live map.
struct Node2 {
  Node2() : executor(2), metrics(2), services(executor, metrics, config()) {}

  static NodeServicesConfig config() {
    NodeServicesConfig c;
    c.ws.auth.anonymous = true;
    c.ws.publish_rate_per_s = 0;
    geo::DispatchConfig dispatch;
    dispatch.live_map_interval_ns = 0;
    c.dispatch = dispatch;
    return c;
  }

  struct Client {
    testing::RecordingLink link;
    std::unique_ptr<WsConnection> connection;
    unsigned shard = 0;
  };

  Client& login(unsigned shard, const std::string& user, const std::string& role) {
    clients.push_back(std::make_unique<Client>());
    Client& c = *clients.back();
    c.shard = shard;
    executor.run_on(shard, [&] {
      c.connection = std::make_unique<WsConnection>(services.ws(), c.link, std::string());
      c.connection->opened();
    });
    send(c, R"({"op":"auth","id":1,"user":")" + user + R"(","role":")" + role + "\"}");
    return c;
  }
  void send(Client& c, const std::string& text) {
    executor.run_on(c.shard, [&] { c.connection->on_text(text, core::monotonic_ns()); });
    executor.run_until_idle();
  }
  /// Tasks that crossed from one shard to another so far.
  std::uint64_t cross_shard_tasks() const { return executor.sent(0, 1) + executor.sent(1, 0); }
  /// Cross-shard tasks caused by sending `text` on `c`.
  std::uint64_t hops_of(Client& c, const std::string& text) {
    const std::uint64_t before = cross_shard_tasks();
    send(c, text);
    return cross_shard_tasks() - before;
  }

  core::testing::FakeExecutor executor;
  core::MetricsRegistry metrics;
  NodeServices services;
  std::vector<std::unique_ptr<Client>> clients;
};

/// A point whose region (and so whose drivers and live-map channel) is on `shard`.
std::array<double, 2> point_on_shard(const geo::DispatchEngine& engine, unsigned shard) {
  for (double lat = 10.0; lat < 60.0; lat += 1.7) {
    if (engine.owner_shard({geo::degs_to_rads(lat), geo::degs_to_rads(8.5)}) == shard) {
      return {lat, 8.5};
    }
  }
  FAIL("no region of that shard found");
  return {};
}

std::string loc(const std::array<double, 2>& p, double nudge) {
  return R"({"op":"loc","lat":)" + std::to_string(p[0] + nudge) + R"(,"lng":)" +
         std::to_string(p[1]) + "}";
}

}  // namespace

TEST_CASE("a cell's live-map and surge channels are owned by the shard of its drivers") {
  for (unsigned shards : {1u, 2u, 3u, 8u}) {
    core::testing::FakeExecutor executor(shards);
    core::MetricsRegistry metrics(shards);
    NodeServices services(executor, metrics, Node2::config());
    const geo::DispatchEngine& engine = *services.dispatch_engine();
    const ShardPlacement& placement = services.placement();
    std::mt19937_64 rng(shards);
    std::uniform_real_distribution<double> lat(-80, 80);
    std::uniform_real_distribution<double> lng(-180, 180);
    for (int i = 0; i < 2000; ++i) {
      const double a = lat(rng);
      const double b = lng(rng);
      const geo::CellId cell7 = live_map_cell(a, b);
      const unsigned drivers_shard =
          engine.owner_shard({geo::degs_to_rads(a), geo::degs_to_rads(b)});
      INFO(hex_of(cell7));
      REQUIRE(placement.channel_owner("cell:" + hex_of(cell7)) == drivers_shard);
      REQUIRE(placement.channel_owner("surge:" + hex_of(cell7)) == drivers_shard);
    }
  }
}

TEST_CASE("every other channel is left to the broker's own rule") {
  const ShardPlacement placement(4, 3);
  const std::string coarser = hex_of(cell_at(37.77, -122.42, 2));
  const std::vector<std::string> others = {
      "general", "user:cell:8a",    "cell:",
      "cell:zz", "surge:-1",        "cell:ffffffffffffffff",
      "sim:1",   "cell:" + coarser, "Cell:" + hex_of(cell_at(1, 1, 7))};
  for (const std::string& channel : others) {
    INFO(channel);
    CHECK_FALSE(placement.channel_owner(channel).has_value());
  }
}

TEST_CASE("hops per location update on a node: the position is sequenced where it is produced") {
  Node2 node;
  const geo::DispatchEngine& engine = *node.services.dispatch_engine();

  SECTION("driver connected to the shard of its region: no hop at all") {
    const auto here = point_on_shard(engine, 0);
    Node2::Client& driver = node.login(0, "d1", "driver");
    node.send(driver, loc(here, 0));  // the first fix also registers the driver everywhere
    for (int i = 1; i <= 5; ++i) {
      CHECK(node.hops_of(driver, loc(here, i * 1e-5)) == 0);
    }
  }

  SECTION("driver connected to the other shard: one hop to the region's shard, none back") {
    const auto there = point_on_shard(engine, 1);
    Node2::Client& driver = node.login(0, "d2", "driver");
    node.send(driver, loc(there, 0));
    for (int i = 1; i <= 5; ++i) {
      CHECK(node.hops_of(driver, loc(there, i * 1e-5)) == 1);
    }
  }

  SECTION("a rider watching the cell on the other shard: one forward per position") {
    const auto here = point_on_shard(engine, 0);
    Node2::Client& driver = node.login(0, "d3", "driver");
    node.send(driver, loc(here, 0));
    Node2::Client& rider = node.login(1, "r1", "rider");
    const std::string channel = "cell:" + hex_of(live_map_cell(here[0], here[1]));
    node.send(rider, R"({"op":"sub","id":2,"channel":")" + channel + "\"}");
    const std::size_t seen = rider.link.frames.size();
    CHECK(node.hops_of(driver, loc(here, 1e-5)) == 1);
    REQUIRE(rider.link.frames.size() == seen + 1);
    CHECK(rider.link.frames.back().find("\"op\":\"msg\"") != std::string::npos);
  }
}
