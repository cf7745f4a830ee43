// LocalBroker entry points, called on the caller's shard: validate, update the shard's connection
// table, and send one request to the channel's owner (or the user's home) shard. The replies and
// deliveries are handled in broker_delivery.cpp, the owner's work in broker_owner.cpp.
#include "pubsub/local_broker.hpp"

#include <algorithm>
#include <cassert>
#include <random>

#include "core/clock.hpp"

#include "pubsub/detail/broker_core.hpp"

namespace hexwire::pubsub {

std::string_view to_string(Status status) noexcept {
  switch (status) {
    case Status::kOk:
      return "ok";
    case Status::kUnknownConnection:
      return "unknown_connection";
    case Status::kConnectionExists:
      return "connection_exists";
    case Status::kInvalidChannel:
      return "invalid_channel";
    case Status::kAlreadySubscribed:
      return "already_subscribed";
    case Status::kNotSubscribed:
      return "not_subscribed";
    case Status::kTooManySubscriptions:
      return "too_many_subscriptions";
    case Status::kTooManyChannels:
      return "too_many_channels";
    case Status::kChannelFull:
      return "channel_full";
    case Status::kNotMember:
      return "not_member";
    case Status::kCancelled:
      return "cancelled";
    case Status::kUnavailable:
      return "unavailable";
  }
  return "unknown";
}

namespace detail {

ShardMetrics::ShardMetrics(core::MetricsRegistry& r, unsigned s)
    : publishes(r.counter("pubsub_publishes_total", "Messages sequenced by channel owners", s)),
      forwards(r.counter("pubsub_forwards_total", "Messages forwarded owner->subscriber shard", s)),
      deliveries(r.counter("pubsub_deliveries_total", "Messages accepted by subscribers", s)),
      delivery_drops(
          r.counter("pubsub_delivery_drops_total", "Deliveries refused or dropped by the sink", s)),
      resumes(r.counter("pubsub_resumes_total", "Subscriptions with a since seq", s)),
      resume_unrecovered(r.counter("pubsub_resume_unrecovered_total",
                                   "Resumes whose since was older than the history", s)),
      resume_other_epoch(r.counter("pubsub_resume_other_epoch_total",
                                   "Resumes whose since belonged to another channel epoch", s)),
      presence_events(r.counter("pubsub_presence_events_total", "Join/leave events sent", s)),
      presence_coalesced(r.counter("pubsub_presence_coalesced_total",
                                   "Join/leave transitions folded away by coalescing", s)),
      presence_counts(r.counter("pubsub_presence_counts_total",
                                "Member-count events sent instead of join/leave (large channels)",
                                s)),
      offline_queued(
          r.counter("pubsub_offline_queued_total", "Notifications queued for offline users", s)),
      offline_dropped(r.counter("pubsub_offline_dropped_total",
                                "Offline notifications dropped by the queue bound", s)),
      notifications(r.counter("pubsub_notifications_total",
                              "Messages notified to online users not subscribed to the channel",
                              s)),
      read_syncs(r.counter("pubsub_read_syncs_total", "Read cursor updates", s)),
      history_budget_evictions(r.counter("pubsub_history_budget_evictions_total",
                                         "Messages dropped by the shard's history byte budget", s)),
      history_short_trimmed(r.counter("pubsub_history_short_trimmed_total",
                                      "Messages trimmed by the short retention of engine channels",
                                      s)),
      channels_reclaimed(r.counter("pubsub_channels_reclaimed_total",
                                   "Channels forgotten after the idle TTL (with their history)",
                                   s)),
      offline_members_expired(r.counter("pubsub_offline_members_expired_total",
                                        "Memberships ended by the offline member TTL", s)),
      offline_members_evicted(
          r.counter("pubsub_offline_members_evicted_total",
                    "Memberships ended by the cap on offline members per channel", s)),
      offline_queues_expired(r.counter("pubsub_offline_queues_expired_total",
                                       "Offline queues dropped by the offline TTL", s)),
      history_messages(r.gauge("pubsub_history_messages", "Messages retained in history", s)),
      history_bytes(r.gauge("pubsub_history_bytes", "Bytes retained in history (budgeted)", s)),
      subscriptions(r.gauge("pubsub_subscriptions", "Live subscriptions on this shard", s)),
      channels(r.gauge("pubsub_channels", "Channels owned by this shard", s)),
      offline_members(r.gauge("pubsub_offline_members", "Offline members of owned channels", s)) {}

BrokerCore::BrokerCore(core::Executor& exec, core::MetricsRegistry& metrics, DeliverySink& s,
                       Config cfg)
    : executor(exec), sink(s), config(std::move(cfg)), shard_count_(exec.shard_count()) {
  history_limits = HistoryLimits{config.history_keep_messages, config.history_keep_age_us,
                                 config.history_max_messages};
  short_history_limits =
      HistoryLimits{0, config.short_history_max_age_us, config.short_history_max_messages};
  // Epochs must differ across restarts of the process, so they are seeded from the OS.
  std::random_device entropy;
  shards_.reserve(shard_count_);
  for (unsigned i = 0; i < shard_count_; ++i) {
    const std::uint64_t seed = (std::uint64_t{entropy()} << 32) ^ entropy() ^
                               static_cast<std::uint64_t>(core::monotonic_ns()) ^ i;
    shards_.push_back(std::make_unique<ShardState>(metrics, i, seed));
  }
}

unsigned BrokerCore::owner_of(std::string_view channel) const noexcept {
  if (config.channel_owner) {
    if (const std::optional<unsigned> owner = config.channel_owner(channel)) {
      assert(*owner < shard_count_ && "Config::channel_owner named a shard that does not exist");
      return *owner;
    }
  }
  return static_cast<unsigned>(std::hash<std::string_view>{}(channel) % shard_count_);
}

unsigned BrokerCore::home_of(std::string_view user) const noexcept {
  // Salted so a user's home and a same-named channel's owner are independent.
  const std::size_t plain = std::hash<std::string_view>{}(user);
  const std::size_t mixed = plain * 0x9E3779B97F4A7C15ull;
  return static_cast<unsigned>((mixed >> 17) % shard_count_);
}

bool BrokerCore::valid_channel(std::string_view channel) const noexcept {
  return !channel.empty() && channel.size() <= config.max_channel_name_bytes;
}

std::optional<std::string_view> BrokerCore::personal_user(
    std::string_view channel) const noexcept {
  const std::string_view prefix = config.personal_channel_prefix;
  if (prefix.empty() || channel.size() <= prefix.size() || !channel.starts_with(prefix)) {
    return std::nullopt;
  }
  return channel.substr(prefix.size());
}

void BrokerCore::detach_subscription(ShardState& st, SubscriberId connection,
                                     const std::string& user, std::string_view channel,
                                     bool leave) {
  auto it = st.local_channels.find(channel);
  if (it == st.local_channels.end()) {
    return;
  }
  LocalChannel& lc = it->second;
  if (lc.live.remove(connection)) {
    const bool presence = lc.presence != nullptr && lc.presence->remove(connection);
    st.metrics.subscriptions.add(-1);
    executor.submit_to(owner_of(channel),
                       [this, ch = std::string(channel), user, from = here(), leave, presence] {
                         on_unsubscribe(ch, user, from, leave, presence);
                       });
  } else {
    // Still waiting for the owner: the reply will undo the owner's side (see on_subscribe_reply).
    for (PendingSubscribe& p : lc.pending) {
      if (p.connection == connection && !p.cancelled) {
        p.cancelled = true;
        p.leave_on_cancel = leave;
        if (!p.on_done) {
          break;
        }
        // Callbacks never run inline: the caller may be in the middle of its own bookkeeping.
        executor.submit_to(here(), [on_done = std::move(p.on_done)]() mutable {
          SubscribeResult result;
          result.status = Status::kCancelled;
          on_done(result);
        });
        break;
      }
    }
  }
  if (lc.live.empty() && lc.pending.empty()) {
    st.local_channels.erase(it);
  }
}

}  // namespace detail

using detail::BrokerCore;
using detail::ShardState;

LocalBroker::LocalBroker(core::Executor& executor, core::MetricsRegistry& metrics,
                         DeliverySink& sink, Config config)
    : core_(std::make_unique<BrokerCore>(executor, metrics, sink, std::move(config))) {}

LocalBroker::~LocalBroker() = default;

Status LocalBroker::connection_opened(SubscriberId connection, std::string_view user) {
  ShardState& st = core_->state();
  assert(!st.in_sink && "LocalBroker::connection_opened called from inside a sink callback");
  auto [it, inserted] = st.connections.try_emplace(connection);
  if (!inserted) {
    return Status::kConnectionExists;
  }
  it->second.user = std::string(user);
  core_->executor.submit_to(core_->home_of(user),
                            [core = core_.get(), u = it->second.user, from = core_->here(),
                             connection] { core->on_user_attached(u, from, connection); });
  return Status::kOk;
}

void LocalBroker::connection_closed(SubscriberId connection) {
  ShardState& st = core_->state();
  if (st.in_sink) {
    core_->executor.submit_to(core_->here(), [this, connection] { connection_closed(connection); });
    return;
  }
  auto it = st.connections.find(connection);
  if (it == st.connections.end()) {
    return;
  }
  const std::string user = std::move(it->second.user);
  const std::vector<const std::string*> channels = std::move(it->second.channels);
  st.connections.erase(it);
  for (const std::string* channel : channels) {
    // Detaching erases at most this channel's own entry, never the one a later pointer names.
    core_->detach_subscription(st, connection, user, *channel, /*leave=*/false);
  }
  core_->executor.submit_to(core_->home_of(user),
                            [core = core_.get(), user, from = core_->here(), connection] {
                              core->on_user_detached(user, from, connection);
                            });
}

Status LocalBroker::subscribe(SubscriberId connection, std::string_view channel,
                              SubscribeOptions options, SubscribeCallback on_done) {
  ShardState& st = core_->state();
  assert(!st.in_sink && "LocalBroker::subscribe called from inside a sink callback");
  if (!core_->valid_channel(channel)) {
    return Status::kInvalidChannel;
  }
  auto conn = st.connections.find(connection);
  if (conn == st.connections.end()) {
    return Status::kUnknownConnection;
  }
  std::vector<const std::string*>& channels = conn->second.channels;
  if (detail::find_name(channels, channel) != channels.end()) {
    return Status::kAlreadySubscribed;
  }
  if (channels.size() >= core_->config.max_subscriptions_per_connection) {
    return Status::kTooManySubscriptions;
  }
  auto local = st.local_channels.find(channel);
  if (local == st.local_channels.end()) {
    local = st.local_channels.try_emplace(std::string(channel)).first;
  }
  channels.push_back(&local->first);
  const std::uint64_t token = st.next_token++;
  detail::LocalChannel& lc = local->second;
  lc.pending.push_back(detail::PendingSubscribe{connection, token, conn->second.user,
                                                std::move(on_done), options.presence});
  detail::SubscribeRequest request{std::string(channel), conn->second.user, connection,
                                   token,                options.since,     options.epoch,
                                   options.presence,     core_->here()};
  core_->executor.submit_to(core_->owner_of(channel),
                            [core = core_.get(), request = std::move(request)]() mutable {
                              core->on_subscribe_request(std::move(request));
                            });
  return Status::kOk;
}

Status LocalBroker::unsubscribe(SubscriberId connection, std::string_view channel) {
  ShardState& st = core_->state();
  auto conn = st.connections.find(connection);
  if (conn == st.connections.end()) {
    return Status::kUnknownConnection;
  }
  std::vector<const std::string*>& channels = conn->second.channels;
  auto pos = detail::find_name(channels, channel);
  if (pos == channels.end()) {
    return Status::kNotSubscribed;
  }
  channels.erase(pos);
  if (st.in_sink) {
    // The sink is iterating the live span: detach after it returns.
    core_->executor.submit_to(core_->here(), [core = core_.get(), connection,
                                              user = conn->second.user, ch = std::string(channel)] {
      core->detach_subscription(core->state(), connection, user, ch, /*leave=*/true);
    });
    return Status::kOk;
  }
  core_->detach_subscription(st, connection, conn->second.user, channel, /*leave=*/true);
  return Status::kOk;
}

Status LocalBroker::publish(std::string_view from_user, std::string_view channel,
                            core::SharedBuffer payload, PublishCallback on_ack, MessageKind kind) {
  ShardState& st = core_->state();
  assert(!st.in_sink && "LocalBroker::publish called from inside a sink callback");
  if (!core_->valid_channel(channel)) {
    return Status::kInvalidChannel;
  }
  // Built here so the owner only stamps seq and ts; the mailbox hand-off orders the writes.
  auto message = std::make_shared<Message>();
  message->channel = std::string(channel);
  message->from = std::string(from_user);
  message->payload = std::move(payload);
  message->kind = kind;
  const std::uint32_t slot = st.publish_callbacks.put(std::move(on_ack));
  core_->executor.submit_to(core_->owner_of(channel),
                            [core = core_.get(), message = std::move(message), from = core_->here(),
                             slot]() mutable { core->on_publish(std::move(message), from, slot); });
  return Status::kOk;
}

Status LocalBroker::history(std::string_view channel, HistoryQuery query,
                            HistoryCallback on_done) {
  ShardState& st = core_->state();
  assert(!st.in_sink && "LocalBroker::history called from inside a sink callback");
  if (!core_->valid_channel(channel)) {
    return Status::kInvalidChannel;
  }
  const std::uint32_t slot = st.history_callbacks.put(std::move(on_done));
  core_->executor.submit_to(
      core_->owner_of(channel),
      [core = core_.get(), ch = std::string(channel), query, from = core_->here(), slot] {
        core->on_history(ch, query, from, slot);
      });
  return Status::kOk;
}

Status LocalBroker::presence(std::string_view channel, PresenceQuery query,
                             PresenceCallback on_done) {
  ShardState& st = core_->state();
  assert(!st.in_sink && "LocalBroker::presence called from inside a sink callback");
  if (!core_->valid_channel(channel)) {
    return Status::kInvalidChannel;
  }
  query.limit = std::clamp<std::size_t>(query.limit, 1, kMaxPresencePage);
  const std::uint32_t slot = st.presence_callbacks.put(std::move(on_done));
  core_->executor.submit_to(core_->owner_of(channel),
                            [core = core_.get(), ch = std::string(channel),
                             query = std::move(query), from = core_->here(),
                             slot] { core->on_presence_query(ch, query, from, slot); });
  return Status::kOk;
}

Status LocalBroker::mark_read(SubscriberId connection, std::string_view channel, std::uint64_t seq,
                              ReadCallback on_done) {
  ShardState& st = core_->state();
  assert(!st.in_sink && "LocalBroker::mark_read called from inside a sink callback");
  if (!core_->valid_channel(channel)) {
    return Status::kInvalidChannel;
  }
  auto conn = st.connections.find(connection);
  if (conn == st.connections.end()) {
    return Status::kUnknownConnection;
  }
  const std::uint32_t slot = st.read_callbacks.put(std::move(on_done));
  core_->executor.submit_to(core_->owner_of(channel),
                            [core = core_.get(), ch = std::string(channel),
                             user = conn->second.user, seq, from = core_->here(), connection,
                             slot] { core->on_mark_read(ch, user, seq, from, connection, slot); });
  return Status::kOk;
}

unsigned LocalBroker::owner_of(std::string_view channel) const noexcept {
  return core_->owner_of(channel);
}

unsigned LocalBroker::home_of(std::string_view user) const noexcept {
  return core_->home_of(user);
}

std::optional<std::size_t> LocalBroker::local_subscriber_count(std::string_view channel) const {
  const ShardState& st = core_->state();
  auto it = st.local_channels.find(channel);
  return it == st.local_channels.end() ? 0 : it->second.live.size();
}

const Config& LocalBroker::config() const noexcept {
  return core_->config;
}

bool LocalBroker::delivers_personal_channels() const noexcept {
  return !core_->config.personal_channel_prefix.empty();
}

}  // namespace hexwire::pubsub
