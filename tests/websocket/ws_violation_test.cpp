// Raw-socket conformance cases against the in-process engine: each protocol violation must be
// answered with the right close code (then the TCP close), and bad handshakes with the right HTTP
// status. The case list follows Autobahn|Testsuite groups 1-7 and 9 (framing, pings/pongs,
// reserved bits, opcodes, fragmentation, UTF-8, close handling, limits).
#include <catch2/catch.hpp>

#include "tests/websocket/ws_test_support.hpp"

using hexwire::test::close_payload;
using hexwire::test::RawClient;

namespace {

constexpr std::uint8_t kCont = 0x0;
constexpr std::uint8_t kText = 0x1;
constexpr std::uint8_t kBinary = 0x2;
constexpr std::uint8_t kClose = 0x8;
constexpr std::uint8_t kPing = 0x9;
constexpr std::uint8_t kPong = 0xA;

/// Every case runs on both backends (a Catch2 generator: the test body runs once per value).
hexwire::app::BackendKind backend_under_test() {
  return GENERATE(hexwire::app::BackendKind::kIoUring, hexwire::app::BackendKind::kEpoll);
}

struct Server {
  std::unique_ptr<hexwire::app::Node> engine;
  explicit Server(hexwire::app::BackendKind backend, std::uint32_t echo_limit = 1u << 20) {
    auto config = hexwire::test::test_engine_config(backend);
    config.echo_max_message_bytes = echo_limit;
    engine = hexwire::test::start_engine(config);
  }
  [[nodiscard]] std::uint16_t port() const { return engine->port(); }
};

/// Opens /echo, sends `bytes`, expects a close frame with `code` and then the TCP close.
void expect_close_after(const Server& server, const std::string& bytes, int code) {
  RawClient client(server.port());
  REQUIRE(client.upgrade("/echo") == 101);
  client.send_all(bytes);
  CHECK(client.read_close_code() == code);
  CHECK(client.wait_closed());
}

std::string bad_utf8() {
  return std::string("abc\xC3\x28xyz", 8);
}

}  // namespace

TEST_CASE("ws violation: unmasked client frame closes 1002 (Autobahn 1.x)", "[ws][violation]") {
  Server server(backend_under_test());
  expect_close_after(server, RawClient::frame(kText, "hi", true, false), 1002);
}

TEST_CASE("ws violation: RSV bits set close 1002 (Autobahn 3.x)", "[ws][violation]") {
  Server server(backend_under_test());
  for (std::uint8_t rsv : {1, 2, 4, 7}) {
    CAPTURE(rsv);
    expect_close_after(server, RawClient::frame(kText, "hi", true, true, rsv), 1002);
  }
  // A ping with RSV bits set.
  expect_close_after(server, RawClient::frame(kPing, "", true, true, 2), 1002);
}

TEST_CASE("ws violation: reserved opcodes close 1002 (Autobahn 4.x)", "[ws][violation]") {
  Server server(backend_under_test());
  for (std::uint8_t opcode : {0x3, 0x4, 0x5, 0x6, 0x7, 0xB, 0xC, 0xD, 0xE, 0xF}) {
    CAPTURE(opcode);
    expect_close_after(server, RawClient::frame(opcode, "x"), 1002);
  }
}

TEST_CASE("ws violation: fragmented control frame closes 1002 (Autobahn 5.1/5.2)",
          "[ws][violation]") {
  Server server(backend_under_test());
  expect_close_after(server, RawClient::frame(kPing, "a", false), 1002);
  expect_close_after(server, RawClient::frame(kPong, "a", false), 1002);
}

TEST_CASE("ws violation: control frame above 125 bytes closes 1002 (Autobahn 2.5)",
          "[ws][violation]") {
  Server server(backend_under_test());
  expect_close_after(server, RawClient::frame(kPing, std::string(126, 'p')), 1002);
}

TEST_CASE("ws violation: continuation without a start closes 1002 (Autobahn 5.9-5.14)",
          "[ws][violation]") {
  Server server(backend_under_test());
  expect_close_after(server, RawClient::frame(kCont, "orphan", true), 1002);
  expect_close_after(server, RawClient::frame(kCont, "orphan", false), 1002);
}

TEST_CASE("ws violation: new data frame inside a fragmented message closes 1002 (Autobahn 5.18)",
          "[ws][violation]") {
  Server server(backend_under_test());
  expect_close_after(
      server, RawClient::frame(kText, "first", false) + RawClient::frame(kText, "second"), 1002);
  expect_close_after(
      server, RawClient::frame(kBinary, "first", false) + RawClient::frame(kBinary, "x"), 1002);
}

TEST_CASE("ws violation: invalid UTF-8 text closes 1007 (Autobahn 6.x)", "[ws][violation]") {
  Server server(backend_under_test());
  expect_close_after(server, RawClient::frame(kText, bad_utf8()), 1007);
  // Surrogate half (U+D800) encoded in UTF-8 is not valid UTF-8.
  expect_close_after(server, RawClient::frame(kText, "\xED\xA0\x80"), 1007);
  // Split across fragments: the bad byte is in the second fragment.
  expect_close_after(
      server, RawClient::frame(kText, "ok \xC3", false) + RawClient::frame(kCont, "\x28"), 1007);
  // Truncated sequence at the end of the message.
  expect_close_after(
      server, RawClient::frame(kText, "abc", false) + RawClient::frame(kCont, "\xE2\x82"), 1007);
}

TEST_CASE("ws violation: valid UTF-8 split inside a code point is accepted (Autobahn 6.2)",
          "[ws][violation]") {
  Server server(backend_under_test());
  RawClient client(server.port());
  REQUIRE(client.upgrade("/echo") == 101);
  // U+20AC (E2 82 AC) cut after its first and second byte.
  client.send_all(RawClient::frame(kText, "\xE2", false) + RawClient::frame(kCont, "\x82", false) +
                  RawClient::frame(kCont, "\xAC"));
  const auto echoed = client.read_frame();
  REQUIRE(echoed);
  CHECK(echoed->opcode == kText);
  CHECK(echoed->payload == "\xE2\x82\xAC");
}

TEST_CASE("ws violation: message above the limit closes 1009 (Autobahn 9.x limits)",
          "[ws][violation]") {
  Server server(backend_under_test(), 1000);
  // One frame above the limit.
  expect_close_after(server, RawClient::frame(kBinary, std::string(1001, 'b')), 1009);
  // Fragments that each fit but add up to more than the limit.
  expect_close_after(server,
                     RawClient::frame(kText, std::string(600, 'a'), false) +
                         RawClient::frame(kCont, std::string(600, 'a')),
                     1009);
  // Exactly the limit is fine.
  RawClient client(server.port());
  REQUIRE(client.upgrade("/echo") == 101);
  client.send_all(RawClient::frame(kBinary, std::string(1000, 'c')));
  const auto echoed = client.read_frame();
  REQUIRE(echoed);
  CHECK(echoed->payload.size() == 1000);
}

TEST_CASE("ws violation: invalid close payloads close 1002 (Autobahn 7.3 / 7.5 / 7.9)",
          "[ws][violation]") {
  Server server(backend_under_test());
  expect_close_after(server, RawClient::frame(kClose, "\x03"), 1002);  // 1-byte payload
  for (std::uint16_t code : {0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535}) {
    CAPTURE(code);
    expect_close_after(server, RawClient::frame(kClose, close_payload(code)), 1002);
  }
}

TEST_CASE("ws violation: a close reason that is not UTF-8 closes 1007 (RFC 6455 8.1, Autobahn 7.5.1)",
          "[ws][violation]") {
  Server server(backend_under_test());
  expect_close_after(server, RawClient::frame(kClose, close_payload(1000, bad_utf8())), 1007);
  // Truncated multi-byte sequence at the end of the reason.
  expect_close_after(server, RawClient::frame(kClose, close_payload(1001, "bye \xE2\x82")), 1007);
}

TEST_CASE(
    "ws close: valid codes are echoed and an empty close gets an empty reply (Autobahn 7.1 / 7.7)",
    "[ws][close]") {
  Server server(backend_under_test());
  for (std::uint16_t code : {1000, 1001, 1003, 1007, 1011, 3000, 4999}) {
    CAPTURE(code);
    RawClient client(server.port());
    REQUIRE(client.upgrade("/echo") == 101);
    client.send_all(RawClient::frame(kClose, close_payload(code, "bye")));
    std::string reason;
    CHECK(client.read_close_code(&reason) == code);
    CHECK(reason == "bye");
    CHECK(client.wait_closed());
  }
  RawClient client(server.port());
  REQUIRE(client.upgrade("/echo") == 101);
  client.send_all(RawClient::frame(kClose, ""));
  const auto reply = client.read_frame();
  REQUIRE(reply);
  CHECK(reply->opcode == kClose);
  CHECK(reply->payload.empty());
  CHECK(client.wait_closed());
}

TEST_CASE("ws close: data after the client's close frame is ignored (Autobahn 7.1.3-7.1.5)",
          "[ws][close]") {
  Server server(backend_under_test());
  RawClient client(server.port());
  REQUIRE(client.upgrade("/echo") == 101);
  client.send_all(RawClient::frame(kClose, close_payload(1000)) + RawClient::frame(kText, "late") +
                  RawClient::frame(kPing, "late"));
  const auto reply = client.read_frame();
  REQUIRE(reply);
  CHECK(reply->opcode == kClose);
  CHECK_FALSE(client.read_frame());  // nothing else: no echo, no pong, then EOF
}

TEST_CASE(
    "ws control: ping gets a pong with the same payload also between fragments "
    "(Autobahn 2.x / 5.6)",
    "[ws][control]") {
  Server server(backend_under_test());
  RawClient client(server.port());
  REQUIRE(client.upgrade("/echo") == 101);
  client.send_all(RawClient::frame(kPing, "hello"));
  auto pong = client.read_frame();
  REQUIRE(pong);
  CHECK(pong->opcode == kPong);
  CHECK(pong->payload == "hello");
  client.send_all(RawClient::frame(kPing, std::string(125, 'z')));
  pong = client.read_frame();
  REQUIRE(pong);
  CHECK(pong->payload == std::string(125, 'z'));
  // An unsolicited pong is ignored; a ping in the middle of a fragmented message is answered
  // at once and the message still arrives whole.
  client.send_all(RawClient::frame(kPong, "unsolicited") + RawClient::frame(kText, "frag", false) +
                  RawClient::frame(kPing, "mid") + RawClient::frame(kCont, "mented"));
  pong = client.read_frame();
  REQUIRE(pong);
  CHECK(pong->opcode == kPong);
  CHECK(pong->payload == "mid");
  const auto message = client.read_frame();
  REQUIRE(message);
  CHECK(message->opcode == kText);
  CHECK(message->payload == "fragmented");
}

TEST_CASE(
    "ws framing: first frame bytes arriving with the handshake are decoded "
    "(handshake tail handed to the session)",
    "[ws][framing]") {
  Server server(backend_under_test());
  RawClient client(server.port());
  client.send_all(
      "GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n" +
      RawClient::frame(kText, "early") + RawClient::frame(kBinary, std::string(300, 'q')));
  const auto answer = client.read_http();
  REQUIRE(answer);
  CHECK(answer->status == 101);
  CHECK(answer->head.find("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") != std::string::npos);
  const auto first = client.read_frame();
  REQUIRE(first);
  CHECK(first->payload == "early");
  const auto second = client.read_frame();
  REQUIRE(second);
  CHECK(second->opcode == kBinary);
  CHECK(second->payload == std::string(300, 'q'));
}

TEST_CASE("ws handshake: bad upgrades get 400/404/426/403 and the connection closes",
          "[ws][handshake]") {
  auto config = hexwire::test::test_engine_config();
  config.ws_allowed_origins = {"https://good.example"};
  auto engine = hexwire::test::start_engine(config);
  const std::uint16_t port = engine->port();
  const std::string key = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
  struct Case {
    const char* name;
    std::string request;
    int status;
  };
  const std::vector<Case> cases = {
      {"missing key",
       "GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
       "Sec-WebSocket-Version: 13\r\n\r\n",
       400},
      {"bad key",
       "GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
       "Sec-WebSocket-Key: short\r\nSec-WebSocket-Version: 13\r\n\r\n",
       400},
      {"version 8",
       "GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" + key +
           "Sec-WebSocket-Version: 8\r\n\r\n",
       426},
      {"no upgrade headers", "GET /echo HTTP/1.1\r\nHost: x\r\n\r\n", 400},
      {"POST",
       "POST /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" + key +
           "Sec-WebSocket-Version: 13\r\nContent-Length: 0\r\n\r\n",
       400},
      {"unknown path",
       "GET /nowhere HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" + key +
           "Sec-WebSocket-Version: 13\r\n\r\n",
       404},
      {"forbidden origin",
       "GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" + key +
           "Sec-WebSocket-Version: 13\r\nOrigin: https://evil.example\r\n\r\n",
       403},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    RawClient client(port);
    client.send_all(c.request);
    const auto answer = client.read_http();
    REQUIRE(answer);
    CHECK(answer->status == c.status);
    if (c.status == 426) {
      CHECK(answer->head.find("Sec-WebSocket-Version: 13") != std::string::npos);
    }
    CHECK(client.wait_closed());
  }
  RawClient allowed(port);
  CHECK(allowed.upgrade("/echo", "Origin: https://good.example\r\n") == 101);
}
