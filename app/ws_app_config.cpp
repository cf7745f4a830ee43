// CLI11 flags of the /ws application and the secret-file loading (start-up only; throws with
// messages a user can act on).
#include "app/ws_app_config.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace hexwire::app {

void add_ws_app_options(CLI::App& cli, WsAppConfig& c) {
  cli.add_option("--jwt-secret", c.auth.jwt_secret,
                 "HS256 secret for /ws tokens (prefer --jwt-secret-file: argv is visible to ps)");
  cli.add_option("--jwt-secret-file", c.jwt_secret_file,
                 "File holding the HS256 secret for /ws tokens (trailing newline ignored)");
  cli.add_option("--jwt-clock-skew-s", c.auth.jwt_clock_skew_s,
                 "Seconds a token's exp/nbf may be off from this host's clock")
      ->capture_default_str()
      ->check(CLI::Range(0, 3600));
  cli.add_option("--jwt-audience", c.auth.jwt_audience,
                 "Tokens must name this audience in `aud` (unset: tokens carrying `aud` are refused)");
  cli.add_option("--jwt-issuer", c.auth.jwt_issuer, "Tokens must carry this `iss`");
  cli.add_flag("--anonymous", c.auth.anonymous,
               "Accept {\"op\":\"auth\",\"user\":...} without a token (load tests only; not "
               "together with a JWT secret)");
  cli.add_option("--ws-max-subscriptions", c.max_subscriptions_per_connection,
                 "Subscriptions per /ws connection")
      ->capture_default_str();
  cli.add_option("--ws-publish-rate", c.publish_rate_per_s,
                 "Publishes per second per connection (token bucket refill; 0 = unlimited)")
      ->capture_default_str();
  cli.add_option("--ws-publish-burst", c.publish_burst,
                 "Publishes a connection may send at once (token bucket size)")
      ->capture_default_str()
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1'000'000'000}));
  cli.add_option("--ws-op-rate", c.op_rate_per_s,
                 "Cheap ops (all but pub and the expensive ones) per second per connection (token "
                 "bucket refill; 0 = unlimited)")
      ->capture_default_str();
  cli.add_option("--ws-op-burst", c.op_burst, "Cheap ops a connection may send at once")
      ->capture_default_str()
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1'000'000'000}));
  cli.add_option("--ws-expensive-op-rate", c.expensive_op_rate_per_s,
                 "Expensive ops (sub, history, presence, nearby, ride) per second per connection "
                 "(0 = unlimited)")
      ->capture_default_str();
  cli.add_option("--ws-expensive-op-burst", c.expensive_op_burst,
                 "Expensive ops a connection may send at once")
      ->capture_default_str()
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1'000'000'000}));
  cli.add_option("--max-channels-per-shard", c.max_channels_per_shard, "Channels one shard may own")
      ->capture_default_str();
  cli.add_option("--max-channel-members", c.max_members_per_channel,
                 "Members (online and offline) per channel")
      ->capture_default_str();
  cli.add_option("--history-max-reply-bytes", c.history_max_reply_bytes,
                 "Largest history reply payload; the rest is left out and flagged \"more\":true")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1024}, std::size_t{64} << 20));
  cli.add_option("--history-max-limit", c.history_max_limit,
                 "Largest `limit` a history request is served with (larger ones are clamped)")
      ->capture_default_str();
  cli.add_option("--history-keep-messages", c.history_keep_messages,
                 "Newest messages per channel kept for resume and history whatever their age")
      ->capture_default_str();
  cli.add_option("--history-keep-age-s", c.history_keep_age_s,
                 "Older messages are kept while younger than this")
      ->capture_default_str();
  cli.add_option("--history-max-messages", c.history_max_messages,
                 "Messages per channel history at most, whatever their age")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{100'000'000}));
  cli.add_option("--presence-window-ms", c.presence_window_ms,
                 "Join/leave changes are coalesced and announced at most this often per channel")
      ->capture_default_str()
      ->check(CLI::Range(1u, 60'000u));
  cli.add_option("--presence-window-per-subscriber-us", c.presence_window_per_subscriber_us,
                 "Larger channels coalesce longer: window = subscribers x this (at least "
                 "--presence-window-ms)")
      ->capture_default_str();
  cli.add_option("--presence-max-window-ms", c.presence_max_window_ms,
                 "Longest presence window of any channel")
      ->capture_default_str()
      ->check(CLI::Range(1u, 600'000u));
  cli.add_option("--presence-leave-grace-ms", c.presence_leave_grace_ms,
                 "In channels with a longer window, announce a leave only after the user stayed "
                 "offline this long (a reconnect within it sends no events; 0 = at once)")
      ->capture_default_str()
      ->check(CLI::Range(0u, 600'000u));
  cli.add_option("--presence-max-members", c.presence_max_members,
                 "A channel with more online members sends no join/leave events, only its member "
                 "count (at most once per --presence-count-interval-ms)")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{100'000'000}));
  cli.add_option("--presence-count-interval-ms", c.presence_count_interval_ms,
                 "Least time between two member-count events of one large channel")
      ->capture_default_str()
      ->check(CLI::Range(1u, 600'000u));
  cli.add_flag("--presence-by-default", c.presence_by_default,
               "Send presence events to subscriptions that do not say \"presence\" on sub (as "
               "protocol v1 did before presence became opt-in)");
  cli.add_option("--history-max-bytes-per-shard", c.history_max_bytes_per_shard,
                 "History bytes one shard keeps over all its channels (payload + names + ~160 B "
                 "per message); beyond it the shard's oldest messages go first; 0 = no budget")
      ->capture_default_str();
  cli.add_option("--engine-history-max-messages", c.engine_history_max_messages,
                 "History of user:, cell: and surge: channels: at most this many messages")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{100'000}));
  cli.add_option("--engine-history-max-age-s", c.engine_history_max_age_s,
                 "History of user:, cell: and surge: channels: no message older than this")
      ->capture_default_str()
      ->check(CLI::Range(1u, 86'400u));
  cli.add_option("--channel-idle-ttl-s", c.channel_idle_ttl_s,
                 "Forget a channel (and its history) with no members and no subscription that "
                 "has not been published to for this long")
      ->capture_default_str()
      ->check(CLI::Range(1u, 31'536'000u));
  cli.add_option("--offline-member-ttl-s", c.offline_member_ttl_s,
                 "End the membership of a user offline this long in a channel, and drop the "
                 "offline queue of a user with no connection for this long")
      ->capture_default_str()
      ->check(CLI::Range(1u, 31'536'000u));
  cli.add_option("--max-offline-members-per-channel", c.max_offline_members_per_channel,
                 "Offline members kept per channel; beyond it the one offline longest stops being "
                 "a member")
      ->capture_default_str();
  cli.add_option("--offline-queue-max-messages", c.offline_queue_max_messages,
                 "Notifications kept per user while none of the user's connections is open; "
                 "beyond it the oldest are dropped, counted and announced at the next connection")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{100'000}));
  cli.add_option("--auth-timeout-ms,--ws-auth-timeout-ms", c.auth_timeout_ms,
                 "Close (1008) /ws connections that have not authenticated after this long "
                 "(0 = never)")
      ->capture_default_str();
}

namespace {

std::string read_secret_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw std::runtime_error("cannot read --jwt-secret-file " + path + ": " +
                             std::strerror(errno));
  }
  std::ostringstream text;
  text << in.rdbuf();
  std::string secret = text.str();
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) {
    secret.pop_back();
  }
  if (secret.empty()) {
    throw std::runtime_error("--jwt-secret-file " + path + " is empty");
  }
  return secret;
}

}  // namespace

void finalize_ws_app_config(WsAppConfig& c) {
  if (!c.jwt_secret_file.empty()) {
    if (!c.auth.jwt_secret.empty()) {
      throw std::runtime_error("give either --jwt-secret or --jwt-secret-file, not both");
    }
    c.auth.jwt_secret = read_secret_file(c.jwt_secret_file);
  }
  const std::size_t length = c.auth.jwt_secret.size();
  if (length > 0 && length < kMinJwtSecretBytes) {
    throw std::runtime_error(fmt::format(
        "the JWT secret has {} bytes; HS256 needs at least {} (RFC 7518 3.2), e.g. from "
        "`openssl rand -base64 48`",
        length, kMinJwtSecretBytes));
  }
  if (length > 0 && c.auth.anonymous) {
    throw std::runtime_error(
        "--anonymous lets anyone claim any user name without a token; it cannot be combined "
        "with --jwt-secret or --jwt-secret-file (use --anonymous for load tests only)");
  }
  if (length == 0 && (!c.auth.jwt_audience.empty() || !c.auth.jwt_issuer.empty())) {
    throw std::runtime_error(
        "--jwt-audience and --jwt-issuer check tokens: give --jwt-secret-file as well");
  }
}

std::string ws_app_config_toml(const WsAppConfig& c) {
  std::string out;
  if (!c.jwt_secret_file.empty()) {
    out += fmt::format("jwt-secret-file = \"{}\"\n", c.jwt_secret_file);
  } else if (!c.auth.jwt_secret.empty()) {
    out += "# jwt-secret is set (not printed)\n";
  }
  out += fmt::format(
      "jwt-clock-skew-s = {}\njwt-audience = \"{}\"\njwt-issuer = \"{}\"\nanonymous = {}\n",
      c.auth.jwt_clock_skew_s, c.auth.jwt_audience, c.auth.jwt_issuer,
      c.auth.anonymous ? "true" : "false");
  out += fmt::format(
      "auth-timeout-ms = {}\nws-max-subscriptions = {}\nws-publish-rate = {}\n"
      "ws-publish-burst = {}\nws-op-rate = {}\nws-op-burst = {}\nws-expensive-op-rate = {}\n"
      "ws-expensive-op-burst = {}\n",
      c.auth_timeout_ms, c.max_subscriptions_per_connection, c.publish_rate_per_s,
      c.publish_burst, c.op_rate_per_s, c.op_burst, c.expensive_op_rate_per_s,
      c.expensive_op_burst);
  out += fmt::format(
      "max-channels-per-shard = {}\nmax-channel-members = {}\nhistory-max-reply-bytes = {}\n"
      "history-max-limit = {}\nhistory-keep-messages = {}\nhistory-keep-age-s = {}\n"
      "history-max-messages = {}\n",
      c.max_channels_per_shard, c.max_members_per_channel, c.history_max_reply_bytes,
      c.history_max_limit, c.history_keep_messages, c.history_keep_age_s,
      c.history_max_messages);
  out += fmt::format(
      "presence-window-ms = {}\npresence-window-per-subscriber-us = {}\n"
      "presence-max-window-ms = {}\npresence-leave-grace-ms = {}\n",
      c.presence_window_ms, c.presence_window_per_subscriber_us, c.presence_max_window_ms,
      c.presence_leave_grace_ms);
  out += fmt::format(
      "presence-max-members = {}\npresence-count-interval-ms = {}\npresence-by-default = {}\n",
      c.presence_max_members, c.presence_count_interval_ms,
      c.presence_by_default ? "true" : "false");
  out += fmt::format(
      "history-max-bytes-per-shard = {}\nengine-history-max-messages = {}\n"
      "engine-history-max-age-s = {}\nchannel-idle-ttl-s = {}\noffline-member-ttl-s = {}\n"
      "max-offline-members-per-channel = {}\noffline-queue-max-messages = {}\n",
      c.history_max_bytes_per_shard, c.engine_history_max_messages, c.engine_history_max_age_s,
      c.channel_idle_ttl_s, c.offline_member_ttl_s, c.max_offline_members_per_channel,
      c.offline_queue_max_messages);
  return out;
}

}  // namespace hexwire::app
