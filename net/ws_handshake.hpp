// RFC 6455 opening handshake, both roles, on top of the buffer-level HTTP parser. Server: validate
// an upgrade request (method, version, Upgrade/Connection tokens, Sec-WebSocket-Version 13, key),
// apply the Origin allow-list, pick the subprotocol, read ?token=, negotiate permessage-deflate,
// and build the 101 (or the HTTP error answer). Client: build the upgrade request with a random
// key and check the server's 101 and its Sec-WebSocket-Accept.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/shared_buffer.hpp"
#include "net/http_request_parser.hpp"
#include "net/http_response.hpp"
#include "net/ws_deflate.hpp"

namespace hexwire::net {

inline constexpr std::string_view kSubprotocolV1 = "hexwire.v1";

enum class HandshakeError : std::uint8_t {
  kNone,
  kWrongPath,             // 404: path is not a WebSocket endpoint
  kNotGet,                // 400: method is not GET
  kNotHttp11,             // 400: HTTP/1.0
  kNotWebSocketUpgrade,   // 400: Upgrade header lacks the "websocket" token
  kConnectionNotUpgrade,  // 400: Connection header lacks the "upgrade" token
  kUnsupportedVersion,    // 426 + "Sec-WebSocket-Version: 13": version missing or not 13
  kBadKey,                // 400: Sec-WebSocket-Key missing or not 16 base64-encoded bytes
  kOriginForbidden,       // 403: Origin not in the allow-list
};

[[nodiscard]] int http_status_for(HandshakeError error) noexcept;
[[nodiscard]] std::string_view describe(HandshakeError error) noexcept;

struct HandshakeConfig {
  /// Paths that accept upgrades; empty accepts any path.
  std::vector<std::string> paths = {"/ws"};
  /// Allowed Origin values (exact, e.g. "https://app.example.com"); empty allows every origin.
  /// Requests without an Origin header (non-browser clients) are always allowed.
  std::vector<std::string> allowed_origins;
  /// Subprotocols the server speaks, in preference order.
  std::vector<std::string> subprotocols = {std::string(kSubprotocolV1)};
  DeflateConfig deflate;
};

struct HandshakeOutcome {
  HandshakeError error = HandshakeError::kNone;
  std::string accept_key;                // Sec-WebSocket-Accept
  std::string subprotocol;               // empty when none was agreed
  std::string token;                     // URL-decoded ?token= value, empty when absent
  std::optional<DeflateParams> deflate;  // set when permessage-deflate was agreed
  [[nodiscard]] bool ok() const noexcept { return error == HandshakeError::kNone; }
};

/// Checks an upgrade request (already parsed by HttpRequestParser).
[[nodiscard]] HandshakeOutcome validate_upgrade(const HttpRequest& request,
                                                const HandshakeConfig& config);

/// The 101 Switching Protocols response for a successful outcome.
[[nodiscard]] core::SharedBuffer build_upgrade_response(const HandshakeOutcome& outcome);

/// The HTTP answer to a failed handshake (Connection: close; 426 carries Sec-WebSocket-Version).
[[nodiscard]] HttpResponse handshake_error_response(HandshakeError error);

/// base64(SHA-1(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")).
[[nodiscard]] std::string compute_accept_key(std::string_view key);

/// True for 24 base64 characters that decode to exactly 16 bytes.
[[nodiscard]] bool is_valid_websocket_key(std::string_view key) noexcept;

/// Value of `name` in an application/x-www-form-urlencoded query ("a=1&token=x"), URL-decoded;
/// nullopt when absent.
[[nodiscard]] std::optional<std::string> query_parameter(std::string_view query,
                                                         std::string_view name);

/// %XX and '+' decoding; malformed escapes are kept verbatim.
[[nodiscard]] std::string url_decode(std::string_view text);

/// True when the comma-separated header value contains `token` (case-insensitive).
[[nodiscard]] bool header_has_token(std::string_view value, std::string_view token) noexcept;

// ---- client role ----

struct ClientHandshakeRequest {
  std::string key;           // keep it to verify the answer
  core::SharedBuffer bytes;  // the GET request to send
};

struct ClientHandshakeOptions {
  std::vector<std::string> subprotocols;  // offered, in preference order
  std::string origin;                     // sent when not empty
  bool offer_deflate = false;
};

/// Builds "GET target HTTP/1.1" with a fresh random Sec-WebSocket-Key.
[[nodiscard]] ClientHandshakeRequest make_client_handshake(
    std::string_view host, std::string_view target, const ClientHandshakeOptions& options = {});

enum class ClientHandshakeStatus : std::uint8_t { kNeedMore, kAccepted, kRejected };

struct ClientHandshakeResult {
  ClientHandshakeStatus status = ClientHandshakeStatus::kNeedMore;
  std::size_t consumed = 0;  // length of the response head; later bytes are WebSocket frames
  unsigned http_status = 0;
  std::string subprotocol;
  std::optional<DeflateParams> deflate;
  std::string_view failure;  // why it was rejected (constant text)
};

/// Checks the server's answer: 101, Upgrade/Connection tokens, Sec-WebSocket-Accept for `key`, a
/// subprotocol we offered (if any), and a deflate answer only when we offered deflate.
[[nodiscard]] ClientHandshakeResult verify_server_handshake(std::span<const std::byte> bytes,
                                                            std::string_view key,
                                                            const ClientHandshakeOptions& options);

}  // namespace hexwire::net
