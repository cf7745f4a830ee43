// The broker seam: what the app needs from a channel router (connections, subscriptions,
// publications, history, presence, read cursors), with the rules every implementation keeps.
// The node chooses the implementation (app/node_services.cpp, make_broker): today LocalBroker
// (pubsub/local_broker.hpp, in this process, one slice per shard); a Redis-backed broker joins
// nodes behind the same interface. Deliveries go the other way, through DeliverySink.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>

#include "core/shared_buffer.hpp"
#include "core/unique_function.hpp"
#include "pubsub/delivery_sink.hpp"
#include "pubsub/types.hpp"

namespace hexwire::pubsub {

/// The result-callback type of Broker operations (move-only, small-buffer storage).
using core::UniqueFunction;

/// The contract, for callers and for every implementation:
/// - Threads: every method is called on a shard thread of the node's executor and acts for the
///   calling shard (its connections). Every callback runs on that same shard, later, never inline
///   (not even when the answer is known at once): callers may be in the middle of their own
///   bookkeeping.
/// - Exactly once: a method returning an error Status never calls its callback; a method returning
///   Status::kOk calls it exactly once, unless the broker is destroyed first (it is destroyed only
///   after the executor stopped running tasks; pending callbacks are then dropped, not called).
/// - Order: messages published from one shard to one channel are sequenced in call order and
///   their acks arrive in that order; every subscriber sees a channel's messages in seq order,
///   each once (a resume with `since` included: no gap, no duplicate while history reaches back).
/// - Re-entrancy: DeliverySink callbacks may call connection_closed() and unsubscribe() (an
///   implementation defers their effect until the sink returns); any other call from inside a
///   sink callback is a bug (asserted by LocalBroker).
/// - Errors are values: nothing here throws on a hot path; limits answer with a Status.
class Broker {
 public:
  using SubscribeCallback = UniqueFunction<void(const SubscribeResult&)>;
  using PublishCallback = UniqueFunction<void(const PublishAck&)>;
  using HistoryCallback = UniqueFunction<void(HistoryResult&&)>;
  using PresenceCallback = UniqueFunction<void(PresenceResult&&)>;
  using ReadCallback = UniqueFunction<void(const ReadResult&)>;

  virtual ~Broker() = default;

  /// Registers a connection of `user` on the calling shard. Its user's offline queue is drained
  /// to it (DeliverySink::pending_drained) and it starts receiving read sync and notifications.
  virtual Status connection_opened(SubscriberId connection, std::string_view user) = 0;
  /// Ends every subscription of the connection (the user stays a member of those channels, now
  /// offline) and forgets it. Unknown ids are ignored.
  virtual void connection_closed(SubscriberId connection) = 0;

  /// Subscribes the connection. With `options.since` (the last seq the client saw), the missed
  /// messages (since, result.seq] are delivered to it right after the callback, then live ones:
  /// no gap, no duplicate. result.recovered is false when history no longer reaches back to
  /// `since` or `options.epoch` is not the channel's epoch (nothing is replayed then). With
  /// `options.presence` the subscription also gets the channel's presence events.
  virtual Status subscribe(SubscriberId connection, std::string_view channel,
                           SubscribeOptions options, SubscribeCallback on_done) = 0;
  /// Shorthand: subscribe with only `since` (no epoch check, no presence events).
  Status subscribe(SubscriberId connection, std::string_view channel,
                   std::optional<std::uint64_t> since, SubscribeCallback on_done) {
    return subscribe(connection, channel, SubscribeOptions{since, std::nullopt, false},
                     std::move(on_done));
  }
  /// Ends the subscription at once (no further deliveries to it on this shard) and the user's
  /// membership when it was their last connection in the channel. A subscribe still in flight is
  /// cancelled (its callback gets Status::kCancelled).
  virtual Status unsubscribe(SubscriberId connection, std::string_view channel) = 0;

  /// Publishes `payload` as `from_user` (a connection's user, or a service name for app-generated
  /// events), labelled `kind` (Message::kind: delivered with the message, never interpreted).
  /// Messages published from one shard to one channel are sequenced in call order, and their acks
  /// arrive in that order. `on_ack` may be empty.
  virtual Status publish(std::string_view from_user, std::string_view channel,
                         core::SharedBuffer payload, PublishCallback on_ack = nullptr,
                         MessageKind kind = 0) = 0;

  /// Up to `query.limit` retained messages with seq > query.since, oldest first; a `since` of
  /// another epoch (query.epoch) reads from the oldest retained message with recovered=false.
  virtual Status history(std::string_view channel, HistoryQuery query, HistoryCallback on_done) = 0;
  /// Shorthand: history without an epoch check.
  Status history(std::string_view channel, std::uint64_t since, std::size_t limit,
                 HistoryCallback on_done) {
    return history(channel, HistoryQuery{since, limit, std::nullopt}, std::move(on_done));
  }
  /// One page of the channel's online members in name order (at most query.limit, clamped to
  /// 1..kMaxPresencePage), their total count, and the cursor of the next page.
  virtual Status presence(std::string_view channel, PresenceQuery query,
                          PresenceCallback on_done) = 0;
  /// Moves the connection's user's read cursor of `channel` forward to `seq` (clamped to the last
  /// seq; never backwards) and syncs it to the user's other connections.
  virtual Status mark_read(SubscriberId connection, std::string_view channel, std::uint64_t seq,
                           ReadCallback on_done = nullptr) = 0;

  /// True when the broker delivers personal channels (Config::personal_channel_prefix + user) to
  /// their user's connections without a subscription; false (the default): the caller subscribes
  /// each connection to its user's channel like to any other.
  [[nodiscard]] virtual bool delivers_personal_channels() const noexcept { return false; }

  // ---- Observation (optional): what the node's own statistics (sys:channels) show ----------
  // Synchronous and local: answered from the calling shard's state, no round trip, no callback.
  // An implementation that cannot answer that way keeps the default, std::nullopt, and the
  // statistics say "not available" instead of showing a guess.

  /// The busiest channels this shard handles for the node (sequences, or receives from a shared
  /// store and relays to the node's subscribers) since this shard's previous call: at most `limit`,
  /// busiest first by ChannelActivity::published. Each channel is counted by exactly one shard of
  /// the node. Walks every such channel: call it about once a second, never per message.
  [[nodiscard]] virtual std::optional<ChannelActivityReport> channel_activity(std::size_t limit) {
    (void)limit;
    return std::nullopt;
  }
  /// Live (fully subscribed) connections of `channel` on the calling shard.
  [[nodiscard]] virtual std::optional<std::size_t> local_subscriber_count(
      std::string_view channel) const {
    (void)channel;
    return std::nullopt;
  }
};

}  // namespace hexwire::pubsub
