// Session policies over raw sockets: keep-alive pings answered by pongs keep a silent client open
// past the idle timeout; a reader too slow for its outbound queue is closed with 1008 (policy
// close) or has data messages dropped and counted while control frames still flow (policy drop).
#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <thread>

#include "tests/websocket/ws_test_support.hpp"

using hexwire::test::RawClient;

namespace {

constexpr std::uint8_t kBinary = 0x2;
constexpr std::uint8_t kPing = 0x9;
constexpr std::uint8_t kPong = 0xA;

/// Floods /echo with 16 KiB messages while reading nothing, until the server stops taking bytes
/// or 2,000 messages (32 MiB) went out. Returns the number sent.
int flood(RawClient& client) {
  const std::string message = RawClient::frame(kBinary, std::string(16 * 1024, 'f'));
  int sent = 0;
  while (sent < 2000 && client.try_send_all(message, 300)) {
    ++sent;
  }
  return sent;
}

hexwire::app::EngineConfig slow_reader_config(const char* policy) {
  auto config = hexwire::test::test_engine_config();
  config.ws_outbound_soft_limit = 16 * 1024;
  config.ws_outbound_hard_limit = 64 * 1024;
  config.ws_slow_policy = policy;
  return config;
}

}  // namespace

TEST_CASE("ws timeouts: a silent client that answers pings stays open past the idle timeout",
          "[ws][timeout]") {
  auto config = hexwire::test::test_engine_config();
  config.ws_ping_interval_ms = 100;
  config.ws_idle_timeout_ms = 400;
  auto engine = hexwire::test::start_engine(config);
  RawClient client(engine->port(), 2000);
  REQUIRE(client.upgrade("/echo") == 101);
  int pings = 0;
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(1200);
  while (std::chrono::steady_clock::now() < until) {
    const auto frame = client.read_frame();
    REQUIRE(frame);
    REQUIRE(frame->opcode == kPing);  // never a close
    ++pings;
    client.send_all(RawClient::frame(kPong, frame->payload));
  }
  CHECK(pings >= 5);
  client.send_all(RawClient::frame(0x1, "still here"));
  auto echoed = client.read_frame();
  while (echoed && echoed->opcode == kPing) {
    echoed = client.read_frame();
  }
  REQUIRE(echoed);
  CHECK(echoed->payload == "still here");
}

TEST_CASE("ws timeouts: the server closes TCP when the peer never answers its close frame",
          "[ws][timeout]") {
  auto config = hexwire::test::test_engine_config();
  config.ws_ping_interval_ms = 0;
  config.ws_idle_timeout_ms = 200;
  config.ws_close_timeout_ms = 300;
  auto engine = hexwire::test::start_engine(config);
  RawClient client(engine->port(), 5000);
  REQUIRE(client.upgrade("/echo") == 101);
  CHECK(client.read_close_code() == 1001);  // idle timeout
  // No close reply from us: the server gives up after its close timeout (300 ms) and closes TCP;
  // without that timeout it would wait forever and this client's 5 s receive timeout would fire.
  CHECK(client.wait_closed());
}

TEST_CASE("ws backpressure: a slow reader is closed with 1008 under the close policy",
          "[ws][backpressure]") {
  auto engine = hexwire::test::start_engine(slow_reader_config("close"));
  RawClient client(engine->port(), 5000, 4096);
  REQUIRE(client.upgrade("/echo") == 101);
  const int sent = flood(client);
  CAPTURE(sent);
  int echoed = 0;
  int close_code = -1;
  while (auto frame = client.read_frame()) {
    if (frame->opcode == 0x8) {
      close_code = (static_cast<std::uint8_t>(frame->payload[0]) << 8) |
                   static_cast<std::uint8_t>(frame->payload[1]);
      break;
    }
    ++echoed;
  }
  CHECK(close_code == 1008);
  CHECK(echoed < sent);
  CHECK(client.wait_closed());
  CHECK(engine->metrics().counter_total("ws_slow_events_total") >= 1);
  // The session ends once the server's side of the TCP close completes (bounded wait).
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  while (engine->metrics().counter_total("ws_closes_1008_total") == 0 &&
         std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(engine->metrics().counter_total("ws_closes_1008_total") == 1);
}

TEST_CASE("ws backpressure: the drop policy drops and counts data but keeps control frames",
          "[ws][backpressure]") {
  auto engine = hexwire::test::start_engine(slow_reader_config("drop"));
  RawClient client(engine->port(), 5000, 4096);
  REQUIRE(client.upgrade("/echo") == 101);
  const int sent = flood(client);
  CAPTURE(sent);
  client.try_send_all(RawClient::frame(kPing, "still alive?"), 5000);
  int echoed = 0;
  bool got_pong = false;
  while (auto frame = client.read_frame()) {
    REQUIRE(frame->opcode != 0x8);  // never closed under the drop policy
    if (frame->opcode == kPong) {
      CHECK(frame->payload == "still alive?");
      got_pong = true;
      break;
    }
    ++echoed;
  }
  CHECK(got_pong);
  const std::uint64_t dropped = engine->metrics().counter_total("ws_messages_dropped_total");
  CHECK(dropped > 0);
  CHECK(echoed + static_cast<int>(dropped) == sent);
  CHECK(engine->metrics().counter_total("ws_slow_events_total") >= 1);
}
