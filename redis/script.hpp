// A Lua script sent by its SHA1 (EVALSHA). RedisClient loads it on the node that answers NOSCRIPT
// (first use, a restarted server, a new cluster node) and re-sends the call, so callers never see
// that error. Scripts are immutable and must outlive every client that runs them.
#pragma once

#include <string>

namespace hexwire::redis {

class Script {
 public:
  explicit Script(std::string source);
  [[nodiscard]] const std::string& source() const noexcept { return source_; }
  /// Lower-case hex SHA1 of the source, as Redis names cached scripts.
  [[nodiscard]] const std::string& sha1() const noexcept { return sha1_; }

 private:
  std::string source_;
  std::string sha1_;
};

}  // namespace hexwire::redis
