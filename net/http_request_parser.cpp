// The only translation unit that includes Boost.Beast (it is heavy to compile). Wraps Beast's
// request parser over an owned byte buffer so partial requests survive between receives and the
// bytes after a complete request stay available (pipelining, WebSocket bytes after an upgrade).
#include "net/http_request_parser.hpp"

#include <boost/beast/core/error.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <optional>

#include "net/detail/http_tokens.hpp"

namespace hexwire::net {
namespace http = boost::beast::http;

namespace {

std::string_view to_view(boost::beast::string_view text) {
  return {text.data(), text.size()};
}

void append_joined(std::string& out, std::string_view value) {
  if (!out.empty()) {
    out += ", ";
  }
  out += value;
}

bool is_upgrade_request(const HttpRequest& request) {
  if (request.upgrade_header.empty()) {
    return false;
  }
  // Connection is a comma-separated token list; look for "upgrade" case-insensitively.
  return detail::list_has_token(request.connection_header, "upgrade");
}

HttpParseError classify(const boost::system::error_code& error) {
  if (error == http::error::header_limit) {
    return HttpParseError::kHeadersTooLarge;
  }
  if (error == http::error::body_limit || error == http::error::buffer_overflow) {
    return HttpParseError::kBodyTooLarge;
  }
  return HttpParseError::kMalformed;
}

}  // namespace

int http_status_for(HttpParseError error) noexcept {
  switch (error) {
    case HttpParseError::kBodyTooLarge:
      return 413;
    case HttpParseError::kHeadersTooLarge:
      return 431;
    case HttpParseError::kNone:
    case HttpParseError::kMalformed:
      break;
  }
  return 400;
}

struct HttpRequestParser::Impl {
  HttpParserLimits limits;
  std::string buffer;  // received bytes; [start, end) not yet part of a completed request
  std::size_t start = 0;
  std::optional<http::request_parser<http::string_body>> parser;
  HttpParseStatus status = HttpParseStatus::kNeedMore;
  HttpParseError error = HttpParseError::kNone;
  HttpRequest request;

  void begin_request() {
    parser.emplace();
    parser->eager(true);
    parser->header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
    parser->body_limit(limits.max_body_bytes);
    status = HttpParseStatus::kNeedMore;
    if (start > 0 && start * 2 >= buffer.size()) {
      buffer.erase(0, start);
      start = 0;
    }
  }

  HttpParseStatus parse() {
    while (true) {
      boost::system::error_code ec;
      const std::size_t used =
          parser->put(boost::asio::const_buffer(buffer.data() + start, buffer.size() - start), ec);
      start += used;
      if (ec == http::error::need_more) {
        if (buffer.size() - start > limits.max_header_bytes && !parser->is_header_done()) {
          return set_error(HttpParseError::kHeadersTooLarge);
        }
        if (used == 0 || start == buffer.size()) {
          return status = HttpParseStatus::kNeedMore;
        }
        continue;
      }
      if (ec) {
        return set_error(classify(ec));
      }
      if (parser->is_done()) {
        extract();
        return status = HttpParseStatus::kComplete;
      }
      if (used == 0) {
        return status = HttpParseStatus::kNeedMore;
      }
    }
  }

  HttpParseStatus set_error(HttpParseError kind) {
    error = kind;
    return status = HttpParseStatus::kError;
  }

  void extract() {
    auto& message = parser->get();
    request = HttpRequest{};
    request.method = to_view(message.method_string());
    request.target = to_view(message.target());
    const std::size_t question = request.target.find('?');
    request.path = request.target.substr(0, question);
    if (question != std::string::npos) {
      request.query = request.target.substr(question + 1);
    }
    request.version = message.version();
    request.keep_alive = message.keep_alive();
    for (const auto& field : message) {
      const std::string_view value = to_view(field.value());
      switch (field.name()) {
        case http::field::host:
          request.host = value;
          break;
        case http::field::upgrade:
          append_joined(request.upgrade_header, value);
          break;
        case http::field::connection:
          append_joined(request.connection_header, value);
          break;
        case http::field::origin:
          request.origin = value;
          break;
        case http::field::content_type:
          request.content_type = value;
          break;
        case http::field::authorization:
          request.authorization = value;
          break;
        case http::field::sec_websocket_key:
          request.sec_websocket_key = value;
          break;
        case http::field::sec_websocket_version:
          request.sec_websocket_version = value;
          break;
        case http::field::sec_websocket_protocol:
          append_joined(request.sec_websocket_protocol, value);
          break;
        case http::field::sec_websocket_extensions:
          append_joined(request.sec_websocket_extensions, value);
          break;
        default:
          break;
      }
    }
    request.upgrade = is_upgrade_request(request);
    request.body = std::move(message.body());
  }
};

HttpRequestParser::HttpRequestParser(HttpParserLimits limits) : impl_(std::make_unique<Impl>()) {
  impl_->limits = limits;
  impl_->begin_request();
}
HttpRequestParser::~HttpRequestParser() = default;
HttpRequestParser::HttpRequestParser(HttpRequestParser&&) noexcept = default;
HttpRequestParser& HttpRequestParser::operator=(HttpRequestParser&&) noexcept = default;

HttpParseStatus HttpRequestParser::feed(std::span<const std::byte> bytes) {
  if (impl_->status == HttpParseStatus::kError) {
    return HttpParseStatus::kError;
  }
  impl_->buffer.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  if (impl_->status == HttpParseStatus::kComplete) {
    return next();
  }
  return impl_->parse();
}

bool HttpRequestParser::reading_head() const noexcept {
  const Impl& impl = *impl_;
  if (impl.status != HttpParseStatus::kNeedMore || !impl.parser || impl.parser->is_header_done()) {
    return false;
  }
  return impl.start < impl.buffer.size() || impl.parser->got_some();
}

HttpParseStatus HttpRequestParser::next() {
  if (impl_->status == HttpParseStatus::kError) {
    return HttpParseStatus::kError;
  }
  if (impl_->status == HttpParseStatus::kComplete) {
    impl_->begin_request();
  }
  if (impl_->start == impl_->buffer.size()) {
    return impl_->status = HttpParseStatus::kNeedMore;
  }
  return impl_->parse();
}

const HttpRequest& HttpRequestParser::request() const noexcept {
  return impl_->request;
}
HttpRequest& HttpRequestParser::request() noexcept {
  return impl_->request;
}
HttpParseError HttpRequestParser::error() const noexcept {
  return impl_->error;
}

std::span<const std::byte> HttpRequestParser::pending() const noexcept {
  return std::as_bytes(std::span<const char>(impl_->buffer.data() + impl_->start,
                                             impl_->buffer.size() - impl_->start));
}

std::string HttpRequestParser::take_pending() {
  std::string rest = impl_->buffer.substr(impl_->start);
  impl_->buffer.clear();
  impl_->start = 0;
  return rest;
}

HttpResponseHeadParse parse_response_head(std::span<const std::byte> bytes, HttpResponseHead& out,
                                          std::size_t max_header_bytes) {
  http::response_parser<http::empty_body> parser;
  parser.eager(false);
  parser.skip(true);  // only the head matters here; the body (if any) is not read
  parser.header_limit(static_cast<std::uint32_t>(max_header_bytes));
  boost::system::error_code ec;
  HttpResponseHeadParse result;
  const std::size_t used = parser.put(boost::asio::const_buffer(bytes.data(), bytes.size()), ec);
  if (ec == http::error::need_more) {
    if (bytes.size() > max_header_bytes) {
      result.status = HttpParseStatus::kError;
    }
    return result;
  }
  if (ec || !parser.is_header_done()) {
    result.status = ec ? HttpParseStatus::kError : HttpParseStatus::kNeedMore;
    return result;
  }
  const auto& message = parser.get();
  out = HttpResponseHead{};
  out.status = message.result_int();
  for (const auto& field : message) {
    const std::string_view value = to_view(field.value());
    switch (field.name()) {
      case http::field::upgrade:
        append_joined(out.upgrade_header, value);
        break;
      case http::field::connection:
        append_joined(out.connection_header, value);
        break;
      case http::field::sec_websocket_accept:
        out.sec_websocket_accept = value;
        break;
      case http::field::sec_websocket_protocol:
        append_joined(out.sec_websocket_protocol, value);
        break;
      case http::field::sec_websocket_extensions:
        append_joined(out.sec_websocket_extensions, value);
        break;
      case http::field::sec_websocket_version:
        out.sec_websocket_version = value;
        break;
      default:
        break;
    }
  }
  result.status = HttpParseStatus::kComplete;
  result.consumed = used;
  return result;
}

}  // namespace hexwire::net
