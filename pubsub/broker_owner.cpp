// The channel owner's side of the broker: sequencing and history, subscription counts per shard,
// members (presence, read cursors, offline lists), coalesced presence batches and history
// sweeping. Everything here runs on the owner shard's thread.
#include <algorithm>
#include <cassert>

#include "pubsub/detail/broker_core.hpp"

namespace hexwire::pubsub::detail {

OwnedChannel* BrokerCore::find_owned(ShardState& st, std::string_view channel) {
  auto it = st.owned.find(channel);
  return it == st.owned.end() ? nullptr : it->second.get();
}

OwnedChannel* BrokerCore::get_or_create_owned(ShardState& st, std::string_view channel) {
  if (OwnedChannel* existing = find_owned(st, channel)) {
    return existing;
  }
  if (st.owned.size() >= config.max_channels_per_shard) {
    return nullptr;
  }
  auto created = std::make_unique<OwnedChannel>();
  created->name = std::string(channel);
  created->shard_subscriptions.assign(shard_count_, 0);
  created->offline_by_home.resize(shard_count_);
  OwnedChannel* raw = created.get();
  st.owned.emplace(raw->name, std::move(created));
  st.metrics.channels.add(1);
  arm_sweep_timer(st);
  return raw;
}

void BrokerCore::trim_history(ShardState& st, OwnedChannel& ch) {
  const std::size_t dropped = ch.history.trim(history_limits, config.wall_clock_us());
  st.metrics.history_messages.add(-static_cast<std::int64_t>(dropped));
}

void BrokerCore::update_offline_list(OwnedChannel& ch, const std::string& user, Member& m) {
  const bool want = !m.left && m.live_connections == 0;
  const bool have = m.offline_pos != UINT32_MAX;
  if (want == have) {
    return;
  }
  std::shared_ptr<UserList>& shared = ch.offline_by_home[home_of(user)];
  // Copy-on-write: in-flight publishes may still hold the current list. Only this thread makes
  // new references, so a count of 1 cannot grow behind our back.
  if (!shared) {
    shared = std::make_shared<UserList>();
  } else if (shared.use_count() > 1) {
    shared = std::make_shared<UserList>(*shared);
  }
  UserList& list = *shared;
  if (want) {
    m.offline_pos = static_cast<std::uint32_t>(list.size());
    list.push_back(user);
    return;
  }
  const std::uint32_t pos = m.offline_pos;
  if (pos + 1 != list.size()) {
    list[pos] = std::move(list.back());
    ch.members.find(list[pos])->second.offline_pos = pos;
  }
  list.pop_back();
  m.offline_pos = UINT32_MAX;
}

void BrokerCore::set_member_online(ShardState& st, OwnedChannel& ch, const std::string& user,
                                   Member& m, std::uint32_t new_live) {
  const bool was_online = m.live_connections > 0;
  m.live_connections = new_live;
  if (was_online && new_live == 0) {
    m.offline_since_ns = executor.timers().now_ns();
  }
  if (was_online != (new_live > 0)) {
    ++ch.presence_transitions;
    if (!m.presence_dirty) {
      m.presence_dirty = true;
      if (ch.presence_dirty.empty()) {
        st.presence_dirty_channels.push_back(ch.name);
        ch.presence_dirty_since_ns = executor.timers().now_ns();
      }
      ch.presence_dirty.push_back(user);
      arm_presence_timer(st);
    }
  }
  update_offline_list(ch, user, m);
}

void BrokerCore::on_subscribe_request(SubscribeRequest request) {
  ShardState& st = state();
  SubscribeResult result;
  std::vector<MessageRef> backlog;
  OwnedChannel* ch = get_or_create_owned(st, request.channel);
  auto member = ch ? ch->members.find(request.user) : decltype(ch->members.end()){};
  if (ch == nullptr) {
    result.status = Status::kTooManyChannels;
  } else if (member == ch->members.end() && ch->members.size() >= config.max_members_per_channel) {
    result.status = Status::kChannelFull;
  } else {
    if (member == ch->members.end()) {
      member = ch->members.emplace(request.user, Member{}).first;
      member->second.read_seq = ch->last_seq;  // a new member starts with nothing unread
    } else if (member->second.left) {
      member->second.left = false;
      member->second.read_seq = ch->last_seq;
    }
    Member& m = member->second;
    ++ch->shard_subscriptions[request.from_shard];
    set_member_online(st, *ch, member->first, m, m.live_connections + 1);
    trim_history(st, *ch);
    result.seq = ch->last_seq;
    const std::uint64_t read = std::min(m.read_seq, ch->last_seq);
    result.unread = std::min<std::uint64_t>(ch->last_seq - read, ch->history.size());
    if (request.since) {
      st.metrics.resumes.add();
      result.recovered = ch->history.covers(*request.since, ch->last_seq);
      if (result.recovered) {
        backlog = ch->history.range_after(*request.since, SIZE_MAX);
      } else {
        st.metrics.resume_unrecovered.add();
      }
      result.backlog = backlog.size();
    }
  }
  // Queued on the same owner->subscriber FIFO as forwards: every message sequenced before this
  // point arrives at the subscriber shard before this reply, every later one after it.
  executor.submit_to(request.from_shard,
                     [this, channel = std::move(request.channel), token = request.token, result,
                      backlog = std::move(backlog)]() mutable {
                       on_subscribe_reply(std::move(channel), token, result, std::move(backlog));
                     });
}

void BrokerCore::on_unsubscribe(std::string_view channel, std::string_view user,
                                unsigned from_shard, bool leave) {
  ShardState& st = state();
  OwnedChannel* ch = find_owned(st, channel);
  assert(ch != nullptr && "unsubscribe for a channel never subscribed");
  if (ch == nullptr) {
    return;
  }
  assert(ch->shard_subscriptions[from_shard] > 0);
  --ch->shard_subscriptions[from_shard];
  auto member = ch->members.find(user);
  if (member == ch->members.end() || member->second.live_connections == 0) {
    return;
  }
  Member& m = member->second;
  if (leave && m.live_connections == 1) {
    m.left = true;
  }
  set_member_online(st, *ch, member->first, m, m.live_connections - 1);
}

void BrokerCore::on_publish(std::shared_ptr<Message> message, unsigned from_shard,
                            std::uint32_t slot) {
  ShardState& st = state();
  OwnedChannel* ch = get_or_create_owned(st, message->channel);
  PublishAck ack;
  if (ch == nullptr) {
    ack.status = Status::kTooManyChannels;
  } else {
    message->seq = ++ch->last_seq;
    message->ts_us = config.wall_clock_us();
    ack.seq = message->seq;
    ack.ts_us = message->ts_us;
    MessageRef ref(std::move(message));
    ch->history.append(ref);
    st.metrics.history_messages.add(1);
    trim_history(st, *ch);
    st.metrics.publishes.add();
    for (unsigned shard = 0; shard < shard_count_; ++shard) {
      if (ch->shard_subscriptions[shard] > 0) {
        executor.submit_to(shard, [this, ref] { on_forward(ref); });
        st.metrics.forwards.add();
      }
    }
    for (unsigned home = 0; config.offline_notifications && home < shard_count_; ++home) {
      const std::shared_ptr<UserList>& offline = ch->offline_by_home[home];
      if (offline && !offline->empty()) {
        executor.submit_to(home, [this, ref, users = std::shared_ptr<const UserList>(offline)] {
          on_offline_message(ref, users);
        });
      }
    }
  }
  if (slot != kNoCallback) {
    executor.submit_to(from_shard, [this, slot, ack] {
      auto on_ack = state().publish_callbacks.take(slot);
      on_ack(ack);
    });
  }
}

void BrokerCore::on_history(std::string_view channel, std::uint64_t since, std::size_t limit,
                            unsigned from_shard, std::uint32_t slot) {
  ShardState& st = state();
  HistoryResult result;
  if (OwnedChannel* ch = find_owned(st, channel)) {
    trim_history(st, *ch);
    result.messages = ch->history.range_after(since, limit);
    result.recovered = ch->history.covers(since, ch->last_seq);
    result.last_seq = ch->last_seq;
  } else {
    result.recovered = since == 0;
  }
  if (slot == kNoCallback) {
    return;
  }
  executor.submit_to(from_shard, [this, slot, result = std::move(result)]() mutable {
    auto on_done = state().history_callbacks.take(slot);
    on_done(std::move(result));
  });
}

void BrokerCore::on_presence_query(std::string_view channel, unsigned from_shard,
                                   std::uint32_t slot) {
  PresenceResult result;
  if (OwnedChannel* ch = find_owned(state(), channel)) {
    for (const auto& [user, member] : ch->members) {
      if (member.live_connections > 0) {
        result.users.push_back(user);
      }
    }
    std::sort(result.users.begin(), result.users.end());
  }
  if (slot == kNoCallback) {
    return;
  }
  executor.submit_to(from_shard, [this, slot, result = std::move(result)]() mutable {
    auto on_done = state().presence_callbacks.take(slot);
    on_done(std::move(result));
  });
}

void BrokerCore::on_mark_read(std::string_view channel, std::string_view user, std::uint64_t seq,
                              unsigned from_shard, SubscriberId origin, std::uint32_t slot) {
  ShardState& st = state();
  ReadResult result;
  OwnedChannel* ch = find_owned(st, channel);
  auto member = ch ? ch->members.find(user) : decltype(ch->members.end()){};
  if (ch == nullptr || member == ch->members.end() || member->second.left) {
    result.status = Status::kNotMember;
  } else {
    Member& m = member->second;
    const std::uint64_t target = std::min(seq, ch->last_seq);
    if (target > m.read_seq) {
      m.read_seq = target;
      st.metrics.read_syncs.add();
      executor.submit_to(home_of(user),
                         [this, u = std::string(user), c = std::string(channel), target, from_shard,
                          origin] { on_read_sync(u, c, target, from_shard, origin); });
    }
    result.seq = m.read_seq;
    trim_history(st, *ch);
    result.unread = std::min<std::uint64_t>(ch->last_seq - std::min(m.read_seq, ch->last_seq),
                                            ch->history.size());
  }
  if (slot != kNoCallback) {
    executor.submit_to(from_shard, [this, slot, result] {
      auto on_done = state().read_callbacks.take(slot);
      on_done(result);
    });
  }
}

void BrokerCore::arm_presence_timer(ShardState& st) {
  if (st.presence_timer_armed) {
    return;
  }
  st.presence_timer_armed = true;
  executor.timers().add_after(config.presence_flush_interval_ns, [this] {
    ShardState& current = state();
    current.presence_timer_armed = false;
    flush_presence(current);
  });
}

std::uint64_t BrokerCore::presence_window_ns(const OwnedChannel& ch) const noexcept {
  std::uint64_t subscribers = 0;
  for (const std::uint32_t n : ch.shard_subscriptions) {
    subscribers += n;
  }
  return std::clamp(subscribers * config.presence_window_per_subscriber_ns,
                    config.presence_flush_interval_ns,
                    std::max(config.presence_max_interval_ns, config.presence_flush_interval_ns));
}

void BrokerCore::flush_presence(ShardState& st) {
  std::vector<std::string> channels = std::move(st.presence_dirty_channels);
  st.presence_dirty_channels.clear();
  const std::uint64_t now = executor.timers().now_ns();
  for (const std::string& name : channels) {
    OwnedChannel* ch = find_owned(st, name);
    if (ch == nullptr) {
      continue;
    }
    const bool large = presence_window_ns(*ch) > config.presence_flush_interval_ns;
    if (large && now - ch->presence_dirty_since_ns < presence_window_ns(*ch)) {
      st.presence_dirty_channels.push_back(name);  // a large channel: keep coalescing
      continue;
    }
    std::shared_ptr<const PresenceBatch> batch = take_presence_changes(st, *ch, large, now);
    if (!ch->presence_dirty.empty()) {
      st.presence_dirty_channels.push_back(name);  // leaves still in their grace period
    }
    if (batch->changes.empty()) {
      continue;
    }
    for (unsigned shard = 0; shard < shard_count_; ++shard) {
      if (ch->shard_subscriptions[shard] > 0) {
        executor.submit_to(shard, [this, batch] { on_presence_batch(batch); });
      }
    }
  }
  if (!st.presence_dirty_channels.empty()) {
    arm_presence_timer(st);
  }
}

// The net change of each dirty member since the last announcement. In a large channel a leave
// waits until the member has been offline for presence_leave_grace_ns (they stay dirty), so a
// reconnect produces no events at all.
std::shared_ptr<const PresenceBatch> BrokerCore::take_presence_changes(ShardState& st,
                                                                      OwnedChannel& ch,
                                                                      bool large,
                                                                      std::uint64_t now) {
  auto batch = std::make_shared<PresenceBatch>();
  batch->channel = ch.name;
  std::vector<std::string> users = std::move(ch.presence_dirty);
  ch.presence_dirty.clear();
  for (std::string& user : users) {
    auto member = ch.members.find(user);
    if (member == ch.members.end()) {
      continue;
    }
    Member& m = member->second;
    const bool online = m.live_connections > 0;
    if (large && !online && m.announced_online &&
        now - m.offline_since_ns < config.presence_leave_grace_ns) {
      ch.presence_dirty.push_back(std::move(user));  // maybe reconnecting: decide later
      continue;
    }
    m.presence_dirty = false;
    if (online != m.announced_online) {
      m.announced_online = online;
      batch->changes.push_back(PresenceChange{user, online});
    }
    if (m.left && m.live_connections == 0) {
      ch.members.erase(member);
    }
  }
  const std::uint64_t waiting = ch.presence_dirty.size();
  st.metrics.presence_events.add(batch->changes.size());
  st.metrics.presence_coalesced.add(ch.presence_transitions - std::min<std::uint64_t>(
                                        ch.presence_transitions, batch->changes.size() + waiting));
  ch.presence_transitions = waiting;
  if (waiting != 0) {
    ch.presence_dirty_since_ns = now;
  }
  return batch;
}

void BrokerCore::arm_sweep_timer(ShardState& st) {
  if (st.sweep_timer_armed) {
    return;
  }
  st.sweep_timer_armed = true;
  executor.timers().add_after(config.history_sweep_interval_ns, [this] {
    ShardState& current = state();
    current.sweep_timer_armed = false;
    sweep_history(current);
  });
}

void BrokerCore::sweep_history(ShardState& st) {
  for (auto it = st.owned.begin(); it != st.owned.end();) {
    OwnedChannel& ch = *it->second;
    trim_history(st, ch);
    const bool unused = ch.history.empty() && ch.members.empty() && ch.presence_dirty.empty() &&
                        std::all_of(ch.shard_subscriptions.begin(), ch.shard_subscriptions.end(),
                                    [](std::uint32_t n) { return n == 0; });
    if (unused) {
      it = st.owned.erase(it);
      st.metrics.channels.add(-1);
    } else {
      ++it;
    }
  }
  if (!st.owned.empty()) {
    arm_sweep_timer(st);
  }
}

}  // namespace hexwire::pubsub::detail
