// Opening handshake (see ws_handshake.hpp): token-list header checks, SHA-1 accept key via
// OpenSSL, base64, query-string token, subprotocol and deflate negotiation, 101/error responses.
#include "net/ws_handshake.hpp"

#include <openssl/evp.h>
#include <sys/random.h>

#include <array>
#include <cstring>

#include "net/detail/http_tokens.hpp"
#include "net/ws_mask.hpp"

namespace hexwire::net {
namespace {

using detail::ascii_lower;
using detail::find_in_list;
using detail::iequals;
using detail::trim_ows;

constexpr std::string_view kGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
constexpr char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string base64_encode(const unsigned char* data, std::size_t size) {
  std::string out;
  out.reserve((size + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= size; i += 3) {
    const unsigned value = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
    out += kBase64[(value >> 18) & 63];
    out += kBase64[(value >> 12) & 63];
    out += kBase64[(value >> 6) & 63];
    out += kBase64[value & 63];
  }
  if (size - i == 1) {
    const unsigned value = data[i] << 16;
    out += kBase64[(value >> 18) & 63];
    out += kBase64[(value >> 12) & 63];
    out += "==";
  } else if (size - i == 2) {
    const unsigned value = (data[i] << 16) | (data[i + 1] << 8);
    out += kBase64[(value >> 18) & 63];
    out += kBase64[(value >> 12) & 63];
    out += kBase64[(value >> 6) & 63];
    out += '=';
  }
  return out;
}

bool is_base64_char(char c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/';
}

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  c = ascii_lower(c);
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  return -1;
}

}  // namespace

int http_status_for(HandshakeError error) noexcept {
  switch (error) {
    case HandshakeError::kNone:
      return 101;
    case HandshakeError::kWrongPath:
      return 404;
    case HandshakeError::kUnsupportedVersion:
      return 426;
    case HandshakeError::kOriginForbidden:
      return 403;
    default:
      return 400;
  }
}

std::string_view describe(HandshakeError error) noexcept {
  switch (error) {
    case HandshakeError::kNone:
      return "ok";
    case HandshakeError::kWrongPath:
      return "no WebSocket endpoint at this path";
    case HandshakeError::kNotGet:
      return "WebSocket upgrade requires GET";
    case HandshakeError::kNotHttp11:
      return "WebSocket upgrade requires HTTP/1.1";
    case HandshakeError::kNotWebSocketUpgrade:
      return "missing 'Upgrade: websocket'";
    case HandshakeError::kConnectionNotUpgrade:
      return "missing 'Connection: upgrade'";
    case HandshakeError::kUnsupportedVersion:
      return "only Sec-WebSocket-Version 13 is supported";
    case HandshakeError::kBadKey:
      return "Sec-WebSocket-Key must be 16 bytes in base64";
    case HandshakeError::kOriginForbidden:
      return "origin not allowed";
  }
  return "unknown";
}

bool header_has_token(std::string_view value, std::string_view token) noexcept {
  return detail::list_has_token(value, token);
}

bool is_valid_websocket_key(std::string_view key) noexcept {
  key = trim_ows(key);
  if (key.size() != 24 || key[22] != '=' || key[23] != '=') {
    return false;
  }
  for (std::size_t i = 0; i < 22; ++i) {
    if (!is_base64_char(key[i])) {
      return false;
    }
  }
  // The last data character carries 2 bits of the 16th byte; its 4 low bits must be zero.
  const char last = key[21];
  return last == 'A' || last == 'Q' || last == 'g' || last == 'w';
}

std::string compute_accept_key(std::string_view key) {
  std::string input(trim_ows(key));
  input += kGuid;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_size = 0;
  EVP_Digest(input.data(), input.size(), digest, &digest_size, EVP_sha1(), nullptr);
  return base64_encode(digest, digest_size);
}

std::string url_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '+') {
      out += ' ';
    } else if (c == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 &&
               hex_value(text[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

std::optional<std::string> query_parameter(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const std::size_t equals = pair.find('=');
    if (pair.substr(0, equals) == name) {
      return url_decode(equals == std::string_view::npos ? std::string_view{}
                                                         : pair.substr(equals + 1));
    }
    if (amp == std::string_view::npos) {
      break;
    }
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

HandshakeOutcome validate_upgrade(const HttpRequest& request, const HandshakeConfig& config) {
  HandshakeOutcome outcome;
  auto reject = [&](HandshakeError error) {
    outcome.error = error;
    return outcome;
  };
  if (!config.paths.empty()) {
    bool known = false;
    for (const auto& path : config.paths) {
      known = known || path == request.path;
    }
    if (!known) {
      return reject(HandshakeError::kWrongPath);
    }
  }
  if (request.method != "GET") {
    return reject(HandshakeError::kNotGet);
  }
  if (request.version < 11) {
    return reject(HandshakeError::kNotHttp11);
  }
  if (!header_has_token(request.upgrade_header, "websocket")) {
    return reject(HandshakeError::kNotWebSocketUpgrade);
  }
  if (!header_has_token(request.connection_header, "upgrade")) {
    return reject(HandshakeError::kConnectionNotUpgrade);
  }
  if (trim_ows(request.sec_websocket_version) != "13") {
    return reject(HandshakeError::kUnsupportedVersion);
  }
  if (!is_valid_websocket_key(request.sec_websocket_key)) {
    return reject(HandshakeError::kBadKey);
  }
  if (!config.allowed_origins.empty() && !request.origin.empty()) {
    bool allowed = false;
    for (const auto& origin : config.allowed_origins) {
      allowed = allowed || iequals(origin, request.origin);
    }
    if (!allowed) {
      return reject(HandshakeError::kOriginForbidden);
    }
  }
  outcome.accept_key = compute_accept_key(request.sec_websocket_key);
  for (const auto& supported : config.subprotocols) {
    if (find_in_list(request.sec_websocket_protocol,
                     [&](std::string_view offered) { return offered == supported; })) {
      outcome.subprotocol = supported;
      break;
    }
  }
  if (auto token = query_parameter(request.query, "token")) {
    outcome.token = std::move(*token);
  }
  outcome.deflate = negotiate_deflate(request.sec_websocket_extensions, config.deflate);
  return outcome;
}

core::SharedBuffer build_upgrade_response(const HandshakeOutcome& outcome) {
  HttpResponse response;
  response.status = 101;
  response.switching_protocols = true;
  response.body.clear();
  response.headers.emplace_back("Upgrade", "websocket");
  response.headers.emplace_back("Connection", "Upgrade");
  response.headers.emplace_back("Sec-WebSocket-Accept", outcome.accept_key);
  if (!outcome.subprotocol.empty()) {
    response.headers.emplace_back("Sec-WebSocket-Protocol", outcome.subprotocol);
  }
  if (outcome.deflate) {
    response.headers.emplace_back("Sec-WebSocket-Extensions",
                                  format_deflate_response(*outcome.deflate));
  }
  return encode_response(response);
}

HttpResponse handshake_error_response(HandshakeError error) {
  HttpResponse response = make_status_response(http_status_for(error), false);
  response.body = std::string(describe(error)) + "\n";
  if (error == HandshakeError::kUnsupportedVersion) {
    response.headers.emplace_back("Sec-WebSocket-Version", "13");
  }
  return response;
}

ClientHandshakeRequest make_client_handshake(std::string_view host, std::string_view target,
                                             const ClientHandshakeOptions& options) {
  std::array<unsigned char, 16> nonce{};
  if (::getrandom(nonce.data(), nonce.size(), 0) != static_cast<ssize_t>(nonce.size())) {
    MaskKeyGenerator fallback;
    for (auto& byte : nonce) {
      byte = static_cast<unsigned char>(fallback.next64());
    }
  }
  ClientHandshakeRequest request;
  request.key = base64_encode(nonce.data(), nonce.size());
  std::string text;
  text.reserve(256);
  text.append("GET ").append(target).append(" HTTP/1.1\r\nHost: ").append(host);
  text.append("\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13");
  text.append("\r\nSec-WebSocket-Key: ").append(request.key);
  if (!options.subprotocols.empty()) {
    text.append("\r\nSec-WebSocket-Protocol: ");
    for (std::size_t i = 0; i < options.subprotocols.size(); ++i) {
      text.append(i == 0 ? "" : ", ").append(options.subprotocols[i]);
    }
  }
  if (!options.origin.empty()) {
    text.append("\r\nOrigin: ").append(options.origin);
  }
  if (options.offer_deflate) {
    text.append("\r\nSec-WebSocket-Extensions: ").append(format_deflate_offer());
  }
  text.append("\r\n\r\n");
  request.bytes = core::SharedBuffer::copy_of(text);
  return request;
}

ClientHandshakeResult verify_server_handshake(std::span<const std::byte> bytes,
                                              std::string_view key,
                                              const ClientHandshakeOptions& options) {
  ClientHandshakeResult result;
  HttpResponseHead head;
  const HttpResponseHeadParse parsed = parse_response_head(bytes, head);
  auto reject = [&](std::string_view why) {
    result.status = ClientHandshakeStatus::kRejected;
    result.failure = why;
    return result;
  };
  if (parsed.status == HttpParseStatus::kNeedMore) {
    return result;
  }
  if (parsed.status == HttpParseStatus::kError) {
    return reject("malformed HTTP response");
  }
  result.consumed = parsed.consumed;
  result.http_status = head.status;
  if (head.status != 101) {
    return reject("server did not switch protocols");
  }
  if (!header_has_token(head.upgrade_header, "websocket") ||
      !header_has_token(head.connection_header, "upgrade")) {
    return reject("missing Upgrade/Connection headers in 101");
  }
  if (trim_ows(head.sec_websocket_accept) != compute_accept_key(key)) {
    return reject("wrong Sec-WebSocket-Accept");
  }
  if (!head.sec_websocket_protocol.empty()) {
    bool offered = false;
    for (const auto& protocol : options.subprotocols) {
      offered = offered || protocol == head.sec_websocket_protocol;
    }
    if (!offered) {
      return reject("server chose a subprotocol we did not offer");
    }
    result.subprotocol = head.sec_websocket_protocol;
  }
  if (!head.sec_websocket_extensions.empty()) {
    if (!options.offer_deflate) {
      return reject("server enabled an extension we did not offer");
    }
    result.deflate = parse_deflate_response(head.sec_websocket_extensions);
    if (!result.deflate) {
      return reject("unacceptable permessage-deflate answer");
    }
  }
  result.status = ClientHandshakeStatus::kAccepted;
  return result;
}

}  // namespace hexwire::net
