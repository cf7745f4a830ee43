// Everything the broker keeps has a bound (docs/pubsub.md, "Limits"): per-channel history trimming
// (engine channels with a short retention), the owner shard's history byte budget (oldest
// messages of the shard first), idle channels forgotten after a TTL, offline members that expire
// or exceed the per-channel cap, and offline queues of users gone longer than the TTL. Owner-side
// work runs on the owner shard's thread, queue expiry on the user's home shard.
#include <algorithm>

#include "pubsub/detail/broker_core.hpp"

namespace hexwire::pubsub::detail {

namespace {

/// Lazily invalidated FIFOs are rebuilt when stale entries outnumber live ones; each rebuild
/// removes at least half, so the cost per entry stays O(1).
template <typename Entry, typename IsStale>
void compact(RingQueue<Entry>& order, std::size_t live, IsStale&& is_stale) {
  if (order.size() <= 2 * live + 64) {
    return;
  }
  RingQueue<Entry> kept;
  for (; !order.empty(); order.pop_front()) {
    if (!is_stale(order.front())) {
      kept.push_back(std::move(order.front()));
    }
  }
  order = std::move(kept);
}

}  // namespace

void BrokerCore::retain(ShardState& st, OwnedChannel& ch, MessageRef message) {
  const std::uint64_t seq = message->seq;
  const std::size_t size = retained_bytes(*message);
  ch.history.append(std::move(message));
  st.history_bytes += size;
  ++st.history_messages;
  st.metrics.history_bytes.add(static_cast<std::int64_t>(size));
  st.metrics.history_messages.add(1);
  trim_history(st, ch);
  if (config.history_max_bytes_per_shard == 0) {
    return;
  }
  st.budget_order.push_back(BudgetEntry{ch.weak_from_this(), seq});
  enforce_history_budget(st);
}

void BrokerCore::trim_history(ShardState& st, OwnedChannel& ch) {
  const HistoryLimits& limits = ch.short_history ? short_history_limits : history_limits;
  const Trimmed trimmed = ch.history.trim(limits, config.wall_clock_us());
  if (trimmed.messages == 0) {
    return;
  }
  if (ch.short_history) {
    st.metrics.history_short_trimmed.add(trimmed.messages);
  }
  forget_history(st, trimmed);
}

void BrokerCore::forget_history(ShardState& st, const Trimmed& trimmed) {
  st.history_bytes -= trimmed.bytes;
  st.history_messages -= trimmed.messages;
  st.metrics.history_bytes.add(-static_cast<std::int64_t>(trimmed.bytes));
  st.metrics.history_messages.add(-static_cast<std::int64_t>(trimmed.messages));
}

void BrokerCore::enforce_history_budget(ShardState& st) {
  // An entry is live while its channel exists and still holds its seq; trimming is oldest
  // first, so a live entry at the front is its channel's oldest message.
  const auto is_stale = [](const BudgetEntry& entry) {
    const std::shared_ptr<OwnedChannel> ch = entry.channel.lock();
    return !ch || ch->history.empty() || entry.seq < ch->history.first_seq();
  };
  while (st.history_bytes > config.history_max_bytes_per_shard && !st.budget_order.empty()) {
    const BudgetEntry entry = std::move(st.budget_order.front());
    st.budget_order.pop_front();
    const std::shared_ptr<OwnedChannel> ch = entry.channel.lock();
    if (!ch || ch->history.empty() || ch->history.first_seq() != entry.seq) {
      continue;
    }
    forget_history(st, ch->history.pop_oldest());
    st.metrics.history_budget_evictions.add();
  }
  compact(st.budget_order, st.history_messages, is_stale);
}

void BrokerCore::arm_once(ShardState& st, bool ShardState::*armed, std::uint64_t delay_ns,
                          void (BrokerCore::*run)(ShardState&)) {
  if (st.*armed) {
    return;
  }
  st.*armed = true;
  executor.timers().add_after(delay_ns, [this, armed, run] {
    ShardState& current = state();
    current.*armed = false;
    (this->*run)(current);
  });
}

void BrokerCore::arm_sweep_timer(ShardState& st) {
  arm_once(st, &ShardState::sweep_timer_armed, config.history_sweep_interval_ns,
           &BrokerCore::sweep_owned);
}

void BrokerCore::sweep_owned(ShardState& st) {
  const std::uint64_t now = executor.timers().now_ns();
  for (auto it = st.owned.begin(); it != st.owned.end();) {
    OwnedChannel& ch = *it->second;
    trim_history(st, ch);
    expire_offline_members(st, ch, now);
    // A personal channel's members are only read cursors of its user: they keep nothing alive.
    const bool unused = (ch.members.empty() || ch.personal) && !ch.presence_pending() &&
                        std::all_of(ch.shard_subscriptions.begin(), ch.shard_subscriptions.end(),
                                    [](std::uint32_t n) { return n == 0; });
    const bool idle = now - ch.last_used_ns >= config.channel_idle_ttl_ns;
    if (unused && (ch.history.empty() || idle)) {
      if (!ch.history.empty()) {
        st.metrics.channels_reclaimed.add();
        forget_history(st, ch.history.clear());
      }
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

void BrokerCore::expire_offline_members(ShardState& st, OwnedChannel& ch, std::uint64_t now) {
  if (ch.extras == nullptr) {
    return;  // never had an offline member
  }
  ChannelExtras& extras = *ch.extras;
  const auto is_stale = [&ch](const OfflineEntry& entry) {
    auto it = ch.members.find(entry.user);
    return it == ch.members.end() || it->second.offline_pos == UINT32_MAX ||
           it->second.offline_since_ns != entry.since_ns;
  };
  while (!extras.offline_order.empty()) {
    OfflineEntry& oldest = extras.offline_order.front();
    if (is_stale(oldest)) {
      extras.offline_order.pop_front();
      continue;
    }
    const bool expired = now - oldest.since_ns >= config.offline_member_ttl_ns;
    const bool over_cap = extras.offline_members > config.max_offline_members_per_channel;
    if (!expired && !over_cap) {
      break;
    }
    std::string user = std::move(oldest.user);
    extras.offline_order.pop_front();
    end_offline_membership(st, ch, user);
    (expired ? st.metrics.offline_members_expired : st.metrics.offline_members_evicted).add();
  }
  compact(extras.offline_order, extras.offline_members, is_stale);
}

void BrokerCore::end_offline_membership(ShardState& st, OwnedChannel& ch, const std::string& user) {
  auto it = ch.members.find(user);
  if (it == ch.members.end()) {
    return;
  }
  it->second.left = true;
  update_offline_list(st, ch, it->first, it->second);
  ch.last_used_ns = executor.timers().now_ns();
  forget_member_if_gone(ch, user);
}

void BrokerCore::note_user_offline(ShardState& st, const std::string& user, UserRecord& record) {
  record.offline_since_ns = executor.timers().now_ns();
  st.offline_users.push_back(OfflineEntry{user, record.offline_since_ns});
  arm_home_sweep(st);
}

void BrokerCore::arm_home_sweep(ShardState& st) {
  arm_once(st, &ShardState::home_sweep_armed, config.history_sweep_interval_ns,
           &BrokerCore::sweep_home);
}

void BrokerCore::sweep_home(ShardState& st) {
  const std::uint64_t now = executor.timers().now_ns();
  const auto is_stale = [&st](const OfflineEntry& entry) {
    auto it = st.users.find(entry.user);
    return it == st.users.end() || !it->second.connections.empty() ||
           it->second.offline_since_ns != entry.since_ns;
  };
  while (!st.offline_users.empty()) {
    const OfflineEntry& oldest = st.offline_users.front();
    if (!is_stale(oldest)) {
      if (now - oldest.since_ns < config.offline_member_ttl_ns) {
        break;
      }
      st.users.erase(oldest.user);
      st.metrics.offline_queues_expired.add();
    }
    st.offline_users.pop_front();
  }
  compact(st.offline_users, st.users.size(), is_stale);
  if (!st.offline_users.empty()) {
    arm_home_sweep(st);
  }
}

}  // namespace hexwire::pubsub::detail
