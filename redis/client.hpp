// RedisClient: one shard's view of Redis, a single server or a Redis Cluster. Commands are routed
// by the slot of their key to the master that serves it (MOVED updates the slot map, ASK is
// followed for one command, TRYAGAIN/LOADING/CLUSTERDOWN are retried until the deadline), scripts
// run by SHA1 and are loaded where missing, and pub/sub subscriptions (sharded SSUBSCRIBE where
// the server has it) are kept alive across reconnects and slot moves. Everything runs on the
// calling shard's reactor and timers; nothing blocks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/reactor.hpp"
#include "core/timer_wheel.hpp"
#include "redis/connection.hpp"
#include "redis/request.hpp"
#include "redis/script.hpp"
#include "redis/target.hpp"

namespace hexwire::redis {

struct ClientConfig {
  Target target;
  /// Timeouts and bounds of every connection (the password comes from `target`).
  ConnectionOptions connection;
  /// Redirects (MOVED/ASK) and retries (TRYAGAIN/LOADING/CLUSTERDOWN) per command before it fails.
  std::uint8_t max_redirects = 16;
  std::uint64_t retry_delay_ns = 25'000'000;              // between retries of one command
  std::uint64_t slots_refresh_interval_ns = 100'000'000;  // at most one CLUSTER SLOTS per this
  /// How long a (S)SUBSCRIBE or (S)UNSUBSCRIBE may wait for its confirmation; then that request
  /// alone is given up (a subscription is asked for again, its late confirmation discarded). The
  /// pub/sub connection itself is dropped only by the liveness rule (ConnectionOptions). Longer
  /// than the command timeout: thousands of subscriptions taken at once queue behind each other.
  std::uint64_t subscribe_timeout_ns = 10'000'000'000;
};

/// Receives the pub/sub side of a client, on the client's shard.
class SubscriptionHandler {
 public:
  /// The subscription to `channel` is active (first time, or again after an interruption): every
  /// message published from now on reaches on_message, in publication order.
  virtual void on_subscribed(std::string_view channel) = 0;
  /// Messages may be missed from now on (connection lost, slot moved) until the next
  /// on_subscribed of the channel; the client re-subscribes by itself.
  virtual void on_interrupted(std::string_view channel) = 0;
  virtual void on_message(std::string_view channel, std::string_view payload) = 0;

 protected:
  ~SubscriptionHandler() = default;
};

struct ClientStats {
  std::uint64_t commands = 0;
  std::uint64_t moved = 0;
  std::uint64_t asked = 0;
  std::uint64_t retries = 0;         // TRYAGAIN / LOADING / CLUSTERDOWN / MASTERDOWN
  std::uint64_t scripts_loaded = 0;  // NOSCRIPT answered by SCRIPT LOAD
  std::uint64_t slot_refreshes = 0;  // CLUSTER SLOTS answered
  std::uint64_t messages = 0;        // pub/sub messages received
  std::uint64_t connects = 0;        // successful connections, all nodes
  std::uint64_t timeouts = 0;        // connections dropped for sending nothing (liveness)
  std::uint64_t commands_timed_out = 0;  // commands failed alone at their deadline
  std::uint64_t expired_queued = 0;      // ... of them never sent (queued behind max_sent)
  std::uint64_t late_replies = 0;        // their replies, discarded on arrival
  std::uint64_t refused = 0;             // commands refused at max_in_flight (overloaded)
};

class RedisClient final : private ConnectionOwner {
 public:
  /// Connects to the seeds at once. `reactor` and `timers` are the calling shard's; they, and
  /// `handler` when given, must outlive the client.
  RedisClient(core::Reactor& reactor, core::TimerWheel& timers, ClientConfig config,
              SubscriptionHandler* handler = nullptr);
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  /// Runs one command. `key` picks the cluster slot (empty: any node). `callback` runs exactly
  /// once, later, on this shard.
  void command(std::string_view key, std::span<const std::string_view> args,
               ReplyCallback callback);
  void command(std::string_view key, std::initializer_list<std::string_view> args,
               ReplyCallback callback);
  /// EVALSHA of `script`; all `keys` must hash to one slot (hash-tag them).
  void run_script(const Script& script, std::span<const std::string_view> keys,
                  std::span<const std::string_view> args, ReplyCallback callback);

  /// Subscribes to `channel` (SSUBSCRIBE routed by its slot; SUBSCRIBE where the server lacks
  /// sharded pub/sub) and keeps the subscription until unsubscribe(). Idempotent.
  void subscribe(std::string_view channel);
  void unsubscribe(std::string_view channel);
  /// True while the subscription is confirmed and not interrupted.
  [[nodiscard]] bool subscription_active(std::string_view channel) const;
  [[nodiscard]] std::size_t subscription_count() const noexcept { return subscriptions_.size(); }
  /// False after a SSUBSCRIBE was refused as an unknown command (Redis < 7).
  [[nodiscard]] bool sharded_pubsub() const noexcept { return sharded_; }
  /// The publish command that reaches this client's subscriptions: SPUBLISH or PUBLISH.
  [[nodiscard]] std::string_view publish_command() const noexcept {
    return sharded_ ? "SPUBLISH" : "PUBLISH";
  }

  [[nodiscard]] bool cluster() const noexcept { return config_.target.cluster; }
  /// True when at least one node's command connection is up.
  [[nodiscard]] bool connected() const noexcept;
  /// How long no command connection has been up (0 while one is): a connection that times out
  /// and reconnects at once is down for milliseconds, an unreachable server for ever longer.
  [[nodiscard]] std::uint64_t down_for_ns() const noexcept;
  [[nodiscard]] std::size_t node_count() const noexcept { return nodes_.size(); }
  /// "host:port" of the node currently serving `slot` (cluster), or of the server.
  [[nodiscard]] std::string node_for_slot(std::uint16_t slot) const;
  [[nodiscard]] ClientStats stats() const;
  [[nodiscard]] const ClientConfig& config() const noexcept { return config_; }

 private:
  struct Node {
    Endpoint endpoint;
    std::unique_ptr<RedisConnection> commands;
    std::unique_ptr<RedisConnection> pubsub;  // created on the first subscription routed here
  };
  struct Subscription {
    int node = -1;
    enum class State : std::uint8_t { kWaiting, kRequested, kActive } state = State::kWaiting;
    std::uint64_t token = 0;
  };
  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };

  // ConnectionOwner
  void on_reply(RedisConnection& connection, Request&& request, ReplyView reply) override;
  void on_failed(RedisConnection& connection, Request&& request, RedisStatus status) override;
  void on_push(RedisConnection& connection, ReplyView push) override;
  void on_state(RedisConnection& connection, bool up) override;

  ConnectionOwner& as_owner() noexcept { return *this; }
  Request make_request(std::int32_t slot, core::SharedBuffer bytes, ReplyCallback callback) const;
  /// A request for the pub/sub connection: (un)subscribe deadline, no callback.
  Request make_pubsub_request(std::int32_t slot, core::SharedBuffer bytes, Request::Kind kind,
                              std::string_view channel) const;
  void route(Request&& request);
  void complete(Request&& request, RedisStatus status, ReplyView reply);
  bool handle_redirect(RedisConnection& connection, Request& request, std::string_view error);
  void retry_later(Request&& request);
  void give_up(Request&& request, RedisStatus status);
  void run_retries();
  int node_index(const RedisConnection& connection) const noexcept;
  int find_or_add_node(const Endpoint& endpoint);
  int node_serving(std::int32_t slot) const noexcept;
  void refresh_slots();
  void on_slots(ReplyView reply, const std::string& asked_host);

  // pub/sub (client_pubsub.cpp)
  RedisConnection& pubsub_connection(int node);
  void send_subscribe(std::string_view channel, Subscription& subscription);
  void on_subscribe_reply(Request&& request, ReplyView reply);
  void interrupt(std::string_view channel, Subscription& subscription);
  void resubscribe_waiting();
  void handle_pubsub_state(int node, bool up);
  void schedule_resubscribe();

  core::Reactor& reactor_;
  core::TimerWheel& timers_;
  ClientConfig config_;
  SubscriptionHandler* handler_;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::vector<std::int16_t> slot_owner_;  // cluster: node index per slot, -1 unknown
  bool slots_known_ = false;
  bool refresh_in_flight_ = false;
  bool refresh_again_ = false;
  core::TimerId refresh_timer_ = 0;
  std::uint64_t last_refresh_ns_ = 0;
  std::unordered_map<std::string, Subscription, StringHash, std::equal_to<>> subscriptions_;
  std::uint64_t next_token_ = 1;
  bool sharded_ = true;
  std::deque<std::pair<std::uint64_t, Request>> retries_;  // (due time, request), due order
  core::TimerId retry_timer_ = 0;
  core::TimerId resubscribe_timer_ = 0;
  ClientStats stats_;
};

}  // namespace hexwire::redis
