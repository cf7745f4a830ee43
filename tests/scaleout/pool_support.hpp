// Test support for the scale-out tests that drive app::Node engines: a node of a pool on a test's
// redis-server (start_node, pool_node.hpp), and a blocking /ws client (Boost Beast) that
// authenticates anonymously and reads frames by op: the wait for one op is bounded by 10 s in all,
// however many frames of other ops arrive meanwhile.
#pragma once

#include <sys/socket.h>

#include <simdjson.h>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include "pool_node.hpp"

namespace hexwire::scaleout::testing {

namespace websocket = boost::beast::websocket;
namespace asio = boost::asio;

/// A /ws client; a wait for a frame (or a write, or the close) lasts at most 10 s (a hung server,
/// or one that keeps sending other frames, fails the test instead of hanging it).
class WsClient {
 public:
  /// Authenticates anonymously as `user`, with `role` ("rider", "driver") when not empty.
  WsClient(std::uint16_t port, const std::string& user, const std::string& role = {}) {
    ws_.next_layer().connect({asio::ip::make_address("127.0.0.1"), port});
    timeval tv{10, 0};
    ::setsockopt(ws_.next_layer().native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    ::setsockopt(ws_.next_layer().native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    ws_.handshake("127.0.0.1", "/ws");
    const std::string role_field = role.empty() ? "" : R"(,"role":")" + role + "\"";
    send(R"({"op":"auth","id":0,"user":")" + user + "\"" + role_field + "}");
    next("auth");
  }
  /// Closes the connection (normal closure) and waits for the server's close.
  void close() {
    ws_.close(websocket::close_code::normal);
  }
  void send(const std::string& text) {
    ws_.text(true);
    ws_.write(asio::buffer(text));
  }
  /// The next frame whose op is `op` (others are skipped) or an error; its text. Throws when none
  /// came within 10 s, naming the last frame skipped.
  std::string next(std::string_view op) {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    std::string skipped;
    for (;;) {
      if (std::chrono::steady_clock::now() > give_up) {
        throw std::runtime_error("no '" + std::string(op) + "' frame within 10 s; last frame: " +
                                 skipped);
      }
      boost::beast::flat_buffer buffer;
      ws_.read(buffer);
      std::string text = boost::beast::buffers_to_string(buffer.data());
      simdjson::dom::element e;
      if (parser_.parse(text).get(e) != simdjson::SUCCESS) {
        throw std::runtime_error("invalid JSON: " + text);
      }
      if (std::string_view(e["op"]) == op || std::string_view(e["op"]) == "error") {
        return text;
      }
      skipped = std::move(text);
    }
  }
  simdjson::dom::element parse(const std::string& text) { return parser_.parse(text); }
  std::uint64_t subscribe(const std::string& channel, std::string extra = {}) {
    send(R"({"op":"sub","id":1,"channel":")" + channel + "\"" + extra + "}");
    const std::string reply = next("subbed");
    return std::uint64_t(parse(reply)["seq"]);
  }
  /// Publishes and returns the reply to it: the ack or the error.
  std::string publish(const std::string& channel, const std::string& text, int id = 7) {
    send(R"({"op":"pub","id":)" + std::to_string(id) + R"(,"channel":")" + channel +
         R"(","data":{"t":")" + text + "\"}}");
    return next("ack");
  }

 private:
  asio::io_context io_;
  websocket::stream<asio::ip::tcp::socket> ws_{io_};
  simdjson::dom::parser parser_;
};

}  // namespace hexwire::scaleout::testing
