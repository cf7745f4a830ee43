// Settings of the /ws application (identity and per-connection limits) with their documented
// defaults, and the CLI11 flags that fill them. The engine's parse_engine_config() calls
// add_ws_app_options() so these flags share --help and the config file with the others.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "app/auth.hpp"

namespace CLI {
class App;
}

namespace hexwire::app {

/// Shortest HS256 secret accepted at start (RFC 7518 3.2: a key of at least the hash size).
inline constexpr std::size_t kMinJwtSecretBytes = 32;

struct WsAppConfig {
  AuthConfig auth;  // --jwt-secret, --jwt-clock-skew-s, --jwt-audience, --jwt-issuer, --anonymous
  std::string jwt_secret_file;  // --jwt-secret-file (read by finalize_ws_app_config)

  /// Larger /ws messages get too_large. Not a flag of its own: node_services_config() takes it
  /// from the engine's --ws-max-message-bytes.
  std::size_t max_message_bytes = 64 * 1024;
  std::size_t max_subscriptions_per_connection = 1'000;
  std::uint64_t publish_rate_per_s = 1'000;         // token bucket refill; 0 = unlimited
  std::uint64_t publish_burst = 1'000;              // token bucket size
  // Every other op takes a token from one of two buckets per connection: expensive ops (sub,
  // history, presence, nearby, ride: each makes the engine search, copy or fan in) and cheap ones
  // (everything else, auth attempts included). Rate 0 = unlimited.
  std::uint64_t op_rate_per_s = 1'000;
  std::uint64_t op_burst = 1'000;
  std::uint64_t expensive_op_rate_per_s = 100;
  std::uint64_t expensive_op_burst = 1'000;  // = the subscription limit: a client resubscribes at once
  std::size_t max_channels_per_shard = 1'000'000;   // channels owned by one shard
  std::size_t max_members_per_channel = 1'000'000;  // online and offline members
  std::size_t history_max_reply_bytes = 1u << 20;   // history reply: the rest gets "more":true
  std::uint64_t history_max_limit = 1'000;          // history op: larger limits are clamped
  std::uint32_t auth_timeout_ms = 10'000;           // unauthenticated connections close (1008)
  // Channel history (pubsub::Config): the newest keep_messages always stay, older ones while
  // younger than keep_age_s, never more than max_messages.
  std::size_t history_keep_messages = 1'000;
  std::uint32_t history_keep_age_s = 600;
  std::size_t history_max_messages = 10'000;
  // Presence coalescing window: base, per subscriber, cap (pubsub::Config).
  std::uint32_t presence_window_ms = 50;
  std::uint32_t presence_window_per_subscriber_us = 500;
  std::uint32_t presence_max_window_ms = 2'000;
  std::uint32_t presence_leave_grace_ms = 1'000;  // larger channels: leaves wait this long
  // Presence in large channels and for clients that do not say (pubsub::Config).
  std::size_t presence_max_members = 1'000;          // above: member counts, not join/leave
  std::uint32_t presence_count_interval_ms = 1'000;  // at most one count event per interval
  bool presence_by_default = false;                  // `sub` without "presence" gets events
  // Bounds of what the broker keeps (pubsub::Config).
  std::size_t history_max_bytes_per_shard = 128u << 20;
  std::size_t engine_history_max_messages = 100;  // user:, cell:, surge: channels
  std::uint32_t engine_history_max_age_s = 60;
  std::uint32_t channel_idle_ttl_s = 600;
  std::uint32_t offline_member_ttl_s = 3'600;
  std::size_t max_offline_members_per_channel = 10'000;
  std::size_t offline_queue_max_messages = 100;  // per user; the oldest go first (counted, announced)
};

/// Adds the /ws flags (names in docs/protocol.md "Limits") to `cli`, bound to `config`.
void add_ws_app_options(CLI::App& cli, WsAppConfig& config);

/// After parsing: reads --jwt-secret-file into auth.jwt_secret (trailing newline removed) and checks
/// the identity settings as a whole. Throws std::runtime_error with a message a user can act on
/// when the file cannot be read or is empty, when both --jwt-secret and --jwt-secret-file were
/// given, when the secret is shorter than kMinJwtSecretBytes, when --anonymous is combined with a
/// secret (a production engine must not also accept bare user names), or when --jwt-audience or
/// --jwt-issuer is given without a secret.
void finalize_ws_app_config(WsAppConfig& config);

/// The /ws settings as TOML lines for --print-config (the secret itself is never printed).
[[nodiscard]] std::string ws_app_config_toml(const WsAppConfig& config);

}  // namespace hexwire::app
