// RedisBroker, people: presence (this node's transitions written to Redis, the channel's global
// joins/leaves announced to subscribers with the local broker's coalescing), users' home shards
// (attach to Redis, drain missed notifications, notify live, sync read cursors across nodes through
// the node inboxes), and the janitor's cleanup after a dead node.
#include <algorithm>
#include <charconv>

#include <spdlog/spdlog.h>

#include "redis/script.hpp"
#include "scaleout/detail/redis_broker_core.hpp"

namespace hexwire::scaleout::detail {

// KEYS: 1 the user's nodes hash, 2 the user's member-channel set, 3 (personal channels through
// the inboxes only) the offline zset of the user's personal channel. ARGV: 1 this node, 2 ttl ms,
// 3 the user, 4 '1' when the live node list is known, 5... live nodes. Forgets nodes that are not
// live, adds this one, and ends the user's offline episode in their personal channel.
// Reply: {other live nodes holding the user, 1 when the personal channel has messages the user
// missed offline (else 0), channels the user may be a member of...}.
const redis::Script& attach_script() {
  static const redis::Script script(R"lua(
local others = 0
for _, node in ipairs(redis.call('HKEYS', KEYS[1])) do
  local alive = ARGV[4] ~= '1'
  for i = 5, #ARGV do
    if ARGV[i] == node then alive = true end
  end
  if not alive then
    redis.call('HDEL', KEYS[1], node)
  elseif node ~= ARGV[1] then
    others = others + 1
  end
end
redis.call('HSET', KEYS[1], ARGV[1], 1)
redis.call('PEXPIRE', KEYS[1], ARGV[2])
local personal = 0
if #KEYS >= 3 then personal = redis.call('ZREM', KEYS[3], ARGV[3]) end
local reply = {others, personal}
for _, channel in ipairs(redis.call('SMEMBERS', KEYS[2])) do reply[#reply + 1] = channel end
return reply
)lua");
  return script;
}

namespace {

std::uint64_t now_ns(core::Executor& executor) {
  return executor.timers().now_ns();
}

}  // namespace

std::string RedisBrokerCore::inbox_of(std::string_view node) const {
  return config.channels.prefix + ":{node:" + std::string(node) + "}:in";
}

std::string RedisBrokerCore::user_key(std::string_view user, std::string_view suffix) const {
  return config.channels.prefix + ":{u:" + std::string(user) + "}:" + std::string(suffix);
}

void RedisBrokerCore::set_live_nodes(std::shared_ptr<const std::vector<std::string>> live) {
  Slice& s = slice();
  s.live_nodes = std::move(live);
  s.registered = std::binary_search(s.live_nodes->begin(), s.live_nodes->end(), node_id_);
  run_waiting_attaches(s);
  if (live_observer) {
    live_observer(*s.live_nodes);
  }
}

// ---------------------------------------------------------------------------------------------
// Presence: this node's transitions

void RedisBrokerCore::presence_transition(Slice& s, const std::string& channel, NodeChannel& nc,
                                          const std::string& user, PresenceKind kind,
                                          std::optional<std::uint64_t> seen) {
  if (!running(s)) {
    return;
  }
  if (kind == PresenceKind::kOnline && !nc.in_node_set) {
    // So that the janitor can find this node's entries if it dies.
    nc.in_node_set = true;
    const std::string key = config.channels.prefix + ":{node:" + node_id_ + "}:ch";
    s.client->command(key, {"SADD", key, channel}, nullptr);
  }
  auto on_written = [this, channel, user, kind, seen](PresenceUpdate&& r) {
    if (r.status == StoreStatus::kOk) {
      nudge_if_queued(user, kind, r);
      return;
    }
    // Redis missed it: write the state this node has then, later (the scripts are idempotent).
    slice().metrics.unavailable.add();
    executor.timers().add_after(config.redis.connection.reconnect_max_ns, [this, channel, user,
                                                                           seen] {
      Slice& again = slice();
      if (again.stopped) {
        return;
      }
      auto it = again.owned.find(channel);
      const bool online = it != again.owned.end() && it->second.users.contains(user);
      if (it != again.owned.end()) {
        presence_transition(again, channel, it->second, user,
                            online ? PresenceKind::kOnline : PresenceKind::kOffline, seen);
      } else {
        again.store->presence(channel, user, node_id_, PresenceKind::kOffline,
                              [this, user](PresenceUpdate&& r) {
                                if (r.status == StoreStatus::kOk) {
                                  nudge_if_queued(user, PresenceKind::kOffline, r);
                                }
                              },
                              seen);
      }
    });
  };
  s.store->presence(channel, user, node_id_, kind, std::move(on_written), seen);
}

// The user's offline queue in a channel starts when their last node's offline transition is
// written: a node that took them in meanwhile may have drained before it existed.
void RedisBrokerCore::nudge_if_queued(const std::string& user, PresenceKind kind,
                                      const PresenceUpdate& written) {
  if (kind == PresenceKind::kOffline && written.changed) {
    nudge_user_nodes(slice(), user);
  }
}

// ---------------------------------------------------------------------------------------------
// Presence: the channel's global changes, coalesced for subscribers

void RedisBrokerCore::on_presence_frame(Slice& s, const std::string& channel, NodeChannel& nc,
                                        const ChannelFrame& frame) {
  nc.online = frame.online;
  AnnouncedUser& user = nc.presence[frame.user];
  user.online = frame.kind == ChannelFrame::Kind::kJoin;
  user.changed_ns = now_ns(executor);
  if (!user.dirty) {
    user.dirty = true;
    if (nc.presence_dirty.empty()) {
      nc.presence_dirty_since_ns = user.changed_ns;
      s.presence_channels.push_back(channel);
    }
    nc.presence_dirty.push_back(frame.user);
  }
  arm_presence_timer(s);
}

void RedisBrokerCore::arm_presence_timer(Slice& s) {
  if (s.presence_timer != 0 || s.presence_channels.empty()) {
    return;
  }
  s.presence_timer = executor.timers().add_after(config.pubsub.presence_flush_interval_ns, [this] {
    Slice& again = slice();
    again.presence_timer = 0;
    flush_presence(again);
  });
}

// As the local broker: per user only the net change of the window is sent; larger channels use a
// longer window (subscriptions x presence_window_per_subscriber_ns, at most the max) and announce a
// leave only after the user stayed away for presence_leave_grace_ns.
void RedisBrokerCore::flush_presence(Slice& s) {
  const std::uint64_t now = now_ns(executor);
  std::vector<std::string> channels = std::move(s.presence_channels);
  s.presence_channels.clear();
  for (const std::string& channel : channels) {
    auto it = s.owned.find(channel);
    if (it == s.owned.end()) {
      continue;
    }
    NodeChannel& nc = it->second;
    const std::uint64_t window = std::clamp<std::uint64_t>(
        nc.subscriptions() * config.pubsub.presence_window_per_subscriber_ns,
        config.pubsub.presence_flush_interval_ns, config.pubsub.presence_max_interval_ns);
    const bool large = window > config.pubsub.presence_flush_interval_ns;
    if (now < nc.presence_dirty_since_ns + window) {
      s.presence_channels.push_back(channel);
      continue;
    }
    if (config.pubsub.presence_max_members != 0 &&
        std::max(nc.online, nc.announced_online) > config.pubsub.presence_max_members) {
      if (!flush_presence_count(nc, channel, now)) {
        s.presence_channels.push_back(channel);
      }
      continue;
    }
    auto changes = std::make_shared<std::vector<pubsub::PresenceChange>>();
    std::vector<std::string> still_dirty;
    for (const std::string& name : nc.presence_dirty) {
      auto u = nc.presence.find(name);
      if (u == nc.presence.end()) {
        continue;
      }
      AnnouncedUser& user = u->second;
      if (large && !user.online && user.announced && now < user.changed_ns + config.pubsub.presence_leave_grace_ns) {
        still_dirty.push_back(name);
        continue;
      }
      user.dirty = false;
      if (user.online != user.announced) {
        user.announced = user.online;
        changes->push_back(pubsub::PresenceChange{name, user.online});
      }
      if (!user.online && !nc.notify.contains(name)) {
        nc.presence.erase(u);
      }
    }
    nc.presence_dirty = std::move(still_dirty);
    if (!nc.presence_dirty.empty()) {
      nc.presence_dirty_since_ns = now;
      s.presence_channels.push_back(channel);
    }
    if (changes->empty()) {
      continue;
    }
    s.metrics.presence_events.add(changes->size());
    std::shared_ptr<const std::vector<pubsub::PresenceChange>> shared = std::move(changes);
    for (unsigned shard = 0; shard < shard_count(); ++shard) {
      if (nc.shard_subscriptions[shard] > 0) {
        executor.submit_to(shard, [this, channel, shared] { on_presence_changes(channel, shared); });
      }
    }
  }
  arm_presence_timer(s);
}

bool RedisBrokerCore::flush_presence_count(NodeChannel& nc, const std::string& channel,
                                           std::uint64_t now) {
  if (nc.online == nc.announced_online) {
    for (const std::string& name : nc.presence_dirty) {
      if (auto u = nc.presence.find(name); u != nc.presence.end()) {
        u->second.dirty = false;
        u->second.announced = u->second.online;
      }
    }
    nc.presence_dirty.clear();
    return true;
  }
  if (now < nc.count_sent_ns + config.pubsub.presence_count_interval_ns) {
    return false;
  }
  nc.count_sent_ns = now;
  nc.announced_online = nc.online > config.pubsub.presence_max_members ? nc.online : 0;
  const std::uint64_t count = nc.online;
  for (unsigned shard = 0; shard < shard_count(); ++shard) {
    if (nc.shard_subscriptions[shard] > 0) {
      executor.submit_to(shard, [this, channel, count] { on_presence_count(channel, count); });
    }
  }
  return flush_presence_count(nc, channel, now);
}

// ---------------------------------------------------------------------------------------------
// Users: home shard inside this node

void RedisBrokerCore::on_user_attached(const std::string& user, unsigned shard,
                                       SubscriberId connection) {
  Slice& s = slice();
  if (!running(s)) {
    return;
  }
  UserHome& home = s.users[user];
  home.connections.emplace_back(shard, connection);
  if (home.attached || home.attaching) {
    return;  // only the user's first connection on this node drains and registers
  }
  attach(s, user, home);
}

// Puts this node in the user's nodes and reads the channels they may be a member of, then drains
// what they missed (alone) or registers for live notification (another node holds them too).
void RedisBrokerCore::attach(Slice& s, const std::string& user, UserHome& home) {
  home.attaching = true;
  home.attach_again = false;
  home.attach_id = ++s.next_attach_id;
  attach_when_ready(s, user);
}

void RedisBrokerCore::run_attach(Slice& s, const std::string& user) {
  const std::string nodes = user_key(user, "n");
  const std::string members = user_key(user, "m");
  const std::string ttl = std::to_string(config.channels.channel_ttl_ms);
  std::vector<std::string_view> args = {node_id_, ttl, user, s.live_nodes->empty() ? "0" : "1"};
  for (const std::string& node : *s.live_nodes) {
    args.push_back(node);
  }
  std::string personal_offline;
  if (personal_inbox()) {
    personal_offline = channel_keys(config.channels.prefix,
                                    config.pubsub.personal_channel_prefix + user)[kOffline];
  }
  const std::string_view keys[] = {nodes, members, personal_offline};
  s.client->run_script(
      attach_script(), std::span<const std::string_view>(keys, personal_offline.empty() ? 2 : 3),
      args,
      [this, user, attach_id = s.users[user].attach_id](redis::RedisStatus status,
                                                        redis::ReplyView reply) {
        on_attached(user, attach_id, status, reply);
      });
}

void RedisBrokerCore::on_attached(const std::string& user, std::uint64_t attach_id,
                                  redis::RedisStatus status, redis::ReplyView reply) {
  Slice& again = slice();
  auto it = again.users.find(user);
  if (it == again.users.end()) {
    // Every connection closed while the attach was in flight: the detach could not take this
    // node out of the user's nodes (it was not in yet), so do it now, or the node would count as
    // holding the user and their next node would not drain what they missed.
    if (status == redis::RedisStatus::kOk && running(again)) {
      const std::string key = user_key(user, "n");
      again.client->command(key, {"HDEL", key, node_id_}, nullptr);
    }
    return;
  }
  if (it->second.attach_id != attach_id) {
    return;  // closed and reopened meanwhile: the newer attach answers for the user
  }
  UserHome& home = it->second;
  home.attaching = false;
  if (status != redis::RedisStatus::kOk || reply.is_error()) {
    again.metrics.unavailable.add();
    finish_personal_drain(again, user);  // nothing drained: what was held goes on
    return;  // no drain this time; the next first connection tries again
  }
  home.attached = true;
  const bool alone = reply[0].integer() == 0;
  std::vector<std::string> channels;
  if (reply[1].integer() == 1) {
    channels.push_back(config.pubsub.personal_channel_prefix + user);
    home.draining = true;
  }
  for (std::size_t i = 2; i < reply.size(); ++i) {
    channels.emplace_back(reply[i].str());
  }
  if (!channels.empty() && config.pubsub.offline_notifications) {
    const auto [first_shard, first_id] = home.connections.front();
    drain_offline(user, alone ? first_shard : ~0u, first_id, std::move(channels));
  } else {
    finish_personal_drain(again, user);
  }
  // drain_offline may have run its callbacks already: look the user up again.
  auto after = again.users.find(user);
  if (after != again.users.end() && after->second.attach_again && running(again)) {
    attach(again, user, after->second);  // nudged while this one was in flight: its reply is stale
  }
}

// Another node changed what Redis says about one of this node's users (it wrote their offline
// transition, or their last connection there closed): the user's drain is read again, since the
// one made when they arrived here may have come before that write.
void RedisBrokerCore::on_user_nudged(const std::string& user) {
  Slice& s = slice();
  auto it = s.users.find(user);
  if (it == s.users.end() || !running(s)) {
    return;
  }
  if (it->second.attaching) {
    it->second.attach_again = true;
    return;
  }
  attach(s, user, it->second);
}

namespace {

struct DrainState {
  std::size_t outstanding = 0;
  std::uint64_t missed = 0;
  std::vector<MessageRef> messages;
  struct Member {
    std::string channel;
    std::uint64_t seq = 0;  // the channel's seq as read (drained: the seq drained to)
    bool drained = false;
  };
  std::vector<Member> member_channels;
};

}  // namespace

// Reads what the user missed in each channel they are an offline member of; the newest
// pending_notifications_per_user of them go to `connection`. When `shard` is ~0u another node
// holds the user too and notifies them live: nothing is drained (their notified seq stays where it
// is, for the drain made here once that node lets them go) and the channels where they are still
// a member register for live notification here.
void RedisBrokerCore::drain_offline(const std::string& user, unsigned shard,
                                    SubscriberId connection, std::vector<std::string> channels) {
  Slice& s = slice();
  auto state = std::make_shared<DrainState>();
  state->outstanding = channels.size();
  const std::size_t limit = config.pubsub.pending_notifications_per_user;
  const auto mode = shard == ~0u ? ChannelStore::DrainMode::kCheck : ChannelStore::DrainMode::kDrain;
  static const std::vector<std::pair<std::string, std::uint64_t>> kNone;
  const auto home = s.users.find(user);
  const auto& registered = home == s.users.end() ? kNone : home->second.notify_channels;
  for (const std::string& channel : channels) {
    // A channel registered here already is notified live after the seq it was read at.
    const auto known = std::find_if(registered.begin(), registered.end(),
                                    [&](const auto& r) { return r.first == channel; });
    const std::optional<std::uint64_t> until =
        known == registered.end() ? std::nullopt : std::optional<std::uint64_t>(known->second);
    s.store->drain_offline(channel, user, limit, mode, until, [this, state, user, channel, shard,
                                                               connection, limit](OfflineDrain&& d) {
      Slice& again = slice();
      const bool personal = personal_user(channel) == std::string_view(user);
      if (personal && d.status == StoreStatus::kOk && d.drained) {
        // The drain covers the personal channel up to d.seq: the inbox's copies are skipped.
        if (auto home = again.users.find(user); home != again.users.end()) {
          UserHome& h = home->second;
          if (h.personal_epoch != d.epoch) {
            h.personal_epoch = d.epoch;
            h.personal_seq = 0;
          }
          h.personal_seq = std::max(h.personal_seq, d.seq);
        }
      }
      if (d.status == StoreStatus::kOk && d.epoch == 0) {
        if (!personal) {
          const std::string key = user_key(user, "m");  // no longer a member: forget it
          again.client->command(key, {"SREM", key, channel}, nullptr);
        }
      } else if (d.status == StoreStatus::kOk) {
        if (!personal) {  // its owner notifies them from now on
          state->member_channels.push_back({channel, d.seq, d.drained});
        }
        state->missed += d.missed;
        for (const StoredMessage& m : d.newest) {
          state->messages.push_back(make_message(channel, d.epoch, m));
        }
      }
      if (--state->outstanding != 0) {
        return;
      }
      auto home = again.users.find(user);
      if (home == again.users.end()) {
        return;
      }
      // Runs after the drained messages are queued to the connection's shard (below), so that
      // the personal messages held meanwhile follow them.
      struct Finish {
        RedisBrokerCore* core;
        std::string user;
        ~Finish() { core->finish_personal_drain(core->slice(), user); }
      } finish{this, user};
      auto& registered = home->second.notify_channels;
      for (const DrainState::Member& m : state->member_channels) {
        const std::string member = m.channel;
        const std::uint64_t drained_to = m.drained ? m.seq : 0;
        if (std::find_if(registered.begin(), registered.end(), [&](const auto& r) {
              return r.first == member;
            }) != registered.end()) {
          // Registered by an earlier drain (before a nudge): only what this one read is news.
          executor.submit_to(owner_of(member), [this, member, user, drained_to] {
            on_notify_drained(member, user, drained_to);
          });
          continue;
        }
        registered.emplace_back(member, m.seq);
        executor.submit_to(owner_of(member), [this, member, user, drained_to] {
          on_notify_register(member, user, true, drained_to);
        });
      }
      if (shard == ~0u || state->messages.empty()) {
        return;
      }
      auto& all = state->messages;
      std::sort(all.begin(), all.end(), [](const MessageRef& a, const MessageRef& b) {
        return a->ts_us != b->ts_us ? a->ts_us > b->ts_us : a->seq > b->seq;
      });
      const std::uint64_t dropped =
          state->missed > std::min(all.size(), limit) ? state->missed - std::min(all.size(), limit)
                                                      : 0;
      if (all.size() > limit) {
        all.resize(limit);
      }
      std::reverse(all.begin(), all.end());  // oldest first
      again.metrics.offline_drained.add(all.size());
      executor.submit_to(shard, [this, connection, messages = std::move(all), dropped] {
        Slice& target = slice();
        if (!target.connections.contains(connection)) {
          return;
        }
        in_sink(target, [&] { sink.pending_drained(connection, messages, dropped); });
      });
    });
  }
}

void RedisBrokerCore::on_user_detached(const std::string& user, unsigned shard,
                                       SubscriberId connection) {
  Slice& s = slice();
  auto it = s.users.find(user);
  if (it == s.users.end()) {
    return;
  }
  UserHome& home = it->second;
  std::erase(home.connections, std::pair<unsigned, SubscriberId>(shard, connection));
  if (!home.connections.empty()) {
    return;
  }
  for (const auto& registered : home.notify_channels) {
    const std::string& channel = registered.first;
    executor.submit_to(owner_of(channel),
                       [this, channel, user] { on_notify_register(channel, user, false); });
  }
  if (home.attached && running(s)) {
    const std::string key = user_key(user, "n");
    s.client->command(key, {"HDEL", key, node_id_}, nullptr);
    nudge_user_nodes(s, user);  // a node that took the user in meanwhile counted this one
  }
  s.users.erase(it);
}

void RedisBrokerCore::on_notify_register(const std::string& channel, const std::string& user,
                                         bool add, std::uint64_t drained_to) {
  Slice& s = slice();
  if (!running(s)) {
    return;
  }
  if (add) {
    NodeChannel& nc = own(s, channel);
    NotifyEntry& entry = nc.notify[user];
    if (entry.registrations++ == 0) {
      entry.live_from = nc.positioned ? nc.delivered : NotifyEntry::kUnknown;
    }
    entry.drained_to = std::max(entry.drained_to, drained_to);
    return;
  }
  auto it = s.owned.find(channel);
  if (it == s.owned.end()) {
    return;
  }
  auto entry = it->second.notify.find(user);
  if (entry == it->second.notify.end() || --entry->second.registrations != 0) {
    return;
  }
  // The notified seq moves to the last one notified here only when nothing lies between the drain
  // and the first message seen here (sequenced after the drain's read but before this node's
  // position): such a message was neither drained nor notified and stays queued for the next drain.
  const NotifyEntry& e = entry->second;
  if (e.notified != 0 && e.live_from != NotifyEntry::kUnknown && e.drained_to >= e.live_from) {
    s.store->mark_notified(channel, user, e.notified, [](StoreStatus) {});
  }
  it->second.notify.erase(entry);
  drop_if_unused(s, channel);
}

void RedisBrokerCore::on_notify_drained(const std::string& channel, const std::string& user,
                                        std::uint64_t drained_to) {
  Slice& s = slice();
  auto it = s.owned.find(channel);
  if (it == s.owned.end()) {
    return;
  }
  if (auto entry = it->second.notify.find(user); entry != it->second.notify.end()) {
    entry->second.drained_to = std::max(entry->second.drained_to, drained_to);
  }
}

void RedisBrokerCore::notify_members(Slice& s, NodeChannel& nc, const MessageRef& message) {
  for (auto& [user, entry] : nc.notify) {
    if (entry.live_from == NotifyEntry::kUnknown) {
      entry.live_from = message->seq - 1;  // the first message since the channel was positioned
    }
    auto presence = nc.presence.find(user);
    if (user == message->from || (presence != nc.presence.end() && presence->second.online)) {
      continue;  // never one's own message; and an online member gets the message itself
    }
    entry.notified = message->seq;
    s.metrics.notifications.add();
    executor.submit_to(home_of(user), [this, u = user, message] { on_notify(u, message); });
  }
}

void RedisBrokerCore::on_notify(const std::string& user, const MessageRef& message) {
  Slice& s = slice();
  auto it = s.users.find(user);
  if (it == s.users.end()) {
    return;
  }
  for (const auto& [shard, connection] : it->second.connections) {
    executor.submit_to(shard, [this, message, id = connection] {
      Slice& target = slice();
      if (target.connections.contains(id)) {
        in_sink(target, [&] { sink.notify(message, std::span<const SubscriberId>(&id, 1)); });
      }
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Read sync across connections and nodes

void RedisBrokerCore::on_read_moved(const std::string& user, const std::string& channel,
                                    std::uint64_t seq, unsigned origin_shard,
                                    SubscriberId origin, bool from_other_node) {
  Slice& s = slice();
  if (auto it = s.users.find(user); it != s.users.end()) {
    for (const auto& [shard, connection] : it->second.connections) {
      if (shard == origin_shard && connection == origin) {
        continue;
      }
      s.metrics.read_syncs.add();
      executor.submit_to(shard, [this, channel, seq, id = connection] {
        Slice& target = slice();
        if (target.connections.contains(id)) {
          in_sink(target, [&] {
            sink.read_synced(channel, seq, std::span<const SubscriberId>(&id, 1));
          });
        }
      });
    }
  }
  if (from_other_node || !running(s)) {
    return;
  }
  // The user's other nodes hear it through their inboxes.
  tell_user_nodes(s, user, "R " + std::to_string(seq) + " " + user + " " + channel);
}

// Every node in the user's hash is told, not only those this node already saw heartbeat: the live
// list lags a node that just joined, and a frame to a dead node's inbox reaches nobody (the attach
// script prunes dead entries). The hash is read after this shard's earlier writes (one connection,
// in order), so a node that registered the user before them is told.
void RedisBrokerCore::tell_user_nodes(Slice& s, const std::string& user, std::string frame) {
  if (!running(s)) {
    return;
  }
  const std::string key = user_key(user, "n");
  s.client->command(key, {"HKEYS", key},
                    [this, frame = std::move(frame)](redis::RedisStatus status,
                                                     redis::ReplyView nodes) {
                      if (status != redis::RedisStatus::kOk || nodes.is_error()) {
                        return;
                      }
                      Slice& again = slice();
                      for (std::size_t i = 0; i < nodes.size(); ++i) {
                        const std::string_view node = nodes[i].str();
                        if (node == node_id_) {
                          continue;
                        }
                        const std::string inbox = inbox_of(node);
                        again.client->command(inbox, {again.client->publish_command(), inbox, frame},
                                              nullptr);
                      }
                    });
}

// A user's drain on a node reads Redis when they arrive there; what another node writes for that
// user afterwards (their offline transition in a channel, its leaving their nodes) would otherwise
// never reach that drain: those writes are followed by this nudge.
void RedisBrokerCore::nudge_user_nodes(Slice& s, const std::string& user) {
  tell_user_nodes(s, user, "D " + user);
}

void RedisBrokerCore::on_inbox(std::string_view payload) {
  // "U <channel> <message frame>": a message of a personal channel (publish_personal).
  if (payload.starts_with("U ")) {
    payload.remove_prefix(2);
    const std::size_t space = payload.find(' ');
    ChannelFrame frame;
    const std::string_view channel = payload.substr(0, space);
    const std::optional<std::string_view> user = personal_user(channel);
    if (space == std::string_view::npos || !user ||
        !parse_channel_frame(payload.substr(space + 1), &frame) ||
        frame.kind != ChannelFrame::Kind::kMessage) {
      return;
    }
    MessageRef message = make_message(channel, frame.epoch, frame.message);
    executor.submit_to(home_of(*user), [this, u = std::string(*user), epoch = frame.epoch,
                                        message = std::move(message)] {
      on_personal(u, epoch, message);
    });
    return;
  }
  // "D <user>": another node wrote something the user's drain reads (nudge_user_nodes).
  if (payload.starts_with("D ")) {
    std::string user(payload.substr(2));
    executor.submit_to(home_of(user), [this, user = std::move(user)] { on_user_nudged(user); });
    return;
  }
  // "R <seq> <user> <channel>": a read cursor moved on another node.
  if (!payload.starts_with("R ")) {
    return;
  }
  payload.remove_prefix(2);
  const std::size_t a = payload.find(' ');
  const std::size_t b = payload.find(' ', a + 1);
  if (a == std::string_view::npos || b == std::string_view::npos) {
    return;
  }
  std::uint64_t seq = 0;
  std::from_chars(payload.data(), payload.data() + a, seq);
  std::string user(payload.substr(a + 1, b - a - 1));
  std::string channel(payload.substr(b + 1));
  executor.submit_to(home_of(user), [this, user = std::move(user), channel = std::move(channel),
                                     seq] { on_read_moved(user, channel, seq, ~0u, 0, true); });
}

// ---------------------------------------------------------------------------------------------
// The janitor

void RedisBrokerCore::clean_dead_node(const std::string& node, core::UniqueFunction<void()> done) {
  Slice& s = slice();
  if (!running(s)) {
    return;
  }
  const std::string key = config.channels.prefix + ":{node:" + node + "}:ch";
  auto finish = std::make_shared<core::UniqueFunction<void()>>(std::move(done));
  s.client->command(key, {"SMEMBERS", key},
                    [this, node, finish](redis::RedisStatus status, redis::ReplyView channels) {
                      if (status != redis::RedisStatus::kOk || channels.is_error()) {
                        return;  // not done: the next heartbeat retries
                      }
                      Slice& again = slice();
                      auto left = std::make_shared<std::size_t>(channels.size());
                      if (*left == 0) {
                        (*finish)();
                        return;
                      }
                      for (std::size_t i = 0; i < channels.size(); ++i) {
                        again.store->node_gone(channels[i].str(), node,
                                               [left, finish](StoreStatus) {
                                                 if (--*left == 0) {
                                                   (*finish)();
                                                 }
                                               });
                      }
                    });
}

}  // namespace hexwire::scaleout::detail
