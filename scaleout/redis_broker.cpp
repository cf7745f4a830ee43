// RedisBroker entry points (on the caller's shard) and the subscriber side: connections, the
// subscribe handshake with the channel's owner, and handing messages to the sink once per shard.
#include "scaleout/redis_broker.hpp"

#include <algorithm>
#include <cassert>
#include <random>

#include <spdlog/spdlog.h>

#include "scaleout/channel_scripts.hpp"
#include "scaleout/detail/redis_broker_core.hpp"

namespace hexwire::scaleout {

namespace detail {

BrokerMetrics::BrokerMetrics(core::MetricsRegistry& r, unsigned s)
    : publishes(r.counter("redis_broker_publishes_total", "Publishes acknowledged by Redis", s)),
      publish_failures(r.counter("redis_broker_publish_failures_total",
                                 "Publishes answered unavailable (Redis did not answer)", s)),
      forwards(r.counter("redis_broker_forwards_total",
                         "Messages forwarded by a channel's owner to a subscribed shard", s)),
      deliveries(r.counter("redis_broker_deliveries_total", "Messages handed to subscribers", s)),
      delivery_drops(r.counter("redis_broker_delivery_drops_total",
                               "Messages subscribers refused (slow or closing)", s)),
      resumes(r.counter("redis_broker_resumes_total", "Subscriptions with since", s)),
      resume_unrecovered(r.counter("redis_broker_resume_unrecovered_total",
                                   "Resumes the stream no longer covered", s)),
      unavailable(r.counter("redis_broker_unavailable_total",
                            "Operations answered unavailable because Redis did not answer", s)),
      catch_ups(r.counter("redis_broker_catch_ups_total",
                          "Channel subscriptions re-read from the stream after an interruption", s)),
      lost(r.counter("redis_broker_lost_total",
                     "Messages a node could not catch up on (beyond the stream or a new epoch)",
                     s)),
      presence_events(r.counter("redis_broker_presence_events_total",
                                "Join/leave events announced to subscribers", s)),
      notifications(r.counter("redis_broker_notifications_total",
                              "Live notifications of channels a user is offline in", s)),
      offline_drained(r.counter("redis_broker_offline_drained_total",
                                "Missed notifications drained to a connecting user", s)),
      read_syncs(r.counter("redis_broker_read_syncs_total",
                           "Read cursor moves synced to a user's other connections", s)),
      personal_deliveries(r.counter(
          "redis_broker_personal_deliveries_total",
          "Personal-channel messages from the node inbox handed to a user's connections", s)),
      channel_subscribes(r.counter(
          "redis_broker_channel_subscribes_total",
          "Channel subscriptions this node asked Redis for (first subscriber of a channel here)",
          s)),
      join_timeouts(r.counter("redis_broker_join_timeouts_total",
                              "Subscribes answered unavailable because their channel's Redis "
                              "subscription did not go live within the join timeout",
                              s)),
      joins_refused(r.counter("redis_broker_joins_refused_total",
                              "Subscribes answered unavailable because max_waiting_joins "
                              "subscribes already waited for their channels to go live",
                              s)),
      waiting_joins(r.gauge("redis_broker_waiting_joins",
                            "Subscribes waiting for their channel's Redis subscription to go live",
                            s)),
      first_live(r.histogram("redis_broker_first_live_seconds",
                             "Channel subscription asked for -> live (confirmed, position read)",
                             s)),
      channels(r.gauge("redis_broker_channels", "Channels this shard owns on this node", s)),
      subscriptions(r.gauge("redis_broker_subscriptions", "Live subscriptions on this shard", s)),
      client(redis::connection_metrics(r, s)) {}

pubsub::Status broker_status(StoreStatus status) noexcept {
  switch (status) {
    case StoreStatus::kOk:
      return pubsub::Status::kOk;
    case StoreStatus::kChannelFull:
      return pubsub::Status::kChannelFull;
    case StoreStatus::kNotMember:
      return pubsub::Status::kNotMember;
    case StoreStatus::kUnavailable:
    case StoreStatus::kError:
      break;
  }
  return pubsub::Status::kUnavailable;
}

namespace {

/// The Redis client settings the broker relies on: its scripts loaded on every connection before
/// the first EVALSHA, and a pub/sub confirmation deadline no shorter than the join timeout.
RedisBrokerConfig with_client_settings(RedisBrokerConfig config) {
  config.redis.connection.scripts = scripts::all();
  config.redis.connection.scripts.push_back(&NodeRegistry::heartbeat_script());
  config.redis.connection.scripts.push_back(&attach_script());
  config.redis.subscribe_timeout_ns =
      std::max({config.redis.subscribe_timeout_ns, config.join_timeout_ns,
                config.redis.connection.command_timeout_ns});
  return config;
}

}  // namespace

RedisBrokerCore::RedisBrokerCore(core::Executor& exec, core::MetricsRegistry& metrics,
                                 pubsub::DeliverySink& delivery, RedisBrokerConfig cfg)
    : executor(exec), sink(delivery), config(with_client_settings(std::move(cfg))) {
  node_id_ = config.node.node_id.empty() ? make_node_id() : config.node.node_id;
  inbox_ = inbox_of(node_id_);
  std::random_device device;
  for (unsigned shard = 0; shard < exec.shard_count(); ++shard) {
    auto s = std::make_unique<Slice>(metrics, shard);
    s->epoch_state = (static_cast<std::uint64_t>(device()) << 32) ^ device() ^ (shard + 1);
    slices_.push_back(std::move(s));
  }
}

Slice& RedisBrokerCore::slice() {
  Slice& s = *slices_[here()];
  if (!s.started) {
    start(s);
  }
  return s;
}

void RedisBrokerCore::start(Slice& s) {
  s.started = true;
  redis::ClientConfig client_config = config.redis;
  client_config.connection.metrics = s.metrics.client;
  s.client = std::make_unique<redis::RedisClient>(config.reactor(), executor.timers(),
                                                  std::move(client_config), this);
  s.store = std::make_unique<ChannelStore>(*s.client, config.channels);
  if (here() == 0) {
    NodeRegistryConfig node = config.node;
    node.node_id = node_id_;
    node.prefix = config.channels.prefix;
    s.registry = std::make_unique<NodeRegistry>(
        *s.client, executor.timers(), std::move(node),
        [this](const std::vector<std::string>& live) {
          auto shared = std::make_shared<const std::vector<std::string>>(live);
          for (unsigned shard = 0; shard < shard_count(); ++shard) {
            executor.submit_to(shard, [this, shared] { set_live_nodes(shared); });
          }
        },
        [this](const std::string& node, core::UniqueFunction<void()> done) {
          clean_dead_node(node, std::move(done));
        });
    s.registry->start();
    s.client->subscribe(inbox_);
  }
}

void RedisBrokerCore::stop(Slice& s) {
  if (s.stopped) {
    return;
  }
  s.stopped = true;
  if (s.presence_timer != 0) {
    executor.timers().cancel(std::exchange(s.presence_timer, 0));
  }
  if (s.registry) {
    s.registry->leave(nullptr);  // queued on the connection; best effort before it closes
  }
  s.registry.reset();
  s.store.reset();
  s.client.reset();
}

std::uint64_t RedisBrokerCore::new_epoch(Slice& s) noexcept {
  std::uint64_t x = s.epoch_state;
  do {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
  } while (x == 0);
  s.epoch_state = x;
  return x;
}

unsigned RedisBrokerCore::owner_of(std::string_view channel) const noexcept {
  if (config.pubsub.channel_owner) {
    // The node's placement (cell:/surge: on the shard of the cell's drivers), as LocalBroker.
    if (const std::optional<unsigned> owner = config.pubsub.channel_owner(channel)) {
      return *owner % shard_count();
    }
  }
  return static_cast<unsigned>(std::hash<std::string_view>{}(channel) % shard_count());
}

unsigned RedisBrokerCore::home_of(std::string_view user) const noexcept {
  const std::size_t mixed = std::hash<std::string_view>{}(user) * 0x9E3779B97F4A7C15ull;
  return static_cast<unsigned>((mixed >> 17) % shard_count());
}

bool RedisBrokerCore::valid_channel(std::string_view channel) const noexcept {
  return !channel.empty() && channel.size() <= config.pubsub.max_channel_name_bytes;
}

MessageRef RedisBrokerCore::make_message(std::string_view channel, std::uint64_t epoch,
                                         const StoredMessage& stored) const {
  auto message = std::make_shared<pubsub::Message>();
  message->channel = std::string(channel);
  message->seq = stored.seq;
  message->epoch = epoch;
  message->ts_us = stored.ts_us;
  message->from = stored.from;
  message->kind = stored.kind;
  message->payload = core::SharedBuffer::copy_of(stored.data);
  return message;
}

std::size_t RedisBrokerCore::deliver(Slice& s, const MessageRef& message,
                                     std::span<const SubscriberId> to) {
  std::size_t dropped = 0;
  in_sink(s, [&] { dropped = std::min(sink.deliver(message, to), to.size()); });
  s.metrics.deliveries.add(to.size() - dropped);
  s.metrics.delivery_drops.add(dropped);
  return dropped;
}

// ---------------------------------------------------------------------------------------------
// Subscriber side

void RedisBrokerCore::detach(Slice& s, SubscriberId connection, const std::string& user,
                             std::string_view channel, bool leave) {
  auto it = s.local.find(channel);
  if (it == s.local.end()) {
    return;
  }
  LocalChannel& lc = it->second;
  (void)lc.presence.remove(connection);
  if (lc.live.remove(connection)) {
    s.metrics.subscriptions.add(-1);
    executor.submit_to(owner_of(channel),
                       [this, ch = std::string(channel), user, from = here(), leave,
                        epoch = lc.epoch, seen = lc.last_seq] {
                         on_release(ch, user, from, leave, epoch, seen);
                       });
  } else {
    for (PendingSubscribe& pending : lc.pending) {
      if (pending.connection == connection && !pending.cancelled) {
        pending.cancelled = true;  // the owner's reply will undo its count
        pending.leave_on_cancel = leave;
        if (pending.on_done) {
          pubsub::SubscribeResult cancelled;
          cancelled.status = pubsub::Status::kCancelled;
          auto done = std::move(pending.on_done);
          done(cancelled);
        }
        break;
      }
    }
  }
  if (lc.live.empty() && lc.pending.empty()) {
    s.local.erase(it);
  }
}

void RedisBrokerCore::on_join_reply(std::string channel, std::uint64_t token, std::uint64_t epoch,
                                    pubsub::SubscribeResult result,
                                    std::vector<MessageRef> backlog) {
  Slice& s = slice();
  auto lc_it = s.local.find(channel);
  assert(lc_it != s.local.end() && "a pending subscribe keeps its local channel");
  if (lc_it == s.local.end()) {
    return;
  }
  LocalChannel& lc = lc_it->second;
  auto pending_it = std::find_if(lc.pending.begin(), lc.pending.end(),
                                 [token](const PendingSubscribe& p) { return p.token == token; });
  if (pending_it == lc.pending.end()) {
    return;
  }
  PendingSubscribe pending = std::move(*pending_it);
  lc.pending.erase(pending_it);
  const bool accepted = result.status == pubsub::Status::kOk;
  if (pending.cancelled || !accepted) {
    if (pending.cancelled && accepted) {
      // Cancelled before its reply: the connection was handed nothing after the join's seq.
      executor.submit_to(owner_of(channel), [this, channel, user = std::move(pending.user),
                                             from = here(), leave = pending.leave_on_cancel,
                                             epoch, seen = result.seq] {
        on_release(channel, user, from, leave, epoch, seen);
      });
    }
    if (!accepted && !pending.cancelled) {
      if (auto conn = s.connections.find(pending.connection); conn != s.connections.end()) {
        auto& channels = conn->second.channels;
        channels.erase(std::remove(channels.begin(), channels.end(), channel), channels.end());
      }
    }
    if (lc.live.empty() && lc.pending.empty()) {
      s.local.erase(lc_it);
    }
    if (!pending.cancelled && pending.on_done) {
      pending.on_done(result);
    }
    return;
  }
  // Every forward up to result.seq came before this reply on the owner->shard FIFO, every later
  // one comes after it: joining `live` now is gap-free (see docs/scale-out.md, "Delivery").
  const SubscriberId connection = pending.connection;
  if (lc.live.empty() || lc.epoch != epoch) {
    lc.epoch = epoch;
    lc.last_seq = result.seq;
  } else {
    lc.last_seq = std::max(lc.last_seq, result.seq);
  }
  lc.live.add(connection);
  if (pending.presence) {
    lc.presence.add(connection);
  }
  s.metrics.subscriptions.add(1);
  if (pending.on_done) {
    pending.on_done(result);
  }
  // The resume backlog goes to the sink as such (it is not live fan-out: its age is no delay).
  // on_done may have closed or unsubscribed the connection (deferred or not): check again.
  auto again = s.local.find(channel);
  if (backlog.empty() || again == s.local.end() || !again->second.live.contains(connection)) {
    return;
  }
  std::size_t refused = 0;
  in_sink(s, [&] {
    refused = std::min(sink.deliver_backlog(connection, backlog), backlog.size());
  });
  s.metrics.deliveries.add(backlog.size() - refused);
  s.metrics.delivery_drops.add(refused);
}

void RedisBrokerCore::on_forward(std::uint64_t epoch, const MessageRef& message) {
  Slice& s = slice();
  auto it = s.local.find(message->channel);
  if (it == s.local.end()) {
    return;
  }
  LocalChannel& lc = it->second;
  if (lc.epoch == epoch && message->seq <= lc.last_seq) {
    return;  // already in a subscriber's backlog, or delivered: never twice
  }
  lc.epoch = epoch;
  lc.last_seq = message->seq;
  if (!lc.live.empty()) {
    deliver(s, message, lc.live.span());
  }
}

void RedisBrokerCore::on_presence_changes(
    const std::string& channel,
    const std::shared_ptr<const std::vector<pubsub::PresenceChange>>& changes) {
  Slice& s = slice();
  auto it = s.local.find(channel);
  if (it == s.local.end() || it->second.presence.empty()) {
    return;
  }
  in_sink(s, [&] { sink.presence_changed(channel, *changes, it->second.presence.span()); });
}

void RedisBrokerCore::on_presence_count(const std::string& channel, std::uint64_t count) {
  Slice& s = slice();
  auto it = s.local.find(channel);
  if (it == s.local.end() || it->second.presence.empty()) {
    return;
  }
  in_sink(s, [&] { sink.presence_count(channel, count, it->second.presence.span()); });
}

}  // namespace detail

// ---------------------------------------------------------------------------------------------
// Entry points

using detail::LocalChannel;
using detail::PendingSubscribe;
using detail::Slice;
using pubsub::Status;

RedisBroker::RedisBroker(core::Executor& executor, core::MetricsRegistry& metrics,
                         pubsub::DeliverySink& sink, RedisBrokerConfig config)
    : core_(std::make_unique<detail::RedisBrokerCore>(executor, metrics, sink,
                                                      std::move(config))) {}

RedisBroker::~RedisBroker() = default;

void RedisBroker::start_shard() {
  (void)core_->slice();
}

void RedisBroker::stop_shard() {
  detail::Slice& s = core_->slice_unstarted();
  s.started = true;  // a shard that never used Redis does not open connections now
  core_->stop(s);
}

const std::string& RedisBroker::node_id() const noexcept {
  return core_->node_id();
}

void RedisBroker::set_live_nodes_observer(
    std::function<void(const std::vector<std::string>& live)> observer) {
  core_->live_observer = std::move(observer);
}

std::vector<std::string> RedisBroker::live_nodes() const {
  return *core_->slice_unstarted().live_nodes;
}

bool RedisBroker::connected() const {
  Slice& s = core_->slice_unstarted();
  return s.client && s.client->connected();
}

Status RedisBroker::connection_opened(pubsub::SubscriberId connection, std::string_view user) {
  Slice& s = core_->slice();
  assert(!s.in_sink && "connection_opened from inside a DeliverySink callback");
  auto [it, inserted] = s.connections.try_emplace(connection);
  if (!inserted) {
    return Status::kConnectionExists;
  }
  it->second.user = std::string(user);
  core_->executor.submit_to(core_->home_of(user),
                            [core = core_.get(), u = std::string(user), from = core_->here(),
                             connection] { core->on_user_attached(u, from, connection); });
  return Status::kOk;
}

void RedisBroker::connection_closed(pubsub::SubscriberId connection) {
  Slice& s = core_->slice();
  if (s.in_sink) {
    s.after_sink.push_back([this, connection] { connection_closed(connection); });
    return;
  }
  auto it = s.connections.find(connection);
  if (it == s.connections.end()) {
    return;
  }
  detail::LocalConnection conn = std::move(it->second);
  s.connections.erase(it);
  for (const std::string& channel : conn.channels) {
    core_->detach(s, connection, conn.user, channel, false);
  }
  core_->executor.submit_to(core_->home_of(conn.user),
                            [core = core_.get(), u = std::move(conn.user), from = core_->here(),
                             connection] { core->on_user_detached(u, from, connection); });
}

Status RedisBroker::subscribe(pubsub::SubscriberId connection, std::string_view channel,
                              pubsub::SubscribeOptions options, SubscribeCallback on_done) {
  const std::optional<std::uint64_t> since = options.since;
  Slice& s = core_->slice();
  if (!detail::RedisBrokerCore::running(s)) {
    return Status::kUnavailable;  // the node is stopping
  }
  assert(!s.in_sink && "subscribe from inside a DeliverySink callback");
  if (!core_->valid_channel(channel)) {
    return Status::kInvalidChannel;
  }
  auto it = s.connections.find(connection);
  if (it == s.connections.end()) {
    return Status::kUnknownConnection;
  }
  auto& channels = it->second.channels;
  if (std::find(channels.begin(), channels.end(), channel) != channels.end()) {
    return Status::kAlreadySubscribed;
  }
  if (channels.size() >= core_->config.pubsub.max_subscriptions_per_connection) {
    return Status::kTooManySubscriptions;
  }
  channels.emplace_back(channel);
  const std::uint64_t token = s.next_token++;
  LocalChannel& lc = s.local[std::string(channel)];
  lc.pending.push_back(PendingSubscribe{connection, token, it->second.user, std::move(on_done),
                                        false, false, options.presence});
  if (since) {
    s.metrics.resumes.add();
  }
  detail::JoinRequest request{core_->here(), token, it->second.user, since,
                              options.epoch.value_or(0)};
  core_->executor.submit_to(core_->owner_of(channel),
                            [core = core_.get(), ch = std::string(channel),
                             r = std::move(request)]() mutable {
                              core->on_join(std::move(ch), std::move(r));
                            });
  return Status::kOk;
}

Status RedisBroker::unsubscribe(pubsub::SubscriberId connection, std::string_view channel) {
  Slice& s = core_->slice();
  if (s.in_sink) {
    s.after_sink.push_back(
        [this, connection, ch = std::string(channel)] { (void)unsubscribe(connection, ch); });
    return Status::kOk;
  }
  auto it = s.connections.find(connection);
  if (it == s.connections.end()) {
    return Status::kUnknownConnection;
  }
  auto& channels = it->second.channels;
  auto pos = std::find(channels.begin(), channels.end(), channel);
  if (pos == channels.end()) {
    return Status::kNotSubscribed;
  }
  channels.erase(pos);
  core_->detach(s, connection, it->second.user, channel, true);
  return Status::kOk;
}

Status RedisBroker::publish(std::string_view from_user, std::string_view channel,
                            core::SharedBuffer payload, PublishCallback on_ack,
                            pubsub::MessageKind kind) {
  Slice& s = core_->slice();
  if (!detail::RedisBrokerCore::running(s)) {
    return Status::kUnavailable;  // the node is stopping
  }
  assert(!s.in_sink && "publish from inside a DeliverySink callback");
  if (!core_->valid_channel(channel)) {
    return Status::kInvalidChannel;
  }
  // Straight from this shard: one connection per Redis master keeps this shard's publishes to a
  // channel in call order, and their acks in that order.
  auto on_stored = [&s, on_ack = std::move(on_ack)](PublishResult&& r) mutable {
    pubsub::PublishAck ack;
    ack.status = detail::broker_status(r.status);
    ack.seq = r.seq;
    ack.epoch = r.epoch;
    ack.ts_us = r.ts_us;
    (ack.status == Status::kOk ? s.metrics.publishes : s.metrics.publish_failures).add();
    if (on_ack) {
      on_ack(ack);
    }
  };
  if (const std::optional<std::string_view> user = core_->personal_user(channel)) {
    core_->publish_personal(s, channel, *user, from_user, payload.view(), kind,
                            std::move(on_stored));
  } else {
    s.store->publish(channel, from_user, payload.view(), kind,
                     detail::RedisBrokerCore::new_epoch(s), std::move(on_stored));
  }
  return Status::kOk;
}

bool RedisBroker::delivers_personal_channels() const noexcept {
  return core_->personal_inbox();
}

Status RedisBroker::history(std::string_view channel, pubsub::HistoryQuery query,
                            HistoryCallback on_done) {
  Slice& s = core_->slice();
  if (!detail::RedisBrokerCore::running(s)) {
    return Status::kUnavailable;  // the node is stopping
  }
  if (!core_->valid_channel(channel)) {
    return Status::kInvalidChannel;
  }
  s.store->range(channel, query.since, query.epoch.value_or(0), query.limit, std::nullopt,
                 [core = core_.get(), ch = std::string(channel),
                  on_done = std::move(on_done)](RangeResult&& r) mutable {
                   pubsub::HistoryResult result;
                   result.status = detail::broker_status(r.status);
                   result.recovered = r.recovered;
                   result.last_seq = r.last_seq;
                   result.epoch = r.epoch;
                   result.messages.reserve(r.messages.size());
                   for (const StoredMessage& m : r.messages) {
                     result.messages.push_back(core->make_message(ch, r.epoch, m));
                   }
                   on_done(std::move(result));
                 });
  return Status::kOk;
}

Status RedisBroker::presence(std::string_view channel, pubsub::PresenceQuery query,
                             PresenceCallback on_done) {
  Slice& s = core_->slice();
  if (!detail::RedisBrokerCore::running(s)) {
    return Status::kUnavailable;  // the node is stopping
  }
  if (!core_->valid_channel(channel)) {
    return Status::kInvalidChannel;
  }
  const std::size_t limit = std::clamp<std::size_t>(query.limit, 1, pubsub::kMaxPresencePage);
  // One name more than the page: a next page exists only when it came back.
  s.store->presence_page(channel, query.after, limit + 1,
                         [limit, on_done = std::move(on_done)](PresencePage&& page) mutable {
                           pubsub::PresenceResult result;
                           result.status = detail::broker_status(page.status);
                           result.count = page.online;
                           if (page.users.size() > limit) {
                             page.users.resize(limit);
                             result.next_cursor = page.users.back();
                           }
                           result.users = std::move(page.users);
                           on_done(std::move(result));
                         });
  return Status::kOk;
}

Status RedisBroker::mark_read(pubsub::SubscriberId connection, std::string_view channel,
                              std::uint64_t seq, ReadCallback on_done) {
  Slice& s = core_->slice();
  if (!detail::RedisBrokerCore::running(s)) {
    return Status::kUnavailable;  // the node is stopping
  }
  if (!core_->valid_channel(channel)) {
    return Status::kInvalidChannel;
  }
  auto it = s.connections.find(connection);
  if (it == s.connections.end()) {
    return Status::kUnknownConnection;
  }
  s.store->mark_read(
      channel, it->second.user, seq,
      [core = core_.get(), ch = std::string(channel), user = it->second.user,
       from = core_->here(), connection, on_done = std::move(on_done)](ReadCursorResult&& r) mutable {
        pubsub::ReadResult result;
        result.status = detail::broker_status(r.status);
        result.seq = r.cursor;
        result.unread = r.unread;
        if (result.status == Status::kOk && r.moved) {
          core->executor.submit_to(core->home_of(user), [core, user, ch, seq = r.cursor, from,
                                                         connection] {
            core->on_read_moved(user, ch, seq, from, connection, false);
          });
        }
        if (on_done) {
          on_done(result);
        }
      },
      core_->personal_user(channel) == std::string_view(it->second.user));
  return Status::kOk;
}

}  // namespace hexwire::scaleout
