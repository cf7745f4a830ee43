// RedisBroker: the pubsub broker of a node in a pool joined through Redis. A channel's sequence,
// history (a capped stream), members, read cursors, presence and offline state live in Redis
// (ChannelStore); the node keeps only what its own connections need. Inside the node a channel
// has one owner shard (as in LocalBroker) that holds the node's Redis subscription to the channel
// (SSUBSCRIBE, taken only while the node has subscribers) and forwards each message once to every
// shard with local subscribers, which encodes it once for all of them. Publishes run as one Lua
// script; the ack follows Redis's answer. See docs/scale-out.md.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/executor.hpp"
#include "core/metrics.hpp"
#include "core/reactor.hpp"
#include "pubsub/broker.hpp"
#include "pubsub/delivery_sink.hpp"
#include "pubsub/types.hpp"
#include "redis/client.hpp"
#include "scaleout/channel_store.hpp"
#include "scaleout/node_registry.hpp"

namespace hexwire::scaleout {

namespace detail {
class RedisBrokerCore;
}

struct RedisBrokerConfig {
  /// Limits that apply as with the in-process broker: subscriptions per connection, channel name
  /// length, presence windows, offline notifications and their per-user bound, the placement.
  pubsub::Config pubsub;
  redis::ClientConfig redis;  // where Redis is; timeouts (the deadline of every operation)
  ChannelLimits channels;     // what Redis keeps, and for how long
  NodeRegistryConfig node;    // this node's id and address, heartbeat interval and TTL
  /// The calling shard's reactor (on core::Runtime: Runtime::this_shard()->reactor()). Redis
  /// connections are ordinary connections of the shard that uses them.
  std::function<core::Reactor&()> reactor;
  /// Messages a channel's owner keeps after forwarding, so that a subscribe answered while newer
  /// messages were already delivered completes without a second Redis read.
  std::size_t recent_per_channel = 256;
  /// A subscribe to a channel this node is not yet subscribed to in Redis waits at most this long
  /// for that subscription to go live (SSUBSCRIBE confirmed, the channel's position read), then
  /// gets `unavailable`. The subscription is kept, and retried, while anyone asks for the channel
  /// and until it is live, so the next subscribe finds it on its way. While Redis is unreachable
  /// the waiting subscribes get `unavailable` within the command timeout instead. The pub/sub
  /// connection's confirmation deadline (redis::ClientConfig::subscribe_timeout_ns) is at least
  /// this long.
  std::uint64_t join_timeout_ns = 10'000'000'000;
  /// Subscribes waiting for their channels to go live, per shard; beyond it a subscribe is
  /// answered `unavailable` at once.
  std::size_t max_waiting_joins = 65'536;
};

class RedisBroker final : public pubsub::Broker {
 public:
  /// Build before the executor runs tasks; destroy after it stopped, and after stop_shard() ran
  /// on every shard that was started.
  RedisBroker(core::Executor& executor, core::MetricsRegistry& metrics, pubsub::DeliverySink& sink,
              RedisBrokerConfig config);
  ~RedisBroker() override;

  pubsub::Status connection_opened(pubsub::SubscriberId connection, std::string_view user) override;
  void connection_closed(pubsub::SubscriberId connection) override;
  using pubsub::Broker::history;
  using pubsub::Broker::subscribe;
  pubsub::Status subscribe(pubsub::SubscriberId connection, std::string_view channel,
                           pubsub::SubscribeOptions options, SubscribeCallback on_done) override;
  pubsub::Status unsubscribe(pubsub::SubscriberId connection, std::string_view channel) override;
  pubsub::Status publish(std::string_view from_user, std::string_view channel,
                         core::SharedBuffer payload, PublishCallback on_ack = nullptr,
                         pubsub::MessageKind kind = 0) override;
  pubsub::Status history(std::string_view channel, pubsub::HistoryQuery query,
                         HistoryCallback on_done) override;
  pubsub::Status presence(std::string_view channel, pubsub::PresenceQuery query,
                          PresenceCallback on_done) override;
  pubsub::Status mark_read(pubsub::SubscriberId connection, std::string_view channel,
                           std::uint64_t seq, ReadCallback on_done = nullptr) override;
  /// True with config.pubsub.personal_channel_prefix set and a single Redis server: a personal
  /// channel's message goes to the inbox of each node holding its user, which hands it to the
  /// user's connections there (no Redis subscription, join or presence per connection). In a
  /// Redis Cluster (false) the caller subscribes each connection to its user's channel.
  [[nodiscard]] bool delivers_personal_channels() const noexcept override;

  /// Opens the calling shard's Redis connections (shard 0 also starts the node's heartbeat). Call
  /// on every shard when the runtime starts; a shard not started starts on its first operation.
  void start_shard();
  /// Leaves the pool (shard 0) and closes the calling shard's Redis connections. Call on every
  /// shard when the runtime stops, before its connections are closed (core::Runtime's stop hook).
  void stop_shard();

  /// This node's id in the pool.
  [[nodiscard]] const std::string& node_id() const noexcept;
  /// The live nodes as the calling shard last heard of them (sorted ids).
  [[nodiscard]] std::vector<std::string> live_nodes() const;
  /// `observer` is told the live node ids (sorted) on every shard each time the set changes, on
  /// that shard. Set it before the shards start.
  void set_live_nodes_observer(std::function<void(const std::vector<std::string>& live)> observer);
  /// True when the calling shard's Redis client has a connection up.
  [[nodiscard]] bool connected() const;

 private:
  std::unique_ptr<detail::RedisBrokerCore> core_;
};

}  // namespace hexwire::scaleout
