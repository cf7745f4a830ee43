// The /ws application end to end: the engine in-process on 127.0.0.1 with 2 shards, clients are
// Boost.Beast synchronous WebSocket clients (an implementation nobody here wrote) with socket
// timeouts, so a hung server fails a test instead of hanging it. No timing assertions.
#include <catch2/catch.hpp>

#include <sys/socket.h>

#include <simdjson.h>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "app/jwt.hpp"
#include "app/node.hpp"
#include "app/ws_app.hpp"
#include "tests/app/test_engine_config.hpp"

namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace hexwire;

namespace {

constexpr std::string_view kSecret = "integration-secret";

struct Server {
  std::unique_ptr<app::Node> engine;
  std::uint16_t port = 0;

  explicit Server(app::WsAppConfig ws = default_ws_config()) {
    app::EngineConfig config = app::testing::loopback_engine_config();
    config.ws_app = std::move(ws);
    engine = std::make_unique<app::Node>(std::move(config));
    port = app::testing::start_or_skip(*engine);
  }
  ~Server() {
    engine->request_stop();
    engine->join();
  }

  static app::WsAppConfig default_ws_config() {
    app::WsAppConfig ws;
    ws.auth.jwt_secret = std::string(kSecret);
    ws.auth.anonymous = true;
    ws.publish_rate_per_s = 0;  // the load below is far above the default rate
    return ws;
  }
};

struct Client {
  asio::io_context io;
  websocket::stream<tcp::socket> ws{io};
  simdjson::dom::parser dom;
  std::string text;

  explicit Client(std::uint16_t port, std::string target = "/ws", int receive_buffer = 0) {
    if (receive_buffer > 0) {
      ws.next_layer().open(tcp::v4());
      ::setsockopt(ws.next_layer().native_handle(), SOL_SOCKET, SO_RCVBUF, &receive_buffer,
                   sizeof(receive_buffer));
    }
    ws.next_layer().connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    timeval tv{10, 0};
    ::setsockopt(ws.next_layer().native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    ::setsockopt(ws.next_layer().native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    ws.read_message_max(32u << 20);
    ws.handshake("127.0.0.1", target);
  }

  void send(const std::string& message) {
    ws.text(true);
    ws.write(asio::buffer(message));
  }
  /// Throws on a read error, a binary frame or invalid JSON (no Catch macros here: helpers run on
  /// several threads, and Catch2 assertions are not thread-safe).
  simdjson::dom::element receive() {
    beast::flat_buffer buffer;
    ws.read(buffer);
    if (!ws.got_text()) {
      throw std::runtime_error("binary frame on /ws");
    }
    text = beast::buffers_to_string(buffer.data());
    simdjson::dom::element e;
    if (dom.parse(text).get(e) != simdjson::SUCCESS) {
      throw std::runtime_error("invalid JSON frame: " + text);
    }
    return e;
  }
  /// Reads until a frame with this op (skipping presence events and others).
  simdjson::dom::element receive_op(std::string_view op) {
    for (;;) {
      auto e = receive();
      if (std::string_view(e["op"]) == op) {
        return e;
      }
    }
  }
  void login(std::string_view user) {
    send(R"({"op":"auth","id":0,"user":")" + std::string(user) + "\"}");
    if (std::string_view(receive_op("auth")["user"]) != user) {
      throw std::runtime_error("auth answered for another user");
    }
  }
  std::uint64_t subscribe(std::string_view channel, std::optional<std::uint64_t> since = {}) {
    std::string m = R"({"op":"sub","id":1,"channel":")" + std::string(channel) + "\"";
    if (since) {
      m += ",\"since\":" + std::to_string(*since);
    }
    send(m + "}");
    auto e = receive_op("subbed");
    return std::uint64_t(e["seq"]);
  }
};

/// Publishes `count` messages "<tag>-<i>", each waiting for its ack. Returns how many acks
/// echoed the right id (runs on helper threads: no Catch macros).
int publish_many(std::uint16_t port, std::string tag, std::string channel, int count,
                 std::size_t padding = 0) {
  Client p(port);
  p.login(tag);
  const std::string pad(padding, 'p');
  int acked = 0;
  for (int i = 0; i < count; ++i) {
    p.send(R"({"op":"pub","id":)" + std::to_string(i) + R"(,"channel":")" + channel +
           R"(","data":{"m":")" + tag + "-" + std::to_string(i) + R"(","pad":")" + pad + "\"}}");
    acked += std::int64_t(p.receive_op("ack")["id"]) == i;
  }
  return acked;
}

/// Runs publish_many on a thread, keeping its result or its exception's message.
struct Publisher {
  int acked = 0;
  std::string error;
  std::thread thread;
  Publisher(std::uint16_t port, std::string tag, std::string channel, int count,
            std::size_t padding = 0)
      : thread([=, this] {
          try {
            acked = publish_many(port, tag, channel, count, padding);
          } catch (const std::exception& e) {
            error = e.what();
          }
        }) {}
  void join() { thread.join(); }
};

}  // namespace

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

namespace {
std::uint64_t counter_total(Server& server, std::string_view name) {
  std::uint64_t total = 0;
  for (unsigned shard = 0; shard < 2; ++shard) {
    total += server.engine->metrics().counter(name, "", shard).value();
  }
  return total;
}
}  // namespace

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
  CHECK(counter_total(server, "ws_app_rate_limited_expensive_total") == kFlood - 20);
  CHECK(counter_total(server, "ws_app_rate_limited_cheap_total") == kFlood - 49);
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
  CHECK(counter_total(server, "ws_app_auth_timeouts_total") == 1);
}
