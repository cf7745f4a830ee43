// The user's home shard (hash(user) % N): which connections a user has open on which shards, the
// bounded offline queue (standing in for push notifications; it expires with the offline TTL, see
// broker_retention.cpp), fan-out of read-cursor sync to the user's other connections, and the
// delivery of the user's personal channel (Config::personal_channel_prefix) to those connections.
// Everything here runs on the home shard's thread.
#include <algorithm>
#include <utility>

#include "pubsub/detail/broker_core.hpp"

namespace hexwire::pubsub::detail {

void BrokerCore::on_user_attached(const std::string& user, unsigned shard,
                                  SubscriberId connection) {
  ShardState& st = state();
  UserRecord& record = st.users[user];
  record.connections.emplace_back(shard, connection);
  if (record.pending.empty() && record.dropped == 0) {
    return;
  }
  std::vector<MessageRef> pending(std::make_move_iterator(record.pending.begin()),
                                  std::make_move_iterator(record.pending.end()));
  const std::uint64_t dropped = std::exchange(record.dropped, 0);
  record.pending.clear();
  executor.submit_to(shard, [this, connection, pending = std::move(pending), dropped] {
    ShardState& here_state = state();
    if (!here_state.connections.contains(connection)) {
      return;  // closed before the drain arrived; the messages remain in channel history
    }
    here_state.in_sink = true;
    sink.pending_drained(connection, pending, dropped);
    here_state.in_sink = false;
  });
}

void BrokerCore::on_user_detached(const std::string& user, unsigned shard,
                                  SubscriberId connection) {
  ShardState& st = state();
  auto it = st.users.find(user);
  if (it == st.users.end()) {
    return;
  }
  auto& connections = it->second.connections;
  auto pos = std::find(connections.begin(), connections.end(), std::make_pair(shard, connection));
  if (pos != connections.end()) {
    connections.erase(pos);
  }
  if (!connections.empty()) {
    return;
  }
  if (it->second.pending.empty() && it->second.dropped == 0) {
    st.users.erase(it);
  } else {
    note_user_offline(st, it->first, it->second);  // the queue expires with the offline TTL
  }
}

void BrokerCore::send_to_connection(unsigned shard, SubscriberId connection,
                                    const MessageRef& message, bool as_notification) {
  executor.submit_to(shard, [this, message, connection, as_notification] {
    ShardState& here_state = state();
    if (!here_state.connections.contains(connection)) {
      return;  // closed meanwhile; the message stays in the channel's history
    }
    const std::span<const SubscriberId> to(&connection, 1);
    if (!as_notification) {
      deliver_to_sink(message, to);
      return;
    }
    here_state.in_sink = true;
    sink.notify(message, to);
    here_state.in_sink = false;
  });
}

void BrokerCore::queue_offline(ShardState& st, UserRecord& record, const MessageRef& message) {
  const std::size_t bound = config.pending_notifications_per_user;
  if (bound == 0) {
    ++record.dropped;
    st.metrics.offline_dropped.add();
    return;
  }
  if (record.pending.size() >= bound) {
    record.pending.pop_front();
    ++record.dropped;
    st.metrics.offline_dropped.add();
  }
  record.pending.push_back(message);
  st.metrics.offline_queued.add();
}

void BrokerCore::on_offline_message(const MessageRef& message,
                                    const std::shared_ptr<const UserList>& users) {
  ShardState& st = state();
  for (const std::string& user : *users) {
    if (user == message->from) {
      continue;
    }
    auto [it, inserted] = st.users.try_emplace(user);
    UserRecord& record = it->second;
    if (inserted) {
      note_user_offline(st, it->first, record);
    }
    if (!record.connections.empty()) {
      // Online elsewhere but not subscribed to this channel: a live notification.
      for (const auto& [shard, connection] : record.connections) {
        send_to_connection(shard, connection, message, true);
      }
      st.metrics.notifications.add();
      continue;
    }
    queue_offline(st, record, message);
  }
}

void BrokerCore::on_personal_message(const MessageRef& message, std::string_view user) {
  ShardState& st = state();
  auto it = st.users.find(user);
  if (it != st.users.end() && !it->second.connections.empty()) {
    for (const auto& [shard, connection] : it->second.connections) {
      send_to_connection(shard, connection, message, false);
    }
    return;
  }
  if (it == st.users.end()) {
    it = st.users.try_emplace(std::string(user)).first;
    note_user_offline(st, it->first, it->second);  // the queue expires with the offline TTL
  }
  queue_offline(st, it->second, message);
}

void BrokerCore::on_read_sync(const std::string& user, const std::string& channel,
                              std::uint64_t seq, unsigned origin_shard, SubscriberId origin) {
  ShardState& st = state();
  auto it = st.users.find(user);
  if (it == st.users.end()) {
    return;
  }
  // One task per shard holding other connections of this user.
  std::vector<std::vector<SubscriberId>> by_shard(shard_count_);
  for (const auto& [shard, connection] : it->second.connections) {
    if (shard == origin_shard && connection == origin) {
      continue;
    }
    by_shard[shard].push_back(connection);
  }
  for (unsigned shard = 0; shard < shard_count_; ++shard) {
    if (by_shard[shard].empty()) {
      continue;
    }
    executor.submit_to(shard, [this, channel, seq, connections = std::move(by_shard[shard])] {
      ShardState& here_state = state();
      std::vector<SubscriberId> open;
      for (SubscriberId c : connections) {
        if (here_state.connections.contains(c)) {
          open.push_back(c);
        }
      }
      if (open.empty()) {
        return;
      }
      here_state.in_sink = true;
      sink.read_synced(channel, seq, open);
      here_state.in_sink = false;
    });
  }
}

}  // namespace hexwire::pubsub::detail
