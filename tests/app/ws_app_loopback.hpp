// Loopback helpers for the /ws tests: an in-process engine with the /ws application on 127.0.0.1
// (2 shards, free port; skipped when it cannot start), a Boost.Beast synchronous client (an
// implementation nobody here wrote) with socket timeouts so a hung server fails a test instead of
// hanging it, and publishers on helper threads. Helpers throw instead of using Catch macros: they
// may run on several threads.
#pragma once

#include <sys/socket.h>

#include <simdjson.h>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>

#include "app/node.hpp"
#include "app/ws_app.hpp"
#include "tests/app/test_engine_config.hpp"

namespace hexwire::app::testing {

namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

inline constexpr std::string_view kSecret = "integration-secret";

struct Server {
  std::unique_ptr<Node> engine;
  std::uint16_t port = 0;

  explicit Server(WsAppConfig ws = default_ws_config(),
                  EngineConfig config = loopback_engine_config()) {
    config.ws_app = std::move(ws);
    engine = std::make_unique<Node>(std::move(config));
    port = start_or_skip(*engine);
  }
  ~Server() {
    engine->request_stop();
    engine->join();
  }

  static WsAppConfig default_ws_config() {
    WsAppConfig ws;
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
inline int publish_many(std::uint16_t port, std::string tag, std::string channel, int count,
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

}  // namespace hexwire::app::testing
