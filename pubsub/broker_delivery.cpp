// The subscriber shard's side of the broker: completing subscriptions (callback, backlog, then
// live), handing each forwarded message once to the sink with the span of local subscribers, and
// presence batches. Everything here runs on the subscriber shard's thread.
#include <algorithm>
#include <cassert>

#include "pubsub/detail/broker_core.hpp"

namespace hexwire::pubsub::detail {

std::size_t BrokerCore::deliver_to_sink(const MessageRef& message,
                                        std::span<const SubscriberId> to) noexcept {
  ShardState& st = state();
  st.in_sink = true;
  const std::size_t dropped = std::min(sink.deliver(message, to), to.size());
  st.in_sink = false;
  st.metrics.deliveries.add(to.size() - dropped);
  st.metrics.delivery_drops.add(dropped);
  return dropped;
}

void BrokerCore::on_subscribe_reply(std::string channel, std::uint64_t token,
                                    SubscribeResult result, std::vector<MessageRef> backlog) {
  ShardState& st = state();
  auto lc_it = st.local_channels.find(channel);
  assert(lc_it != st.local_channels.end() && "a pending subscribe keeps its local channel");
  if (lc_it == st.local_channels.end()) {
    return;
  }
  LocalChannel& lc = lc_it->second;
  auto pending_it = lc.pending.begin();
  if (pending_it == lc.pending.end() || pending_it->token != token) {
    pending_it = std::find_if(lc.pending.begin(), lc.pending.end(),
                              [token](const PendingSubscribe& p) { return p.token == token; });
  }
  assert(pending_it != lc.pending.end());
  if (pending_it == lc.pending.end()) {
    return;
  }
  PendingSubscribe pending = std::move(*pending_it);
  lc.pending.erase(pending_it);

  const bool accepted = result.status == Status::kOk;
  if (pending.cancelled || !accepted) {
    if (pending.cancelled && accepted) {
      // The owner counted this subscription; undo it the normal way.
      executor.submit_to(owner_of(channel),
                         [this, channel, user = std::move(pending.user), from = here(),
                          leave = pending.leave_on_cancel, presence = pending.presence] {
                           on_unsubscribe(channel, user, from, leave, presence);
                         });
    }
    if (!accepted && !pending.cancelled) {
      if (auto conn = st.connections.find(pending.connection); conn != st.connections.end()) {
        auto& channels = conn->second.channels;
        if (auto name = find_name(channels, channel); name != channels.end()) {
          channels.erase(name);
        }
      }
    }
    if (lc.live.empty() && lc.pending.empty()) {
      st.local_channels.erase(lc_it);
    }
    if (!pending.cancelled && pending.on_done) {
      pending.on_done(result);
    }
    return;
  }

  // Every forward with seq <= result.seq reached this shard before this reply (FIFO per shard
  // pair), and every later one will come after: joining `live` now is gap-free.
  const SubscriberId connection = pending.connection;
  // With nobody live here the guard protects no one; restarting it from this reply also follows a
  // channel the owner forgot and re-created (its seqs start again at 1).
  lc.last_forwarded_seq =
      lc.live.empty() ? result.seq : std::max(lc.last_forwarded_seq, result.seq);
  lc.live.add(connection);
  if (pending.presence) {
    if (lc.presence == nullptr) {
      lc.presence = std::make_unique<SubscriberList>();
    }
    lc.presence->add(connection);
  }
  st.metrics.subscriptions.add(1);
  if (pending.on_done) {
    pending.on_done(result);
  }

  // The callback may have unsubscribed or closed the connection; deliver only to a live one.
  // (Sink callbacks defer such calls, so the check holds for the whole backlog.)
  auto again = st.local_channels.find(channel);
  if (backlog.empty() || again == st.local_channels.end() ||
      !again->second.live.contains(connection)) {
    return;
  }
  st.in_sink = true;
  const std::size_t refused = std::min(sink.deliver_backlog(connection, backlog), backlog.size());
  st.in_sink = false;
  st.metrics.deliveries.add(backlog.size() - refused);
  st.metrics.delivery_drops.add(refused);
}

void BrokerCore::on_forward(const MessageRef& message) noexcept {
  ShardState& st = state();
  auto it = st.local_channels.find(message->channel);
  if (it == st.local_channels.end()) {
    return;  // the last local subscriber left while this was in flight
  }
  LocalChannel& lc = it->second;
  if (message->seq <= lc.last_forwarded_seq) {
    // Already covered by a subscriber's backlog snapshot or delivered: never twice.
    return;
  }
  lc.last_forwarded_seq = message->seq;
  if (lc.live.empty()) {
    return;
  }
  deliver_to_sink(message, lc.live.span());
}

void BrokerCore::on_presence_batch(const std::shared_ptr<const PresenceBatch>& batch) {
  ShardState& st = state();
  auto it = st.local_channels.find(batch->channel);
  if (it == st.local_channels.end() || it->second.presence == nullptr ||
      it->second.presence->empty()) {
    return;
  }
  st.in_sink = true;
  if (batch->count) {
    sink.presence_count(batch->channel, *batch->count, it->second.presence->span());
  } else {
    sink.presence_changed(batch->channel, batch->changes, it->second.presence->span());
  }
  st.in_sink = false;
}

}  // namespace hexwire::pubsub::detail
