// The /ws DeliverySink: each message, presence change or read sync reaching a shard is encoded
// ONCE into a shared TEXT frame and queued on every listed local connection (the same bytes, by
// reference count). A connection that refuses a frame (slow consumer over its hard limit with the
// drop policy, or closing) is counted as a drop; the session's backpressure policy decides. Which
// frame a message becomes (msg, notify, or a dispatch event as it is) follows from its kind and
// channel: encode_delivery / encode_notification in app/protocol_encode.hpp. Live deliveries are
// timed (ws_stage_fanout_seconds, ws_stage_send_seconds); a resume backlog's replay is not.
#include <exception>

#include "app/channel_name.hpp"
#include "app/protocol_encode.hpp"
#include "app/ws_app.hpp"
#include "app/ws_app_state.hpp"
#include "core/clock.hpp"

namespace hexwire::app {

namespace {

class WsDeliverySink final : public pubsub::DeliverySink {
 public:
  explicit WsDeliverySink(WsShards& shards) : shards_(shards) {}

  std::size_t deliver(const pubsub::MessageRef& message,
                      std::span<const pubsub::SubscriberId> subscribers) noexcept override {
    WsShardState& shard = shards_.here();
    const std::uint64_t start_ns = core::monotonic_ns();
    const std::int64_t age_us = core::wall_us() - message->ts_us;
    shard.metrics.stage_fanout->record(age_us > 0 ? static_cast<std::uint64_t>(age_us) * 1000 : 0);
    const std::size_t refused = send_message(shard, *message, subscribers);
    shard.metrics.stage_send->record(core::monotonic_ns() - start_ns);
    return refused;
  }

  // A replayed message is as old as the subscriber's gap: it says nothing about fan-out latency,
  // so it is sent without touching the stage histograms.
  std::size_t deliver_backlog(const pubsub::MessageRef& message,
                              pubsub::SubscriberId connection) noexcept override {
    const pubsub::SubscriberId one[] = {connection};
    return send_message(shards_.here(), *message, one);
  }

  void presence_changed(std::string_view channel, std::span<const pubsub::PresenceChange> changes,
                        std::span<const pubsub::SubscriberId> subscribers) noexcept override {
    if (channel_kind(channel) == ChannelKind::kUser) {
      return;  // a user's own channel: every connection of it is that user, nothing to announce
    }
    WsShardState& shard = shards_.here();
    for (const pubsub::PresenceChange& change : changes) {
      (void)send_all(
          shard,
          [&] { return encode_presence_event(shard.writer, channel, change.user, change.joined); },
          subscribers);
    }
  }

  void presence_count(std::string_view channel, std::uint64_t count,
                      std::span<const pubsub::SubscriberId> subscribers) noexcept override {
    WsShardState& shard = shards_.here();
    (void)send_all(
        shard, [&] { return encode_presence_count(shard.writer, channel, count); }, subscribers);
  }

  void read_synced(std::string_view channel, std::uint64_t seq,
                   std::span<const pubsub::SubscriberId> connections) noexcept override {
    WsShardState& shard = shards_.here();
    (void)send_all(
        shard, [&] { return encode_read(shard.writer, {}, channel, seq); }, connections);
  }

  void notify(const pubsub::MessageRef& message,
              std::span<const pubsub::SubscriberId> connections) noexcept override {
    WsShardState& shard = shards_.here();
    (void)send_all(
        shard, [&] { return encode_notification(shard.writer, *message); }, connections);
  }

  void pending_drained(pubsub::SubscriberId connection, std::span<const pubsub::MessageRef> pending,
                       std::uint64_t dropped) noexcept override {
    WsShardState& shard = shards_.here();
    const pubsub::SubscriberId one[] = {connection};
    if (dropped > 0) {
      (void)send_all(
          shard, [&] { return encode_pending_dropped(shard.writer, dropped); }, one);
    }
    for (const pubsub::MessageRef& message : pending) {
      (void)send_all(
          shard, [&] { return encode_notification(shard.writer, *message); }, one);
    }
  }

 private:
  std::size_t send_message(WsShardState& shard, const pubsub::Message& message,
                           std::span<const pubsub::SubscriberId> targets) noexcept {
    return send_all(shard, [&] { return encode_delivery(shard.writer, message); }, targets);
  }

  /// Encodes lazily (only when at least one listed connection is still here) and sends the same
  /// frame to each. Returns how many refused it.
  template <typename Encode>
  std::size_t send_all(WsShardState& shard, Encode&& encode,
                       std::span<const pubsub::SubscriberId> targets) noexcept {
    core::SharedBuffer frame;
    std::size_t refused = 0;
    for (pubsub::SubscriberId id : targets) {
      // Looked up per send: a send may close a connection (backpressure policy) and end it.
      auto it = shard.connections.find(id);
      if (it == shard.connections.end()) {
        ++refused;
        continue;
      }
      if (!frame) {
        try {
          frame = encode();
        } catch (const std::exception&) {
          return targets.size();  // out of memory: nobody got it
        }
      }
      if (!it->second->deliver(frame)) {
        ++refused;
      }
    }
    return refused;
  }

  WsShards& shards_;
};

}  // namespace

std::unique_ptr<pubsub::DeliverySink> make_ws_delivery_sink(WsShards& shards) {
  return std::make_unique<WsDeliverySink>(shards);
}

}  // namespace hexwire::app
