// The channel owner's side of the broker: channel state and its epoch, sequencing, subscription
// counts per shard (all, and those asking for presence), resume backlogs, history reads and read
// cursors. Members and presence are in broker_presence.cpp, retention in broker_retention.cpp.
// Everything here runs on the owner shard's thread.
#include <algorithm>
#include <cassert>

#include "pubsub/detail/broker_core.hpp"

namespace hexwire::pubsub::detail {

namespace {

std::uint64_t draw_epoch(std::mt19937_64& rng) {
  std::uint64_t epoch = 0;
  while (epoch == 0) {
    epoch = rng();
  }
  return epoch;
}

bool has_prefix(const std::vector<std::string>& prefixes, std::string_view name) {
  return std::any_of(prefixes.begin(), prefixes.end(),
                     [name](const std::string& prefix) { return name.starts_with(prefix); });
}

}  // namespace

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
  auto created = std::make_shared<OwnedChannel>();
  created->name = std::string(channel);
  created->epoch = draw_epoch(st.epochs);
  created->short_history = has_prefix(config.short_history_prefixes, channel);
  created->personal = personal_user(channel).has_value();
  created->last_used_ns = executor.timers().now_ns();
  created->shard_subscriptions.assign(shard_count_, 0);
  OwnedChannel* raw = created.get();
  st.owned.emplace(raw->name, std::move(created));
  st.metrics.channels.add(1);
  arm_sweep_timer(st);
  return raw;
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
    ch->last_used_ns = executor.timers().now_ns();
    ++ch->shard_subscriptions[request.from_shard];
    if (request.presence) {
      ++ch->extras_for(shard_count_).shard_presence[request.from_shard];
    }
    set_member_online(st, *ch, member->first, m, m.live_connections + 1);
    trim_history(st, *ch);
    result.seq = ch->last_seq;
    result.epoch = ch->epoch;
    const std::uint64_t read = std::min(m.read_seq, ch->last_seq);
    result.unread = std::min<std::uint64_t>(ch->last_seq - read, ch->history.size());
    if (request.since) {
      st.metrics.resumes.add();
      const bool other_epoch = request.epoch && *request.epoch != ch->epoch;
      result.recovered = !other_epoch && ch->history.covers(*request.since, ch->last_seq);
      if (result.recovered) {
        backlog = ch->history.range_after(*request.since, SIZE_MAX);
      } else {
        st.metrics.resume_unrecovered.add();
        if (other_epoch) {
          st.metrics.resume_other_epoch.add();
        }
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
                                unsigned from_shard, bool leave, bool presence) {
  ShardState& st = state();
  OwnedChannel* ch = find_owned(st, channel);
  assert(ch != nullptr && "unsubscribe for a channel never subscribed");
  if (ch == nullptr) {
    return;
  }
  assert(ch->shard_subscriptions[from_shard] > 0);
  --ch->shard_subscriptions[from_shard];
  if (presence) {
    assert(ch->extras && ch->extras->shard_presence[from_shard] > 0);
    --ch->extras->shard_presence[from_shard];
  }
  ch->last_used_ns = executor.timers().now_ns();
  auto member = ch->members.find(user);
  if (member == ch->members.end() || member->second.live_connections == 0) {
    return;
  }
  Member& m = member->second;
  if (leave && m.live_connections == 1) {
    m.left = true;
  }
  const std::string& name = member->first;
  set_member_online(st, *ch, name, m, m.live_connections - 1);
  if (m.left) {
    forget_member_if_gone(*ch, name);
  } else {
    expire_offline_members(st, *ch, executor.timers().now_ns());  // the cap on offline members
  }
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
    message->epoch = ch->epoch;
    message->ts_us = config.wall_clock_us();
    ack.seq = message->seq;
    ack.epoch = ch->epoch;
    ack.ts_us = message->ts_us;
    ch->last_used_ns = executor.timers().now_ns();
    MessageRef ref(std::move(message));
    retain(st, *ch, ref);
    st.metrics.publishes.add();
    for (unsigned shard = 0; shard < shard_count_; ++shard) {
      if (ch->shard_subscriptions[shard] > 0) {
        executor.submit_to(shard, [this, ref] { on_forward(ref); });
        st.metrics.forwards.add();
      }
    }
    if (ch->personal) {
      // To the user's connections through their home record, which knows them all (FIFO
      // owner -> home -> connection shard keeps the channel's order).
      const std::string_view user = *personal_user(ref->channel);
      executor.submit_to(home_of(user), [this, ref] {
        on_personal_message(ref, *personal_user(ref->channel));
      });
      st.metrics.forwards.add();
    }
    const bool notify = config.offline_notifications && ch->extras != nullptr;
    for (unsigned home = 0; notify && home < shard_count_; ++home) {
      const std::shared_ptr<UserList>& offline = ch->extras->offline_by_home[home];
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

void BrokerCore::on_history(std::string_view channel, const HistoryQuery& query,
                            unsigned from_shard, std::uint32_t slot) {
  ShardState& st = state();
  HistoryResult result;
  if (OwnedChannel* ch = find_owned(st, channel)) {
    trim_history(st, *ch);
    // A `since` of another incarnation means nothing here: read from the oldest message.
    const bool other_epoch = query.epoch && *query.epoch != ch->epoch;
    const std::uint64_t since = other_epoch ? 0 : query.since;
    result.messages = ch->history.range_after(since, query.limit);
    result.recovered = !other_epoch && ch->history.covers(since, ch->last_seq);
    result.last_seq = ch->last_seq;
    result.epoch = ch->epoch;
  } else {
    result.recovered = query.since == 0 && !query.epoch;
  }
  if (slot == kNoCallback) {
    return;
  }
  executor.submit_to(from_shard, [this, slot, result = std::move(result)]() mutable {
    auto on_done = state().history_callbacks.take(slot);
    on_done(std::move(result));
  });
}

void BrokerCore::on_mark_read(std::string_view channel, std::string_view user, std::uint64_t seq,
                              unsigned from_shard, SubscriberId origin, std::uint32_t slot) {
  ShardState& st = state();
  ReadResult result;
  OwnedChannel* ch = find_owned(st, channel);
  auto member = ch ? ch->members.find(user) : decltype(ch->members.end()){};
  const bool own_personal = personal_user(channel) == user;
  if (own_personal && ch != nullptr && member == ch->members.end()) {
    // A user is always a member of their personal channel: the cursor is kept from the first
    // read, starting before the oldest message (it goes with the channel when that is reclaimed).
    member = ch->members.emplace(std::string(user), Member{}).first;
  }
  if (own_personal && ch == nullptr) {
    result.seq = 0;  // nothing published (or reclaimed): nothing to read
  } else if (ch == nullptr || member == ch->members.end() || member->second.left) {
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

}  // namespace hexwire::pubsub::detail
