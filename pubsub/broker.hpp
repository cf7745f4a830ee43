// The pubsub broker: one per process, with one slice of state per shard. Channels are owned by
// shard hash(channel) % N, which sequences, keeps history, tracks members (presence, read cursors,
// offline queues via each user's home shard) and forwards each message once per subscribed shard;
// that shard hands it once to the DeliverySink with the span of its local subscribers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "core/executor.hpp"
#include "core/metrics.hpp"
#include "core/shared_buffer.hpp"
#include "core/unique_function.hpp"
#include "pubsub/delivery_sink.hpp"
#include "pubsub/types.hpp"

namespace hexwire::pubsub {

/// The result-callback type of Broker operations (move-only, small-buffer storage).
using core::UniqueFunction;

namespace detail {
class BrokerCore;
}

/// Thread ownership: every method must be called on a shard thread of the executor; the call acts
/// for the calling shard (its connections), and every callback runs later on that same shard,
/// never inline. A method returning an error Status never calls its callback; a method returning
/// Status::kOk calls it exactly once. Sink callbacks may call connection_closed() and
/// unsubscribe() (they are deferred to after the sink returns); other calls from inside a sink
/// callback are a bug (asserted).
class Broker {
 public:
  using SubscribeCallback = UniqueFunction<void(const SubscribeResult&)>;
  using PublishCallback = UniqueFunction<void(const PublishAck&)>;
  using HistoryCallback = UniqueFunction<void(HistoryResult&&)>;
  using PresenceCallback = UniqueFunction<void(PresenceResult&&)>;
  using ReadCallback = UniqueFunction<void(const ReadResult&)>;

  /// The executor, registry and sink must outlive the broker; destroy the broker only after the
  /// executor stopped running tasks (queued tasks and timers point at it).
  Broker(core::Executor& executor, core::MetricsRegistry& metrics, DeliverySink& sink,
         Config config = {});
  ~Broker();
  Broker(const Broker&) = delete;
  Broker& operator=(const Broker&) = delete;

  /// Registers a connection of `user` on the calling shard. Its user's offline queue is drained
  /// to it (DeliverySink::pending_drained) and it starts receiving read sync and notifications.
  Status connection_opened(SubscriberId connection, std::string_view user);
  /// Ends every subscription of the connection (the user stays a member of those channels, now
  /// offline) and forgets it. Unknown ids are ignored.
  void connection_closed(SubscriberId connection);

  /// Subscribes the connection. With `since` (the last seq the client saw), the missed messages
  /// (since, result.seq] are delivered to it right after the callback, then live ones: no gap, no
  /// duplicate. result.recovered is false when history no longer reaches back to `since`.
  Status subscribe(SubscriberId connection, std::string_view channel,
                   std::optional<std::uint64_t> since, SubscribeCallback on_done);
  /// Ends the subscription at once (no further deliveries to it on this shard) and the user's
  /// membership when it was their last connection in the channel. A subscribe still in flight is
  /// cancelled (its callback gets Status::kCancelled).
  Status unsubscribe(SubscriberId connection, std::string_view channel);

  /// Publishes `payload` as `from_user` (a connection's user, or a service name for app-generated
  /// events). Messages published from one shard to one channel are sequenced in call order, and
  /// their acks arrive in that order. `on_ack` may be empty.
  Status publish(std::string_view from_user, std::string_view channel, core::SharedBuffer payload,
                 PublishCallback on_ack = nullptr);

  /// Up to `limit` retained messages with seq > since, oldest first.
  Status history(std::string_view channel, std::uint64_t since, std::size_t limit,
                 HistoryCallback on_done);
  /// Online members of the channel.
  Status presence(std::string_view channel, PresenceCallback on_done);
  /// Moves the connection's user's read cursor of `channel` forward to `seq` (clamped to the last
  /// seq; never backwards) and syncs it to the user's other connections.
  Status mark_read(SubscriberId connection, std::string_view channel, std::uint64_t seq,
                   ReadCallback on_done = nullptr);

  /// Shard that owns `channel` (sequencing, history, members).
  [[nodiscard]] unsigned owner_of(std::string_view channel) const noexcept;
  /// Shard that holds `user`'s connection list and offline queue.
  [[nodiscard]] unsigned home_of(std::string_view user) const noexcept;
  /// Live (fully subscribed) local subscribers of `channel` on the calling shard.
  [[nodiscard]] std::size_t local_subscriber_count(std::string_view channel) const;
  [[nodiscard]] const Config& config() const noexcept;

 private:
  std::unique_ptr<detail::BrokerCore> core_;
};

}  // namespace hexwire::pubsub
