// Outbound limits of /ws against hostile and slow clients, end to end over loopback (Beast
// clients): a resume whose backlog is ten times the outbound hard limit is streamed as the
// socket drains (never closed, never dropped, under both slow-consumer policies), and so is an
// offline queue of large notifications (its overflow announced first); under the drop
// policy replies are never dropped and the client is told how many events it lost, where the gap
// is; a client that floods pings without reading is closed 1008, authenticated or not.
#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <thread>

#include "tests/app/ws_app_loopback.hpp"

using namespace hexwire;
using app::testing::Client;
using app::testing::publish_many;
using app::testing::Server;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
namespace asio = boost::asio;

namespace {

std::string op_of(simdjson::dom::element e) {
  return std::string(std::string_view(e["op"]));
}

/// Deliveries the /ws sink timed as live fan-out, all shards together.
std::uint64_t timed_fanout(app::Node& node) {
  std::uint64_t count = 0;
  for (unsigned shard = 0; shard < node.metrics().shards(); ++shard) {
    count += node.metrics().find_histogram("ws_stage_fanout_seconds", shard)->count();
  }
  return count;
}

/// Offline members of the engine's channels, all shards together.
std::int64_t offline_members(app::Node& node) {
  std::int64_t members = 0;
  for (unsigned shard = 0; shard < node.metrics().shards(); ++shard) {
    members += node.metrics().find_gauge("pubsub_offline_members", shard)->value();
  }
  return members;
}

}  // namespace

TEST_CASE("resume: 10,000 missed 1 KiB messages stream as the socket drains, none lost",
          "[ws_app][limits]") {
  const std::string policy = GENERATE("close", "drop");
  CAPTURE(policy);
  app::EngineConfig engine = app::testing::loopback_engine_config();
  engine.ws_slow_policy = policy;  // default limits: the backlog is ~10x the 1 MiB hard limit
  Server server(Server::default_ws_config(), engine);
  constexpr int kMissed = 10'000;
  REQUIRE(publish_many(server.port, "writer", "backlog", kMissed, 1000) == kMissed);

  Client reader(server.port, "/ws", 16 * 1024);  // a small receive buffer: the server must wait
  reader.login("reader");
  CHECK(reader.subscribe("backlog", 0) == kMissed);
  for (int i = 0; i < kMissed; ++i) {
    auto e = reader.receive();
    REQUIRE(op_of(e) == "msg");
    REQUIRE(std::uint64_t(e["seq"]) == static_cast<std::uint64_t>(i + 1));
    REQUIRE(std::string_view(e["data"]["m"]) == "writer-" + std::to_string(i));
    if (i % 2000 == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));  // a slow reader, now and then
    }
  }
  // A replayed message's age is the reader's gap, not a fan-out delay: the backlog is not timed.
  CHECK(timed_fanout(*server.engine) == 0);
  // Live messages follow the backlog on the same connection, which stayed open, and are timed.
  REQUIRE(publish_many(server.port, "writer2", "backlog", 1) == 1);
  auto live = reader.receive_op("msg");
  CHECK(std::uint64_t(live["seq"]) == kMissed + 1);
  CHECK(timed_fanout(*server.engine) == 1);
  CHECK(server.engine->metrics().counter_total("ws_messages_dropped_total") == 0);
  CHECK(server.engine->metrics().counter_total("ws_closes_1008_total") == 0);
  CHECK(server.engine->metrics().counter_total("ws_streamed_frames_total") == kMissed);
}

TEST_CASE("offline drain: a queue of 5 MB of notifications streams as the socket drains, the "
          "overflow announced first",
          "[ws_app][limits]") {
  const std::string policy = GENERATE("close", "drop");
  CAPTURE(policy);
  app::EngineConfig engine = app::testing::loopback_engine_config();
  engine.ws_slow_policy = policy;  // default limits: 100 x 50 KB is ~5x the 1 MiB hard limit
  Server server(Server::default_ws_config(), engine);
  {
    Client member(server.port);
    member.login("carol");
    member.subscribe("inbox");
    member.ws.close(websocket::close_code::normal);
  }
  // Carol stays a member while away: what is published now goes to her offline queue.
  for (int i = 0; i < 500 && offline_members(*server.engine) == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  REQUIRE(offline_members(*server.engine) == 1);
  constexpr int kPublished = 120;  // the queue keeps the newest 100
  {
    Client writer(server.port);
    writer.ws.next_layer().set_option(asio::ip::tcp::no_delay(true));  // no Nagle wait per 50 KB
    writer.login("writer");
    const std::string pad(50'000, 'p');
    for (int i = 0; i < kPublished; ++i) {
      writer.send(R"({"op":"pub","id":)" + std::to_string(i) +
                  R"(,"channel":"inbox","data":{"m":"writer-)" + std::to_string(i) + R"(","pad":")" +
                  pad + "\"}}");
    }
    for (int i = 0; i < kPublished; ++i) {
      REQUIRE(std::int64_t(writer.receive_op("ack")["id"]) == i);
    }
  }

  Client back(server.port, "/ws", 16 * 1024);  // a small receive buffer: the server must wait
  back.login("carol");
  auto e = back.receive();
  REQUIRE(op_of(e) == "pending");
  CHECK(std::uint64_t(e["dropped"]) == kPublished - 100);
  for (int i = kPublished - 100; i < kPublished; ++i) {
    e = back.receive();
    REQUIRE(op_of(e) == "notify");
    REQUIRE(std::uint64_t(e["seq"]) == static_cast<std::uint64_t>(i + 1));
    REQUIRE(std::string_view(e["data"]["m"]) == "writer-" + std::to_string(i));
    if (i % 25 == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));  // a slow reader, now and then
    }
  }
  // The connection stayed open and answers.
  back.send(R"({"op":"pub","id":"alive","channel":"elsewhere","data":1})");
  CHECK(std::string_view(back.receive_op("ack")["id"]) == "alive");
  CHECK(server.engine->metrics().counter_total("ws_messages_dropped_total") == 0);
  CHECK(server.engine->metrics().counter_total("ws_closes_1008_total") == 0);
  CHECK(server.engine->metrics().counter_total("ws_streamed_frames_total") == 100);
  CHECK(server.engine->metrics().counter_total("pubsub_offline_dropped_total") == kPublished - 100);
}

TEST_CASE("drop policy: replies are never dropped and drops are announced where the gap is",
          "[ws_app][limits]") {
  app::EngineConfig engine = app::testing::loopback_engine_config();
  engine.ws_slow_policy = "drop";
  engine.ws_outbound_soft_limit = 8 * 1024;
  engine.ws_outbound_hard_limit = 32 * 1024;
  Server server(Server::default_ws_config(), engine);
  Client slow(server.port, "/ws", 4096);
  slow.login("slow");
  slow.subscribe("flood");       // no presence events (not asked for): every event is the flood
  constexpr int kFlood = 3'000;  // 3 MB for a reader that does not read meanwhile
  REQUIRE(publish_many(server.port, "writer", "flood", kFlood, 1000) == kFlood);
  slow.send(R"({"op":"pub","id":77,"channel":"elsewhere","data":1})");
  slow.send(R"({"op":"sub","id":78,"channel":"another"})");

  bool acked = false;
  bool subbed = false;
  std::uint64_t expected = 1;   // next seq of "flood" if nothing was lost
  std::uint64_t announced = 0;  // dropped counts not yet matched by a gap
  std::uint64_t dropped_total = 0;
  while (!acked || !subbed || expected + announced <= kFlood) {
    auto e = slow.receive();
    const std::string op = op_of(e);
    if (op == "dropped") {
      const std::uint64_t count = std::uint64_t(e["count"]);
      CHECK(count > 0);
      announced += count;
      dropped_total += count;
    } else if (op == "msg") {
      const std::uint64_t seq = std::uint64_t(e["seq"]);
      REQUIRE(seq >= expected);
      CHECK(seq - expected == announced);  // the notice came right before the gap it reports
      announced = 0;
      expected = seq + 1;
    } else if (op == "ack") {
      CHECK(std::int64_t(e["id"]) == 77);
      acked = true;
    } else if (op == "subbed") {
      CHECK(std::int64_t(e["id"]) == 78);
      subbed = true;
    } else {
      FAIL("unexpected frame: " << slow.text);
    }
  }
  CHECK(expected - 1 + announced == kFlood);  // the last notice covers the tail, if it was lost
  CHECK(dropped_total > 0);
  CHECK(server.engine->metrics().counter_total("ws_messages_dropped_total") == dropped_total);
  CHECK(server.engine->metrics().counter_total("ws_drop_notices_total") >= 1);
  CHECK(server.engine->metrics().counter_total("ws_closes_1008_total") == 0);
}

TEST_CASE(
    "ping flood: a /ws client that pings and never reads is closed 1008, with or without auth",
    "[ws_app][limits]") {
  const bool authenticated = GENERATE(false, true);
  CAPTURE(authenticated);
  app::EngineConfig engine = app::testing::loopback_engine_config();
  engine.ws_outbound_soft_limit = 8 * 1024;
  engine.ws_outbound_hard_limit = 32 * 1024;
  engine.ws_outbound_reply_reserve = 8 * 1024;
  Server server(Server::default_ws_config(), engine);
  Client flooder(server.port, "/ws", 4096);
  if (authenticated) {
    flooder.login("flooder");
  }
  const websocket::ping_data payload(std::string(125, 'p').c_str());
  // The kernel buffers take a few MB of pongs before the server's queue grows; 100,000 pings
  // (12.7 MB of pongs) bound the test.
  for (int i = 0;
       i < 100'000 && server.engine->metrics().counter_total("ws_outbound_overflows_total") == 0;
       ++i) {
    beast::error_code ec;
    flooder.ws.ping(payload, ec);
    if (ec) {
      break;
    }
  }
  CHECK(server.engine->metrics().counter_total("ws_outbound_overflows_total") == 1);
  beast::flat_buffer buffer;
  beast::error_code ec;
  while (!ec) {
    flooder.ws.read(buffer, ec);  // Beast consumes the pongs; the close frame ends the read
    buffer.clear();
  }
  CHECK(ec == websocket::error::closed);
  CHECK(flooder.ws.reason().code == 1008);
}
