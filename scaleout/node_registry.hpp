// NodeRegistry: the pool's membership in Redis. Every node heartbeats into one sorted set
// (`<prefix>:{nodes}:live`, score = Redis's clock in ms) and learns the live nodes from the same
// round trip; a node silent for longer than the TTL is dead. The lowest live node id is the
// janitor: it moves dead nodes to `<prefix>:{nodes}:dead` and hands each to the owner's cleanup
// (its presence entries), removing it once cleaned. Runs on one shard's RedisClient and timers.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/timer_wheel.hpp"
#include "core/unique_function.hpp"
#include "redis/client.hpp"

namespace hexwire::scaleout {

struct NodeRegistryConfig {
  std::string prefix = "hw";
  std::string node_id;  // unique in the pool; make_node_id() when empty
  std::string address;  // where clients reach this node (informational, shown by `hexwire` tools)
  std::uint64_t heartbeat_interval_ns = 1'000'000'000;
  std::uint64_t node_ttl_ms = 5'000;  // silent this long: dead
};

/// A random node id: 16 hex digits.
[[nodiscard]] std::string make_node_id();

class NodeRegistry {
 public:
  /// The live nodes (sorted ids, this node included once registered), each time the set changes.
  using LiveNodesCallback = std::function<void(const std::vector<std::string>& live)>;
  /// This node is the janitor of dead node `node`: clean its state, then call `done` (the node
  /// leaves the dead set; if `done` is never called another janitor retries later).
  using CleanupCallback =
      std::function<void(const std::string& node, core::UniqueFunction<void()> done)>;

  NodeRegistry(redis::RedisClient& client, core::TimerWheel& timers, NodeRegistryConfig config,
               LiveNodesCallback on_live, CleanupCallback cleanup);
  ~NodeRegistry();
  NodeRegistry(const NodeRegistry&) = delete;
  NodeRegistry& operator=(const NodeRegistry&) = delete;

  /// The heartbeat's Lua script (to load on connect: RedisConnection's options.scripts).
  [[nodiscard]] static const redis::Script& heartbeat_script();
  /// The zset of live node ids (score: last heartbeat, ms) under key namespace `prefix`.
  [[nodiscard]] static std::string live_key(std::string_view prefix);

  /// Heartbeats now and every interval from then on.
  void start();
  /// Removes this node from the live set at once (graceful stop); heartbeats stop.
  void leave(core::UniqueFunction<void()> done);

  [[nodiscard]] const std::string& node_id() const noexcept { return config_.node_id; }
  [[nodiscard]] const std::vector<std::string>& live() const noexcept { return live_; }
  /// True while the last heartbeat was answered.
  [[nodiscard]] bool registered() const noexcept { return registered_; }
  [[nodiscard]] std::uint64_t heartbeats() const noexcept { return heartbeats_; }
  /// The key of the set of channels where `node` has presence entries (cleaned when it dies).
  [[nodiscard]] std::string channels_key(std::string_view node) const;

 private:
  void heartbeat();
  void on_heartbeat(redis::ReplyView reply);
  void clean(const std::string& node);

  redis::RedisClient& client_;
  core::TimerWheel& timers_;
  NodeRegistryConfig config_;
  LiveNodesCallback on_live_;
  CleanupCallback cleanup_;
  std::string live_key_;
  std::string dead_key_;
  std::string address_key_;
  std::vector<std::string> live_;
  std::vector<std::string> cleaning_;
  core::TimerId timer_ = 0;
  bool registered_ = false;
  bool stopped_ = false;
  bool in_flight_ = false;
  std::uint64_t heartbeats_ = 0;
};

}  // namespace hexwire::scaleout
