// Members and presence on the channel owner: online/offline transitions (a user is online while
// one of their connections is subscribed), the offline lists that offline delivery uses, the
// paged presence query, and coalesced presence events. Events go only to subscriptions that asked
// for them; with nobody asking, transitions cost O(1) and nothing is queued. A channel above
// Config::presence_max_members online members sends its member count at most once per
// presence_count_interval_ns instead of per-user events. Runs on the owner shard's thread.
#include <algorithm>

#include "pubsub/detail/broker_core.hpp"

namespace hexwire::pubsub::detail {

void BrokerCore::update_offline_list(ShardState& st, OwnedChannel& ch, const std::string& user,
                                     Member& m) {
  const bool want = !m.left && m.live_connections == 0;
  const bool have = m.offline_pos != UINT32_MAX;
  if (want == have) {
    return;
  }
  ChannelExtras& extras = ch.extras_for(shard_count_);
  std::shared_ptr<UserList>& shared = extras.offline_by_home[home_of(user)];
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
    extras.offline_order.push_back(OfflineEntry{user, m.offline_since_ns});
    ++extras.offline_members;
    st.metrics.offline_members.add(1);
    return;
  }
  const std::uint32_t pos = m.offline_pos;
  if (pos + 1 != list.size()) {
    list[pos] = std::move(list.back());
    ch.members.find(list[pos])->second.offline_pos = pos;
  }
  list.pop_back();
  m.offline_pos = UINT32_MAX;
  --extras.offline_members;
  st.metrics.offline_members.add(-1);
}

void BrokerCore::set_member_online(ShardState& st, OwnedChannel& ch, const std::string& user,
                                   Member& m, std::uint32_t new_live) {
  const bool was_online = m.live_connections > 0;
  const bool online = new_live > 0;
  m.live_connections = new_live;
  if (was_online && !online) {
    m.offline_since_ns = executor.timers().now_ns();
  }
  if (was_online != online) {
    ch.online_members += online ? 1 : -1;
    ch.last_used_ns = executor.timers().now_ns();
    if (!m.presence_dirty && ch.presence_listeners() == 0) {
      m.announced_online = online;  // nobody listens: as if announced, at no cost
    } else {
      ChannelExtras& extras = ch.extras_for(shard_count_);
      ++extras.presence_transitions;
      if (!m.presence_dirty) {
        m.presence_dirty = true;
        if (extras.presence_dirty.empty()) {
          st.presence_dirty_channels.push_back(ch.name);
          extras.presence_dirty_since_ns = executor.timers().now_ns();
        }
        extras.presence_dirty.push_back(user);
        arm_presence_timer(st);
      }
    }
  }
  update_offline_list(st, ch, user, m);
}

void BrokerCore::forget_member_if_gone(OwnedChannel& ch, const std::string& user) {
  auto it = ch.members.find(user);
  // A member with an unannounced change stays until the presence flush announces it.
  if (it != ch.members.end() && it->second.left && it->second.live_connections == 0 &&
      !it->second.presence_dirty) {
    ch.members.erase(it);
  }
}

void BrokerCore::on_presence_query(std::string_view channel, const PresenceQuery& query,
                                   unsigned from_shard, std::uint32_t slot) {
  PresenceResult result;
  if (OwnedChannel* ch = find_owned(state(), channel)) {
    result.count = ch->online_members;
    std::vector<const std::string*> page;
    for (const auto& [user, member] : ch->members) {
      if (member.live_connections > 0 && user > query.after) {
        page.push_back(&user);
      }
    }
    const auto by_name = [](const std::string* a, const std::string* b) { return *a < *b; };
    const bool more = page.size() > query.limit;
    if (more) {
      // Only the first `limit` names in order are needed: O(n) selection, then sort the page.
      std::nth_element(page.begin(), page.begin() + static_cast<std::ptrdiff_t>(query.limit),
                       page.end(), by_name);
      page.resize(query.limit);
    }
    std::sort(page.begin(), page.end(), by_name);
    result.users.reserve(page.size());
    for (const std::string* user : page) {
      result.users.push_back(*user);
    }
    if (more && !result.users.empty()) {
      result.next_cursor = result.users.back();
    }
  }
  if (slot == kNoCallback) {
    return;
  }
  executor.submit_to(from_shard, [this, slot, result = std::move(result)]() mutable {
    auto on_done = state().presence_callbacks.take(slot);
    on_done(std::move(result));
  });
}

void BrokerCore::arm_presence_timer(ShardState& st) {
  arm_once(st, &ShardState::presence_timer_armed, config.presence_flush_interval_ns,
           &BrokerCore::flush_presence);
}

std::uint64_t BrokerCore::presence_window_ns(const OwnedChannel& ch) const noexcept {
  const std::uint64_t window =
      std::clamp(ch.presence_listeners() * config.presence_window_per_subscriber_ns,
                 config.presence_flush_interval_ns,
                 std::max(config.presence_max_interval_ns, config.presence_flush_interval_ns));
  const bool count_only = ch.online_members > config.presence_max_members;
  return count_only ? std::max(window, config.presence_count_interval_ns) : window;
}

void BrokerCore::flush_presence(ShardState& st) {
  std::vector<std::string> channels = std::move(st.presence_dirty_channels);
  st.presence_dirty_channels.clear();
  const std::uint64_t now = executor.timers().now_ns();
  for (const std::string& name : channels) {
    OwnedChannel* ch = find_owned(st, name);
    if (ch == nullptr || ch->extras == nullptr) {
      continue;
    }
    ChannelExtras& extras = *ch->extras;
    const std::uint64_t window = presence_window_ns(*ch);
    const bool large = window > config.presence_flush_interval_ns;
    const bool count_only = ch->online_members > config.presence_max_members;
    if ((large && now - extras.presence_dirty_since_ns < window) ||
        (count_only && now - extras.count_sent_ns < config.presence_count_interval_ns)) {
      st.presence_dirty_channels.push_back(name);  // keep coalescing
      continue;
    }
    std::shared_ptr<PresenceBatch> batch = take_presence_changes(st, *ch, large, now);
    if (!extras.presence_dirty.empty()) {
      st.presence_dirty_channels.push_back(name);  // leaves still in their grace period
    }
    const std::uint64_t listeners = ch->presence_listeners();
    if (listeners == 0) {
      continue;  // changes consumed, nobody to tell
    }
    if (count_only) {
      if (ch->online_members == extras.announced_count) {
        continue;
      }
      batch->changes.clear();
      batch->count = ch->online_members;
      extras.announced_count = ch->online_members;
      extras.count_sent_ns = now;
      st.metrics.presence_counts.add();
    } else if (batch->changes.empty()) {
      continue;
    } else {
      st.metrics.presence_events.add(batch->changes.size());
    }
    send_presence_batch(*ch, std::move(batch));
  }
  if (!st.presence_dirty_channels.empty()) {
    arm_presence_timer(st);
  }
}

void BrokerCore::send_presence_batch(OwnedChannel& ch, std::shared_ptr<const PresenceBatch> batch) {
  for (unsigned shard = 0; ch.extras && shard < shard_count_; ++shard) {
    if (ch.extras->shard_presence[shard] > 0) {
      executor.submit_to(shard, [this, batch] { on_presence_batch(batch); });
    }
  }
}

// The net change of each dirty member since the last announcement. In a large channel a leave
// waits until the member has been offline for presence_leave_grace_ns (they stay dirty), so a
// reconnect produces no events at all.
std::shared_ptr<PresenceBatch> BrokerCore::take_presence_changes(ShardState& st, OwnedChannel& ch,
                                                                 bool large, std::uint64_t now) {
  auto batch = std::make_shared<PresenceBatch>();
  batch->channel = ch.name;
  ChannelExtras& extras = ch.extras_for(shard_count_);
  std::vector<std::string> users = std::move(extras.presence_dirty);
  extras.presence_dirty.clear();
  for (std::string& user : users) {
    auto member = ch.members.find(user);
    if (member == ch.members.end()) {
      continue;
    }
    Member& m = member->second;
    const bool online = m.live_connections > 0;
    if (large && !online && m.announced_online &&
        now - m.offline_since_ns < config.presence_leave_grace_ns) {
      extras.presence_dirty.push_back(std::move(user));  // maybe reconnecting: decide later
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
  const std::uint64_t waiting = extras.presence_dirty.size();
  st.metrics.presence_coalesced.add(
      extras.presence_transitions -
      std::min<std::uint64_t>(extras.presence_transitions, batch->changes.size() + waiting));
  extras.presence_transitions = waiting;
  if (waiting != 0) {
    extras.presence_dirty_since_ns = now;
  }
  return batch;
}

}  // namespace hexwire::pubsub::detail
