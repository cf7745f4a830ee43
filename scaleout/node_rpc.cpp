// RpcEndpoint: frames, the pending table with deadlines, and the Redis subscription of one shard.
// A frame is `Q <node> <shard> <id> <payload>` (request; id 0 = one-way) or `R <id> <payload>`
// (reply), the fields separated by one space; node ids never contain spaces.
#include "scaleout/node_rpc.hpp"

#include <charconv>
#include <utility>

namespace hexwire::scaleout {

namespace {

/// Splits off the text before the next space of `rest` (and the space).
std::string_view take_field(std::string_view& rest) noexcept {
  const std::size_t space = rest.find(' ');
  const std::string_view field = rest.substr(0, space);
  rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
  return field;
}

template <typename T>
bool parse_number(std::string_view text, T& out) noexcept {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

RpcEndpoint::RpcEndpoint(core::Reactor& reactor, core::TimerWheel& timers,
                         const RpcConfig& config, unsigned shard, RequestHandler on_request)
    : timers_(timers),
      config_(config),
      shard_(shard),
      on_request_(std::move(on_request)),
      own_channel_(channel_of(config.node_id, shard)),
      client_(std::make_unique<redis::RedisClient>(reactor, timers, config.redis,
                                                   static_cast<redis::SubscriptionHandler*>(this))) {
  client_->subscribe(own_channel_);
}

RpcEndpoint::~RpcEndpoint() {
  for (auto& [id, pending] : pending_) {
    timers_.cancel(pending.timer);
  }
}

std::string RpcEndpoint::channel_of(std::string_view node, unsigned shard) const {
  return config_.prefix + ":{rpc:" + std::string(node) + ":" + std::to_string(shard) + "}";
}

bool RpcEndpoint::listening() const {
  return client_->subscription_active(own_channel_);
}

void RpcEndpoint::request(std::string_view node, std::string_view payload, ReplyCallback done) {
  if (pending_.size() >= config_.max_pending) {
    timers_.add_after(0, [done = std::move(done)]() mutable {  // later, as promised
      done(RpcStatus::kOverloaded, {});
    });
    return;
  }
  const std::uint64_t id = next_id_++;
  Pending& entry = pending_[id];
  entry.done = std::move(done);
  entry.timer = timers_.add_after(config_.deadline_ns, [this, id] {
    if (const auto it = pending_.find(id); it != pending_.end()) {
      it->second.timer = 0;
      complete(id, RpcStatus::kUnavailable, {});
    }
  });
  std::string frame = "Q " + config_.node_id + " " + std::to_string(shard_) + " " +
                      std::to_string(id) + " ";
  frame.append(payload);
  publish(node, 0, std::move(frame), id);
}

void RpcEndpoint::send(std::string_view node, std::string_view payload) {
  std::string frame = "Q " + config_.node_id + " " + std::to_string(shard_) + " 0 ";
  frame.append(payload);
  publish(node, 0, std::move(frame), 0);
}

void RpcEndpoint::reply(const RpcFrom& to, std::string_view payload) {
  if (to.id == 0) {
    return;
  }
  std::string frame = "R " + std::to_string(to.id) + " ";
  frame.append(payload);
  publish(to.node, to.shard, std::move(frame), 0);
}

void RpcEndpoint::publish(std::string_view node, unsigned shard, std::string frame,
                          std::uint64_t id) {
  const std::string channel = channel_of(node, shard);
  client_->command(channel, {client_->publish_command(), channel, frame},
                   [this, id](redis::RedisStatus status, redis::ReplyView reply) {
                     if (id == 0) {
                       return;
                     }
                     // Nobody subscribed (the node is gone) or Redis failed: no reply will come.
                     if (status != redis::RedisStatus::kOk || reply.is_error() ||
                         reply.integer(1) == 0) {
                       complete(id, RpcStatus::kUnavailable, {});
                     }
                   });
}

void RpcEndpoint::complete(std::uint64_t id, RpcStatus status, std::string_view payload) {
  const auto it = pending_.find(id);
  if (it == pending_.end()) {
    return;  // answered already, or a late reply after the deadline
  }
  Pending entry = std::move(it->second);
  pending_.erase(it);
  if (entry.timer != 0) {
    timers_.cancel(entry.timer);
  }
  entry.done(status, payload);
}

void RpcEndpoint::on_subscribed(std::string_view) {}
void RpcEndpoint::on_interrupted(std::string_view) {}

void RpcEndpoint::on_message(std::string_view, std::string_view frame) {
  std::string_view rest = frame;
  const std::string_view kind = take_field(rest);
  if (kind == "R") {
    std::uint64_t id = 0;
    if (parse_number(take_field(rest), id)) {
      complete(id, RpcStatus::kOk, rest);
    }
    return;
  }
  if (kind != "Q" || !on_request_) {
    return;
  }
  RpcFrom from;
  from.node = std::string(take_field(rest));
  if (!parse_number(take_field(rest), from.shard) || !parse_number(take_field(rest), from.id)) {
    return;
  }
  on_request_(rest, from);
}

}  // namespace hexwire::scaleout
