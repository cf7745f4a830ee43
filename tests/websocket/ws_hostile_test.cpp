// Hostile WebSocket peers over raw sockets (on /echo, so no application logic is involved): a
// peer that floods pings and never reads is closed 1008 once its pongs pass the outbound limits,
// and neither a peer's own pings nor unsolicited pongs keep an otherwise idle connection open.
#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <thread>

#include "tests/websocket/ws_test_support.hpp"

using hexwire::test::RawClient;

namespace {

constexpr std::uint8_t kText = 0x1;
constexpr std::uint8_t kPing = 0x9;
constexpr std::uint8_t kPong = 0xA;

hexwire::app::EngineConfig small_limits(hexwire::app::BackendKind backend) {
  auto config = hexwire::test::test_engine_config(backend);
  config.ws_outbound_soft_limit = 16 * 1024;
  config.ws_outbound_hard_limit = 64 * 1024;
  config.ws_outbound_reply_reserve = 16 * 1024;
  return config;
}

}  // namespace

TEST_CASE("ws hostile: a peer that floods pings and never reads is closed 1008", "[ws][hostile]") {
  const auto backend =
      GENERATE(hexwire::app::BackendKind::kIoUring, hexwire::app::BackendKind::kEpoll);
  auto engine = hexwire::test::start_engine(small_limits(backend));
  RawClient client(engine->port(), 5000, 4096);
  REQUIRE(client.upgrade("/echo") == 101);
  std::string batch;
  for (int i = 0; i < 100; ++i) {
    batch += RawClient::frame(kPing, std::string(125, 'p'));
  }
  // Every pong is 127 bytes; the kernel buffers on both sides take a few MB before the server's
  // own queue grows. 400 batches (5 MB of pongs) is far more than that, and bounds the test.
  int batches = 0;
  while (batches < 400 && engine->metrics().counter_total("ws_outbound_overflows_total") == 0) {
    if (!client.try_send_all(batch, 2000)) {
      break;
    }
    ++batches;
  }
  // The loop may end on a send that timed out while the engine was still working through the
  // pings already buffered (slow under ASan): its overflow then comes a little later. Wait for it.
  for (int i = 0; i < 100 && engine->metrics().counter_total("ws_outbound_overflows_total") == 0;
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  CHECK(engine->metrics().counter_total("ws_outbound_overflows_total") == 1);
  // Reading now: pongs (never a dropped one in between, they are replies), then the close frame.
  std::string reason;
  CHECK(client.read_close_code(&reason) == 1008);
  CHECK(reason == "outbound buffer full");
  CHECK(client.wait_closed());
  for (int i = 0; i < 100 && engine->metrics().counter_total("ws_closes_1008_total") == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // the server's close completes
  }
  CHECK(engine->metrics().counter_total("ws_closes_1008_total") == 1);
}

TEST_CASE("ws hostile: a peer's own pings do not keep an idle connection open", "[ws][hostile]") {
  auto config = hexwire::test::test_engine_config();
  config.ws_ping_interval_ms = 0;  // the server never pings: only the peer's frames count
  config.ws_idle_timeout_ms = 300;
  auto engine = hexwire::test::start_engine(config);
  RawClient client(engine->port(), 3000);
  REQUIRE(client.upgrade("/echo") == 101);
  const auto start = std::chrono::steady_clock::now();
  std::string reason;
  int close_code = -1;
  int pongs = 0;
  // A ping every 50 ms, each answered; after 300 ms without data the server closes anyway.
  while (std::chrono::steady_clock::now() - start < std::chrono::seconds(5)) {
    client.send_all(RawClient::frame(kPing, "still here?"));
    const auto frame = client.read_frame();
    REQUIRE(frame);
    if (frame->opcode == 0x8) {
      close_code = (static_cast<std::uint8_t>(frame->payload[0]) << 8) |
                   static_cast<std::uint8_t>(frame->payload[1]);
      reason = frame->payload.substr(2);
      break;
    }
    CHECK(frame->opcode == kPong);
    ++pongs;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  CHECK(close_code == 1001);
  CHECK(reason == "idle timeout");
  CHECK(pongs >= 3);
  CHECK(engine->metrics().counter_total("ws_idle_timeouts_total") == 1);
}

TEST_CASE("ws hostile: unsolicited pongs do not keep an idle connection open, data does",
          "[ws][hostile]") {
  auto config = hexwire::test::test_engine_config();
  config.ws_ping_interval_ms = 0;
  config.ws_idle_timeout_ms = 300;
  auto engine = hexwire::test::start_engine(config);
  {
    RawClient client(engine->port(), 3000);
    REQUIRE(client.upgrade("/echo") == 101);
    for (int i = 0; i < 20; ++i) {  // 1 s of unsolicited pongs, unless closed before
      if (!client.try_send_all(RawClient::frame(kPong, "hb"), 500)) {
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    CHECK(client.read_close_code() == 1001);
  }
  // A peer that sends data at the same pace stays open.
  RawClient client(engine->port(), 3000);
  REQUIRE(client.upgrade("/echo") == 101);
  for (int i = 0; i < 20; ++i) {
    client.send_all(RawClient::frame(kText, "data " + std::to_string(i)));
    const auto echoed = client.read_frame();
    REQUIRE(echoed);
    REQUIRE(echoed->opcode == kText);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  CHECK(engine->metrics().counter_total("ws_idle_timeouts_total") == 1);
}
