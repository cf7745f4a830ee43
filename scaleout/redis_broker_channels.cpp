// RedisBroker, the owner side of a channel inside this node: one Redis subscription while the
// node has subscribers, the delivery point `delivered` (every frame up to it was forwarded once to
// every subscribed shard), joins completed without a gap or a duplicate, and catching up from the
// stream after an interruption. Runs on the channel's owner shard.
#include <algorithm>

#include <spdlog/spdlog.h>

#include "scaleout/detail/redis_broker_core.hpp"

namespace hexwire::scaleout::detail {

NodeChannel& RedisBrokerCore::own(Slice& s, const std::string& channel) {
  auto [it, inserted] = s.owned.try_emplace(channel);
  if (inserted) {
    it->second.shard_subscriptions.assign(shard_count(), 0);
    s.metrics.channels.add(1);
    s.client->subscribe(s.store->shard_channel(channel));
    // Subscribes waiting for the channel to go live get `unavailable` after the command timeout
    // (the client keeps trying to subscribe for the requests that come later).
    executor.timers().add_after(config.redis.connection.command_timeout_ns, [this, channel] {
      Slice& again = slice();
      auto found = again.owned.find(channel);
      if (running(again) && found != again.owned.end() &&
          found->second.state != NodeChannel::State::kLive) {
        fail_waiting(again, channel, found->second, pubsub::Status::kUnavailable);
      }
    });
  }
  return it->second;
}

void RedisBrokerCore::on_join(std::string channel, JoinRequest request) {
  Slice& s = slice();
  if (!running(s)) {
    return;
  }
  NodeChannel& nc = own(s, channel);
  ++nc.shard_subscriptions[request.shard];
  if (nc.state == NodeChannel::State::kLive) {
    run_join(s, channel, std::move(request));
  } else {
    nc.waiting.push_back(std::move(request));
  }
}

void RedisBrokerCore::fail_waiting(Slice& s, const std::string& channel, NodeChannel& nc,
                                   pubsub::Status status) {
  std::vector<JoinRequest> waiting = std::move(nc.waiting);
  nc.waiting.clear();
  for (const JoinRequest& request : waiting) {
    --nc.shard_subscriptions[request.shard];
    s.metrics.unavailable.add();
    pubsub::SubscribeResult result;
    result.status = status;
    reply_join(channel, request, result, {});
  }
  drop_if_unused(s, channel);
}

void RedisBrokerCore::reply_join(const std::string& channel, const JoinRequest& request,
                                 pubsub::SubscribeResult result, std::vector<MessageRef> backlog) {
  Slice& s = slice();
  std::uint64_t epoch = 0;
  if (auto it = s.owned.find(channel); it != s.owned.end()) {
    epoch = it->second.epoch;
  }
  executor.submit_to(request.shard, [this, channel, token = request.token, epoch, result,
                                     backlog = std::move(backlog)]() mutable {
    on_join_reply(std::move(channel), token, epoch, result, std::move(backlog));
  });
}

void RedisBrokerCore::run_join(Slice& s, const std::string& channel, JoinRequest request) {
  // The request moves into the callback below: the view Redis reads the user from must not point
  // into it (a short name lives inside the string object, and moving it empties the original).
  const std::string user = request.user;
  const OpenRequest open{user, request.since, request.since_epoch, true};
  s.store->open(channel, open, new_epoch(s),
                [this, channel, request = std::move(request)](OpenResult&& r) mutable {
                  Slice& slice_now = slice();
                  auto it = slice_now.owned.find(channel);
                  if (it == slice_now.owned.end()) {
                    return;  // cannot happen: this join is counted in the channel's subscriptions
                  }
                  NodeChannel& nc = it->second;
                  if (r.status != StoreStatus::kOk) {
                    --nc.shard_subscriptions[request.shard];
                    if (r.status == StoreStatus::kUnavailable) {
                      slice_now.metrics.unavailable.add();
                    }
                    pubsub::SubscribeResult failed;
                    failed.status = broker_status(r.status);
                    reply_join(channel, request, failed, {});
                    drop_if_unused(slice_now, channel);
                    return;
                  }
                  if (r.joined) {
                    const std::string key = user_key(request.user, "m");
                    slice_now.client->command(key, {"SADD", key, channel}, nullptr);
                    slice_now.client->command(
                        key,
                        {"PEXPIRE", key, std::to_string(config.channels.channel_ttl_ms)},
                        nullptr);
                  }
                  if (nc.users[request.user]++ == 0) {
                    presence_transition(slice_now, channel, nc, request.user,
                                        PresenceKind::kOnline);
                  }
                  if (request.since && !r.recovered) {
                    slice_now.metrics.resume_unrecovered.add();
                  }
                  settle_join(slice_now, channel, nc, Joiner{std::move(request), std::move(r)});
                });
}

// A join is complete once the node has forwarded up to the seq Redis answered with: its backlog is
// then Redis's (since, seq] plus what this node forwarded after seq, and it goes live at
// `delivered`. Forwards up to `delivered` went to its shard before this reply, later ones after.
void RedisBrokerCore::settle_join(Slice& s, const std::string& channel, NodeChannel& nc,
                                  Joiner joiner) {
  OpenResult& r = joiner.result;
  if (r.epoch != nc.epoch && r.epoch != 0) {
    if (nc.epoch != 0) {
      // Redis lost the channel and started a new epoch while this node was subscribed.
      spdlog::warn("redis broker: channel {} restarted in Redis (epoch {} -> {})", channel,
                   epoch_text(nc.epoch), epoch_text(r.epoch));
      nc.delivered = r.seq;
      nc.recent.clear();
    }
    nc.epoch = r.epoch;  // a channel the node saw no message of yet takes the epoch Redis gave it
  }
  if (r.seq > nc.delivered) {
    nc.joiners.push_back(std::move(joiner));
    return;
  }
  std::vector<MessageRef> backlog;
  backlog.reserve(r.backlog.size());
  for (const StoredMessage& m : r.backlog) {
    backlog.push_back(make_message(channel, r.epoch, m));
  }
  if (r.seq < nc.delivered) {
    // Forwarded while Redis answered: take them from the recent ones, or read them again.
    const bool covered = !nc.recent.empty() && nc.recent.front()->seq <= r.seq + 1;
    if (!covered) {
      const std::uint64_t until = nc.delivered;
      s.store->range(channel, r.seq, r.epoch, until - r.seq, until,
                     [this, channel, joiner = std::move(joiner)](RangeResult&& more) mutable {
                       Slice& again = slice();
                       auto it = again.owned.find(channel);
                       if (it == again.owned.end()) {
                         return;
                       }
                       for (StoredMessage& m : more.messages) {
                         if (m.seq > joiner.result.seq) {
                           joiner.result.seq = m.seq;
                           joiner.result.backlog.push_back(std::move(m));
                         }
                       }
                       if (more.status != StoreStatus::kOk || !more.recovered ||
                           more.messages.empty()) {
                         joiner.result.recovered = false;  // cannot complete: start from here
                         joiner.result.seq = it->second.delivered;
                       }
                       settle_join(again, channel, it->second, std::move(joiner));
                     });
      return;
    }
    for (const MessageRef& m : nc.recent) {
      if (m->seq > r.seq && m->seq <= nc.delivered) {
        backlog.push_back(m);
      }
    }
  }
  pubsub::SubscribeResult result;
  result.status = pubsub::Status::kOk;
  result.seq = nc.delivered;
  result.epoch = nc.epoch;
  result.recovered = r.recovered;
  result.unread = r.unread;
  result.backlog = backlog.size();
  reply_join(channel, joiner.request, result, std::move(backlog));
}

void RedisBrokerCore::release_joiners(Slice& s, const std::string& channel, NodeChannel& nc) {
  if (nc.joiners.empty()) {
    return;
  }
  std::vector<Joiner> ready;
  std::vector<Joiner> later;
  for (Joiner& joiner : nc.joiners) {
    const bool stale_epoch = joiner.result.epoch != nc.epoch;
    (stale_epoch || joiner.result.seq <= nc.delivered ? ready : later).push_back(std::move(joiner));
  }
  nc.joiners = std::move(later);
  for (Joiner& joiner : ready) {
    if (joiner.result.epoch != nc.epoch) {
      // The channel restarted in Redis meanwhile: join at the new epoch's current position.
      joiner.result.epoch = nc.epoch;
      joiner.result.seq = nc.delivered;
      joiner.result.recovered = false;
      joiner.result.backlog.clear();
    }
    settle_join(s, channel, nc, std::move(joiner));
  }
}

void RedisBrokerCore::on_release(const std::string& channel, const std::string& user,
                                 unsigned shard, bool leave, std::uint64_t epoch,
                                 std::uint64_t seen) {
  Slice& s = slice();
  if (!running(s)) {
    return;
  }
  auto it = s.owned.find(channel);
  if (it == s.owned.end()) {
    return;
  }
  NodeChannel& nc = it->second;
  if (nc.shard_subscriptions[shard] > 0) {
    --nc.shard_subscriptions[shard];
  }
  if (auto u = nc.users.find(user); u != nc.users.end() && --u->second == 0) {
    nc.users.erase(u);
    // Offline from the last message the user's connection was handed, not from the channel's
    // seq when this runs: messages sequenced meanwhile never reached them.
    const std::optional<std::uint64_t> last_seen =
        nc.positioned && nc.epoch == epoch ? std::optional<std::uint64_t>(seen) : std::nullopt;
    presence_transition(s, channel, nc, user, leave ? PresenceKind::kLeave : PresenceKind::kOffline,
                        last_seen);
  }
  drop_if_unused(s, channel);
}

void RedisBrokerCore::drop_if_unused(Slice& s, const std::string& channel) {
  auto it = s.owned.find(channel);
  if (it == s.owned.end() || !running(s)) {
    return;
  }
  const NodeChannel& nc = it->second;
  if (nc.subscriptions() != 0 || !nc.waiting.empty() || !nc.joiners.empty() ||
      !nc.users.empty() || !nc.notify.empty()) {
    return;
  }
  s.client->unsubscribe(s.store->shard_channel(channel));
  s.owned.erase(it);
  s.metrics.channels.add(-1);
}

// ---------------------------------------------------------------------------------------------
// The Redis subscription

void RedisBrokerCore::on_subscribed(std::string_view shard_channel) {
  Slice& s = slice();
  if (shard_channel == inbox_) {
    return;
  }
  const std::string channel(channel_of_key(shard_channel));
  auto it = s.owned.find(channel);
  if (it == s.owned.end()) {
    return;
  }
  NodeChannel& nc = it->second;
  if (nc.positioned) {
    catch_up(s, channel);  // re-subscribed after an interruption
    return;
  }
  nc.state = NodeChannel::State::kSyncing;
  // Frames from now on reach us; read where the channel stands, hold frames meanwhile.
  s.store->range(channel, 0, 0, 0, std::nullopt, [this, channel](RangeResult&& r) {
    Slice& again = slice();
    auto found = again.owned.find(channel);
    if (found == again.owned.end()) {
      return;
    }
    if (r.status != StoreStatus::kOk) {
      found->second.state = NodeChannel::State::kSubscribing;
      fail_waiting(again, channel, found->second, pubsub::Status::kUnavailable);
      return;
    }
    position(again, channel, r.epoch, r.last_seq);
  });
}

void RedisBrokerCore::position(Slice& s, const std::string& channel, std::uint64_t epoch,
                               std::uint64_t seq) {
  NodeChannel& nc = s.owned.find(channel)->second;
  nc.epoch = epoch;
  nc.delivered = seq;
  nc.positioned = true;
  nc.state = NodeChannel::State::kLive;
  std::vector<ChannelFrame> held = std::move(nc.held);
  nc.held.clear();
  for (ChannelFrame& frame : held) {
    auto again = s.owned.find(channel);
    if (again == s.owned.end()) {
      return;
    }
    accept_frame(s, channel, again->second, std::move(frame));
  }
  auto again = s.owned.find(channel);
  if (again == s.owned.end()) {
    return;
  }
  std::vector<JoinRequest> waiting = std::move(again->second.waiting);
  again->second.waiting.clear();
  for (JoinRequest& request : waiting) {
    run_join(s, channel, std::move(request));
  }
}

void RedisBrokerCore::on_interrupted(std::string_view shard_channel) {
  Slice& s = slice();
  auto it = s.owned.find(std::string(channel_of_key(shard_channel)));
  if (it != s.owned.end() && it->second.positioned) {
    it->second.state = NodeChannel::State::kCatchingUp;  // frames held until caught up
  }
}

void RedisBrokerCore::catch_up(Slice& s, const std::string& channel) {
  if (!running(s)) {
    return;
  }
  NodeChannel& nc = s.owned.find(channel)->second;
  nc.state = NodeChannel::State::kCatchingUp;
  s.metrics.catch_ups.add();
  s.store->range(
      channel, nc.delivered, nc.epoch, config.channels.max_backlog, std::nullopt,
      [this, channel](RangeResult&& r) {
        Slice& again = slice();
        auto it = again.owned.find(channel);
        if (it == again.owned.end()) {
          return;
        }
        NodeChannel& nc = it->second;
        if (r.status != StoreStatus::kOk) {
          // Redis did not answer: try again (the subscription itself is up).
          executor.timers().add_after(config.redis.retry_delay_ns, [this, channel] {
            Slice& later = slice();
            if (auto found = later.owned.find(channel);
                found != later.owned.end() &&
                found->second.state == NodeChannel::State::kCatchingUp) {
              catch_up(later, channel);
            }
          });
          return;
        }
        if (!r.recovered || r.epoch != nc.epoch) {
          const std::uint64_t first = r.messages.empty() ? r.last_seq + 1 : r.messages.front().seq;
          const std::uint64_t missed = r.epoch == nc.epoch && first > nc.delivered + 1
                                           ? first - nc.delivered - 1
                                           : 0;
          again.metrics.lost.add(missed);
          spdlog::error("redis broker: channel {} missed messages during an interruption "
                        "(epoch {} -> {}, {} beyond the stream): its subscribers here have a gap",
                        channel, epoch_text(nc.epoch), epoch_text(r.epoch), missed);
          nc.epoch = r.epoch;
          nc.delivered = r.messages.empty() ? r.last_seq : r.messages.front().seq - 1;
          nc.recent.clear();
        }
        nc.state = NodeChannel::State::kLive;
        for (const StoredMessage& m : r.messages) {
          if (m.seq == nc.delivered + 1) {
            forward(again, channel, nc, make_message(channel, nc.epoch, m));
          }
        }
        position(again, channel, nc.epoch, nc.delivered);
      });
}

void RedisBrokerCore::on_message(std::string_view shard_channel, std::string_view payload) {
  if (shard_channel == inbox_) {
    on_inbox(payload);
    return;
  }
  Slice& s = slice();
  const std::string channel(channel_of_key(shard_channel));
  auto it = s.owned.find(channel);
  if (it == s.owned.end()) {
    return;
  }
  ChannelFrame frame;
  if (!parse_channel_frame(payload, &frame)) {
    spdlog::warn("redis broker: dropped a frame of channel {} this version cannot read", channel);
    return;
  }
  if (frame.kind == ChannelFrame::Kind::kMessage) {
    accept_frame(s, channel, it->second, std::move(frame));
  } else {
    on_presence_frame(s, channel, it->second, frame);
  }
}

void RedisBrokerCore::accept_frame(Slice& s, const std::string& channel, NodeChannel& nc,
                                   ChannelFrame frame) {
  if (nc.state != NodeChannel::State::kLive) {
    nc.held.push_back(std::move(frame));
    return;
  }
  if (frame.epoch != nc.epoch) {
    if (nc.epoch != 0) {
      spdlog::warn("redis broker: channel {} restarted in Redis (epoch {} -> {})", channel,
                   epoch_text(nc.epoch), epoch_text(frame.epoch));
    }
    nc.epoch = frame.epoch;
    nc.delivered = 0;
    nc.recent.clear();
  }
  if (frame.message.seq <= nc.delivered) {
    return;  // already forwarded (e.g. read while catching up)
  }
  if (frame.message.seq > nc.delivered + 1) {
    nc.held.push_back(std::move(frame));  // a gap: read what is missing first
    catch_up(s, channel);
    return;
  }
  forward(s, channel, nc, make_message(channel, nc.epoch, frame.message));
}

void RedisBrokerCore::forward(Slice& s, const std::string& channel, NodeChannel& nc,
                              MessageRef message) {
  nc.delivered = message->seq;
  nc.recent.push_back(message);
  while (nc.recent.size() > config.recent_per_channel) {
    nc.recent.pop_front();
  }
  for (unsigned shard = 0; shard < shard_count(); ++shard) {
    if (nc.shard_subscriptions[shard] > 0) {
      s.metrics.forwards.add();
      executor.submit_to(shard, [this, epoch = nc.epoch, message] { on_forward(epoch, message); });
    }
  }
  if (!nc.notify.empty()) {
    notify_members(s, nc, message);
  }
  release_joiners(s, channel, nc);
}

}  // namespace hexwire::scaleout::detail
