// Fuzzes HTTP request parsing and everything a server does with a parsed request: pipelined
// parsing over fuzzer-chosen splits, handshake validation (with deflate negotiation and an origin
// list), 101/error response building, routing, and the client-side response-head check.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "net/http_request_parser.hpp"
#include "net/http_router.hpp"
#include "net/ws_handshake.hpp"

using namespace hexwire::net;

namespace {

void inspect(const HttpRequest& request) {
  static const HandshakeConfig config = [] {
    HandshakeConfig c;
    c.paths = {"/ws", "/echo"};
    c.allowed_origins = {"http://localhost"};
    c.deflate.enabled = true;
    return c;
  }();
  static const HttpRouter router = [] {
    HttpRouter r;
    r.add("GET", "/healthz", [](const HttpRequest&) { return make_status_response(200, true); });
    r.add("POST", "/echo", [](const HttpRequest& req) {
      HttpResponse response;
      response.body = req.body;
      return response;
    });
    return r;
  }();
  const HandshakeOutcome outcome = validate_upgrade(request, config);
  if (outcome.ok()) {
    const auto response = build_upgrade_response(outcome);
    if (response.view().substr(0, 12) != "HTTP/1.1 101") {
      std::abort();
    }
  } else {
    const auto response = encode_response(handshake_error_response(outcome.error));
    if (response.empty()) {
      std::abort();
    }
  }
  const auto routed = encode_response(router.route(request));
  if (routed.empty()) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) {
    return 0;
  }
  const std::uint8_t split = data[0];
  data += 1;
  size -= 1;
  const auto* bytes = reinterpret_cast<const std::byte*>(data);

  HttpParserLimits limits;
  limits.max_header_bytes = 2048;
  limits.max_body_bytes = 4096;
  HttpRequestParser parser(limits);
  std::size_t at = 0;
  const std::size_t step = split == 0 ? size + 1 : split;
  int requests = 0;
  while (at < size) {
    const std::size_t length = std::min(step, size - at);
    HttpParseStatus status = parser.feed({bytes + at, length});
    at += length;
    while (status == HttpParseStatus::kComplete) {
      inspect(parser.request());
      if (++requests > 10000) {
        std::abort();
      }
      status = parser.next();
    }
    if (status == HttpParseStatus::kError) {
      const int code = http_status_for(parser.error());
      if (code != 400 && code != 413 && code != 431) {
        std::abort();
      }
      break;
    }
  }
  if (parser.pending().size() > size) {
    std::abort();
  }

  // The same bytes as a server's answer to a client handshake.
  HttpResponseHead head;
  const auto parsed = parse_response_head({bytes, size}, head);
  if (parsed.status == HttpParseStatus::kComplete && parsed.consumed > size) {
    std::abort();
  }
  ClientHandshakeOptions options;
  options.subprotocols = {"hexwire.v1"};
  options.offer_deflate = true;
  const auto verified = verify_server_handshake({bytes, size}, "dGhlIHNhbXBsZSBub25jZQ==", options);
  if (verified.status == ClientHandshakeStatus::kAccepted && verified.consumed > size) {
    std::abort();
  }
  return 0;
}
