// Parsing of the --redis URL (see target.hpp).
#include "redis/target.hpp"

#include <charconv>
#include <stdexcept>

#include "core/socket.hpp"

namespace hexwire::redis {

namespace {

constexpr std::string_view kUsage =
    "expected redis://[:password@]host[:port] or "
    "redis+cluster://[:password@]host:port[,host:port...]";

[[noreturn]] void fail(std::string_view url, std::string_view why) {
  throw std::invalid_argument("bad Redis URL '" + std::string(url) + "': " + std::string(why) +
                              " (" + std::string(kUsage) + ")");
}

Endpoint parse_endpoint(std::string_view url, std::string_view text) {
  Endpoint endpoint;
  std::string_view host = text;
  const std::size_t colon = text.rfind(':');
  if (colon != std::string_view::npos) {
    host = text.substr(0, colon);
    const std::string_view port_text = text.substr(colon + 1);
    unsigned port = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 ||
        port > 65535) {
      fail(url, "port '" + std::string(port_text) + "' is not a number in 1..65535");
    }
    endpoint.port = static_cast<std::uint16_t>(port);
  }
  if (host.empty()) {
    fail(url, "missing host");
  }
  try {
    (void)core::SocketAddress::parse(host, endpoint.port);
  } catch (const std::invalid_argument&) {
    fail(url, "host '" + std::string(host) + "' is not a numeric address or localhost");
  }
  endpoint.host = host == "localhost" ? "127.0.0.1" : std::string(host);
  return endpoint;
}

}  // namespace

std::string Endpoint::to_string() const {
  return host + ":" + std::to_string(port);
}

Target parse_target(std::string_view url) {
  Target target;
  std::string_view rest;
  if (url.starts_with("redis://")) {
    rest = url.substr(8);
  } else if (url.starts_with("redis+cluster://")) {
    rest = url.substr(16);
    target.cluster = true;
  } else {
    fail(url, "unknown scheme");
  }
  const std::size_t at = rest.rfind('@');
  if (at != std::string_view::npos) {
    std::string_view credentials = rest.substr(0, at);
    if (!credentials.starts_with(':')) {
      fail(url, "only a password is supported before '@' (write :password@)");
    }
    target.password = std::string(credentials.substr(1));
    rest = rest.substr(at + 1);
  }
  if (!rest.empty() && rest.back() == '/') {
    rest.remove_suffix(1);
  }
  if (rest.find('/') != std::string_view::npos) {
    fail(url, "database numbers and paths are not supported");
  }
  while (!rest.empty()) {
    const std::size_t comma = rest.find(',');
    target.seeds.push_back(parse_endpoint(url, rest.substr(0, comma)));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  }
  if (target.seeds.empty()) {
    fail(url, "missing host");
  }
  if (!target.cluster && target.seeds.size() > 1) {
    fail(url, "several hosts need redis+cluster://");
  }
  return target;
}

std::string describe(const Target& target) {
  std::string out = target.cluster ? "redis+cluster://" : "redis://";
  if (!target.password.empty()) {
    out += ":***@";
  }
  for (std::size_t i = 0; i < target.seeds.size(); ++i) {
    out += (i == 0 ? "" : ",") + target.seeds[i].to_string();
  }
  return out;
}

}  // namespace hexwire::redis
