// CLI11 flags of the scale-out side (the broker choice, Redis and the node's place in the pool).
#include "app/scaleout_config.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <stdexcept>
#include <string>

#include "redis/target.hpp"

namespace hexwire::app {

std::string_view to_string(BrokerKind kind) noexcept {
  return kind == BrokerKind::kRedis ? "redis" : "memory";
}

void add_scaleout_options(CLI::App& cli, ScaleoutConfig& c) {
  cli.add_option_function<std::string>(
         "--broker",
         [&c](const std::string& kind) {
           c.broker = kind == "redis" ? BrokerKind::kRedis : BrokerKind::kMemory;
         },
         "Channel broker: memory (alias local: this process only) or redis (a pool of nodes "
         "sharing state through --redis)")
      ->check(CLI::IsMember({"memory", "local", "redis"}))
      ->default_str("memory");
  cli.add_option("--redis,--redis-url", c.redis_url,
                 "Redis for --broker redis: redis://[:password@]host[:port] or "
                 "redis+cluster://host:port[,host:port...]");
  cli.add_option("--node-id", c.node_id,
                 "This node's id in the pool (letters, digits, - and _); default: random");
  cli.add_option("--redis-timeout-ms", c.redis_timeout_ms,
                 "Deadline of every Redis operation; past it the client gets `unavailable`")
      ->capture_default_str()
      ->check(CLI::Range(10u, 60'000u));
  cli.add_option("--redis-join-timeout-ms", c.redis_join_timeout_ms,
                 "A subscribe waits this long for this node's Redis subscription to its channel "
                 "to go live, then gets `unavailable` (the subscription is kept for the next; "
                 "Redis unreachable: within --redis-timeout-ms)")
      ->capture_default_str()
      ->check(CLI::Range(10u, 600'000u));
  cli.add_option("--redis-liveness-timeout-ms", c.redis_liveness_timeout_ms,
                 "A Redis connection owed replies that receives nothing for this long is dropped "
                 "and reconnected (at least --redis-timeout-ms); a reply later than "
                 "--redis-timeout-ms fails only its own operation")
      ->capture_default_str()
      ->check(CLI::Range(100u, 600'000u));
  cli.add_option("--redis-prefix", c.redis_prefix,
                 "Namespace of every Redis key (pools sharing one Redis need different ones)")
      ->capture_default_str();
  cli.add_option("--redis-history-messages", c.redis_history_messages,
                 "Messages each channel's stream keeps in Redis (history and resume reach back "
                 "this far)")
      ->capture_default_str()
      ->check(CLI::Range(1u, 10'000'000u));
  cli.add_option("--redis-channel-ttl-s", c.redis_channel_ttl_s,
                 "A channel's Redis keys expire this long after its last use")
      ->capture_default_str()
      ->check(CLI::Range(1u, 365u * 24 * 3600));
  cli.add_option("--node-ttl-ms", c.node_ttl_ms,
                 "A node silent for this long is dead: its members go offline")
      ->capture_default_str()
      ->check(CLI::Range(500u, 600'000u));
}

std::string scaleout_config_toml(const ScaleoutConfig& c) {
  std::string redis_url = c.redis_url;
  if (!redis_url.empty()) {
    try {
      redis_url = redis::describe(redis::parse_target(redis_url));  // password as ***
    } catch (const std::exception&) {
      redis_url = "(invalid)";
    }
  }
  return fmt::format(
      "broker = \"{}\"\nredis = \"{}\"\nnode-id = \"{}\"\nredis-timeout-ms = {}\n"
      "redis-join-timeout-ms = {}\nredis-liveness-timeout-ms = {}\n"
      "redis-prefix = \"{}\"\nredis-history-messages = {}\nredis-channel-ttl-s = {}\n"
      "node-ttl-ms = {}\n",
      to_string(c.broker), redis_url, c.node_id, c.redis_timeout_ms, c.redis_join_timeout_ms,
      c.redis_liveness_timeout_ms,      c.redis_prefix, c.redis_history_messages, c.redis_channel_ttl_s, c.node_ttl_ms);
}

void finalize_scaleout_config(const ScaleoutConfig& c) {
  if (c.broker != BrokerKind::kRedis) {
    if (!c.redis_url.empty()) {
      throw std::invalid_argument("--redis is used only with --broker redis");
    }
    return;
  }
  if (c.redis_url.empty()) {
    throw std::invalid_argument("--broker redis needs --redis URL (e.g. redis://127.0.0.1:6379)");
  }
  (void)redis::parse_target(c.redis_url);  // throws std::invalid_argument naming what is wrong
  if (c.redis_prefix.empty() || c.redis_prefix.find_first_of("{}: ") != std::string::npos) {
    throw std::invalid_argument("--redis-prefix must be non-empty without '{', '}', ':' or spaces");
  }
  for (char ch : c.node_id) {
    const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                    (ch >= '0' && ch <= '9') || ch == '-' || ch == '_';
    if (!ok) {
      throw std::invalid_argument("--node-id may contain only letters, digits, - and _");
    }
  }
  if (c.node_id.size() > 64) {
    throw std::invalid_argument("--node-id is at most 64 characters");
  }
}

}  // namespace hexwire::app
