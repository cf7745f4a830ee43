// Op handlers of the /ws application: one function per client op, called with the typed op the
// parser produced. Each checks identity and access, calls the Broker, and answers from the
// Broker's callback, which runs later on this shard: the connection is looked up again by id there
// because it may have gone in between. Request ids and channels are copied into the callbacks.
#include <algorithm>
#include <string>
#include <type_traits>
#include <variant>

#include "app/dispatch_ops.hpp"
#include "app/protocol_encode.hpp"
#include "app/ws_app.hpp"
#include "app/ws_app_state.hpp"
#include "core/clock.hpp"

namespace hexwire::app {

namespace {

/// Maps a Broker refusal to the protocol error code and message.
struct Refusal {
  ErrorCode code;
  std::string_view message;
};

Refusal refusal_of(pubsub::Status status) noexcept {
  switch (status) {
    case pubsub::Status::kInvalidChannel:
      return {ErrorCode::kBadRequest, "invalid channel name"};
    case pubsub::Status::kAlreadySubscribed:
      return {ErrorCode::kConflict, "already subscribed to this channel"};
    case pubsub::Status::kNotSubscribed:
      return {ErrorCode::kNotFound, "not subscribed to this channel"};
    case pubsub::Status::kTooManySubscriptions:
      return {ErrorCode::kForbidden, "subscription limit of this connection reached"};
    case pubsub::Status::kTooManyChannels:
      return {ErrorCode::kUnavailable, "channel limit of the owner shard reached"};
    case pubsub::Status::kChannelFull:
      return {ErrorCode::kUnavailable, "member limit of this channel reached"};
    case pubsub::Status::kNotMember:
      return {ErrorCode::kNotFound, "not a member of this channel"};
    case pubsub::Status::kCancelled:
      return {ErrorCode::kConflict, "cancelled by unsub"};
    case pubsub::Status::kUnavailable:
      return {ErrorCode::kUnavailable, "the message store did not answer in time; retry"};
    case pubsub::Status::kUnknownConnection:
    case pubsub::Status::kConnectionExists:
    case pubsub::Status::kOk:
      break;
  }
  return {ErrorCode::kUnavailable, "internal state error"};
}

}  // namespace

class WsOpHandlers {
 public:
  WsOpHandlers(WsConnection& connection, std::string_view id, std::uint64_t received_ns)
      : c_(connection), id_(id), received_ns_(received_ns) {}

  void operator()(const AuthOp& op) {
    if (c_.identity_) {
      c_.send_error(id_, ErrorCode::kConflict, {"already authenticated as ", c_.identity_->user});
      return;
    }
    AuthOutcome outcome = c_.service_.authenticator().with_op(op, core::wall_us() / 1'000'000);
    if (!outcome.ok) {
      c_.shard_.metrics.auth_failures->add();
      c_.send_error(id_, outcome.code, {outcome.reason});
      return;
    }
    c_.authenticated(std::move(outcome.identity), id_);
  }

  void operator()(const RefreshOp& op) {
    if (!authorized()) {
      return;
    }
    Identity& current = *c_.identity_;
    if (!current.expires_at_s) {
      c_.send_error(id_, ErrorCode::kConflict, {"anonymous connections do not expire"});
      return;
    }
    AuthOutcome outcome = c_.service_.authenticator().with_token(op.token, core::wall_us() / 1'000'000);
    if (!outcome.ok) {
      // The current token stays in force until its own expiry.
      c_.shard_.metrics.auth_failures->add();
      c_.send_error(id_, outcome.code, {outcome.reason});
      return;
    }
    if (outcome.identity.user != current.user || outcome.identity.role != current.role) {
      c_.send_error(id_, ErrorCode::kForbidden,
                    {"a refreshed token must carry the same sub and role"});
      return;
    }
    // Later ops follow the new token's channel patterns; subscriptions made before stay.
    current.channel_patterns = std::move(outcome.identity.channel_patterns);
    current.restricted = outcome.identity.restricted;
    current.expires_at_s = outcome.identity.expires_at_s;
    c_.arm_token_expiry();
    c_.shard_.metrics.token_refreshes->add();
    c_.send(encode_refresh_ok(c_.shard_.writer, id_, *current.expires_at_s));
  }

  void operator()(const SubOp& op) {
    if (!authorized() || !readable(op.channel)) {
      return;
    }
    if (c_.is_own_channel(op.channel)) {
      own_channel_subbed(op.channel);
      return;
    }
    if (op.since) {
      c_.shard_.metrics.resumes->add();
    }
    WsService* service = &c_.service_;
    const pubsub::SubscriberId conn = c_.id_;
    std::string id(id_);
    std::string channel(op.channel);
    const pubsub::SubscribeOptions options{
        op.since, op.epoch, op.presence.value_or(c_.service_.config().presence_by_default)};
    const pubsub::Status status = c_.service_.broker().subscribe(
        c_.id_, op.channel, options,
        [service, conn, id = std::move(id),
         channel = std::move(channel)](const pubsub::SubscribeResult& result) {
          WsConnection* c = service->find(conn);
          if (c == nullptr) {
            return;
          }
          if (result.status != pubsub::Status::kOk) {
            const Refusal r = refusal_of(result.status);
            c->send_error(id, r.code, {r.message});
            return;
          }
          if (!result.recovered) {
            c->shard_.metrics.resume_unrecovered->add();
          }
          c->send(encode_subbed(c->shard_.writer, id, channel, result.seq, result.epoch,
                                result.recovered, result.unread));
        });
    refuse_unless_ok(status);
  }

  void operator()(const UnsubOp& op) {
    if (!authorized()) {
      return;
    }
    if (c_.is_own_channel(op.channel)) {
      c_.send(encode_unsubbed(c_.shard_.writer, id_, op.channel));  // own events keep coming
      return;
    }
    const pubsub::Status status = c_.service_.broker().unsubscribe(c_.id_, op.channel);
    if (status == pubsub::Status::kOk) {
      c_.send(encode_unsubbed(c_.shard_.writer, id_, op.channel));
    }
    refuse_unless_ok(status);
  }

  void operator()(const PubOp& op) {
    if (!authorized()) {
      return;
    }
    if (publish_access(*c_.identity_, op.channel) != Access::kAllowed) {
      c_.send_error(id_, ErrorCode::kForbidden, {"not allowed to publish to ", op.channel});
      return;
    }
    // The ack's id and channel wait in a reusable per-connection slot, so the callback captures
    // three words (stored inline) and a publish allocates nothing here after warm-up.
    WsService* service = &c_.service_;
    const pubsub::SubscriberId conn = c_.id_;
    const std::uint32_t slot = c_.hold_publish(id_, op.channel, received_ns_);
    const pubsub::Status status = c_.service_.broker().publish(
        c_.identity_->user, op.channel, core::SharedBuffer::copy_of(op.data),
        [service, conn, slot](const pubsub::PublishAck& ack) {
          WsShardState& shard = service->shard();
          if (ack.status == pubsub::Status::kOk) {
            shard.metrics.publishes->add();
          }
          WsConnection* c = service->find(conn);
          if (c == nullptr) {
            return;
          }
          const WsConnection::PendingPublish& pending = c->publish_slots_[slot];
          if (ack.status != pubsub::Status::kOk) {
            const Refusal r = refusal_of(ack.status);
            c->send_error(pending.id, r.code, {r.message});
          } else {
            shard.metrics.stage_route->record(core::monotonic_ns() - pending.received_ns);
            c->send(encode_ack(shard.writer, pending.id, pending.channel, ack.seq, ack.epoch,
                               ack.ts_us));
          }
          c->free_publish_slots_.push_back(slot);
        });
    if (status != pubsub::Status::kOk) {
      c_.free_publish_slots_.push_back(slot);
    }
    refuse_unless_ok(status);
  }

  void operator()(const HistoryOp& op) {
    if (!authorized() || !readable(op.channel)) {
      return;
    }
    const std::uint64_t limit = std::min(op.limit, c_.service_.config().history_max_limit);
    WsService* service = &c_.service_;
    const pubsub::SubscriberId conn = c_.id_;
    const pubsub::Status status = c_.service_.broker().history(
        op.channel, pubsub::HistoryQuery{op.since, static_cast<std::size_t>(limit), op.epoch},
        [service, conn, id = std::string(id_),
         channel = std::string(op.channel)](pubsub::HistoryResult&& result) {
          if (WsConnection* c = service->find(conn)) {
            if (result.status != pubsub::Status::kOk) {
              const Refusal r = refusal_of(result.status);
              c->send_error(id, r.code, {r.message});
              return;
            }
            c->send(encode_history(c->shard_.writer, id, channel, result.epoch, result.messages,
                                   result.recovered,
                                   c->service_.config().history_max_reply_bytes));
            // A long history reply may have grown the shard's scratch well past a usual frame.
            c->shard_.writer.trim(4 * c->service_.config().max_message_bytes);
          }
        });
    refuse_unless_ok(status);
  }

  void operator()(const PresenceOp& op) {
    if (!authorized() || !readable(op.channel)) {
      return;
    }
    WsService* service = &c_.service_;
    const pubsub::SubscriberId conn = c_.id_;
    pubsub::PresenceQuery query{static_cast<std::size_t>(std::clamp<std::uint64_t>(
                                    op.limit, 1, pubsub::kMaxPresencePage)),
                                std::string(op.cursor)};
    const pubsub::Status status = c_.service_.broker().presence(
        op.channel, std::move(query), [service, conn, id = std::string(id_),
                     channel = std::string(op.channel)](pubsub::PresenceResult&& result) {
          if (WsConnection* c = service->find(conn)) {
            if (result.status != pubsub::Status::kOk) {
              const Refusal r = refusal_of(result.status);
              c->send_error(id, r.code, {r.message});
              return;
            }
            c->send(encode_presence(c->shard_.writer, id, channel, result.users, result.count,
                                    result.next_cursor));
            // A 1,000-user page may have grown the shard's scratch well past a usual frame.
            c->shard_.writer.trim(4 * c->service_.config().max_message_bytes);
          }
        });
    refuse_unless_ok(status);
  }

  void operator()(const ReadOp& op) {
    if (!authorized() || !readable(op.channel)) {
      return;
    }
    WsService* service = &c_.service_;
    const pubsub::SubscriberId conn = c_.id_;
    const pubsub::Status status = c_.service_.broker().mark_read(
        c_.id_, op.channel, op.seq,
        [service, conn, id = std::string(id_),
         channel = std::string(op.channel)](const pubsub::ReadResult& result) {
          if (WsConnection* c = service->find(conn)) {
            if (result.status != pubsub::Status::kOk) {
              const Refusal r = refusal_of(result.status);
              c->send_error(id, r.code, {r.message});
              return;
            }
            c->send(encode_read(c->shard_.writer, id, channel, result.seq));
          }
        });
    refuse_unless_ok(status);
  }

  // Dispatch ops (app/dispatch_ops.cpp); `unavailable` when no dispatch engine is wired in.
  void operator()(const LocOp& op) {
    with_dispatch([&](DispatchService& d) { d.loc(c_, id_, op); });
  }
  void operator()(const NearbyOp& op) {
    with_dispatch([&](DispatchService& d) { d.nearby(c_, id_, op); });
  }
  void operator()(const RideOp& op) {
    with_dispatch([&](DispatchService& d) { d.ride(c_, id_, op); });
  }
  void operator()(const AcceptOp& op) {
    with_dispatch([&](DispatchService& d) { d.accept(c_, id_, op); });
  }
  void operator()(const DeclineOp& op) {
    with_dispatch([&](DispatchService& d) { d.decline(c_, id_, op); });
  }
  void operator()(const TripOp& op) {
    with_dispatch([&](DispatchService& d) { d.trip(c_, id_, op); });
  }

 private:
  /// `sub` of the connection's own user:<id>: its events arrive already (personal channel or the
  /// quiet subscription made at auth), so nothing is subscribed; the reply carries the channel's
  /// current seq and epoch, read from the broker.
  void own_channel_subbed(std::string_view channel) {
    WsService* service = &c_.service_;
    const pubsub::SubscriberId conn = c_.id_;
    const pubsub::Status status = c_.service_.broker().history(
        channel, pubsub::HistoryQuery{0, 1, std::nullopt},
        [service, conn, id = std::string(id_),
         channel = std::string(channel)](pubsub::HistoryResult&& result) {
          if (WsConnection* c = service->find(conn)) {
            if (result.status != pubsub::Status::kOk) {
              const Refusal r = refusal_of(result.status);
              c->send_error(id, r.code, {r.message});
              return;
            }
            c->send(encode_subbed(c->shard_.writer, id, channel, result.last_seq, result.epoch,
                                  true, 0));
          }
        });
    refuse_unless_ok(status);
  }

  bool authorized() {
    if (c_.identity_) {
      return true;
    }
    c_.send_error(id_, ErrorCode::kUnauthorized, {"authenticate first ({\"op\":\"auth\"})"});
    return false;
  }
  bool readable(std::string_view channel) {
    if (read_access(*c_.identity_, channel) == Access::kAllowed) {
      return true;
    }
    c_.send_error(id_, ErrorCode::kForbidden, {"not allowed to read ", channel});
    return false;
  }
  void refuse_unless_ok(pubsub::Status status) {
    if (status != pubsub::Status::kOk) {
      const Refusal r = refusal_of(status);
      c_.send_error(id_, r.code, {r.message});
    }
  }
  template <typename Handle>
  void with_dispatch(Handle&& handle) {
    if (!authorized()) {
      return;
    }
    if (DispatchService* d = c_.service_.dispatch()) {
      handle(*d);
    } else {
      c_.send_error(id_, ErrorCode::kUnavailable, {"dispatch not enabled"});
    }
  }

  WsConnection& c_;
  std::string_view id_;
  std::uint64_t received_ns_;
};

std::uint32_t WsConnection::hold_publish(std::string_view id, std::string_view channel,
                                         std::uint64_t received_ns) {
  std::uint32_t slot;
  if (free_publish_slots_.empty()) {
    slot = static_cast<std::uint32_t>(publish_slots_.size());
    publish_slots_.emplace_back();
  } else {
    slot = free_publish_slots_.back();
    free_publish_slots_.pop_back();
  }
  PendingPublish& pending = publish_slots_[slot];
  pending.id.assign(id);  // reuses the slot's capacity
  pending.channel.assign(channel);
  pending.received_ns = received_ns;
  return slot;
}

namespace {

enum class OpBucket : std::uint8_t { kPublish, kCheap, kExpensive };

/// Which rate limit an op draws from: expensive ops make the engine search, copy history or fan
/// in from another shard; a message that did not parse is cheap (it still costs a reply).
OpBucket bucket_of(const ParseResult* parsed) noexcept {
  if (parsed == nullptr || !parsed->ok()) {
    return OpBucket::kCheap;
  }
  return std::visit(
      [](const auto& op) {
        using Op = std::decay_t<decltype(op)>;
        if constexpr (std::is_same_v<Op, PubOp>) {
          return OpBucket::kPublish;
        } else if constexpr (std::is_same_v<Op, SubOp> || std::is_same_v<Op, HistoryOp> ||
                             std::is_same_v<Op, PresenceOp> || std::is_same_v<Op, NearbyOp> ||
                             std::is_same_v<Op, RideOp>) {
          return OpBucket::kExpensive;
        } else {
          return OpBucket::kCheap;
        }
      },
      parsed->op);
}

}  // namespace

bool WsConnection::admit(const ParseResult* parsed) noexcept {
  const OpBucket bucket = bucket_of(parsed);
  const WsOpRates& rates = service_.rates();
  TokenBucket& tokens = bucket == OpBucket::kPublish     ? publish_bucket_
                        : bucket == OpBucket::kExpensive ? expensive_bucket_
                                                         : op_bucket_;
  const TokenRate& rate = bucket == OpBucket::kPublish     ? rates.publish
                          : bucket == OpBucket::kExpensive ? rates.expensive
                                                           : rates.cheap;
  if (tokens.try_take(rate, core::monotonic_ns())) {
    return true;
  }
  WsAppMetrics& m = shard_.metrics;
  m.rate_limited->add();
  const std::string_view id = parsed != nullptr ? parsed->id : std::string_view();
  switch (bucket) {
    case OpBucket::kPublish:
      m.rate_limited_publish->add();
      send_error(id, ErrorCode::kRateLimited, {"publish rate limit exceeded"});
      break;
    case OpBucket::kExpensive:
      m.rate_limited_expensive->add();
      send_error(id, ErrorCode::kRateLimited,
                 {"rate limit of expensive ops (sub, history, presence, nearby, ride) exceeded"});
      break;
    case OpBucket::kCheap:
      m.rate_limited_cheap->add();
      send_error(id, ErrorCode::kRateLimited, {"op rate limit exceeded"});
      break;
  }
  return false;
}

void WsConnection::dispatch(const ParseResult& parsed, std::uint64_t received_ns) noexcept {
  try {
    std::visit(WsOpHandlers(*this, parsed.id, received_ns), parsed.op);
  } catch (const std::exception&) {
    // Allocation failure while building a callback or reply: the connection is at fault only in
    // the sense that it cannot be served; tell it and keep the process alive.
    send_error(parsed.id, ErrorCode::kUnavailable, {"out of memory"});
  }
}

}  // namespace hexwire::app
