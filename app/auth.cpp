// Access rules and authentication outcomes for /ws connections (see auth.hpp and docs/protocol.md
// "Identity").
#include "app/auth.hpp"

#include <utility>

#include "app/channel_name.hpp"

namespace hexwire::app {

bool pattern_matches(std::string_view pattern, std::string_view channel) noexcept {
  if (!pattern.empty() && pattern.back() == '*') {
    return channel.starts_with(pattern.substr(0, pattern.size() - 1));
  }
  return pattern == channel;
}

namespace {

bool allowed_by_patterns(const Identity& identity, std::string_view channel) noexcept {
  if (!identity.restricted) {
    return true;
  }
  for (const std::string& pattern : identity.channel_patterns) {
    if (pattern_matches(pattern, channel)) {
      return true;
    }
  }
  return false;
}

}  // namespace

Access read_access(const Identity& identity, std::string_view channel) noexcept {
  if (auto owner = user_of_channel(channel)) {
    return *owner == identity.user ? Access::kAllowed : Access::kForbidden;
  }
  if (channel_kind(channel) == ChannelKind::kSystem && !identity.reads_system) {
    return Access::kForbidden;
  }
  return allowed_by_patterns(identity, channel) ? Access::kAllowed : Access::kForbidden;
}

Access publish_access(const Identity& identity, std::string_view channel) noexcept {
  const ChannelKind kind = channel_kind(channel);
  if (kind == ChannelKind::kUser || kind == ChannelKind::kCell || kind == ChannelKind::kSurge ||
      kind == ChannelKind::kSystem) {
    return identity.is_admin() ? Access::kAllowed : Access::kForbidden;
  }
  return allowed_by_patterns(identity, channel) ? Access::kAllowed : Access::kForbidden;
}

Authenticator::Authenticator(AuthConfig config)
    : config_(std::move(config)),
      verifier_(JwtOptions{config_.jwt_secret, config_.jwt_clock_skew_s, config_.jwt_audience,
                           config_.jwt_issuer}) {}

AuthOutcome Authenticator::with_token(std::string_view token, std::int64_t now_s) const {
  AuthOutcome outcome;
  JwtResult result = verifier_.verify(token, now_s);
  if (result.status != JwtStatus::kOk) {
    outcome.reason = to_string(result.status);
    return outcome;
  }
  outcome.ok = true;
  outcome.identity.user = std::move(result.claims.subject);
  outcome.identity.role = std::move(result.claims.role);
  outcome.identity.channel_patterns = std::move(result.claims.channels);
  outcome.identity.restricted = result.claims.has_channels;
  outcome.identity.expires_at_s = result.claims.expires_at_s;
  outcome.identity.reads_system = outcome.identity.is_admin() || config_.anonymous;
  return outcome;
}

AuthOutcome Authenticator::with_op(const AuthOp& op, std::int64_t now_s) const {
  if (!op.token.empty()) {
    return with_token(op.token, now_s);
  }
  AuthOutcome outcome;
  if (!config_.anonymous) {
    outcome.reason = "a token is required (anonymous auth is disabled; see --anonymous)";
    return outcome;
  }
  if (!is_valid_user_id(op.user)) {
    outcome.code = ErrorCode::kBadRequest;
    outcome.reason = "invalid user id (1-123 bytes of A-Z a-z 0-9 _ . : @ -)";
    return outcome;
  }
  if (!op.role.empty() && op.role != "rider" && op.role != "driver") {
    outcome.code = ErrorCode::kBadRequest;
    outcome.reason = "anonymous role must be rider or driver";
    return outcome;
  }
  outcome.ok = true;
  outcome.identity.user = std::string(op.user);
  outcome.identity.role = std::string(op.role);
  outcome.identity.reads_system = true;  // --anonymous: anyone may read sys: channels
  return outcome;
}

}  // namespace hexwire::app
