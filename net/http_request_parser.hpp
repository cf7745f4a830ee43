// Incremental HTTP/1.1 request parsing on plain byte buffers (Boost.Beast's parser, hidden in one
// translation unit). The parser keeps the bytes that follow a complete request: the next pipelined
// request, or, after an Upgrade request, the first WebSocket bytes. Also parses the head of an
// HTTP response, which the WebSocket client role needs to read the server's 101.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace hexwire::net {

struct HttpParserLimits {
  std::size_t max_header_bytes = 8 * 1024;   // request line + headers; above: 431
  std::size_t max_body_bytes = 1024 * 1024;  // decoded body (also chunked); above: 413
};

/// The parts of a request the engine uses. Header values are copied as sent (not trimmed of
/// internal whitespace); absent headers are empty strings.
struct HttpRequest {
  std::string method;     // "GET", "POST", ...
  std::string target;     // as sent: "/ws?token=abc"
  std::string path;       // "/ws"
  std::string query;      // "token=abc" (no '?')
  unsigned version = 11;  // 10 or 11
  bool keep_alive = true;
  bool upgrade = false;  // Connection: upgrade and an Upgrade header present
  std::string host;
  std::string upgrade_header;     // Upgrade
  std::string connection_header;  // Connection
  std::string origin;
  std::string content_type;
  std::string authorization;
  std::string sec_websocket_key;
  std::string sec_websocket_version;
  std::string sec_websocket_protocol;    // all values joined with ", "
  std::string sec_websocket_extensions;  // all values joined with ", "
  std::string body;
};

enum class HttpParseStatus : std::uint8_t { kNeedMore, kComplete, kError };

enum class HttpParseError : std::uint8_t {
  kNone,
  kMalformed,        // 400 Bad Request
  kBodyTooLarge,     // 413 Content Too Large
  kHeadersTooLarge,  // 431 Request Header Fields Too Large
};

/// HTTP status to answer a parse error with (400, 413 or 431).
[[nodiscard]] int http_status_for(HttpParseError error) noexcept;

/// One parser per connection. Usage:
///   status = parser.feed(bytes);            // copies bytes into the parser
///   while (status == kComplete) { handle(parser.request()); status = parser.next(); }
///   on kError answer http_status_for(parser.error()) and close.
/// After an upgrade request completes, pending() holds the bytes that belong to the WebSocket.
class HttpRequestParser {
 public:
  explicit HttpRequestParser(HttpParserLimits limits = {});
  ~HttpRequestParser();
  HttpRequestParser(HttpRequestParser&&) noexcept;
  HttpRequestParser& operator=(HttpRequestParser&&) noexcept;

  /// Appends `bytes` and parses. When a request was complete and not yet released with next(),
  /// feed() first releases it.
  HttpParseStatus feed(std::span<const std::byte> bytes);
  HttpParseStatus feed(std::string_view text) {
    return feed(std::as_bytes(std::span<const char>(text.data(), text.size())));
  }
  /// Releases the completed request and parses the next one from the pending bytes.
  HttpParseStatus next();

  /// The completed request; valid after kComplete until next()/feed().
  [[nodiscard]] const HttpRequest& request() const noexcept;
  [[nodiscard]] HttpRequest& request() noexcept;
  [[nodiscard]] HttpParseError error() const noexcept;
  /// Bytes received but not part of any completed request.
  [[nodiscard]] std::span<const std::byte> pending() const noexcept;
  /// True while a request has begun (at least one byte of it arrived) and its head (request line
  /// and headers) is not complete yet: what a head deadline (slowloris) must bound.
  [[nodiscard]] bool reading_head() const noexcept;
  /// Moves the pending bytes out (e.g. to hand them to the WebSocket decoder after an upgrade).
  [[nodiscard]] std::string take_pending();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Head of an HTTP response (client role: the server's answer to an upgrade request).
struct HttpResponseHead {
  unsigned status = 0;
  std::string upgrade_header;
  std::string connection_header;
  std::string sec_websocket_accept;
  std::string sec_websocket_protocol;
  std::string sec_websocket_extensions;
  std::string sec_websocket_version;
};

struct HttpResponseHeadParse {
  HttpParseStatus status = HttpParseStatus::kNeedMore;
  std::size_t consumed = 0;  // length of the head when complete; bytes after it are not HTTP
};

/// Parses a response head from the start of `bytes` (call again with more bytes on kNeedMore).
[[nodiscard]] HttpResponseHeadParse parse_response_head(std::span<const std::byte> bytes,
                                                        HttpResponseHead& out,
                                                        std::size_t max_header_bytes = 8192);

}  // namespace hexwire::net
