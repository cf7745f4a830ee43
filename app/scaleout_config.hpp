// Settings of the scale-out side of the engine: which broker the node runs (--broker memory|redis),
// where Redis is (--redis URL), this node's id in the pool, and the bounds of what Redis keeps.
// parse_engine_config() calls add_scaleout_options() so these flags share --help and the config
// file with the others; docs/scale-out.md describes the pool.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace CLI {
class App;
}

namespace hexwire::app {

enum class BrokerKind : std::uint8_t {
  kMemory,  // pubsub::LocalBroker: one process, state in memory (the default)
  kRedis,   // scaleout::RedisBroker: a pool of nodes sharing channel state through Redis
};

struct ScaleoutConfig {
  BrokerKind broker = BrokerKind::kMemory;
  /// redis://[:password@]host[:port] or redis+cluster://host:port[,host:port...] (--broker redis).
  std::string redis_url;
  /// This node's id in the pool; empty: a random one at start-up.
  std::string node_id;
  /// Every Redis operation answers within this deadline (else `unavailable` to the client).
  std::uint32_t redis_timeout_ms = 1'000;
  /// A Redis connection owed replies that receives nothing for this long is dropped (the server
  /// is declared unresponsive); a late reply alone fails only its own operation.
  std::uint32_t redis_liveness_timeout_ms = 5'000;
  /// A subscribe waits this long for the node's Redis subscription to its channel to go live.
  std::uint32_t redis_join_timeout_ms = 10'000;
  /// Key namespace in Redis: pools sharing one Redis use different prefixes.
  std::string redis_prefix = "hw";
  /// Messages each channel's stream keeps (XADD MAXLEN ~): history and resume reach this far.
  std::uint32_t redis_history_messages = 10'000;
  /// A channel's keys expire this long after its last use.
  std::uint32_t redis_channel_ttl_s = 24 * 3'600;
  /// A node that has not heartbeaten for this long is dead: its members go offline.
  std::uint32_t node_ttl_ms = 5'000;
};

[[nodiscard]] std::string_view to_string(BrokerKind kind) noexcept;

/// Adds --broker, --redis (alias --redis-url), --node-id, --redis-timeout-ms,
/// --redis-join-timeout-ms, --redis-liveness-timeout-ms, --redis-prefix,
/// --redis-history-messages, --redis-channel-ttl-s and --node-ttl-ms to `cli`, bound to `config`.
void add_scaleout_options(CLI::App& cli, ScaleoutConfig& config);

/// The scale-out settings as TOML lines (for --print-config); the Redis password is not shown.
[[nodiscard]] std::string scaleout_config_toml(const ScaleoutConfig& config);

/// Throws std::invalid_argument with a message naming the flag when the combination is unusable
/// (--broker redis without --redis, a malformed URL).
void finalize_scaleout_config(const ScaleoutConfig& config);

}  // namespace hexwire::app
