// Private state and handlers of pubsub::LocalBroker. One ShardState per shard, touched only by that
// shard's thread; shards exchange plain tasks through the executor (FIFO per ordered pair of
// shards, which is what makes resume gap-free without buffering: see docs/pubsub.md).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/executor.hpp"
#include "core/metrics.hpp"
#include "pubsub/broker.hpp"
#include "pubsub/detail/flat_string_map.hpp"
#include "pubsub/detail/history_log.hpp"
#include "pubsub/detail/ring_queue.hpp"
#include "pubsub/detail/subscriber_list.hpp"

namespace hexwire::pubsub::detail {

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view text) const noexcept {
    return std::hash<std::string_view>{}(text);
  }
};
template <typename Value>
using StringMap = std::unordered_map<std::string, Value, StringHash, std::equal_to<>>;

/// Slot id of an operation whose caller passed no callback (no reply is sent).
inline constexpr std::uint32_t kNoCallback = UINT32_MAX;

/// Dense storage for callbacks waiting for a reply from another shard; ids are slot indexes.
template <typename Fn>
class CallbackSlots {
 public:
  std::uint32_t put(Fn fn) {
    if (!fn) {
      return kNoCallback;
    }
    if (free_.empty()) {
      slots_.push_back(std::move(fn));
      return static_cast<std::uint32_t>(slots_.size() - 1);
    }
    const std::uint32_t slot = free_.back();
    free_.pop_back();
    slots_[slot] = std::move(fn);
    return slot;
  }
  Fn take(std::uint32_t slot) {
    if (slot == kNoCallback) {
      return Fn{};
    }
    free_.push_back(slot);
    return std::move(slots_[slot]);
  }

 private:
  std::vector<Fn> slots_;
  std::vector<std::uint32_t> free_;
};

// ---- subscriber side: connections and the channels they subscribe to on this shard ----

struct PendingSubscribe {
  SubscriberId connection = 0;
  std::uint64_t token = 0;
  std::string user;
  Broker::SubscribeCallback on_done;
  bool presence = false;
  bool cancelled = false;
  bool leave_on_cancel = false;
};

struct LocalChannel {
  SubscriberList live;      // every live subscriber: the span handed to the sink for messages
  // Those of `live` that asked for presence events; null until one does (most never do).
  std::unique_ptr<SubscriberList> presence;
  // Waiting for the owner's reply. Replies come back in request order (one owner, FIFO), so the
  // reply always matches the front: O(1) even when 100k connections resubscribe at once.
  RingQueue<PendingSubscribe> pending;
  std::uint64_t last_forwarded_seq = 0;  // dedup guard
};

struct Connection {
  std::string user;
  // Subscribed or subscribing: the keys of their ShardState::local_channels entries (an entry
  // lives while this connection is live or pending in it, and map nodes never move), 8 bytes
  // a subscription instead of a copy of the name.
  std::vector<const std::string*> channels;
};

/// The entry of `channels` that names `channel`, or end().
inline std::vector<const std::string*>::iterator find_name(
    std::vector<const std::string*>& channels, std::string_view channel) noexcept {
  return std::find_if(channels.begin(), channels.end(),
                      [channel](const std::string* name) { return *name == channel; });
}

// ---- owner side: channels owned by this shard ----

/// 24 bytes: with its key, one entry of a channel's FlatStringMap<Member> is 56 bytes.
struct Member {
  std::uint64_t read_seq = 0;
  std::uint64_t offline_since_ns = 0;       // when live_connections last fell to 0
  std::uint32_t offline_pos = UINT32_MAX;   // index in the channel's offline list of its home
  std::uint32_t live_connections : 29 = 0;  // subscribed connections on any shard
  std::uint32_t left : 1 = 0;  // explicit unsubscribe of the last connection: no longer a member
  std::uint32_t announced_online : 1 = 0;  // what the last presence batch told subscribers
  std::uint32_t presence_dirty : 1 = 0;
};
static_assert(sizeof(Member) == 24);

using UserList = std::vector<std::string>;

/// A member that went offline at `since_ns`, in the order they went (for the offline TTL and the
/// cap). Entries go stale when the member comes back or is removed; they are checked on use.
struct OfflineEntry {
  std::string user;
  std::uint64_t since_ns = 0;
};

/// The parts of an owned channel that only presence listeners and offline members use. Most
/// channels (every idle user:<id> channel among them) never need them, so they live behind one
/// pointer, created the first time a presence subscription or an offline member appears.
struct ChannelExtras {
  explicit ChannelExtras(unsigned shards) : shard_presence(shards, 0), offline_by_home(shards) {}
  std::vector<std::uint32_t>
      shard_presence;                       // subscribed connections asking for presence, per shard
  std::vector<std::string> presence_dirty;  // users whose online state changed this window
  std::uint64_t presence_transitions = 0;   // raw join/leave transitions this window
  std::uint64_t presence_dirty_since_ns = 0;  // when presence_dirty became non-empty
  std::uint64_t announced_count = 0;          // the last member count sent (large channels)
  std::uint64_t count_sent_ns = 0;            // when it was sent
  // Offline members grouped by home shard, copy-on-write so a publish shares them by reference.
  std::vector<std::shared_ptr<UserList>> offline_by_home;
  std::uint64_t offline_members = 0;
  RingQueue<OfflineEntry> offline_order;  // oldest first; may hold stale entries
};

struct OwnedChannel : std::enable_shared_from_this<OwnedChannel> {
  std::string name;
  std::uint64_t epoch = 0;  // random, non-zero: this incarnation of the channel
  std::uint64_t last_seq = 0;
  std::uint64_t sampled_seq = 0;  // last_seq at the previous channel_activity() call
  HistoryLog history;
  bool short_history = false;      // an engine channel (Config::short_history_prefixes)
  bool personal = false;           // a personal channel (Config::personal_channel_prefix)
  std::uint64_t last_used_ns = 0;  // last publish, subscribe or member change (idle TTL)
  std::vector<std::uint32_t> shard_subscriptions;  // subscribed connections per shard
  FlatStringMap<Member> members;
  std::uint64_t online_members = 0;
  std::unique_ptr<ChannelExtras> extras;  // null until presence or offline members need it

  /// The extras, created on first use.
  ChannelExtras& extras_for(unsigned shards) {
    if (!extras) {
      extras = std::make_unique<ChannelExtras>(shards);
    }
    return *extras;
  }
  /// Connections on every shard that asked for presence events.
  [[nodiscard]] std::uint64_t presence_listeners() const noexcept {
    std::uint64_t sum = 0;
    if (extras) {
      for (const std::uint32_t n : extras->shard_presence) {
        sum += n;
      }
    }
    return sum;
  }
  [[nodiscard]] bool presence_pending() const noexcept {
    return extras && !extras->presence_dirty.empty();
  }
};

/// What a presence flush sends to the subscriber shards of one channel: per-user changes, or (in
/// a channel above Config::presence_max_members) only the member count.
struct PresenceBatch {
  std::string channel;
  std::vector<PresenceChange> changes;
  std::optional<std::uint64_t> count;
};

// ---- home side: users whose home is this shard ----

struct UserRecord {
  std::vector<std::pair<unsigned, SubscriberId>> connections;  // (shard, id) of open connections
  RingQueue<MessageRef> pending;  // offline queue, oldest first
  std::uint64_t dropped = 0;
  std::uint64_t offline_since_ns = 0;  // when the last connection closed (or the queue began)
};

/// One retained message in the owner shard's publish order, for the history byte budget. The
/// channel may have been forgotten meanwhile (the weak reference expires) or may have trimmed
/// the message already (its oldest seq is past `seq`): such entries are stale and skipped.
struct BudgetEntry {
  std::weak_ptr<OwnedChannel> channel;
  std::uint64_t seq = 0;
};

struct ShardMetrics {
  ShardMetrics(core::MetricsRegistry& registry, unsigned shard);
  core::Counter& publishes;
  core::Counter& forwards;
  core::Counter& deliveries;
  core::Counter& delivery_drops;
  core::Counter& resumes;
  core::Counter& resume_unrecovered;
  core::Counter& resume_other_epoch;
  core::Counter& presence_events;
  core::Counter& presence_coalesced;
  core::Counter& presence_counts;
  core::Counter& offline_queued;
  core::Counter& offline_dropped;
  core::Counter& notifications;
  core::Counter& read_syncs;
  core::Counter& history_budget_evictions;
  core::Counter& history_short_trimmed;
  core::Counter& channels_reclaimed;
  core::Counter& offline_members_expired;
  core::Counter& offline_members_evicted;
  core::Counter& offline_queues_expired;
  core::Gauge& history_messages;
  core::Gauge& history_bytes;
  core::Gauge& subscriptions;
  core::Gauge& channels;
  core::Gauge& offline_members;
};

struct ShardState {
  ShardState(core::MetricsRegistry& registry, unsigned shard, std::uint64_t seed)
      : epochs(seed), activity_sampled_ns(core::monotonic_ns()), metrics(registry, shard) {}
  // subscriber side
  std::unordered_map<SubscriberId, Connection> connections;
  StringMap<LocalChannel> local_channels;
  std::uint64_t next_token = 1;
  CallbackSlots<Broker::PublishCallback> publish_callbacks;
  CallbackSlots<Broker::HistoryCallback> history_callbacks;
  CallbackSlots<Broker::PresenceCallback> presence_callbacks;
  CallbackSlots<Broker::ReadCallback> read_callbacks;
  bool in_sink = false;
  // owner side
  StringMap<std::shared_ptr<OwnedChannel>> owned;
  std::mt19937_64 epochs;  // draws channel epochs
  std::vector<std::string> presence_dirty_channels;
  bool presence_timer_armed = false;
  bool sweep_timer_armed = false;
  std::uint64_t activity_sampled_ns;  // previous channel_activity() call (monotonic)
  std::size_t history_bytes = 0;           // retained by every owned channel together
  std::size_t history_messages = 0;
  RingQueue<BudgetEntry> budget_order;  // retained messages in publish order (may be stale)
  // home side
  StringMap<UserRecord> users;
  RingQueue<OfflineEntry> offline_users;  // users with a queue and no connection, oldest first
  bool home_sweep_armed = false;
  ShardMetrics metrics;
};

struct SubscribeRequest {
  std::string channel;
  std::string user;
  SubscriberId connection = 0;
  std::uint64_t token = 0;
  std::optional<std::uint64_t> since;
  std::optional<std::uint64_t> epoch;
  bool presence = false;
  unsigned from_shard = 0;
};

class BrokerCore {
 public:
  BrokerCore(core::Executor& executor, core::MetricsRegistry& metrics, DeliverySink& sink,
             Config config);

  core::Executor& executor;
  DeliverySink& sink;
  const Config config;
  HistoryLimits history_limits;        // ordinary channels
  HistoryLimits short_history_limits;  // Config::short_history_prefixes

  [[nodiscard]] unsigned shard_count() const noexcept { return shard_count_; }
  [[nodiscard]] unsigned here() const noexcept { return executor.current_shard(); }
  ShardState& state() noexcept { return *shards_[executor.current_shard()]; }
  const ShardState& state() const noexcept { return *shards_[executor.current_shard()]; }
  [[nodiscard]] unsigned owner_of(std::string_view channel) const noexcept;
  [[nodiscard]] unsigned home_of(std::string_view user) const noexcept;
  [[nodiscard]] bool valid_channel(std::string_view channel) const noexcept;
  /// The user a personal channel belongs to (Config::personal_channel_prefix + user); nullopt
  /// for every other channel, and always when personal channels are off.
  [[nodiscard]] std::optional<std::string_view> personal_user(
      std::string_view channel) const noexcept;

  // Subscriber side (broker.cpp, broker_delivery.cpp).
  void detach_subscription(ShardState& st, SubscriberId connection, const std::string& user,
                           std::string_view channel, bool leave);
  void on_subscribe_reply(std::string channel, std::uint64_t token, SubscribeResult result,
                          std::vector<MessageRef> backlog);
  void on_forward(const MessageRef& message) noexcept;
  void on_presence_batch(const std::shared_ptr<const PresenceBatch>& batch);
  /// Live fan-out of `message` to the local subscribers `to` (a resume backlog goes to
  /// DeliverySink::deliver_backlog in on_subscribe_reply).
  std::size_t deliver_to_sink(const MessageRef& message,
                              std::span<const SubscriberId> to) noexcept;

  // Owner side (broker_owner.cpp).
  void on_subscribe_request(SubscribeRequest request);
  void on_unsubscribe(std::string_view channel, std::string_view user, unsigned from_shard,
                      bool leave, bool presence);
  void on_publish(std::shared_ptr<Message> message, unsigned from_shard, std::uint32_t slot);
  void on_history(std::string_view channel, const HistoryQuery& query, unsigned from_shard,
                  std::uint32_t slot);
  void on_mark_read(std::string_view channel, std::string_view user, std::uint64_t seq,
                    unsigned from_shard, SubscriberId origin, std::uint32_t slot);
  // Owner side, presence (broker_presence.cpp).
  void on_presence_query(std::string_view channel, const PresenceQuery& query,
                         unsigned from_shard, std::uint32_t slot);

  // Home side (broker_home.cpp).
  void on_user_attached(const std::string& user, unsigned shard, SubscriberId connection);
  void on_user_detached(const std::string& user, unsigned shard, SubscriberId connection);
  void on_offline_message(const MessageRef& message, const std::shared_ptr<const UserList>& users);
  void on_read_sync(const std::string& user, const std::string& channel, std::uint64_t seq,
                    unsigned origin_shard, SubscriberId origin);
  /// A personal channel's message at its user's home: to every open connection of the user, or
  /// to the offline queue while there is none.
  void on_personal_message(const MessageRef& message, std::string_view user);

 private:
  // Channel life cycle (broker_owner.cpp).
  OwnedChannel* find_owned(ShardState& st, std::string_view channel);
  OwnedChannel* get_or_create_owned(ShardState& st, std::string_view channel);

  // Members and presence (broker_presence.cpp).
  void set_member_online(ShardState& st, OwnedChannel& ch, const std::string& user, Member& m,
                         std::uint32_t new_live);
  void update_offline_list(ShardState& st, OwnedChannel& ch, const std::string& user, Member& m);
  void arm_presence_timer(ShardState& st);
  void flush_presence(ShardState& st);
  [[nodiscard]] std::uint64_t presence_window_ns(const OwnedChannel& ch) const noexcept;
  std::shared_ptr<PresenceBatch> take_presence_changes(ShardState& st, OwnedChannel& ch,
                                                       bool large, std::uint64_t now);
  void send_presence_batch(OwnedChannel& ch, std::shared_ptr<const PresenceBatch> batch);

  // Retention: history trimming and budget, idle channels, offline members and queues
  // (broker_retention.cpp).
  void retain(ShardState& st, OwnedChannel& ch, MessageRef message);
  void trim_history(ShardState& st, OwnedChannel& ch);
  void forget_history(ShardState& st, const Trimmed& trimmed);
  void enforce_history_budget(ShardState& st);
  void arm_sweep_timer(ShardState& st);
  void sweep_owned(ShardState& st);
  void expire_offline_members(ShardState& st, OwnedChannel& ch, std::uint64_t now);
  void end_offline_membership(ShardState& st, OwnedChannel& ch, const std::string& user);
  void forget_member_if_gone(OwnedChannel& ch, const std::string& user);
  void note_user_offline(ShardState& st, const std::string& user, UserRecord& record);
  /// Appends `message` to `record`'s bounded offline queue (broker_home.cpp).
  void queue_offline(ShardState& st, UserRecord& record, const MessageRef& message);
  /// Hands `message` to the open connection `connection` of shard `shard` (a task there).
  void send_to_connection(unsigned shard, SubscriberId connection, const MessageRef& message,
                          bool as_notification);
  void arm_home_sweep(ShardState& st);
  void sweep_home(ShardState& st);
  /// Runs `run` on this shard after `delay_ns` unless the flag says it is already scheduled.
  void arm_once(ShardState& st, bool ShardState::*armed, std::uint64_t delay_ns,
                void (BrokerCore::*run)(ShardState&));

  unsigned shard_count_;
  std::vector<std::unique_ptr<ShardState>> shards_;
};

}  // namespace hexwire::pubsub::detail
