// RedisBroker, the owner side of a channel inside this node: one Redis subscription while the
// node has subscribers, the delivery point `delivered` (every frame up to it was forwarded once to
// every subscribed shard), joins completed without a gap or a duplicate, and catching up from the
// stream after an interruption. Runs on the channel's owner shard.
#include <algorithm>
#include <iterator>
#include <utility>

#include <spdlog/spdlog.h>

#include "core/clock.hpp"

#include "scaleout/detail/redis_broker_core.hpp"

namespace hexwire::scaleout::detail {

namespace {

// A channel's position or catch-up read that Redis did not answer in time is read again after a
// quarter of the command deadline (at least retry_delay_ns), not at once: under overload the
// retries of thousands of channels would otherwise keep the command queue full of reads that
// expire too.
std::uint64_t reread_delay(const RedisBrokerConfig& config) noexcept {
  return std::max(config.redis.retry_delay_ns, config.redis.connection.command_timeout_ns / 4);
}

}  // namespace

NodeChannel& RedisBrokerCore::own(Slice& s, const std::string& channel) {
  auto [it, inserted] = s.owned.try_emplace(channel);
  if (inserted) {
    it->second.shard_subscriptions.assign(shard_count(), 0);
    it->second.subscribed_ns = core::monotonic_ns();
    s.metrics.channels.add(1);
    s.metrics.channel_subscribes.add();
    s.client->subscribe(s.store->shard_channel(channel));
  }
  return it->second;
}

void RedisBrokerCore::on_join(std::string channel, JoinRequest request) {
  Slice& s = slice();
  if (!running(s)) {
    return;
  }
  auto found = s.owned.find(channel);
  if (found != s.owned.end() && found->second.state == NodeChannel::State::kLive) {
    ++found->second.shard_subscriptions[request.shard];
    run_join(s, channel, std::move(request));
    return;
  }
  if (s.waiting_joins >= config.max_waiting_joins) {
    s.metrics.joins_refused.add();
    s.metrics.unavailable.add();
    pubsub::SubscribeResult refused;
    refused.status = pubsub::Status::kUnavailable;
    reply_join(channel, request, refused, {});
    return;
  }
  NodeChannel& nc = own(s, channel);
  ++nc.shard_subscriptions[request.shard];
  request.deadline_ns = core::monotonic_ns() + config.join_timeout_ns;
  nc.waiting.push_back(std::move(request));
  ++s.waiting_joins;
  s.metrics.waiting_joins.add(1);
  arm_join_timer(nc, channel);
}

// The timer runs at the oldest waiting join's deadline, and at least once per command timeout so
// that an unreachable Redis fails the waiting joins within that (as it does every other op).
void RedisBrokerCore::arm_join_timer(NodeChannel& nc, const std::string& channel) {
  if (nc.join_timer != 0 || nc.waiting.empty()) {
    return;
  }
  const std::uint64_t check =
      core::monotonic_ns() + config.redis.connection.command_timeout_ns;
  nc.join_timer = executor.timers().add_at(std::min(nc.waiting.front().deadline_ns, check),
                                           [this, channel] { on_join_timer(channel); });
}

void RedisBrokerCore::on_join_timer(const std::string& channel) {
  Slice& s = slice();
  auto it = s.owned.find(channel);
  if (!running(s) || it == s.owned.end()) {
    return;
  }
  NodeChannel& nc = it->second;
  nc.join_timer = 0;
  if (nc.state == NodeChannel::State::kLive) {
    return;
  }
  const bool reachable = redis_reachable(s);
  const std::uint64_t now = core::monotonic_ns();
  std::size_t expired = 0;
  while (expired < nc.waiting.size() &&
         (!reachable || nc.waiting[expired].deadline_ns <= now)) {
    ++expired;
  }
  if (reachable) {
    s.metrics.join_timeouts.add(expired);
    nc.joins_gave_up = nc.joins_gave_up || expired > 0;
  }
  if (expired > 0) {
    fail_waiting(s, channel, nc, expired, pubsub::Status::kUnavailable);
  }
  if (auto again = s.owned.find(channel); again != s.owned.end()) {
    arm_join_timer(again->second, channel);
  }
}

// Unreachable: no connection to Redis for a whole command timeout (a connection dropped for a slow
// answer reconnects within milliseconds and does not count). A join that came while Redis was
// already down is failed at its first check, one command timeout after it came.
bool RedisBrokerCore::redis_reachable(const Slice& s) const noexcept {
  return s.client->down_for_ns() < config.redis.connection.command_timeout_ns;
}

void RedisBrokerCore::fail_waiting(Slice& s, const std::string& channel, NodeChannel& nc,
                                   std::size_t count, pubsub::Status status) {
  count = std::min(count, nc.waiting.size());
  std::vector<JoinRequest> failed(std::make_move_iterator(nc.waiting.begin()),
                                  std::make_move_iterator(nc.waiting.begin() +
                                                          static_cast<std::ptrdiff_t>(count)));
  nc.waiting.erase(nc.waiting.begin(), nc.waiting.begin() + static_cast<std::ptrdiff_t>(count));
  s.waiting_joins -= count;
  s.metrics.waiting_joins.add(-static_cast<std::int64_t>(count));
  for (const JoinRequest& request : failed) {
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
                    // Kept a join timeout for the subscribe retried after this one: dropping it
                    // costs a SUNSUBSCRIBE now and a SSUBSCRIBE + position read then.
                    nc.linger_until_ns = core::monotonic_ns() + config.join_timeout_ns;
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
  // A subscription on its way is kept while Redis answers: the next subscribe finds it there
  // instead of starting over (position() drops it once live if still unused). One whose joins
  // gave up lingers a join timeout, for the subscribes retried meanwhile.
  if (!nc.positioned && redis_reachable(s)) {
    return;
  }
  if (nc.linger_until_ns > core::monotonic_ns() && redis_reachable(s)) {
    if (nc.linger_timer == 0) {
      it->second.linger_timer = executor.timers().add_at(nc.linger_until_ns, [this, channel] {
        Slice& later = slice();
        if (auto found = later.owned.find(channel); running(later) && found != later.owned.end()) {
          found->second.linger_timer = 0;
          drop_if_unused(later, channel);
        }
      });
    }
    return;
  }
  for (core::TimerId timer : {nc.join_timer, nc.linger_timer}) {
    if (timer != 0) {
      executor.timers().cancel(timer);
    }
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
    for (unsigned shard = 0; shard < shard_count(); ++shard) {
      executor.submit_to(shard, [this] { set_inbox_live(true); });
    }
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
  sync_position(s, channel);
}

// Frames from now on reach us; read where the channel stands, hold frames meanwhile. Waiting joins
// keep their own deadlines; the read is retried until Redis answers or nothing needs the channel.
void RedisBrokerCore::sync_position(Slice& s, const std::string& channel) {
  s.store->range(channel, 0, 0, 0, std::nullopt, [this, channel](RangeResult&& r) {
    Slice& again = slice();
    auto found = again.owned.find(channel);
    if (!running(again) || found == again.owned.end() ||
        found->second.state != NodeChannel::State::kSyncing) {
      return;
    }
    if (r.status == StoreStatus::kOk) {
      position(again, channel, r.epoch, r.last_seq);
      return;
    }
    executor.timers().add_after(reread_delay(config), [this, channel] {
      Slice& later = slice();
      auto it = later.owned.find(channel);
      if (!running(later) || it == later.owned.end() ||
          it->second.state != NodeChannel::State::kSyncing) {
        return;
      }
      drop_if_unused(later, channel);
      if (later.owned.contains(channel)) {
        sync_position(later, channel);
      }
    });
  });
}

void RedisBrokerCore::position(Slice& s, const std::string& channel, std::uint64_t epoch,
                               std::uint64_t seq) {
  NodeChannel& nc = s.owned.find(channel)->second;
  if (!nc.positioned) {
    s.metrics.first_live.record(core::monotonic_ns() - nc.subscribed_ns);
  }
  if (nc.join_timer != 0) {
    executor.timers().cancel(std::exchange(nc.join_timer, 0));
  }
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
  s.waiting_joins -= waiting.size();
  s.metrics.waiting_joins.add(-static_cast<std::int64_t>(waiting.size()));
  for (JoinRequest& request : waiting) {
    run_join(s, channel, std::move(request));
  }
  if (waiting.empty()) {
    if (std::exchange(again->second.joins_gave_up, false)) {
      again->second.linger_until_ns = core::monotonic_ns() + config.join_timeout_ns;
    }
    drop_if_unused(s, channel);  // kept on its way after its joins gave up
  }
}

void RedisBrokerCore::on_interrupted(std::string_view shard_channel) {
  Slice& s = slice();
  if (shard_channel == inbox_) {
    for (unsigned shard = 0; shard < shard_count(); ++shard) {
      executor.submit_to(shard, [this] { set_inbox_live(false); });
    }
    return;
  }
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
          executor.timers().add_after(reread_delay(config), [this, channel] {
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
