// The /ws application end to end: the engine in-process on 127.0.0.1 with 2 shards, clients are
// Boost.Beast synchronous WebSocket clients (an implementation nobody here wrote) with socket
// timeouts, so a hung server fails a test instead of hanging it. No timing assertions.
#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include "app/jwt.hpp"
#include "tests/app/ws_app_loopback.hpp"

namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace hexwire;

using app::testing::Client;
using app::testing::kSecret;
using app::testing::Publisher;
using app::testing::Server;
using app::testing::publish_many;

TEST_CASE("subscribers on different shards see one order of concurrent publications") {
  Server server;
  std::vector<std::unique_ptr<Client>> subs;
  for (int i = 0; i < 6; ++i) {
    subs.push_back(std::make_unique<Client>(server.port));
    subs.back()->login("s" + std::to_string(i));
    subs.back()->subscribe("general");
  }
  constexpr int kEach = 300;
  Publisher a(server.port, "pa", "general", kEach);
  Publisher b(server.port, "pb", "general", kEach);
  a.join();
  b.join();
  CHECK(a.error.empty());
  CHECK(b.error.empty());
  CHECK(a.acked == kEach);
  CHECK(b.acked == kEach);
  std::vector<std::string> reference;
  for (auto& s : subs) {
    std::vector<std::string> seen;
    for (int i = 0; i < 2 * kEach; ++i) {
      auto e = s->receive_op("msg");
      CHECK(std::uint64_t(e["seq"]) == static_cast<std::uint64_t>(i + 1));
      seen.emplace_back(std::string_view(e["data"]["m"]));
    }
    if (reference.empty()) {
      reference = seen;
    } else {
      CHECK(seen == reference);
    }
  }
  // The per-stage histograms and counters are exported with the engine's metrics.
  const std::string metrics = server.engine->metrics().prometheus_text();
  for (const char* name : {"hexwire_ws_stage_parse_seconds", "hexwire_ws_stage_route_seconds",
                           "hexwire_ws_stage_fanout_seconds", "hexwire_ws_stage_send_seconds",
                           "hexwire_ws_app_publishes_total", "hexwire_ws_app_deliveries_total"}) {
    INFO(name);
    CHECK(metrics.find(name) != std::string::npos);
  }
  CHECK(server.engine->metrics().json().find("ws_stage_route_seconds") != std::string::npos);
}

TEST_CASE("a forced disconnect then resume with since loses nothing and duplicates nothing") {
  Server server;
  Client sub(server.port);
  sub.login("reader");
  sub.subscribe("feed");
  constexpr int kTotal = 600;
  Publisher publisher(server.port, "writer", "feed", kTotal);

  std::vector<std::uint64_t> seqs;
  while (seqs.size() < 150) {
    seqs.push_back(std::uint64_t(sub.receive_op("msg")["seq"]));
  }
  // Drop the TCP connection without a close frame (a phone losing its network).
  beast::error_code ignored;
  sub.ws.next_layer().shutdown(tcp::socket::shutdown_both, ignored);
  sub.ws.next_layer().close(ignored);

  Client again(server.port);
  again.login("reader");
  const std::uint64_t last = seqs.back();
  again.send(R"({"op":"sub","id":"r","channel":"feed","since":)" + std::to_string(last) + "}");
  auto subbed = again.receive_op("subbed");
  CHECK(bool(subbed["recovered"]));
  while (seqs.size() < kTotal) {
    seqs.push_back(std::uint64_t(again.receive_op("msg")["seq"]));
  }
  publisher.join();
  CHECK(publisher.error.empty());
  CHECK(publisher.acked == kTotal);
  for (std::size_t i = 0; i < seqs.size(); ++i) {
    REQUIRE(seqs[i] == i + 1);
  }
}

TEST_CASE("unauthorized and forbidden subscriptions are refused") {
  Server server;
  Client anonymous(server.port);
  anonymous.send(R"({"op":"sub","id":1,"channel":"general"})");
  auto e = anonymous.receive();
  CHECK(std::string_view(e["code"]) == "unauthorized");
  CHECK(std::int64_t(e["id"]) == 1);

  const std::string token =
      app::sign_hs256_jwt(R"({"sub":"r1","exp":4000000000,"channels":["cell:*"]})", kSecret);
  Client restricted(server.port, "/ws?token=" + token);
  CHECK(std::string_view(restricted.receive_op("auth")["user"]) == "r1");
  restricted.send(R"({"op":"sub","id":2,"channel":"general"})");
  CHECK(std::string_view(restricted.receive()["code"]) == "forbidden");
  restricted.send(R"({"op":"sub","id":3,"channel":"user:someone"})");
  CHECK(std::string_view(restricted.receive()["code"]) == "forbidden");
  restricted.send(R"({"op":"sub","id":4,"channel":"cell:872830828ffffff"})");
  CHECK(std::string_view(restricted.receive()["op"]) == "subbed");
}

TEST_CASE("oversized and malformed messages are answered and the connection keeps working") {
  Server server;
  Client c(server.port);
  c.login("u1");
  c.send(R"({"op":"pub","id":1,"channel":"g","data":")" + std::string(100 * 1024, 'x') + "\"}");
  auto e = c.receive_op("error");
  CHECK(std::string_view(e["code"]) == "too_large");
  c.send("{\"op\":\"pub\",");
  e = c.receive_op("error");
  CHECK(std::string_view(e["code"]) == "bad_request");
  c.send(R"({"op":"pub","id":"after","channel":"g","data":[1,2,3]})");
  e = c.receive_op("ack");
  CHECK(std::string_view(e["id"]) == "after");
  CHECK(std::uint64_t(e["seq"]) == 1);

  // Above the frame limit (1 MiB) the session closes with 1009.
  c.send(std::string(2u << 20, ' '));
  beast::flat_buffer buffer;
  beast::error_code ec;
  while (!ec) {
    buffer.clear();
    c.ws.read(buffer, ec);
  }
  CHECK(ec == websocket::error::closed);
  CHECK(c.ws.reason().code == 1009);
}

TEST_CASE("a subscriber that stops reading does not hold back the others") {
  Server server;
  Client slow(server.port, "/ws", 4096);
  slow.login("slow");
  slow.subscribe("busy");
  Client fast(server.port);
  fast.login("fast");
  fast.subscribe("busy");

  // ~9 MB of frames: more than the kernel buffers (4 MB send buffer at most) plus the 1 MiB
  // outbound limit of the slow connection.
  constexpr int kCount = 8000;
  int in_order = 0;
  std::string reader_error;
  std::thread reader([&] {
    try {
      for (int i = 0; i < kCount; ++i) {
        auto e = fast.receive_op("msg");
        in_order += std::uint64_t(e["seq"]) == static_cast<std::uint64_t>(i + 1);
      }
    } catch (const std::exception& e) {
      reader_error = e.what();
    }
  });
  const int acked = publish_many(server.port, "writer", "busy", kCount, 1000);
  reader.join();
  CHECK(reader_error.empty());
  CHECK(acked == kCount);
  CHECK(in_order == kCount);
  // The slow reader really hit its outbound limit (or the test would prove nothing).
  std::uint64_t drops = 0;
  for (unsigned shard = 0; shard < 2; ++shard) {
    drops += server.engine->metrics().counter("ws_app_drops_total", "", shard).value();
  }
  CHECK(drops > 0);
}


TEST_CASE("a hostile client: op floods are answered rate_limited and the connection stays") {
  app::WsAppConfig ws = Server::default_ws_config();
  ws.expensive_op_rate_per_s = 1;  // no meaningful refill during the test
  ws.expensive_op_burst = 20;
  ws.op_rate_per_s = 1;
  ws.op_burst = 50;
  Server server(ws);
  Client c(server.port);
  c.login("flooder");  // one cheap token
  // 300 history requests and 300 reads written back to back, without reading a reply.
  constexpr int kFlood = 300;
  for (int i = 0; i < kFlood; ++i) {
    c.send(R"({"op":"history","id":)" + std::to_string(i) + R"(,"channel":"g"})");
  }
  for (int i = 0; i < kFlood; ++i) {
    c.send(R"({"op":"read","id":)" + std::to_string(kFlood + i) + R"(,"channel":"g","seq":1})");
  }
  int histories = 0;
  int not_found = 0;
  int limited = 0;
  for (int i = 0; i < 2 * kFlood; ++i) {
    auto e = c.receive();
    const std::string_view op(e["op"]);
    if (op == "history") {
      ++histories;
    } else if (op == "error") {
      const std::string_view code(e["code"]);
      not_found += code == "not_found";  // a read of a channel the user never joined
      limited += code == "rate_limited";
    }
  }
  CHECK(histories == 20);
  CHECK(not_found == 49);
  CHECK(limited == 2 * kFlood - 20 - 49);
  c.send(R"({"op":"pub","id":"alive","channel":"g","data":1})");
  CHECK(std::string_view(c.receive_op("ack")["id"]) == "alive");
  CHECK(server.engine->metrics().counter_total("ws_app_rate_limited_expensive_total") == kFlood - 20);
  CHECK(server.engine->metrics().counter_total("ws_app_rate_limited_cheap_total") == kFlood - 49);
}

TEST_CASE("a hostile client: a connection that never authenticates is closed 1008") {
  app::WsAppConfig ws = Server::default_ws_config();
  ws.auth_timeout_ms = 300;
  Server server(ws);
  Client silent(server.port);
  Client prompt(server.port);
  prompt.login("prompt");
  auto e = silent.receive();  // blocks until the timeout; the socket's own timeout is 10 s
  CHECK(std::string_view(e["code"]) == "unauthorized");
  CHECK(std::string_view(e["message"]) == "authentication timeout");
  beast::flat_buffer buffer;
  beast::error_code ec;
  silent.ws.read(buffer, ec);
  CHECK(ec == websocket::error::closed);
  CHECK(silent.ws.reason().code == 1008);
  prompt.send(R"({"op":"pub","id":1,"channel":"g","data":1})");
  CHECK(std::string_view(prompt.receive_op("ack")["op"]) == "ack");
  CHECK(server.engine->metrics().counter_total("ws_app_auth_timeouts_total") == 1);
}
