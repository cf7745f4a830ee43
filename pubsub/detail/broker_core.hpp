// Private state and handlers of pubsub::LocalBroker. One ShardState per shard, touched only by that
// shard's thread; shards exchange plain tasks through the executor (FIFO per ordered pair of
// shards, which is what makes resume gap-free without buffering: see docs/pubsub.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/executor.hpp"
#include "core/metrics.hpp"
#include "pubsub/broker.hpp"
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
  bool cancelled = false;
  bool leave_on_cancel = false;
};

struct LocalChannel {
  SubscriberList live;  // live.span() is what the sink walks
  // Waiting for the owner's reply. Replies come back in request order (one owner, FIFO), so the
  // reply always matches the front: O(1) even when 100k connections resubscribe at once.
  RingQueue<PendingSubscribe> pending;
  std::uint64_t last_forwarded_seq = 0;  // dedup guard
};

struct Connection {
  std::string user;
  std::vector<std::string> channels;  // subscribed or subscribing
};

// ---- owner side: channels owned by this shard ----

struct Member {
  std::uint32_t live_connections = 0;  // subscribed connections on any shard
  std::uint64_t read_seq = 0;
  bool left = false;              // explicit unsubscribe of the last connection: no longer a member
  bool announced_online = false;  // what the last presence batch told subscribers
  bool presence_dirty = false;
  std::uint64_t offline_since_ns = 0;  // when live_connections last fell to 0
  std::uint32_t offline_pos = UINT32_MAX;  // index in OwnedChannel::offline_by_home[home]
};

using UserList = std::vector<std::string>;

struct OwnedChannel {
  std::string name;
  std::uint64_t last_seq = 0;
  std::uint64_t sampled_seq = 0;  // last_seq at the previous channel_activity() call
  HistoryLog history;
  std::vector<std::uint32_t> shard_subscriptions;  // subscribed connections per shard
  StringMap<Member> members;
  std::vector<std::string> presence_dirty;  // users whose online state changed this window
  std::uint64_t presence_transitions = 0;   // raw join/leave transitions this window
  std::uint64_t presence_dirty_since_ns = 0;  // when presence_dirty became non-empty
  // Offline members grouped by home shard, copy-on-write so a publish shares them by reference.
  std::vector<std::shared_ptr<UserList>> offline_by_home;
};

struct PresenceBatch {
  std::string channel;
  std::vector<PresenceChange> changes;
};

// ---- home side: users whose home is this shard ----

struct UserRecord {
  std::vector<std::pair<unsigned, SubscriberId>> connections;  // (shard, id) of open connections
  RingQueue<MessageRef> pending;  // offline queue, oldest first
  std::uint64_t dropped = 0;
};

struct ShardMetrics {
  ShardMetrics(core::MetricsRegistry& registry, unsigned shard);
  core::Counter& publishes;
  core::Counter& forwards;
  core::Counter& deliveries;
  core::Counter& delivery_drops;
  core::Counter& resumes;
  core::Counter& resume_unrecovered;
  core::Counter& presence_events;
  core::Counter& presence_coalesced;
  core::Counter& offline_queued;
  core::Counter& offline_dropped;
  core::Counter& notifications;
  core::Counter& read_syncs;
  core::Gauge& history_messages;
  core::Gauge& subscriptions;
  core::Gauge& channels;
};

struct ShardState {
  ShardState(core::MetricsRegistry& registry, unsigned shard)
      : activity_sampled_ns(core::monotonic_ns()), metrics(registry, shard) {}
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
  StringMap<std::unique_ptr<OwnedChannel>> owned;
  std::vector<std::string> presence_dirty_channels;
  bool presence_timer_armed = false;
  bool sweep_timer_armed = false;
  std::uint64_t activity_sampled_ns;  // previous channel_activity() call (monotonic)
  // home side
  StringMap<UserRecord> users;
  ShardMetrics metrics;
};

struct SubscribeRequest {
  std::string channel;
  std::string user;
  SubscriberId connection = 0;
  std::uint64_t token = 0;
  std::optional<std::uint64_t> since;
  unsigned from_shard = 0;
};

class BrokerCore {
 public:
  BrokerCore(core::Executor& executor, core::MetricsRegistry& metrics, DeliverySink& sink,
             Config config);

  core::Executor& executor;
  DeliverySink& sink;
  const Config config;
  HistoryLimits history_limits;

  [[nodiscard]] unsigned shard_count() const noexcept { return shard_count_; }
  [[nodiscard]] unsigned here() const noexcept { return executor.current_shard(); }
  ShardState& state() noexcept { return *shards_[executor.current_shard()]; }
  const ShardState& state() const noexcept { return *shards_[executor.current_shard()]; }
  [[nodiscard]] unsigned owner_of(std::string_view channel) const noexcept;
  [[nodiscard]] unsigned home_of(std::string_view user) const noexcept;
  [[nodiscard]] bool valid_channel(std::string_view channel) const noexcept;

  // Subscriber side (broker.cpp, broker_delivery.cpp).
  void detach_subscription(ShardState& st, SubscriberId connection, const std::string& user,
                           std::string_view channel, bool leave);
  void on_subscribe_reply(std::string channel, std::uint64_t token, SubscribeResult result,
                          std::vector<MessageRef> backlog);
  void on_forward(const MessageRef& message) noexcept;
  void on_presence_batch(const std::shared_ptr<const PresenceBatch>& batch);
  std::size_t deliver_to_sink(const MessageRef& message,
                              std::span<const SubscriberId> to) noexcept;

  // Owner side (broker_owner.cpp).
  void on_subscribe_request(SubscribeRequest request);
  void on_unsubscribe(std::string_view channel, std::string_view user, unsigned from_shard,
                      bool leave);
  void on_publish(std::shared_ptr<Message> message, unsigned from_shard, std::uint32_t slot);
  void on_history(std::string_view channel, std::uint64_t since, std::size_t limit,
                  unsigned from_shard, std::uint32_t slot);
  void on_presence_query(std::string_view channel, unsigned from_shard, std::uint32_t slot);
  void on_mark_read(std::string_view channel, std::string_view user, std::uint64_t seq,
                    unsigned from_shard, SubscriberId origin, std::uint32_t slot);

  // Home side (broker_home.cpp).
  void on_user_attached(const std::string& user, unsigned shard, SubscriberId connection);
  void on_user_detached(const std::string& user, unsigned shard, SubscriberId connection);
  void on_offline_message(const MessageRef& message, const std::shared_ptr<const UserList>& users);
  void on_read_sync(const std::string& user, const std::string& channel, std::uint64_t seq,
                    unsigned origin_shard, SubscriberId origin);

 private:
  OwnedChannel* find_owned(ShardState& st, std::string_view channel);
  OwnedChannel* get_or_create_owned(ShardState& st, std::string_view channel);
  void set_member_online(ShardState& st, OwnedChannel& ch, const std::string& user, Member& m,
                         std::uint32_t new_live);
  void update_offline_list(OwnedChannel& ch, const std::string& user, Member& m);
  void arm_presence_timer(ShardState& st);
  void flush_presence(ShardState& st);
  [[nodiscard]] std::uint64_t presence_window_ns(const OwnedChannel& ch) const noexcept;
  std::shared_ptr<const PresenceBatch> take_presence_changes(ShardState& st, OwnedChannel& ch,
                                                             bool large, std::uint64_t now);
  void arm_sweep_timer(ShardState& st);
  void sweep_history(ShardState& st);
  void trim_history(ShardState& st, OwnedChannel& ch);

  unsigned shard_count_;
  std::vector<std::unique_ptr<ShardState>> shards_;
};

}  // namespace hexwire::pubsub::detail
