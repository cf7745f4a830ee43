// Opening handshake: RFC 6455 accept-key example, request validation with the right HTTP error
// for each failure, subprotocol, origin allow-list, ?token=, deflate negotiation, and the client
// role against the server role.
#include <catch2/catch.hpp>

#include <string>

#include "net/http_request_parser.hpp"
#include "net/ws_handshake.hpp"

using namespace hexwire::net;

namespace {

const char* kGoodRequest =
    "GET /ws?token=a%2Bb%20c&x=1 HTTP/1.1\r\n"
    "Host: server.example.com\r\n"
    "Upgrade: WebSocket\r\n"
    "Connection: keep-alive, Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Origin: http://example.com\r\n"
    "Sec-WebSocket-Protocol: chat, hexwire.v1\r\n"
    "Sec-WebSocket-Version: 13\r\n\r\n";

HttpRequest parse(const std::string& text) {
  HttpRequestParser parser;
  REQUIRE(parser.feed(text) == HttpParseStatus::kComplete);
  return parser.request();
}

std::string replace(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

}  // namespace

TEST_CASE("accept key matches the RFC 6455 example") {
  // RFC 6455 section 1.3: key "dGhlIHNhbXBsZSBub25jZQ==" gives "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=".
  CHECK(compute_accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST_CASE("a valid upgrade request is accepted with subprotocol and token") {
  const HttpRequest request = parse(kGoodRequest);
  CHECK(request.upgrade);
  const HandshakeOutcome outcome = validate_upgrade(request, HandshakeConfig{});
  REQUIRE(outcome.ok());
  CHECK(outcome.accept_key == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  CHECK(outcome.subprotocol == "hexwire.v1");
  CHECK(outcome.token == "a+b c");
  CHECK_FALSE(outcome.deflate);
  const auto response = build_upgrade_response(outcome);
  const std::string text(response.view());
  CHECK(text.rfind("HTTP/1.1 101 Switching Protocols\r\n", 0) == 0);
  CHECK(text.find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n") != std::string::npos);
  CHECK(text.find("Sec-WebSocket-Protocol: hexwire.v1\r\n") != std::string::npos);
  CHECK(text.find("Upgrade: websocket\r\n") != std::string::npos);
  CHECK(text.find("Content-Length") == std::string::npos);
  CHECK(text.substr(text.size() - 4) == "\r\n\r\n");
}

TEST_CASE("each handshake failure maps to its HTTP answer") {
  const HandshakeConfig config;
  auto error_for = [&](const std::string& text) {
    return validate_upgrade(parse(text), config).error;
  };
  const std::string good = kGoodRequest;
  CHECK(error_for(replace(good, "GET /ws?", "GET /other?")) == HandshakeError::kWrongPath);
  CHECK(error_for(replace(good, "GET ", "POST ")) == HandshakeError::kNotGet);
  CHECK(error_for(replace(good, "HTTP/1.1", "HTTP/1.0")) == HandshakeError::kNotHttp11);
  CHECK(error_for(replace(good, "Upgrade: WebSocket", "Upgrade: h2c")) ==
        HandshakeError::kNotWebSocketUpgrade);
  CHECK(error_for(replace(good, "keep-alive, Upgrade", "keep-alive")) ==
        HandshakeError::kConnectionNotUpgrade);
  CHECK(error_for(replace(good, "Version: 13", "Version: 8")) ==
        HandshakeError::kUnsupportedVersion);
  CHECK(error_for(replace(good, "Sec-WebSocket-Version: 13\r\n", "")) ==
        HandshakeError::kUnsupportedVersion);
  CHECK(error_for(replace(good, "dGhlIHNhbXBsZSBub25jZQ==", "dGhlIHNhbXBsZQ==")) ==
        HandshakeError::kBadKey);
  CHECK(error_for(replace(good, "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", "")) ==
        HandshakeError::kBadKey);

  CHECK(http_status_for(HandshakeError::kWrongPath) == 404);
  CHECK(http_status_for(HandshakeError::kNotGet) == 400);
  CHECK(http_status_for(HandshakeError::kBadKey) == 400);
  CHECK(http_status_for(HandshakeError::kOriginForbidden) == 403);
  CHECK(http_status_for(HandshakeError::kUnsupportedVersion) == 426);
  const auto response =
      encode_response(handshake_error_response(HandshakeError::kUnsupportedVersion));
  const std::string text(response.view());
  CHECK(text.rfind("HTTP/1.1 426 Upgrade Required\r\n", 0) == 0);
  CHECK(text.find("Sec-WebSocket-Version: 13\r\n") != std::string::npos);
  CHECK(text.find("Connection: close\r\n") != std::string::npos);
}

TEST_CASE("websocket key format") {
  CHECK(is_valid_websocket_key("dGhlIHNhbXBsZSBub25jZQ=="));
  CHECK(is_valid_websocket_key("AAAAAAAAAAAAAAAAAAAAAA=="));
  CHECK_FALSE(is_valid_websocket_key("AAAAAAAAAAAAAAAAAAAAAB=="));  // low bits of last char set
  CHECK_FALSE(is_valid_websocket_key("AAAAAAAAAAAAAAAAAAAAA*=="));
  CHECK_FALSE(is_valid_websocket_key("AAAAAAAAAAAAAAAAAAAAAAAA"));
  CHECK_FALSE(is_valid_websocket_key(""));
}

TEST_CASE("origin allow-list answers 403 for other origins") {
  HandshakeConfig config;
  config.allowed_origins = {"https://app.example.com"};
  const std::string good = kGoodRequest;
  CHECK(validate_upgrade(parse(good), config).error == HandshakeError::kOriginForbidden);
  CHECK(validate_upgrade(parse(replace(good, "http://example.com", "https://app.example.com")),
                         config)
            .ok());
  CHECK(validate_upgrade(parse(replace(good, "Origin: http://example.com\r\n", "")), config).ok());
}

TEST_CASE("subprotocol is chosen only when offered") {
  const std::string good = kGoodRequest;
  const auto none =
      validate_upgrade(parse(replace(good, "chat, hexwire.v1", "chat")), HandshakeConfig{});
  REQUIRE(none.ok());
  CHECK(none.subprotocol.empty());
  CHECK(build_upgrade_response(none).view().find("Sec-WebSocket-Protocol") ==
        std::string_view::npos);
}

TEST_CASE("query parameters are URL-decoded") {
  CHECK(query_parameter("token=abc", "token") == "abc");
  CHECK(query_parameter("a=1&token=x%3Dy%26z&b=2", "token") == "x=y&z");
  CHECK(query_parameter("tokens=1", "token") == std::nullopt);
  CHECK(query_parameter("token", "token") == "");
  CHECK(url_decode("%zz%4") == "%zz%4");
  CHECK(url_decode("a+b%41") == "a bA");
}

TEST_CASE("permessage-deflate is negotiated only when enabled and offered acceptably") {
  std::string good = kGoodRequest;
  good = replace(good, "Sec-WebSocket-Version: 13\r\n",
                 "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Extensions: x-webkit-foo, "
                 "permessage-deflate; client_max_window_bits; server_max_window_bits=10\r\n");
  HandshakeConfig config;
  CHECK_FALSE(validate_upgrade(parse(good), config).deflate);
  config.deflate.enabled = true;
  const auto outcome = validate_upgrade(parse(good), config);
  REQUIRE(outcome.deflate);
  CHECK(outcome.deflate->server_max_window_bits == 10);
  CHECK(format_deflate_response(*outcome.deflate) ==
        "permessage-deflate; server_max_window_bits=10");
  CHECK(std::string(build_upgrade_response(outcome).view())
            .find("Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=10\r\n") !=
        std::string::npos);

  CHECK_FALSE(negotiate_deflate("permessage-deflate; unknown_param", config.deflate));
  CHECK_FALSE(negotiate_deflate("permessage-deflate; server_max_window_bits=16", config.deflate));
  CHECK_FALSE(negotiate_deflate("permessage-deflate; server_max_window_bits", config.deflate));
  CHECK_FALSE(negotiate_deflate("permessage-deflate; server_max_window_bits=8", config.deflate));
  CHECK_FALSE(negotiate_deflate(
      "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
      config.deflate));
  // The first acceptable offer wins.
  const auto second = negotiate_deflate(
      "permessage-deflate; server_max_window_bits=8, permessage-deflate; "
      "client_no_context_takeover; "
      "client_max_window_bits=12; server_no_context_takeover",
      config.deflate);
  REQUIRE(second);
  CHECK(second->client_no_context_takeover);
  CHECK(second->server_no_context_takeover);
  CHECK(second->client_max_window_bits == 12);
  CHECK(format_deflate_response(*second) ==
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover; "
        "client_max_window_bits=12");
}

TEST_CASE("client handshake round-trips against the server side") {
  ClientHandshakeOptions options;
  options.subprotocols = {"hexwire.v1"};
  options.offer_deflate = true;
  const auto client = make_client_handshake("127.0.0.1:8080", "/ws?token=t", options);
  CHECK(is_valid_websocket_key(client.key));
  const auto other = make_client_handshake("h", "/ws");
  CHECK(other.key != client.key);

  HttpRequestParser parser;
  REQUIRE(parser.feed(client.bytes.bytes()) == HttpParseStatus::kComplete);
  HandshakeConfig config;
  config.deflate.enabled = true;
  const auto outcome = validate_upgrade(parser.request(), config);
  REQUIRE(outcome.ok());
  CHECK(outcome.token == "t");

  const auto response = build_upgrade_response(outcome);
  std::string wire(response.view());
  wire += "\x81\x02hi";  // first server frame right behind the 101
  const auto bytes = std::as_bytes(std::span<const char>(wire.data(), wire.size()));

  const auto partial = verify_server_handshake(bytes.first(20), client.key, options);
  CHECK(partial.status == ClientHandshakeStatus::kNeedMore);
  const auto result = verify_server_handshake(bytes, client.key, options);
  REQUIRE(result.status == ClientHandshakeStatus::kAccepted);
  CHECK(result.consumed == response.size());
  CHECK(result.subprotocol == "hexwire.v1");
  CHECK(result.deflate.has_value());

  const auto wrong_key = verify_server_handshake(bytes, other.key, options);
  CHECK(wrong_key.status == ClientHandshakeStatus::kRejected);

  const std::string refused = "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n";
  const auto refused_result = verify_server_handshake(
      std::as_bytes(std::span<const char>(refused.data(), refused.size())), client.key, options);
  CHECK(refused_result.status == ClientHandshakeStatus::kRejected);
  CHECK(refused_result.http_status == 403);
}
