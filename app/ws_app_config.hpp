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

struct WsAppConfig {
  AuthConfig auth;              // --jwt-secret, --jwt-clock-skew-s, --anonymous
  std::string jwt_secret_file;  // --jwt-secret-file (read by finalize_ws_app_config)

  /// Larger /ws messages get too_large. Not a flag of its own: register_ws_application() takes it
  /// from the engine's --ws-max-message-bytes.
  std::size_t max_message_bytes = 64 * 1024;
  std::size_t max_subscriptions_per_connection = 1'000;
  std::uint64_t publish_rate_per_s = 1'000;         // token bucket refill; 0 = unlimited
  std::uint64_t publish_burst = 1'000;              // token bucket size
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
};

/// Adds the /ws flags (names in docs/protocol.md "Limits") to `cli`, bound to `config`.
void add_ws_app_options(CLI::App& cli, WsAppConfig& config);

/// After parsing: reads --jwt-secret-file into auth.jwt_secret (trailing newline removed). Throws
/// std::runtime_error with the path and reason when the file cannot be read or is empty, or when
/// both --jwt-secret and --jwt-secret-file were given.
void finalize_ws_app_config(WsAppConfig& config);

}  // namespace hexwire::app
