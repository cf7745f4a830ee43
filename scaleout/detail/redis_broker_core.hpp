// Private state of RedisBroker. One Slice per shard, touched only by that shard's thread; shards
// exchange plain tasks through the executor (FIFO per ordered pair). Three roles, as in
// LocalBroker: the subscriber shard of a connection (live lists, the sink), the owner shard of a
// channel inside this node (its Redis subscription, the delivery point, joins, presence), and the
// home shard of a user inside this node (their connections, offline drain, read sync, notify).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
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
#include "redis/client.hpp"
#include "redis/script.hpp"
#include "scaleout/channel_store.hpp"
#include "scaleout/detail/subscriber_list.hpp"
#include "scaleout/node_registry.hpp"
#include "scaleout/redis_broker.hpp"

namespace hexwire::scaleout::detail {

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view text) const noexcept {
    return std::hash<std::string_view>{}(text);
  }
};
template <typename Value>
using StringMap = std::unordered_map<std::string, Value, StringHash, std::equal_to<>>;

using pubsub::MessageRef;
using pubsub::SubscriberId;

// ---- subscriber side --------------------------------------------------------------------------

struct PendingSubscribe {
  SubscriberId connection = 0;
  std::uint64_t token = 0;
  std::string user;
  pubsub::Broker::SubscribeCallback on_done;
  bool cancelled = false;
  bool leave_on_cancel = false;
  bool presence = false;  // the subscription asked for join/leave events
};

struct LocalChannel {
  SubscriberList live;                   // the span handed to the sink
  SubscriberList presence;               // the live subscriptions that asked for presence
  std::deque<PendingSubscribe> pending;  // replies come back in request order (one owner, FIFO)
  std::uint64_t epoch = 0;               // of last_seq
  std::uint64_t last_seq = 0;            // dedup guard: highest seq handed to the sink here
};

struct LocalConnection {
  std::string user;
  std::vector<std::string> channels;  // subscribed or subscribing
};

// ---- owner side ---------------------------------------------------------------------------------

/// A subscribe on its way through the channel's owner.
struct JoinRequest {
  unsigned shard = 0;
  std::uint64_t token = 0;
  std::string user;
  std::optional<std::uint64_t> since;
  std::uint64_t since_epoch = 0;
  std::uint64_t deadline_ns = 0;  // while waiting for the channel to go live
};

/// A subscribe Redis has answered, waiting until the node has delivered up to its seq.
struct Joiner {
  JoinRequest request;
  OpenResult result;
};

/// Presence of one user in a channel as the owner announces it to subscribers.
struct AnnouncedUser {
  bool online = false;     // what Redis last said (frames)
  bool announced = false;  // what subscribers were last told
  std::uint64_t changed_ns = 0;
  bool dirty = false;
};

/// A user of this node who is an offline member of a channel: notified of its messages live.
struct NotifyEntry {
  static constexpr std::uint64_t kUnknown = ~std::uint64_t{0};
  std::uint32_t registrations = 0;  // home registrations (one per attach)
  std::uint64_t notified = 0;       // last seq notified (written to Redis when they leave)
  std::uint64_t drained_to = 0;     // the user's drains here read up to this seq
  std::uint64_t live_from = kUnknown;  // every message after it is seen here (kUnknown: the
                                       // channel was not positioned yet when registered)
};

/// A channel as seen by its owner shard inside this node.
struct NodeChannel {
  enum class State : std::uint8_t {
    kSubscribing,  // SSUBSCRIBE sent, not confirmed
    kSyncing,      // confirmed; reading the channel's position (frames held meanwhile)
    kLive,         // every frame is forwarded as it arrives
    kCatchingUp,   // the subscription was interrupted: reading what was missed
  };
  State state = State::kSubscribing;
  std::uint64_t epoch = 0;      // of `delivered`
  std::uint64_t delivered = 0;  // last seq forwarded to this node's shards
  bool positioned = false;      // `delivered` is known
  std::deque<MessageRef> recent;          // the newest forwarded messages, oldest first
  std::vector<ChannelFrame> held;         // frames that arrived while syncing / catching up
  std::vector<std::uint32_t> shard_subscriptions;  // subscriptions (live + pending) per shard
  std::vector<JoinRequest> waiting;       // until the subscription is live, oldest first
  core::TimerId join_timer = 0;           // the oldest waiting join's deadline
  /// Joins gave up waiting for this channel: once live, its subscription is kept unused until
  /// linger_until_ns (one join timeout later), so that subscribes retried meanwhile find it live.
  bool joins_gave_up = false;
  std::uint64_t linger_until_ns = 0;
  core::TimerId linger_timer = 0;
  std::uint64_t subscribed_ns = 0;        // when the Redis subscription was first asked for
  std::vector<Joiner> joiners;            // until `delivered` reaches their seq
  StringMap<std::uint32_t> users;         // this node's subscribed connections per user
  StringMap<AnnouncedUser> presence;      // presence as announced to subscribers
  std::vector<std::string> presence_dirty;
  std::uint64_t presence_dirty_since_ns = 0;
  std::uint64_t online = 0;            // online members, as the channel's last frame said
  std::uint64_t announced_online = 0;  // the count last sent (channels above presence_max_members)
  std::uint64_t count_sent_ns = 0;
  StringMap<NotifyEntry> notify;          // users with a local connection, offline in the channel
  bool in_node_set = false;               // listed in this node's channel set in Redis
  [[nodiscard]] std::uint32_t subscriptions() const noexcept {
    std::uint32_t total = 0;
    for (std::uint32_t n : shard_subscriptions) {
      total += n;
    }
    return total;
  }
};

// ---- home side ----------------------------------------------------------------------------------

/// A personal-channel message from the inbox, held while the user's attach or drain runs.
struct HeldPersonal {
  std::uint64_t epoch = 0;
  MessageRef message;
};

struct UserHome {
  std::vector<std::pair<unsigned, SubscriberId>> connections;  // (shard, id) on this node
  bool attached = false;          // Redis counts this node among the user's nodes
  bool attaching = false;         // the attach is in flight (or waits for the inbox)
  bool attach_again = false;      // nudged while attaching: attach again once it answers
  bool draining = false;          // the personal channel's offline drain is in flight
  std::uint64_t attach_id = 0;    // which attach: a reply for an earlier incarnation is stale
  /// Registered at their owners for notify, each with the channel's seq when it was read for
  /// that: a later drain reads only up to it (the owner notifies what comes after).
  std::vector<std::pair<std::string, std::uint64_t>> notify_channels;
  // Personal channel through the inbox: the last message handed to the user's connections here
  // (never one twice, whether it came live or from the drain), and those arriving meanwhile.
  std::uint64_t personal_epoch = 0;
  std::uint64_t personal_seq = 0;
  std::deque<HeldPersonal> held;  // at most pubsub::Config::pending_notifications_per_user
};

struct BrokerMetrics {
  BrokerMetrics(core::MetricsRegistry& registry, unsigned shard);
  core::Counter& publishes;
  core::Counter& publish_failures;
  core::Counter& forwards;
  core::Counter& deliveries;
  core::Counter& delivery_drops;
  core::Counter& resumes;
  core::Counter& resume_unrecovered;
  core::Counter& unavailable;
  core::Counter& catch_ups;
  core::Counter& lost;
  core::Counter& presence_events;
  core::Counter& notifications;
  core::Counter& offline_drained;
  core::Counter& read_syncs;
  core::Counter& personal_deliveries;
  core::Counter& channel_subscribes;
  core::Counter& join_timeouts;
  core::Counter& joins_refused;
  core::Gauge& waiting_joins;
  core::Histogram& first_live;
  core::Gauge& channels;
  core::Gauge& subscriptions;
  redis::ConnectionMetrics client;  // the shard's Redis connections (hexwire_redis_*)
};

struct Slice {
  Slice(core::MetricsRegistry& registry, unsigned shard) : metrics(registry, shard) {}
  std::unique_ptr<redis::RedisClient> client;
  std::unique_ptr<ChannelStore> store;
  std::unique_ptr<NodeRegistry> registry;  // shard 0 only
  bool started = false;
  bool stopped = false;
  // subscriber side
  std::unordered_map<SubscriberId, LocalConnection> connections;
  StringMap<LocalChannel> local;
  std::uint64_t next_token = 1;
  bool in_sink = false;
  std::vector<std::function<void()>> after_sink;  // closes/unsubscribes made from the sink
  // owner side
  StringMap<NodeChannel> owned;
  std::size_t waiting_joins = 0;  // over every owned channel (bounded by max_waiting_joins)
  std::vector<std::string> presence_channels;  // channels with dirty presence
  core::TimerId presence_timer = 0;
  // home side
  StringMap<UserHome> users;
  /// Personal channels through the inbox: attaches wait until the node's inbox subscription is
  /// live and the node is in the live set (a message published after the attach then reaches it).
  bool inbox_live = false;
  bool registered = false;  // this node is in the live set
  std::vector<std::string> attach_waiting;  // users whose attach waits for that
  std::uint64_t next_attach_id = 0;
  std::shared_ptr<const std::vector<std::string>> live_nodes =
      std::make_shared<const std::vector<std::string>>();
  std::uint64_t epoch_state = 0;  // xorshift state for new channel epochs
  BrokerMetrics metrics;
};

class RedisBrokerCore final : public redis::SubscriptionHandler {
 public:
  RedisBrokerCore(core::Executor& executor, core::MetricsRegistry& metrics,
                  pubsub::DeliverySink& sink, RedisBrokerConfig config);

  core::Executor& executor;
  pubsub::DeliverySink& sink;
  const RedisBrokerConfig config;
  /// Told each new live set on every shard (RedisBroker::set_live_nodes_observer).
  std::function<void(const std::vector<std::string>& live)> live_observer;

  [[nodiscard]] unsigned here() const noexcept { return executor.current_shard(); }
  [[nodiscard]] unsigned shard_count() const noexcept { return executor.shard_count(); }
  /// The calling shard's slice, started (Redis connections open) on first use.
  Slice& slice();
  /// The calling shard's slice as it is (stop_shard must not open connections to close them).
  Slice& slice_unstarted() noexcept { return *slices_[here()]; }
  /// False once the shard stopped: its Redis client is gone, tasks and timers still queued for it
  /// (a closing connection's release, a retry) do nothing.
  [[nodiscard]] static bool running(const Slice& s) noexcept { return !s.stopped; }
  [[nodiscard]] unsigned owner_of(std::string_view channel) const noexcept;
  [[nodiscard]] unsigned home_of(std::string_view user) const noexcept;
  [[nodiscard]] bool valid_channel(std::string_view channel) const noexcept;
  /// Personal channels go through the node inboxes (pubsub::Config::personal_channel_prefix set,
  /// one Redis server: a cluster keeps a subscription per connection, see docs/scale-out.md).
  [[nodiscard]] bool personal_inbox() const noexcept;
  /// The user a personal channel belongs to; nullopt for any other channel or without inboxes.
  [[nodiscard]] std::optional<std::string_view> personal_user(std::string_view channel) const;
  /// Publishes to a personal channel through the inboxes of its user's nodes.
  void publish_personal(Slice& s, std::string_view channel, std::string_view user,
                        std::string_view from, std::string_view data, std::uint8_t kind,
                        ChannelStore::Callback<PublishResult> done);
  [[nodiscard]] const std::string& node_id() const noexcept { return node_id_; }
  [[nodiscard]] static std::uint64_t new_epoch(Slice& s) noexcept;
  [[nodiscard]] MessageRef make_message(std::string_view channel, std::uint64_t epoch,
                                        const StoredMessage& stored) const;
  void start(Slice& s);
  void stop(Slice& s);

  // Sink calls, with closes/unsubscribes from inside deferred until the sink returns.
  std::size_t deliver(Slice& s, const MessageRef& message, std::span<const SubscriberId> to);
  template <typename Fn>
  void in_sink(Slice& s, Fn&& fn) {
    s.in_sink = true;
    fn();
    s.in_sink = false;
    while (!s.after_sink.empty()) {
      auto deferred = std::move(s.after_sink);
      for (auto& run : deferred) {
        run();
      }
    }
  }

  // Subscriber side (redis_broker.cpp).
  void detach(Slice& s, SubscriberId connection, const std::string& user, std::string_view channel,
              bool leave);
  void on_join_reply(std::string channel, std::uint64_t token, std::uint64_t epoch,
                     pubsub::SubscribeResult result, std::vector<MessageRef> backlog);
  void on_forward(std::uint64_t epoch, const MessageRef& message);
  void on_presence_changes(const std::string& channel,
                           const std::shared_ptr<const std::vector<pubsub::PresenceChange>>& changes);
  void on_presence_count(const std::string& channel, std::uint64_t count);

  // Owner side (redis_broker_channels.cpp).
  void on_join(std::string channel, JoinRequest request);
  /// A subscription of `user` on `shard` ended; (epoch, seen) is the last message that shard
  /// handed the channel's subscribers (what the user can have received).
  void on_release(const std::string& channel, const std::string& user, unsigned shard, bool leave,
                  std::uint64_t epoch, std::uint64_t seen);
  // redis::SubscriptionHandler (the owner's Redis subscriptions)
  void on_subscribed(std::string_view shard_channel) override;
  void on_interrupted(std::string_view shard_channel) override;
  void on_message(std::string_view shard_channel, std::string_view payload) override;

  // Presence, members and users (redis_broker_members.cpp).
  /// `seen`: for kOffline, the last seq this node handed the user (their offline queue starts
  /// after it).
  void presence_transition(Slice& s, const std::string& channel, NodeChannel& nc,
                           const std::string& user, PresenceKind kind,
                           std::optional<std::uint64_t> seen = std::nullopt);
  void on_presence_frame(Slice& s, const std::string& channel, NodeChannel& nc,
                         const ChannelFrame& frame);
  void on_user_attached(const std::string& user, unsigned shard, SubscriberId connection);
  void on_user_detached(const std::string& user, unsigned shard, SubscriberId connection);
  void on_user_nudged(const std::string& user);
  void on_read_moved(const std::string& user, const std::string& channel, std::uint64_t seq,
                     unsigned origin_shard, SubscriberId origin, bool from_other_node);
  /// `drained_to`: when adding, the seq the user's drain read up to (0: nothing drained).
  void on_notify_register(const std::string& channel, const std::string& user, bool add,
                          std::uint64_t drained_to = 0);
  /// A later drain of an already registered user read up to `drained_to`.
  void on_notify_drained(const std::string& channel, const std::string& user,
                         std::uint64_t drained_to);
  void notify_members(Slice& s, NodeChannel& nc, const MessageRef& message);
  void on_notify(const std::string& user, const MessageRef& message);
  void on_inbox(std::string_view payload);
  // Personal channels through the inbox (redis_broker_personal.cpp).
  /// A personal message for `user` reached this node's inbox (on the user's home shard).
  void on_personal(const std::string& user, std::uint64_t epoch, const MessageRef& message);
  /// The personal drain of `user` finished: hands the messages held meanwhile on.
  void finish_personal_drain(Slice& s, const std::string& user);
  /// The inbox subscription went live / was interrupted (shard 0 tells every shard).
  void set_inbox_live(bool live);
  /// Runs the attach script of `user` now, or once the node is ready for it.
  void attach_when_ready(Slice& s, const std::string& user);
  void clean_dead_node(const std::string& node, core::UniqueFunction<void()> done);
  void set_live_nodes(std::shared_ptr<const std::vector<std::string>> live);

 private:
  // Owner side helpers (redis_broker_channels.cpp).
  NodeChannel& own(Slice& s, const std::string& channel);
  void run_join(Slice& s, const std::string& channel, JoinRequest request);
  void settle_join(Slice& s, const std::string& channel, NodeChannel& nc, Joiner joiner);
  void release_joiners(Slice& s, const std::string& channel, NodeChannel& nc);
  void position(Slice& s, const std::string& channel, std::uint64_t epoch, std::uint64_t seq);
  void catch_up(Slice& s, const std::string& channel);
  void accept_frame(Slice& s, const std::string& channel, NodeChannel& nc, ChannelFrame frame);
  void forward(Slice& s, const std::string& channel, NodeChannel& nc, MessageRef message);
  void drop_if_unused(Slice& s, const std::string& channel);
  /// Answers the oldest `count` waiting joins `status`; drops the channel if nothing needs it.
  void fail_waiting(Slice& s, const std::string& channel, NodeChannel& nc, std::size_t count,
                    pubsub::Status status);
  void arm_join_timer(NodeChannel& nc, const std::string& channel);
  [[nodiscard]] bool redis_reachable(const Slice& s) const noexcept;
  void on_join_timer(const std::string& channel);
  /// Re-reads a channel's position after its Redis subscription was confirmed (until Redis answers).
  void sync_position(Slice& s, const std::string& channel);
  void reply_join(const std::string& channel, const JoinRequest& request,
                  pubsub::SubscribeResult result, std::vector<MessageRef> backlog);
  // Presence helpers (redis_broker_members.cpp).
  void arm_presence_timer(Slice& s);
  void flush_presence(Slice& s);
  /// Channels above presence_max_members: the online count instead of per-user events, at most
  /// once per presence_count_interval_ns. False when the count is still due (keep it dirty).
  bool flush_presence_count(NodeChannel& nc, const std::string& channel, std::uint64_t now);
  void attach(Slice& s, const std::string& user, UserHome& home);
  /// Runs the attach script (attach() decides when).
  void run_attach(Slice& s, const std::string& user);
  void on_attached(const std::string& user, std::uint64_t attach_id, redis::RedisStatus status,
                   redis::ReplyView reply);
  void deliver_personal(Slice& s, UserHome& home, std::uint64_t epoch, const MessageRef& message);
  void run_waiting_attaches(Slice& s);
  void drain_offline(const std::string& user, unsigned shard, SubscriberId connection,
                     std::vector<std::string> channels);
  /// Publishes `frame` to the inbox of every other node in the user's nodes hash.
  void tell_user_nodes(Slice& s, const std::string& user, std::string frame);
  void nudge_user_nodes(Slice& s, const std::string& user);
  void nudge_if_queued(const std::string& user, PresenceKind kind, const PresenceUpdate& written);
  std::string inbox_of(std::string_view node) const;
  std::string user_key(std::string_view user, std::string_view suffix) const;

  std::vector<std::unique_ptr<Slice>> slices_;
  std::string node_id_;
  std::string inbox_;
};

/// The script that registers a user's connection on this node (redis_broker_members.cpp).
[[nodiscard]] const redis::Script& attach_script();

/// Converts a store status into the broker's.
[[nodiscard]] pubsub::Status broker_status(StoreStatus status) noexcept;

}  // namespace hexwire::scaleout::detail
