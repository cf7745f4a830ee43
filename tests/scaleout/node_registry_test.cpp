// NodeRegistry against a real redis-server: nodes see each other through their heartbeats, a
// silent node is declared dead after the TTL and handed once to the janitor (the lowest live id)
// for cleanup, and a node that leaves disappears at once.
#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include "reactor_loop.hpp"
#include "redis_server.hpp"
#include "scaleout/node_registry.hpp"

using namespace hexwire;
using namespace hexwire::scaleout;

namespace {

struct Member {
  Member(testing::ReactorLoop& loop, const std::string& url, std::string id)
      : client(loop.reactor(), loop.timers(),
               [&] {
                 redis::ClientConfig c;
                 c.target = redis::parse_target(url);
                 return c;
               }()),
        registry(
            client, loop.timers(),
            {.node_id = std::move(id),
             .address = "ws://127.0.0.1:1",
             .heartbeat_interval_ns = 50'000'000,
             .node_ttl_ms = 400},
            [this](const std::vector<std::string>& live) { views.push_back(live); },
            [this](const std::string& node, core::UniqueFunction<void()> done) {
              cleaned.push_back(node);
              done();
            }) {}

  redis::RedisClient client;
  std::vector<std::vector<std::string>> views;
  std::vector<std::string> cleaned;
  NodeRegistry registry;
};

using Ids = std::vector<std::string>;

}  // namespace

TEST_CASE("nodes see each other and a silent node is cleaned up once by the janitor") {
  testing::RedisServer server;
  testing::ReactorLoop loop;
  Member a(loop, server.url(), "node-a");
  auto b = std::make_unique<Member>(loop, server.url(), "node-b");
  Member c(loop, server.url(), "node-c");
  a.registry.start();
  b->registry.start();
  c.registry.start();
  REQUIRE(loop.run_until([&] {
    return a.registry.live() == Ids{"node-a", "node-b", "node-c"} &&
           c.registry.live() == Ids{"node-a", "node-b", "node-c"};
  }));
  CHECK(a.registry.registered());

  b.reset();  // kill: no leave, heartbeats just stop
  REQUIRE(loop.run_until([&] {
    return a.registry.live() == Ids{"node-a", "node-c"} && !a.cleaned.empty();
  }));
  loop.run_for(300'000'000);
  CHECK(a.cleaned == Ids{"node-b"});  // the janitor (lowest id), once
  CHECK(c.cleaned.empty());
  CHECK(server.command({"ZCARD", "hw:{nodes}:dead"}).integer() == 0);
  CHECK(c.registry.live() == Ids{"node-a", "node-c"});

  bool left = false;
  a.registry.leave([&] { left = true; });
  REQUIRE(loop.run_until([&] { return left && c.registry.live() == Ids{"node-c"}; }));
  CHECK(c.cleaned.empty());  // a left cleanly: nothing to clean
}

TEST_CASE("node ids are random 16 hex digits") {
  const std::string one = make_node_id();
  CHECK(one.size() == 16);
  CHECK(one.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(one != make_node_id());
}
