// HTTP/1.1 response encoding into one core::SharedBuffer (status line, Content-Type,
// Content-Length, Connection, any extra headers, body), ready to queue on a connection.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/shared_buffer.hpp"

namespace hexwire::net {

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  bool keep_alive = true;
  /// Extra headers, written in order (e.g. Allow, Sec-WebSocket-Version, Cache-Control).
  std::vector<std::pair<std::string, std::string>> headers;
  /// A 101 response: no Content-Type, Content-Length or Connection: keep-alive/close lines;
  /// `headers` must carry Upgrade and Connection.
  bool switching_protocols = false;
};

/// Standard reason phrase ("Not Found"); "Unknown" for codes the engine never sends.
[[nodiscard]] std::string_view reason_phrase(int status) noexcept;

/// A plain-text response whose body is the reason phrase and a newline.
[[nodiscard]] HttpResponse make_status_response(int status, bool keep_alive);

/// Serialises `response` (header and body in one buffer).
[[nodiscard]] core::SharedBuffer encode_response(const HttpResponse& response);

}  // namespace hexwire::net
