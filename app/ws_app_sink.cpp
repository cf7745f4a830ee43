// The /ws DeliverySink: each message, presence change or read sync reaching a shard is encoded
// ONCE into a shared TEXT frame and queued on every listed local connection (the same bytes, by
// reference count). A connection that refuses a frame (slow consumer over its hard limit with the
// drop policy, or closing) is counted as a drop; the session's backpressure policy decides. Which
// frame a message becomes (msg, notify, or a dispatch event as it is) follows from its kind and
// channel: encode_delivery / encode_notification in app/protocol_encode.hpp. Live deliveries are
// timed (ws_stage_fanout_seconds, ws_stage_send_seconds). A resume backlog and an offline drain
// are not (a replayed message's age is the reader's gap, not a fan-out delay), and they are
// streamed: encoded one message at a time as the connection drains, never dropped, however long.
#include <exception>
#include <utility>
#include <vector>

#include "app/channel_name.hpp"
#include "app/protocol_encode.hpp"
#include "app/ws_app.hpp"
#include "app/ws_app_state.hpp"
#include "core/clock.hpp"

namespace hexwire::app {

namespace {

/// Messages for one connection, encoded one at a time when the session pulls the next frame (as
/// its socket drains), so a backlog of any length costs a reference per message, not its frames.
class MessageStream final : public net::WsFrameStream {
 public:
  MessageStream(WsShardState& shard, std::vector<pubsub::MessageRef> messages,
                bool as_notifications)
      : shard_(shard), messages_(std::move(messages)), as_notifications_(as_notifications) {}

  core::SharedBuffer next() noexcept override {
    while (next_ < messages_.size()) {
      const pubsub::MessageRef message = std::move(messages_[next_++]);  // released as it goes
      try {
        core::SharedBuffer frame = as_notifications_
                                       ? encode_notification(shard_.writer, *message)
                                       : encode_delivery(shard_.writer, *message);
        shard_.metrics.deliveries->add();
        return frame;
      } catch (const std::exception&) {
        shard_.metrics.drops->add();  // out of memory for this one frame
      }
    }
    return {};
  }

 private:
  WsShardState& shard_;
  std::vector<pubsub::MessageRef> messages_;
  std::size_t next_ = 0;
  bool as_notifications_;
};

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

  std::size_t deliver_backlog(pubsub::SubscriberId subscriber,
                              std::span<const pubsub::MessageRef> messages) noexcept override {
    WsShardState& shard = shards_.here();
    return stream_to(shard, subscriber, messages, false) ? 0 : messages.size();
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
    if (dropped > 0) {
      if (WsConnection* c = shards_.find(connection)) {
        try {
          (void)c->link().send_frame(encode_pending_dropped(shard.writer, dropped),
                                     net::WsSendKind::kReply);
        } catch (const std::exception&) {
          // out of memory: the notice is lost, the drained notifications still follow
        }
      }
    }
    (void)stream_to(shard, connection, pending, true);
  }

 private:
  std::size_t send_message(WsShardState& shard, const pubsub::Message& message,
                           std::span<const pubsub::SubscriberId> targets) noexcept {
    return send_all(shard, [&] { return encode_delivery(shard.writer, message); }, targets);
  }

  /// Streams `messages` to `connection` (as notifications or as `msg`); false when it has gone.
  bool stream_to(WsShardState& shard, pubsub::SubscriberId connection,
                 std::span<const pubsub::MessageRef> messages, bool as_notifications) noexcept {
    WsConnection* c = shards_.find(connection);
    if (c == nullptr) {
      return false;
    }
    if (messages.empty()) {
      return true;
    }
    try {
      return c->deliver_stream(std::make_unique<MessageStream>(
          shard, std::vector<pubsub::MessageRef>(messages.begin(), messages.end()),
          as_notifications));
    } catch (const std::exception&) {
      c->link().close(1011, "out of memory");
      return false;
    }
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
      WsConnection* connection = shard.connections.find(id);
      if (connection == nullptr) {
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
      if (!connection->deliver(frame)) {
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
