// Two hexwire engines (app::Node, --broker redis) on one real redis-server, reached by WebSocket
// clients over loopback: a message published on either node reaches the subscribers of both, in
// one order, with the publisher's ack; a client resuming on the other node gets what it missed;
// while Redis is down ops answer `unavailable` and connections stay, and after Redis returns the
// same connections publish and receive again. Boost.Beast clients with socket timeouts.
#include <catch2/catch.hpp>

#include <sys/socket.h>

#include <simdjson.h>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "app/node.hpp"
#include "redis_server.hpp"
#include "tests/app/test_engine_config.hpp"
#include "pool_support.hpp"

using namespace hexwire;
namespace websocket = boost::beast::websocket;
namespace asio = boost::asio;

namespace {

using scaleout::testing::start_node;
using scaleout::testing::WsClient;

struct Delivered {
  std::uint64_t seq;
  std::string text;
  bool operator==(const Delivered&) const = default;
};

Delivered next_message(WsClient& client) {
  const std::string frame = client.next("msg");
  auto e = client.parse(frame);
  return {std::uint64_t(e["seq"]), std::string(std::string_view(e["data"]["t"]))};
}

}  // namespace

TEST_CASE("two engines on one Redis deliver each other's messages in one order") {
  hexwire::testing::RedisServer redis;
  auto a = start_node(redis.url(), "node-a");
  auto b = start_node(redis.url(), "node-b");
  CHECK(a->banner().find("broker redis redis://127.0.0.1:") != std::string::npos);
  WsClient on_a(a->port(), "ann");
  WsClient on_b(b->port(), "bob");
  on_a.subscribe("lobby");
  on_b.subscribe("lobby");
  WsClient pub_a(a->port(), "pa");
  WsClient pub_b(b->port(), "pb");
  constexpr int kEach = 50;
  for (int i = 0; i < kEach; ++i) {
    const auto ack_a = pub_a.parse(pub_a.publish("lobby", "a" + std::to_string(i)));
    REQUIRE(std::string_view(ack_a["op"]) == "ack");
    const auto ack_b = pub_b.parse(pub_b.publish("lobby", "b" + std::to_string(i)));
    REQUIRE(std::string_view(ack_b["op"]) == "ack");
    CHECK(std::uint64_t(ack_b["seq"]) == std::uint64_t(ack_a["seq"]) + 1);
  }
  std::vector<Delivered> seen_a;
  std::vector<Delivered> seen_b;
  for (int i = 0; i < 2 * kEach; ++i) {
    seen_a.push_back(next_message(on_a));
    seen_b.push_back(next_message(on_b));
    CHECK(seen_a.back().seq == static_cast<std::uint64_t>(i + 1));
  }
  CHECK(seen_a == seen_b);
  CHECK(seen_a[1].text == "b0");

  // A client that saw up to seq 40 on node a resumes on node b: exactly 41..100, then live ones.
  WsClient resumed(b->port(), "ann");
  resumed.subscribe("lobby", R"(,"since":40)");
  for (std::uint64_t seq = 41; seq <= 2 * kEach; ++seq) {
    CHECK(next_message(resumed).seq == seq);
  }
  pub_a.publish("lobby", "live");
  CHECK(next_message(resumed) == Delivered{2 * kEach + 1, "live"});
}

TEST_CASE("while Redis is down a node answers unavailable and keeps its connections") {
  hexwire::testing::RedisServer redis;
  auto a = start_node(redis.url(), "node-a");
  auto b = start_node(redis.url(), "node-b");
  WsClient sub(b->port(), "sue");
  sub.subscribe("ops");
  WsClient pub(a->port(), "pat");
  REQUIRE(std::string_view(pub.parse(pub.publish("ops", "before"))["op"]) == "ack");
  CHECK(next_message(sub).text == "before");

  redis.kill();
  const auto refused = pub.parse(pub.publish("ops", "during", 8));
  CHECK(std::string_view(refused["op"]) == "error");
  CHECK(std::string_view(refused["code"]) == "unavailable");
  CHECK(std::int64_t(refused["id"]) == 8);

  redis.start();
  // The same connections work again once the nodes have reconnected (backoff up to 2 s).
  std::string reply;
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  do {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    reply = pub.publish("ops", "after", 9);
  } while (std::string_view(pub.parse(reply)["op"]) != "ack" &&
           std::chrono::steady_clock::now() < give_up);
  REQUIRE(std::string_view(pub.parse(reply)["op"]) == "ack");
  // The subscriber gets "after" (the restarted Redis lost the channel unless it had AOF: its seq
  // may start over in a new epoch, but the message arrives).
  CHECK(next_message(sub).text == "after");
}
