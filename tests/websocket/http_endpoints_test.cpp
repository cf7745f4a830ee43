// The engine's HTTP side over real loopback sockets: built-in endpoints (/healthz, /metrics,
// /api/stats), 404/405, parse errors (400, 431) followed by a close, keep-alive with pipelined
// requests answered in order, the idle timeout of a keep-alive connection, the request-head
// deadline (slowloris), the connection limit (503) and /echo only with --echo.
#include <catch2/catch.hpp>

#include <poll.h>
#include <sys/resource.h>

#include <simdjson.h>

#include <chrono>
#include <thread>

#include "tests/websocket/ws_test_support.hpp"

using hexwire::test::RawClient;

namespace {

std::unique_ptr<hexwire::app::Node> start(
    hexwire::app::EngineConfig config = hexwire::test::test_engine_config()) {
  return hexwire::test::start_engine(config);
}

}  // namespace

TEST_CASE("http: /healthz answers 200 ok and keeps the connection", "[http]") {
  auto engine = start();
  RawClient client(engine->port());
  for (int i = 0; i < 3; ++i) {
    client.send_all("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    const auto answer = client.read_http();
    REQUIRE(answer);
    CHECK(answer->status == 200);
    CHECK(answer->body == "ok");
    CHECK(answer->head.find("Connection: keep-alive") != std::string::npos);
  }
}

TEST_CASE("http: /metrics is Prometheus text with hexwire_ names incl. WebSocket metrics",
          "[http]") {
  auto engine = start();
  {
    RawClient ws(engine->port());
    REQUIRE(ws.upgrade("/echo") == 101);
    ws.send_all(RawClient::frame(0x1, "count me"));
    REQUIRE(ws.read_frame());
  }
  RawClient client(engine->port());
  client.send_all("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  const auto answer = client.read_http();
  REQUIRE(answer);
  CHECK(answer->status == 200);
  CHECK(answer->head.find("text/plain; version=0.0.4") != std::string::npos);
  for (const char* name :
       {"# TYPE hexwire_connections_open gauge", "hexwire_ws_sessions_open",
        "hexwire_ws_messages_received_total 1", "hexwire_ws_messages_sent_total 1",
        "hexwire_ws_slow_connections", "hexwire_ws_messages_dropped_total",
        "hexwire_ws_closes_1000_total", "hexwire_http_requests_total"}) {
    CAPTURE(name);
    CHECK(answer->body.find(name) != std::string::npos);
  }
}

TEST_CASE("http: /api/stats is a JSON object with shards and backend and metrics", "[http]") {
  auto engine = start();
  RawClient client(engine->port());
  client.send_all("GET /api/stats HTTP/1.1\r\nHost: x\r\n\r\n");
  const auto answer = client.read_http();
  REQUIRE(answer);
  CHECK(answer->status == 200);
  CHECK(answer->head.find("application/json") != std::string::npos);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  REQUIRE(parser.parse(answer->body).get(doc) == simdjson::SUCCESS);
  int64_t shards = 0;
  REQUIRE(doc["shards"].get(shards) == simdjson::SUCCESS);
  CHECK(shards == 1);
  std::string_view backend;
  REQUIRE(doc["backend"].get(backend) == simdjson::SUCCESS);
  CHECK(backend == "io_uring");
  uint64_t requests = 0;
  REQUIRE(doc["metrics"]["counters"]["http_requests_total"].get(requests) == simdjson::SUCCESS);
  CHECK(requests >= 1);
}

TEST_CASE("http: unknown path 404 and wrong method 405 with Allow", "[http]") {
  auto engine = start();
  RawClient client(engine->port());
  client.send_all("GET /missing HTTP/1.1\r\nHost: x\r\n\r\n");
  auto answer = client.read_http();
  REQUIRE(answer);
  CHECK(answer->status == 404);
  client.send_all("POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi");
  answer = client.read_http();
  REQUIRE(answer);
  CHECK(answer->status == 405);
  CHECK(answer->head.find("Allow: GET") != std::string::npos);
}

TEST_CASE("http: oversized header gets 431 and the connection closes", "[http]") {
  auto engine = start();
  RawClient client(engine->port());
  client.send_all("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(16 * 1024, 'a') +
                  "\r\n\r\n");
  const auto answer = client.read_http();
  REQUIRE(answer);
  CHECK(answer->status == 431);
  CHECK(answer->head.find("Connection: close") != std::string::npos);
  CHECK(client.wait_closed());
}

TEST_CASE("http: body above the limit gets 413 and the connection closes", "[http]") {
  auto config = hexwire::test::test_engine_config();
  config.http_max_body_bytes = 1024;
  auto engine = start(config);
  RawClient client(engine->port());
  client.send_all("POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n" +
                  std::string(5000, 'b'));
  const auto answer = client.read_http();
  REQUIRE(answer);
  CHECK(answer->status == 413);
  CHECK(client.wait_closed());
}

TEST_CASE("http: malformed request gets 400 and the connection closes", "[http]") {
  auto engine = start();
  for (const char* request : {"GARBAGE\r\n\r\n", "GET / HTTP/9.9\r\n\r\n",
                              "GET /healthz HTTP/1.1\r\nBad Header Line\r\n\r\n"}) {
    CAPTURE(request);
    RawClient client(engine->port());
    client.send_all(request);
    const auto answer = client.read_http();
    REQUIRE(answer);
    CHECK(answer->status == 400);
    CHECK(client.wait_closed());
  }
}

TEST_CASE("http: pipelined keep-alive requests are answered in order", "[http]") {
  auto engine = start();
  RawClient client(engine->port());
  client.send_all(
      "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /missing HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /api/stats HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  const int expected[] = {200, 404, 200, 200};
  for (int i = 0; i < 4; ++i) {
    const auto answer = client.read_http();
    REQUIRE(answer);
    CHECK(answer->status == expected[i]);
    if (i == 2) {
      CHECK(answer->body.front() == '{');
    }
  }
  CHECK(client.wait_closed());  // the last request asked to close
}

TEST_CASE("http: HTTP/1.0 without keep-alive is closed after the answer", "[http]") {
  auto engine = start();
  RawClient client(engine->port());
  client.send_all("GET /healthz HTTP/1.0\r\n\r\n");
  const auto answer = client.read_http();
  REQUIRE(answer);
  CHECK(answer->status == 200);
  CHECK(client.wait_closed());
}

TEST_CASE("http: an idle keep-alive connection is closed after the idle timeout", "[http]") {
  auto config = hexwire::test::test_engine_config();
  config.http_idle_timeout_ms = 200;
  auto engine = start(config);
  RawClient client(engine->port());
  client.send_all("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  REQUIRE(client.read_http());
  CHECK(client.wait_closed());  // within the 5 s receive timeout
  // A connection that never sends a complete request is closed too.
  RawClient partial(engine->port());
  partial.send_all("GET /heal");
  CHECK(partial.wait_closed());
}

TEST_CASE("http: a pipelining client that does not read is paused and then answered in order",
          "[http]") {
  auto engine = start();
  RawClient client(engine->port(), 5000, 4096);
  // 2 KiB per request, so 20,000 of them (40 MiB) exceed what the kernel buffers on both sides.
  const std::string request =
      "GET /api/stats HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(2000, 'p') + "\r\n\r\n";
  int complete = 0;
  while (complete < 20000 && client.try_send_all(request, 300)) {
    ++complete;  // a request cut by the timeout is never completed, so never answered
  }
  CAPTURE(complete);
  // The server stopped reading once its queued answers passed the soft limit (256 KiB), instead
  // of answering (and buffering) everything the client sent.
  const std::string metrics = engine->metrics().prometheus_text();
  const std::size_t at = metrics.find("\nhexwire_send_queue_bytes ");
  REQUIRE(at != std::string::npos);
  const std::uint64_t queued = std::stoull(metrics.substr(at + 26));
  CHECK(queued < (1u << 20));
  CHECK(complete < 20000);  // the flood was slowed down by TCP flow control
  for (int i = 0; i < complete; ++i) {
    const auto answer = client.read_http();
    REQUIRE(answer);
    REQUIRE(answer->status == 200);
  }
}

TEST_CASE("http: /echo is not served without --echo (404), with it, frames up to 1 MiB by default",
          "[http][echo]") {
  auto config = hexwire::test::test_engine_config();
  config.echo = false;
  {
    auto engine = start(config);
    RawClient client(engine->port());
    CHECK(client.upgrade("/echo") == 404);
    CHECK(client.wait_closed());
    CHECK(engine->banner().find("/echo") == std::string::npos);
  }
  const hexwire::app::EngineConfig defaults;
  CHECK_FALSE(defaults.echo);
  CHECK(defaults.echo_max_message_bytes == (1u << 20));
  config.echo = true;
  auto engine = start(config);
  CHECK(engine->banner().find("/echo") != std::string::npos);
  {
    RawClient client(engine->port());
    REQUIRE(client.upgrade("/echo") == 101);
    client.send_all(RawClient::frame(0x2, std::string(1u << 20, 'e')));
    const auto echoed = client.read_frame();
    REQUIRE(echoed);
    CHECK(echoed->payload.size() == (1u << 20));
  }
  RawClient client(engine->port());
  REQUIRE(client.upgrade("/echo") == 101);
  client.send_all(RawClient::frame(0x2, std::string((1u << 20) + 1, 'e')));
  CHECK(client.read_close_code() == 1009);
}

TEST_CASE("http: /echo sessions share one application, one closing leaves the others echoing",
          "[http][echo]") {
  auto engine = start();
  RawClient first(engine->port());
  RawClient second(engine->port());
  REQUIRE(first.upgrade("/echo") == 101);
  REQUIRE(second.upgrade("/echo") == 101);
  // A message in two fragments goes through the decoder's assembly buffer.
  first.send_all(RawClient::frame(0x1, "hel", false) + RawClient::frame(0x0, "lo"));
  const auto echoed = first.read_frame();
  REQUIRE(echoed);
  CHECK(echoed->payload == "hello");
  first.send_all(RawClient::frame(0x8, std::string("\x03\xe8", 2)));
  CHECK(first.read_close_code() == 1000);
  for (int i = 0; i < 3; ++i) {
    second.send_all(RawClient::frame(0x2, "still here " + std::to_string(i)));
    const auto again = second.read_frame();
    REQUIRE(again);
    CHECK(again->payload == "still here " + std::to_string(i));
  }
}

TEST_CASE("http: a request head trickled byte by byte gets 408 at the header deadline (slowloris)",
          "[http][slowloris]") {
  auto config = hexwire::test::test_engine_config();
  config.http_header_timeout_ms = 300;  // the idle timeout stays at 60 s: only the head deadline
  auto engine = start(config);
  RawClient client(engine->port(), 5000);
  const std::string head = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(200, 'p');
  std::optional<RawClient::HttpAnswer> answer;
  for (std::size_t i = 0; i < head.size(); ++i) {  // 50 ms per byte: ~10 s for the whole head
    if (!client.try_send_all(head.substr(i, 1), 500)) {
      break;
    }
    pollfd ready{client.fd(), POLLIN, 0};
    if (::poll(&ready, 1, 50) > 0) {
      break;  // the server answered (or closed)
    }
  }
  answer = client.read_http();
  REQUIRE(answer);
  CHECK(answer->status == 408);
  CHECK(answer->head.find("Connection: close") != std::string::npos);
  CHECK(client.wait_closed());
  CHECK(engine->metrics().counter_total("http_header_timeouts_total") == 1);
}

TEST_CASE("http: a connection that sends nothing is closed at the header deadline, keep-alive "
          "waits between requests are not",
          "[http][slowloris]") {
  auto config = hexwire::test::test_engine_config();
  config.http_header_timeout_ms = 200;
  config.http_idle_timeout_ms = 5000;
  auto engine = start(config);
  {
    RawClient silent(engine->port(), 3000);
    CHECK(silent.wait_closed());  // no 408: it never started a request
  }
  CHECK(engine->metrics().counter_total("http_header_timeouts_total") == 1);
  RawClient client(engine->port(), 3000);
  for (int i = 0; i < 2; ++i) {
    client.send_all("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    const auto answer = client.read_http();
    REQUIRE(answer);
    CHECK(answer->status == 200);
    std::this_thread::sleep_for(std::chrono::milliseconds(400));  // twice the head deadline
  }
  CHECK(engine->metrics().counter_total("http_header_timeouts_total") == 1);
}

TEST_CASE("http: over --max-connections a new connection gets 503 with Retry-After, then EOF",
          "[http][limits]") {
  auto config = hexwire::test::test_engine_config();
  config.max_connections = 2;
  auto engine = start(config);
  CHECK(hexwire::app::effective_max_connections(config) == 2);
  RawClient first(engine->port());
  RawClient second(engine->port());
  for (RawClient* client : {&first, &second}) {  // each answered: both hold a slot
    client->send_all("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    const auto answer = client->read_http();
    REQUIRE(answer);
    CHECK(answer->status == 200);
  }
  RawClient third(engine->port());
  const auto refused = third.read_http();
  REQUIRE(refused);
  CHECK(refused->status == 503);
  CHECK(refused->head.find("Retry-After: 1") != std::string::npos);
  CHECK(refused->body == "too many connections\n");
  CHECK(third.wait_closed());
  CHECK(engine->metrics().counter_total("connections_refused_total") == 1);
  // Without the flag the limit follows the open-file limit.
  rlimit files{};
  REQUIRE(getrlimit(RLIMIT_NOFILE, &files) == 0);
  if (files.rlim_cur != RLIM_INFINITY && files.rlim_cur > 128) {
    CHECK(hexwire::app::effective_max_connections(hexwire::app::EngineConfig{}) ==
          files.rlim_cur - 64);
  }
}
