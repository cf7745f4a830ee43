// Where hexwire finds Redis: the --redis URL parsed into seed endpoints, the deployment kind
// (one server, or a Redis Cluster reached through any of its masters) and the password. Boundary
// code: a malformed URL throws std::invalid_argument with a message a user can act on.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace hexwire::redis {

struct Endpoint {
  std::string host;  // numeric address (or localhost)
  std::uint16_t port = 6379;
  [[nodiscard]] std::string to_string() const;
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

struct Target {
  std::vector<Endpoint> seeds;  // at least one
  bool cluster = false;         // redis+cluster://: route by key slot, follow MOVED/ASK
  std::string password;         // AUTH <password> after connecting (empty: no AUTH)
};

/// Parses `redis://[:password@]host[:port]` (one server) or
/// `redis+cluster://[:password@]host:port[,host:port...]` (a cluster; any masters as seeds).
/// Hosts are numeric addresses or `localhost`; the port defaults to 6379.
[[nodiscard]] Target parse_target(std::string_view url);

/// The URL form of a target (password shown as ***), for banners and logs.
[[nodiscard]] std::string describe(const Target& target);

}  // namespace hexwire::redis
