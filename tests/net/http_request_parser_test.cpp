// HTTP/1.1 request parsing: incremental input, pipelining, the tail after an upgrade request,
// bodies (Content-Length and chunked), and the 400/413/431 errors.
#include <catch2/catch.hpp>

#include <string>

#include "net/http_request_parser.hpp"

using namespace hexwire::net;

namespace {
std::string pending_text(const HttpRequestParser& parser) {
  const auto pending = parser.pending();
  return {reinterpret_cast<const char*>(pending.data()), pending.size()};
}
}  // namespace

TEST_CASE("a request fed byte by byte completes at its last byte") {
  const std::string text =
      "GET /api/stats?x=1&y=2 HTTP/1.1\r\nHost: h\r\nOrigin: o\r\nContent-Type: t\r\n\r\n";
  HttpRequestParser parser;
  for (std::size_t i = 0; i + 1 < text.size(); ++i) {
    REQUIRE(parser.feed(text.substr(i, 1)) == HttpParseStatus::kNeedMore);
  }
  REQUIRE(parser.feed(text.substr(text.size() - 1)) == HttpParseStatus::kComplete);
  const HttpRequest& request = parser.request();
  CHECK(request.method == "GET");
  CHECK(request.target == "/api/stats?x=1&y=2");
  CHECK(request.path == "/api/stats");
  CHECK(request.query == "x=1&y=2");
  CHECK(request.host == "h");
  CHECK(request.origin == "o");
  CHECK(request.content_type == "t");
  CHECK(request.keep_alive);
  CHECK_FALSE(request.upgrade);
  CHECK(request.version == 11);
  CHECK(parser.pending().empty());
}

TEST_CASE("pipelined requests come out one by one") {
  const std::string text =
      "GET /a HTTP/1.1\r\nHost: h\r\n\r\n"
      "POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello"
      "GET /c HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"
      "GET /d HT";
  HttpRequestParser parser;
  REQUIRE(parser.feed(text) == HttpParseStatus::kComplete);
  CHECK(parser.request().path == "/a");
  REQUIRE(parser.next() == HttpParseStatus::kComplete);
  CHECK(parser.request().method == "POST");
  CHECK(parser.request().body == "hello");
  REQUIRE(parser.next() == HttpParseStatus::kComplete);
  CHECK(parser.request().path == "/c");
  CHECK_FALSE(parser.request().keep_alive);
  CHECK(parser.next() == HttpParseStatus::kNeedMore);
  CHECK(pending_text(parser) == "GET /d HT");
  REQUIRE(parser.feed(std::string("TP/1.1\r\n\r\n")) == HttpParseStatus::kComplete);
  CHECK(parser.request().path == "/d");
}

TEST_CASE("bytes after an upgrade request stay pending for the WebSocket") {
  std::string text =
      "GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
  const std::string frame("\x81\x85\x01\x02\x03\x04\x69\x67\x6f\x68\x6e", 11);
  HttpRequestParser parser;
  REQUIRE(parser.feed(text + frame) == HttpParseStatus::kComplete);
  CHECK(parser.request().upgrade);
  CHECK(parser.request().sec_websocket_key == "dGhlIHNhbXBsZSBub25jZQ==");
  CHECK(pending_text(parser) == frame);
  CHECK(parser.take_pending() == frame);
  CHECK(parser.pending().empty());
}

TEST_CASE("HTTP/1.0 defaults to close") {
  HttpRequestParser parser;
  REQUIRE(parser.feed(std::string("GET / HTTP/1.0\r\n\r\n")) == HttpParseStatus::kComplete);
  CHECK(parser.request().version == 10);
  CHECK_FALSE(parser.request().keep_alive);
}

TEST_CASE("chunked bodies are decoded, also when split") {
  const std::string text =
      "POST /p HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\nGET /n HTTP/1.1\r\n\r\n";
  for (std::size_t step : {text.size(), std::size_t{1}, std::size_t{7}}) {
    HttpRequestParser parser;
    HttpParseStatus status = HttpParseStatus::kNeedMore;
    std::size_t at = 0;
    while (status == HttpParseStatus::kNeedMore && at < text.size()) {
      status = parser.feed(text.substr(at, step));
      at += step;
    }
    REQUIRE(status == HttpParseStatus::kComplete);
    CHECK(parser.request().body == "hello world");
    // feed() after a completed request releases it and parses the next one.
    status = at < text.size() ? parser.feed(text.substr(at)) : parser.next();
    REQUIRE(status == HttpParseStatus::kComplete);
    CHECK(parser.request().path == "/n");
  }
}

TEST_CASE("malformed requests are 400") {
  for (const std::string text :
       {"GARBAGE\r\n\r\n", "GET / HTTP/9.9\r\n\r\n", "GET / HTTP/1.1\r\nBad Header\r\n\r\n",
        "POST / HTTP/1.1\r\nContent-Length: x\r\n\r\n",
        "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"}) {
    INFO(text);
    HttpRequestParser parser;
    REQUIRE(parser.feed(text) == HttpParseStatus::kError);
    CHECK(parser.error() == HttpParseError::kMalformed);
    CHECK(http_status_for(parser.error()) == 400);
    CHECK(parser.feed(std::string("GET / HTTP/1.1\r\n\r\n")) == HttpParseStatus::kError);
  }
}

TEST_CASE("a body above the limit is 413, also when chunked") {
  HttpParserLimits limits;
  limits.max_body_bytes = 10;
  HttpRequestParser parser(limits);
  REQUIRE(parser.feed(std::string("POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n")) ==
          HttpParseStatus::kError);
  CHECK(http_status_for(parser.error()) == 413);

  HttpRequestParser chunked(limits);
  REQUIRE(chunked.feed(std::string("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                                   "8\r\n12345678\r\n8\r\n12345678\r\n0\r\n\r\n")) ==
          HttpParseStatus::kError);
  CHECK(chunked.error() == HttpParseError::kBodyTooLarge);

  HttpRequestParser exact(limits);
  CHECK(exact.feed(std::string("POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n0123456789")) ==
        HttpParseStatus::kComplete);
}

TEST_CASE("headers above the limit are 431, complete or not") {
  HttpParserLimits limits;
  limits.max_header_bytes = 256;
  const std::string big = "GET / HTTP/1.1\r\nX-Big: " + std::string(400, 'a') + "\r\n\r\n";
  HttpRequestParser parser(limits);
  REQUIRE(parser.feed(big) == HttpParseStatus::kError);
  CHECK(parser.error() == HttpParseError::kHeadersTooLarge);
  CHECK(http_status_for(parser.error()) == 431);

  HttpRequestParser unfinished(limits);
  REQUIRE(unfinished.feed(big.substr(0, 300)) == HttpParseStatus::kError);
  CHECK(unfinished.error() == HttpParseError::kHeadersTooLarge);
}

TEST_CASE("repeated WebSocket headers are joined") {
  HttpRequestParser parser;
  REQUIRE(parser.feed(std::string("GET /ws HTTP/1.1\r\nSec-WebSocket-Protocol: a\r\n"
                                  "Sec-WebSocket-Protocol: b\r\n\r\n")) ==
          HttpParseStatus::kComplete);
  CHECK(parser.request().sec_websocket_protocol == "a, b");
}

TEST_CASE("response heads are parsed for the client role") {
  const std::string text =
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
      "Connection: Upgrade\r\nSec-WebSocket-Accept: abc\r\n\r\nFRAME";
  const auto bytes = std::as_bytes(std::span<const char>(text.data(), text.size()));
  HttpResponseHead head;
  CHECK(parse_response_head(bytes.first(30), head).status == HttpParseStatus::kNeedMore);
  const auto result = parse_response_head(bytes, head);
  REQUIRE(result.status == HttpParseStatus::kComplete);
  CHECK(result.consumed == text.size() - 5);
  CHECK(head.status == 101);
  CHECK(head.sec_websocket_accept == "abc");
  CHECK(parse_response_head(std::as_bytes(std::span<const char>("NOPE\r\n\r\n", 8)), head).status ==
        HttpParseStatus::kError);
}

TEST_CASE("reading_head is true from a request's first byte until its head is complete") {
  HttpRequestParser parser;
  CHECK_FALSE(parser.reading_head());  // nothing received: idle, not a head in progress
  REQUIRE(parser.feed("GE") == HttpParseStatus::kNeedMore);
  CHECK(parser.reading_head());
  REQUIRE(parser.feed("T / HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n") ==
          HttpParseStatus::kNeedMore);
  CHECK(parser.reading_head());
  REQUIRE(parser.feed("\r\nab") == HttpParseStatus::kNeedMore);
  CHECK_FALSE(parser.reading_head());  // the head is done; a slow body is the idle timeout's job
  REQUIRE(parser.feed("cd") == HttpParseStatus::kComplete);
  CHECK_FALSE(parser.reading_head());
  REQUIRE(parser.next() == HttpParseStatus::kNeedMore);
  CHECK_FALSE(parser.reading_head());  // keep-alive, waiting for the next request
  REQUIRE(parser.feed("G") == HttpParseStatus::kNeedMore);
  CHECK(parser.reading_head());
}
