// RedisBroker, personal channels (pubsub::Config::personal_channel_prefix + user) through the node
// inboxes: a publish runs scripts::publish_personal, which sends the message to the inbox of every
// node in the user's node hash; the node hands it to the user's connections from the user's home
// shard, so a connection needs no Redis subscription, join, membership or presence write for its
// own channel. Order is the publish script's (one Redis server runs them one at a time and
// delivers their inbox frames in that order); the home shard never hands a seq twice, also when
// the same message comes both from the inbox and from the offline drain of the user's attach.
#include "scaleout/detail/redis_broker_core.hpp"

#include <algorithm>

namespace hexwire::scaleout::detail {

bool RedisBrokerCore::personal_inbox() const noexcept {
  return !config.pubsub.personal_channel_prefix.empty() && !config.redis.target.cluster;
}

std::optional<std::string_view> RedisBrokerCore::personal_user(std::string_view channel) const {
  const std::string_view prefix = config.pubsub.personal_channel_prefix;
  if (!personal_inbox() || channel.size() <= prefix.size() || !channel.starts_with(prefix)) {
    return std::nullopt;
  }
  return channel.substr(prefix.size());
}

void RedisBrokerCore::publish_personal(Slice& s, std::string_view channel, std::string_view user,
                                       std::string_view from, std::string_view data,
                                       std::uint8_t kind,
                                       ChannelStore::Callback<PublishResult> done) {
  const std::string nodes = user_key(user, "n");
  const std::string live = NodeRegistry::live_key(config.channels.prefix);
  const std::string inbox_prefix = config.channels.prefix + ":{node:";
  s.store->publish_personal(channel, PersonalRoute{user, nodes, live, inbox_prefix}, from, data,
                            kind, new_epoch(s), std::move(done));
}

void RedisBrokerCore::on_personal(const std::string& user, std::uint64_t epoch,
                                  const MessageRef& message) {
  Slice& s = slice();
  auto it = s.users.find(user);
  if (it == s.users.end()) {
    return;  // no connection of the user here any more (an offline publish is queued in Redis)
  }
  UserHome& home = it->second;
  if (home.attaching || home.draining) {
    const std::size_t bound = std::max<std::size_t>(1, config.pubsub.pending_notifications_per_user);
    if (home.held.size() >= bound) {
      home.held.pop_front();  // still in the channel's history
      s.metrics.delivery_drops.add();
    }
    home.held.push_back(HeldPersonal{epoch, message});
    return;
  }
  deliver_personal(s, home, epoch, message);
}

void RedisBrokerCore::deliver_personal(Slice& s, UserHome& home, std::uint64_t epoch,
                                       const MessageRef& message) {
  if (epoch == home.personal_epoch && message->seq <= home.personal_seq) {
    return;  // drained already, or a repeat
  }
  home.personal_epoch = epoch;
  home.personal_seq = message->seq;
  s.metrics.personal_deliveries.add(home.connections.size());
  for (const auto& [shard, connection] : home.connections) {
    executor.submit_to(shard, [this, message, id = connection] {
      Slice& target = slice();
      if (target.connections.contains(id)) {
        (void)deliver(target, message, std::span<const SubscriberId>(&id, 1));
      }
    });
  }
}

void RedisBrokerCore::finish_personal_drain(Slice& s, const std::string& user) {
  auto it = s.users.find(user);
  if (it == s.users.end()) {
    return;
  }
  UserHome& home = it->second;
  home.draining = false;
  if (home.attaching) {
    return;
  }
  std::deque<HeldPersonal> held = std::move(home.held);
  home.held.clear();
  for (const HeldPersonal& h : held) {
    deliver_personal(s, home, h.epoch, h.message);
  }
}

void RedisBrokerCore::set_inbox_live(bool live) {
  Slice& s = slice();
  s.inbox_live = live;
  run_waiting_attaches(s);
}

void RedisBrokerCore::attach_when_ready(Slice& s, const std::string& user) {
  // With personal channels through the inbox, a node in a user's node hash must already hear its
  // inbox and count as live (else a publish would queue the message as missed offline).
  if (!personal_inbox() || (s.inbox_live && s.registered)) {
    run_attach(s, user);
    return;
  }
  s.attach_waiting.push_back(user);
}

void RedisBrokerCore::run_waiting_attaches(Slice& s) {
  if (!s.inbox_live || !s.registered || s.attach_waiting.empty() || !running(s)) {
    return;
  }
  std::vector<std::string> waiting = std::move(s.attach_waiting);
  s.attach_waiting.clear();
  std::sort(waiting.begin(), waiting.end());
  waiting.erase(std::unique(waiting.begin(), waiting.end()), waiting.end());
  for (const std::string& user : waiting) {
    auto it = s.users.find(user);
    if (it != s.users.end() && it->second.attaching && !it->second.attached) {
      run_attach(s, user);
    }
  }
}

}  // namespace hexwire::scaleout::detail
