// Response serialisation: computes the exact size first, then writes once into a SharedBuffer.
#include "net/http_response.hpp"

#include <charconv>
#include <cstring>

namespace hexwire::net {

std::string_view reason_phrase(int status) noexcept {
  switch (status) {
    case 101:
      return "Switching Protocols";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 413:
      return "Content Too Large";
    case 426:
      return "Upgrade Required";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    default:
      return "Unknown";
  }
}

HttpResponse make_status_response(int status, bool keep_alive) {
  HttpResponse response;
  response.status = status;
  response.keep_alive = keep_alive;
  response.body = std::string(reason_phrase(status)) + "\n";
  return response;
}

namespace {

class Writer {
 public:
  explicit Writer(std::byte* out) : out_(reinterpret_cast<char*>(out)) {}
  void put(std::string_view text) {
    std::memcpy(out_, text.data(), text.size());
    out_ += text.size();
  }

 private:
  char* out_;
};

}  // namespace

core::SharedBuffer encode_response(const HttpResponse& response) {
  char status_digits[16];
  const auto status_end =
      std::to_chars(status_digits, status_digits + sizeof(status_digits), response.status).ptr;
  const std::string_view status_text(status_digits,
                                     static_cast<std::size_t>(status_end - status_digits));
  char length_digits[24];
  const auto length_end =
      std::to_chars(length_digits, length_digits + sizeof(length_digits), response.body.size()).ptr;
  const std::string_view length_text(length_digits,
                                     static_cast<std::size_t>(length_end - length_digits));
  const std::string_view reason = reason_phrase(response.status);
  const std::string_view connection = response.keep_alive ? "keep-alive" : "close";

  std::size_t size = 9 + status_text.size() + 1 + reason.size() + 2;  // "HTTP/1.1 200 OK\r\n"
  if (!response.switching_protocols) {
    size += 14 + response.content_type.size() + 2;  // "Content-Type: x\r\n"
    size += 16 + length_text.size() + 2;            // "Content-Length: n\r\n"
    size += 12 + connection.size() + 2;             // "Connection: x\r\n"
  }
  for (const auto& [name, value] : response.headers) {
    size += name.size() + 2 + value.size() + 2;
  }
  size += 2 + response.body.size();

  auto buffer = core::SharedBuffer::allocate(size);
  Writer out(buffer.mutable_data());
  out.put("HTTP/1.1 ");
  out.put(status_text);
  out.put(" ");
  out.put(reason);
  out.put("\r\n");
  if (!response.switching_protocols) {
    out.put("Content-Type: ");
    out.put(response.content_type);
    out.put("\r\nContent-Length: ");
    out.put(length_text);
    out.put("\r\nConnection: ");
    out.put(connection);
    out.put("\r\n");
  }
  for (const auto& [name, value] : response.headers) {
    out.put(name);
    out.put(": ");
    out.put(value);
    out.put("\r\n");
  }
  out.put("\r\n");
  out.put(response.body);
  return buffer;
}

}  // namespace hexwire::net
