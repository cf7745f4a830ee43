// RedisClient, pub/sub side: one subscriber connection per node (created on first use), sharded
// subscriptions routed by slot, confirmations matched by token (so a subscribe/unsubscribe/
// subscribe race cannot confirm early), interruption on connection loss or slot moves, and
// automatic re-subscription.
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

#include "core/clock.hpp"
#include "redis/client.hpp"

namespace hexwire::redis {

RedisConnection& RedisClient::pubsub_connection(int node) {
  Node& target = *nodes_[static_cast<std::size_t>(node)];
  if (!target.pubsub) {
    ConnectionOptions options = config_.connection;
    options.subscriber = true;
    options.scripts.clear();  // a subscriber connection runs no scripts
    target.pubsub =
        std::make_unique<RedisConnection>(reactor_, timers_, target.endpoint, options, as_owner());
  }
  return *target.pubsub;
}

Request RedisClient::make_pubsub_request(std::int32_t slot, core::SharedBuffer bytes,
                                         Request::Kind kind, std::string_view channel) const {
  Request request = make_request(slot, std::move(bytes), nullptr);
  request.deadline_ns = core::monotonic_ns() + config_.subscribe_timeout_ns;
  request.kind = kind;
  request.channel = std::string(channel);
  return request;
}

void RedisClient::subscribe(std::string_view channel) {
  auto [it, inserted] = subscriptions_.try_emplace(std::string(channel));
  if (inserted) {
    send_subscribe(it->first, it->second);
  }
}

void RedisClient::unsubscribe(std::string_view channel) {
  auto it = subscriptions_.find(channel);
  if (it == subscriptions_.end()) {
    return;
  }
  const Subscription subscription = it->second;
  std::string name = std::move(subscriptions_.extract(it).key());
  if (subscription.state == Subscription::State::kWaiting || subscription.node < 0) {
    return;
  }
  pubsub_connection(subscription.node)
      .send(make_pubsub_request(
          -1, encode_command({sharded_ ? "SUNSUBSCRIBE" : "UNSUBSCRIBE", name}),
          Request::Kind::kUnsubscribe, name));
}

bool RedisClient::subscription_active(std::string_view channel) const {
  auto it = subscriptions_.find(channel);
  return it != subscriptions_.end() && it->second.state == Subscription::State::kActive;
}

void RedisClient::send_subscribe(std::string_view channel, Subscription& subscription) {
  subscription.token = next_token_++;
  subscription.state = Subscription::State::kRequested;
  const std::int32_t slot = config_.target.cluster ? key_slot(channel) : -1;
  subscription.node = node_serving(slot);
  Request request =
      make_pubsub_request(slot, encode_command({sharded_ ? "SSUBSCRIBE" : "SUBSCRIBE", channel}),
                          Request::Kind::kSubscribe, channel);
  request.token = subscription.token;
  pubsub_connection(subscription.node).send(std::move(request));
}

void RedisClient::on_subscribe_reply(Request&& request, ReplyView reply) {
  if (request.kind == Request::Kind::kUnsubscribe) {
    return;
  }
  auto it = subscriptions_.find(request.channel);
  const bool current = it != subscriptions_.end() && it->second.token == request.token;
  if (reply.is_error()) {
    if (sharded_ && reply.str().find("unknown command") != std::string_view::npos) {
      spdlog::info("redis: no sharded pub/sub on this server; using SUBSCRIBE/PUBLISH");
      sharded_ = false;
    } else {
      spdlog::warn("redis: subscribing to {} failed: {}", request.channel, reply.str());
    }
    if (current) {
      it->second.state = Subscription::State::kWaiting;
      schedule_resubscribe();
    }
    return;
  }
  if (!current) {
    return;  // superseded by a later unsubscribe or subscribe
  }
  it->second.state = Subscription::State::kActive;
  if (handler_ != nullptr) {
    handler_->on_subscribed(request.channel);
  }
}

void RedisClient::on_push(RedisConnection& connection, ReplyView push) {
  const std::string_view kind = push[0].str();
  const std::string_view channel = push[1].str();
  if (kind == "message" || kind == "smessage") {
    ++stats_.messages;
    auto it = subscriptions_.find(channel);
    if (handler_ != nullptr && it != subscriptions_.end() &&
        it->second.state == Subscription::State::kActive) {
      handler_->on_message(channel, push[2].str());
    }
    return;
  }
  if (kind == "sunsubscribe" || kind == "unsubscribe") {
    // Not asked for: the server dropped the subscription (in a cluster, its slot moved).
    auto it = subscriptions_.find(channel);
    if (it != subscriptions_.end() && it->second.node == node_index(connection)) {
      interrupt(it->first, it->second);
      refresh_slots();
      schedule_resubscribe();
    }
  }
}

void RedisClient::interrupt(std::string_view channel, Subscription& subscription) {
  const bool was_active = subscription.state == Subscription::State::kActive;
  subscription.state = Subscription::State::kWaiting;
  if (was_active && handler_ != nullptr) {
    handler_->on_interrupted(channel);
  }
}

void RedisClient::handle_pubsub_state(int node, bool up) {
  if (up) {
    resubscribe_waiting();
    return;
  }
  // Handlers may unsubscribe from inside on_interrupted: collect first.
  std::vector<std::string> lost;
  for (auto& [channel, subscription] : subscriptions_) {
    if (subscription.node == node) {
      lost.push_back(channel);
    }
  }
  for (const std::string& channel : lost) {
    auto it = subscriptions_.find(channel);
    if (it != subscriptions_.end()) {
      interrupt(it->first, it->second);
    }
  }
  refresh_slots();
}

void RedisClient::resubscribe_waiting() {
  std::vector<std::string> waiting;
  for (auto& [channel, subscription] : subscriptions_) {
    if (subscription.state != Subscription::State::kWaiting) {
      continue;
    }
    // A subscriber connection that is backing off re-sends its channels when it comes up.
    const int node = node_serving(config_.target.cluster ? key_slot(channel) : -1);
    const auto& pubsub = nodes_[static_cast<std::size_t>(node)]->pubsub;
    if (pubsub && pubsub->state() == RedisConnection::State::kBackoff) {
      continue;
    }
    waiting.push_back(channel);
  }
  for (const std::string& channel : waiting) {
    auto it = subscriptions_.find(channel);
    if (it != subscriptions_.end() && it->second.state == Subscription::State::kWaiting) {
      send_subscribe(it->first, it->second);
    }
  }
}

void RedisClient::schedule_resubscribe() {
  if (resubscribe_timer_ != 0) {
    return;
  }
  resubscribe_timer_ = timers_.add_after(config_.retry_delay_ns, [this] {
    resubscribe_timer_ = 0;
    resubscribe_waiting();
  });
}

}  // namespace hexwire::redis
