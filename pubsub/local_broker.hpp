// LocalBroker: the in-process Broker (pubsub/broker.hpp), one slice of state per shard. Channels
// are owned by shard hash(channel) % N, which sequences, keeps history, tracks members (presence,
// read cursors, offline queues via each user's home shard) and forwards each message once per
// subscribed shard; that shard hands it once to the DeliverySink with the span of its local
// subscribers; a personal channel's messages go to its user's home shard instead, which hands
// them to the user's connections. Implemented in broker.cpp (entry points on the caller's shard), broker_owner.cpp
// (the channel owner's work), broker_presence.cpp (members and presence), broker_retention.cpp
// (every bound on what it keeps), broker_home.cpp (users' home shards), broker_delivery.cpp,
// broker_stats.cpp (channel_activity).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "core/executor.hpp"
#include "core/metrics.hpp"
#include "pubsub/broker.hpp"

namespace hexwire::pubsub {

namespace detail {
class BrokerCore;
}

/// Keeps every rule of the Broker contract; the in-sink rule is asserted.
class LocalBroker final : public Broker {
 public:
  /// The executor, registry and sink must outlive the broker; destroy the broker only after the
  /// executor stopped running tasks (queued tasks and timers point at it).
  LocalBroker(core::Executor& executor, core::MetricsRegistry& metrics, DeliverySink& sink,
              Config config = {});
  ~LocalBroker() override;
  LocalBroker(const LocalBroker&) = delete;
  LocalBroker& operator=(const LocalBroker&) = delete;

  Status connection_opened(SubscriberId connection, std::string_view user) override;
  void connection_closed(SubscriberId connection) override;
  using Broker::history;  // the shorthands
  using Broker::subscribe;
  Status subscribe(SubscriberId connection, std::string_view channel, SubscribeOptions options,
                   SubscribeCallback on_done) override;
  Status unsubscribe(SubscriberId connection, std::string_view channel) override;
  Status publish(std::string_view from_user, std::string_view channel, core::SharedBuffer payload,
                 PublishCallback on_ack = nullptr, MessageKind kind = 0) override;
  Status history(std::string_view channel, HistoryQuery query, HistoryCallback on_done) override;
  Status presence(std::string_view channel, PresenceQuery query,
                  PresenceCallback on_done) override;
  Status mark_read(SubscriberId connection, std::string_view channel, std::uint64_t seq,
                   ReadCallback on_done = nullptr) override;

  /// Shard that owns `channel` (sequencing, history, members).
  [[nodiscard]] unsigned owner_of(std::string_view channel) const noexcept;
  /// Shard that holds `user`'s connection list and offline queue.
  [[nodiscard]] unsigned home_of(std::string_view user) const noexcept;
  /// Every field known: the channels this shard owns (the report's `owned`).
  [[nodiscard]] std::optional<ChannelActivityReport> channel_activity(std::size_t limit) override;
  [[nodiscard]] std::optional<std::size_t> local_subscriber_count(
      std::string_view channel) const override;
  [[nodiscard]] const Config& config() const noexcept;
  /// True when Config::personal_channel_prefix is set.
  [[nodiscard]] bool delivers_personal_channels() const noexcept override;

 private:
  std::unique_ptr<detail::BrokerCore> core_;
};

}  // namespace hexwire::pubsub
