// Identity of a /ws connection and the access rules of protocol v1: who may read (sub, history,
// presence, read) and who may publish to which channel. Tokens come from the upgrade URL
// (?token=) or {"op":"auth"}; with --anonymous a bare user name is accepted (load tests).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/jwt.hpp"
#include "app/protocol.hpp"

namespace hexwire::app {

struct Identity {
  std::string user;
  std::string role;                           // "rider", "driver", "admin" or empty
  std::vector<std::string> channel_patterns;  // allowed patterns when `restricted`
  bool restricted = false;                    // the token carried a `channels` claim
  /// The token's `exp` (Unix seconds); none for anonymous identities, which do not expire.
  std::optional<std::int64_t> expires_at_s;
  bool reads_system = false;  // may read sys: channels (role admin, or the engine runs --anonymous)
  [[nodiscard]] bool is_admin() const noexcept { return role == "admin"; }
};

/// `pattern` is a channel name, or a prefix followed by `*` that matches every channel starting
/// with the prefix (a lone `*` matches everything).
[[nodiscard]] bool pattern_matches(std::string_view pattern, std::string_view channel) noexcept;

enum class Access : std::uint8_t { kAllowed, kForbidden };

/// Reading a channel (sub, history, presence, read): `user:<id>` only by that user; `sys:` only
/// with Identity::reads_system; any other channel when it matches the token's patterns (or the
/// token has none).
[[nodiscard]] Access read_access(const Identity& identity, std::string_view channel) noexcept;
/// Publishing: `user:`, `cell:`, `surge:` and `sys:` channels carry engine events, so only an
/// admin may publish there; any other channel when it matches the token's patterns (or it has none).
[[nodiscard]] Access publish_access(const Identity& identity, std::string_view channel) noexcept;

struct AuthConfig {
  std::string jwt_secret;  // empty: tokens are refused
  std::int64_t jwt_clock_skew_s = 30;
  bool anonymous = false;    // accept {"op":"auth","user":...} without a token
  std::string jwt_audience;  // non-empty: a token's `aud` must name it
  std::string jwt_issuer;    // non-empty: a token's `iss` must equal it
};

struct AuthOutcome {
  bool ok = false;
  ErrorCode code = ErrorCode::kUnauthorized;
  std::string_view reason;  // static text for the error message
  Identity identity;
};

class Authenticator {
 public:
  explicit Authenticator(AuthConfig config);
  /// A token from the URL or an auth op, checked at `now_s` (Unix seconds).
  [[nodiscard]] AuthOutcome with_token(std::string_view token, std::int64_t now_s) const;
  /// An auth op: token when present, else the anonymous user (only with --anonymous).
  [[nodiscard]] AuthOutcome with_op(const AuthOp& op, std::int64_t now_s) const;
  [[nodiscard]] bool anonymous_allowed() const noexcept { return config_.anonymous; }
  /// How far a token's `exp` may lie in the past (the connection closes at exp + skew).
  [[nodiscard]] std::int64_t clock_skew_s() const noexcept { return verifier_.clock_skew_s(); }

 private:
  AuthConfig config_;
  JwtVerifier verifier_;
};

}  // namespace hexwire::app
