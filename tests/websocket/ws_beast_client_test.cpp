// Conformance against an implementation nobody here wrote: Boost.Beast's synchronous
// websocket::stream client (in the test thread) talks to the in-process engine on 127.0.0.1.
// Payload sizes around every length-encoding boundary, text and binary, fragmented sends,
// ping/pong, permessage-deflate, and every close path (client-initiated with code and reason
// echoed, server-initiated on a violation, idle timeout, server shutdown). Both backends.
#include <catch2/catch.hpp>

#include <sys/socket.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <chrono>
#include <thread>

#include "tests/websocket/ws_test_support.hpp"

namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

/// A Beast client connected and upgraded to `path`, with socket-level timeouts so a hung server
/// fails the test instead of hanging it.
struct BeastClient {
  asio::io_context io;
  websocket::stream<tcp::socket> ws{io};

  BeastClient(std::uint16_t port, const char* path, bool deflate = false) {
    ws.next_layer().connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    timeval tv{5, 0};
    ::setsockopt(ws.next_layer().native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    ::setsockopt(ws.next_layer().native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    if (deflate) {
      websocket::permessage_deflate pmd;
      pmd.client_enable = true;
      ws.set_option(pmd);
    }
    ws.read_message_max(32u << 20);
    ws.handshake("127.0.0.1", path);
  }

  std::string echo(const std::string& payload, bool binary) {
    ws.binary(binary);
    ws.write(asio::buffer(payload));
    beast::flat_buffer buffer;
    ws.read(buffer);
    CHECK(ws.got_binary() == binary);
    return beast::buffers_to_string(buffer.data());
  }

  /// Reads until the server's close arrives; returns its code (Beast answers the close).
  int read_until_closed() {
    beast::flat_buffer buffer;
    beast::error_code ec;
    while (!ec) {
      buffer.clear();
      ws.read(buffer, ec);
    }
    CHECK(ec == websocket::error::closed);
    return ws.reason().code;
  }
};

/// Echoes `payload` and compares without dumping megabytes into the report on a mismatch.
void check_echo(BeastClient& client, const std::string& payload, bool binary) {
  const std::string echoed = client.echo(payload, binary);
  std::size_t first_difference = 0;
  while (first_difference < std::min(echoed.size(), payload.size()) &&
         echoed[first_difference] == payload[first_difference]) {
    ++first_difference;
  }
  INFO("sent " << payload.size() << " bytes, got " << echoed.size() << ", first difference at "
               << first_difference);
  CHECK((echoed.size() == payload.size() && first_difference == payload.size()));
}

hexwire::app::BackendKind backend_under_test() {
  return GENERATE(hexwire::app::BackendKind::kIoUring, hexwire::app::BackendKind::kEpoll);
}

std::string pattern(std::size_t size, bool text) {
  std::string out(size, '\0');
  for (std::size_t i = 0; i < size; ++i) {
    out[i] = text ? static_cast<char>('a' + i % 26) : static_cast<char>(i * 31 + 7);
  }
  return out;
}

}  // namespace

TEST_CASE("beast: echo of 0..1 MiB text and binary payloads on both backends", "[ws][beast]") {
  const auto backend = backend_under_test();
  CAPTURE(hexwire::core::to_string(backend));
  auto engine = hexwire::test::start_engine(hexwire::test::test_engine_config(backend));
  BeastClient client(engine->port(), "/echo");
  for (std::size_t size : {0u, 1u, 125u, 126u, 127u, 65535u, 65536u, 1u << 20}) {
    for (bool binary : {false, true}) {
      CAPTURE(size, binary);
      const std::string payload = pattern(size, !binary);
      check_echo(client, payload, binary);
    }
  }
  client.ws.close(websocket::close_code::normal);
}

TEST_CASE("beast: fragmented sends arrive as one message", "[ws][beast]") {
  const auto backend = backend_under_test();
  auto engine = hexwire::test::start_engine(hexwire::test::test_engine_config(backend));
  BeastClient client(engine->port(), "/echo");
  // Explicit fragments through write_some.
  client.ws.text(true);
  client.ws.write_some(false, asio::buffer(std::string("Hello, ")));
  client.ws.write_some(false, asio::buffer(std::string("")));
  client.ws.write_some(true, asio::buffer(std::string("world")));
  beast::flat_buffer buffer;
  client.ws.read(buffer);
  CHECK(beast::buffers_to_string(buffer.data()) == "Hello, world");
  // Beast's automatic fragmentation of a large message.
  client.ws.auto_fragment(true);
  client.ws.write_buffer_bytes(4096);
  const std::string big = pattern(300'000, false);
  check_echo(client, big, true);
}

TEST_CASE("beast: ping gets the server's pong with the same payload", "[ws][beast]") {
  auto engine = hexwire::test::start_engine(hexwire::test::test_engine_config());
  BeastClient client(engine->port(), "/echo");
  std::string pong_payload;
  int pongs = 0;
  client.ws.control_callback([&](websocket::frame_type kind, beast::string_view payload) {
    if (kind == websocket::frame_type::pong) {
      ++pongs;
      pong_payload = std::string(payload);
    }
  });
  client.ws.ping("are you there");
  CHECK(client.echo("after ping", false) == "after ping");  // the pong is read before the echo
  CHECK(pongs == 1);
  CHECK(pong_payload == "are you there");
}

TEST_CASE("beast: permessage-deflate round trip when enabled", "[ws][beast][deflate]") {
  auto config = hexwire::test::test_engine_config();
  config.ws_deflate = true;
  auto engine = hexwire::test::start_engine(config);
  BeastClient client(engine->port(), "/echo", true);
  std::string json;
  for (int i = 0; i < 200; ++i) {
    json += R"({"op":"msg","channel":"general","seq":)" + std::to_string(i) + R"(,"data":"hi"})";
  }
  for (int round = 0; round < 3; ++round) {  // context takeover across messages
    check_echo(client, json, false);
    CHECK(client.echo("tiny", false) == "tiny");  // below the compression threshold
  }
  const std::string binary = pattern(100'000, false);
  check_echo(client, binary, true);
}

TEST_CASE("beast: client-initiated close gets its code and reason echoed", "[ws][beast][close]") {
  const auto backend = backend_under_test();
  auto engine = hexwire::test::start_engine(hexwire::test::test_engine_config(backend));
  BeastClient client(engine->port(), "/echo");
  CHECK(client.echo("x", false) == "x");
  client.ws.close(websocket::close_reason(static_cast<websocket::close_code>(4000), "bye now"));
  CHECK(client.ws.reason().code == 4000);
  CHECK(client.ws.reason().reason == "bye now");
}

TEST_CASE("beast: server closes 1009 when a message exceeds the limit", "[ws][beast][close]") {
  auto config = hexwire::test::test_engine_config();
  config.echo_max_message_bytes = 4096;
  auto engine = hexwire::test::start_engine(config);
  BeastClient client(engine->port(), "/echo");
  CHECK(client.echo(std::string(4096, 'k'), true).size() == 4096);
  client.ws.binary(true);
  client.ws.write(asio::buffer(std::string(5000, 'k')));
  CHECK(client.read_until_closed() == 1009);
}

TEST_CASE("beast: server closes 1007 on invalid UTF-8 text", "[ws][beast][close]") {
  auto engine = hexwire::test::start_engine(hexwire::test::test_engine_config());
  BeastClient client(engine->port(), "/echo");
  client.ws.text(true);
  client.ws.write(asio::buffer(std::string("bad \xff byte")));
  CHECK(client.read_until_closed() == 1007);
}

TEST_CASE("beast: an idle client is pinged then closed 1001 after the idle timeout",
          "[ws][beast][close]") {
  auto config = hexwire::test::test_engine_config();
  config.ws_ping_interval_ms = 100;
  config.ws_idle_timeout_ms = 400;
  auto engine = hexwire::test::start_engine(config);
  BeastClient client(engine->port(), "/echo");
  int pings = 0;
  client.ws.control_callback([&](websocket::frame_type kind, beast::string_view) {
    if (kind == websocket::frame_type::ping) {
      ++pings;
    }
  });
  // Not reading means not answering pings: the server must give up on us.
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  CHECK(client.read_until_closed() == 1001);
  CHECK(pings >= 1);
}

TEST_CASE("beast: server shutdown sends close 1001 to connected clients", "[ws][beast][close]") {
  const auto backend = backend_under_test();
  auto engine = hexwire::test::start_engine(hexwire::test::test_engine_config(backend));
  BeastClient client(engine->port(), "/echo");
  CHECK(client.echo("before", false) == "before");
  engine->request_stop();
  CHECK(client.read_until_closed() == 1001);
  engine->join();
}
