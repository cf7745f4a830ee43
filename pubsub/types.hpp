// Value types of the pubsub API: subscriber ids, status codes, messages, operation results and the
// broker's limits. Plain data, no behaviour beyond to_string(Status).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/shared_buffer.hpp"

namespace hexwire::pubsub {

/// Opaque handle of one connection, chosen by the caller and unique on its shard (e.g. net's
/// connection id). The same number on two shards names two different connections.
using SubscriberId = std::uint64_t;

/// Outcome of an operation. Errors are values: nothing here throws on a hot path.
enum class Status : std::uint8_t {
  kOk,
  kUnknownConnection,      // connection_opened() was not called for this id on this shard
  kConnectionExists,       // connection_opened() twice for the same id
  kInvalidChannel,         // empty or longer than Config::max_channel_name_bytes
  kAlreadySubscribed,      // this connection is already subscribed (or subscribing) to the channel
  kNotSubscribed,          // unsubscribe of a channel this connection is not subscribed to
  kTooManySubscriptions,  // Config::max_subscriptions_per_connection reached
  kTooManyChannels,       // Config::max_channels_per_shard reached on the channel's owner shard
  kChannelFull,            // Config::max_members_per_channel reached
  kNotMember,              // mark_read by a user who is not a member of the channel
  kCancelled,               // the subscription was cancelled (unsubscribe/close) before it completed
  kUnavailable,  // a broker backed by a shared store (Redis) got no answer in time: retry later
};

[[nodiscard]] std::string_view to_string(Status status) noexcept;

/// What a message is, as its publisher labels it (the app's own enum: app::MessageKind). pubsub
/// keeps the label with the message, in history and on every delivery, and never reads it.
using MessageKind = std::uint8_t;

/// One published message as stored in the owner's history and shared (by reference count) with
/// every shard it is forwarded to. Immutable after publication.
struct Message {
  std::string channel;
  std::uint64_t seq = 0;       // strictly increasing per channel, starting at 1
  std::uint64_t epoch = 0;     // the channel incarnation the seq belongs to (see Epoch below)
  std::int64_t ts_us = 0;      // wall clock at the owner when sequenced (µs since the Unix epoch)
  std::string from;            // publishing user
  core::SharedBuffer payload;  // opaque bytes (the app's serialized `data`)
  MessageKind kind = 0;        // the publisher's label, carried as it is
};
using MessageRef = std::shared_ptr<const Message>;

/// A net presence change after coalescing: a user came online in the channel or went away.
struct PresenceChange {
  std::string user;
  bool joined = false;
};

/// Epoch: a random non-zero id drawn when a channel's state is created on its owner (first
/// subscribe or publish, and again after the channel was forgotten or the process restarted). A
/// seq means something only together with its epoch: seqs of a new incarnation start again at 1.

/// How a subscription starts and what it receives besides messages.
struct SubscribeOptions {
  /// Resume: the last seq the client saw; the missed messages (since, seq] follow the result.
  std::optional<std::uint64_t> since;
  /// The epoch `since` belongs to. When it is not the channel's current epoch nothing is
  /// replayed and the result says recovered=false. Without it `since` is trusted as is.
  std::optional<std::uint64_t> epoch;
  /// Receive presence events (join/leave, or the member count in large channels).
  bool presence = false;
};

struct SubscribeResult {
  Status status = Status::kOk;
  std::uint64_t seq = 0;     // the channel's last seq when the subscription took effect
  std::uint64_t epoch = 0;   // the channel's current epoch
  bool recovered = true;     // false: history no longer reaches back to `since` (client reloads)
  std::uint64_t unread = 0;  // seq - the user's read cursor, at most the retained history
  std::size_t backlog = 0;   // how many missed messages follow (delivered right after)
};

struct PublishAck {
  Status status = Status::kOk;
  std::uint64_t seq = 0;
  std::uint64_t epoch = 0;
  std::int64_t ts_us = 0;
};

/// A history request: retained messages with seq > since, oldest first, at most `limit`.
struct HistoryQuery {
  std::uint64_t since = 0;
  std::size_t limit = 100;
  /// The epoch `since` belongs to; another epoch reads from the oldest retained message and
  /// reports recovered=false.
  std::optional<std::uint64_t> epoch;
};

struct HistoryResult {
  Status status = Status::kOk;
  std::vector<MessageRef> messages;  // seq ascending, all with seq > since
  bool recovered = true;             // false: messages after `since` were trimmed (or other epoch)
  std::uint64_t last_seq = 0;
  std::uint64_t epoch = 0;  // the channel's current epoch (0: the channel does not exist)
};

/// Most users one presence reply lists (larger limits are clamped to it).
inline constexpr std::size_t kMaxPresencePage = 1'000;

/// A page of the online members, in name order, starting after `after` (empty: from the start).
struct PresenceQuery {
  std::size_t limit = kMaxPresencePage;
  std::string after;
};

struct PresenceResult {
  Status status = Status::kOk;
  std::vector<std::string> users;  // online members (at least one subscribed connection), sorted
  std::uint64_t count = 0;         // online members in total
  std::string next_cursor;         // the `after` of the next page; empty when this was the last
};

struct ReadResult {
  Status status = Status::kOk;
  std::uint64_t seq = 0;     // the user's read cursor after the update (never moves backwards)
  std::uint64_t unread = 0;  // unread count after the update
};

/// One channel's activity between two Broker::channel_activity calls on the shard that reports it.
struct ChannelActivity {
  std::string channel;
  std::uint64_t last_seq = 0;
  std::uint64_t published = 0;    // messages sequenced (or relayed to this node) since the last call
  std::size_t subscriptions = 0;  // subscribed connections of this node, on every shard
  // Known only where the channel's state lives; nullopt from a broker that would need a round
  // trip to its shared store to tell.
  std::optional<std::size_t> members;  // online and offline members
  std::optional<std::size_t> history;  // retained messages
};

struct ChannelActivityReport {
  std::uint64_t interval_ns = 0;  // since the previous call on this shard (or the broker's start)
  std::size_t owned = 0;          // channels this shard handles (see Broker::channel_activity)
  std::vector<ChannelActivity> busiest;
};

/// Limits and retention. Every limit has a default; exceeding one returns a Status or is counted
/// on a metric (docs/pubsub.md, "Limits").
struct Config {
  std::size_t max_subscriptions_per_connection = 1'000;
  std::size_t max_channels_per_shard = 1'000'000;   // channels owned by one shard
  std::size_t max_members_per_channel = 1'000'000;  // online and offline members
  std::size_t max_channel_name_bytes = 128;

  // History retention: the newest `history_keep_messages` are kept whatever their age; older ones
  // are kept while younger than `history_keep_age_us`; never more than `history_max_messages`.
  std::size_t history_keep_messages = 1'000;
  std::int64_t history_keep_age_us = 10LL * 60 * 1'000'000;
  std::size_t history_max_messages = 10'000;
  std::uint64_t history_sweep_interval_ns = 1'000'000'000;  // age trimming of idle channels
  /// All histories of one owner shard together hold at most this many bytes (payload + names +
  /// kHistoryMessageOverheadBytes each); beyond it the shard's oldest messages go first, whatever
  /// their channel. 0 = no budget.
  std::size_t history_max_bytes_per_shard = 128u << 20;
  /// Channels with names starting with one of these (the app's engine channels: user:, cell:,
  /// surge:) keep a short history instead: at most `short_history_max_messages`, none older than
  /// `short_history_max_age_us`.
  std::vector<std::string> short_history_prefixes;
  std::size_t short_history_max_messages = 100;
  std::int64_t short_history_max_age_us = 60LL * 1'000'000;
  /// Personal channels: a channel named this prefix + a user id (the app's `user:<id>`) belongs to
  /// that user. It needs no subscription: each message goes from the owner to the user's home
  /// shard, which hands it to every open connection of the user (DeliverySink::deliver) or, while
  /// the user has none, to the offline queue (pending_notifications_per_user, expiring with
  /// offline_member_ttl_ns), so a connection carries no subscription or channel state for it.
  /// The user is always a member (read cursors work without joining). Empty: no personal channels
  /// (every channel is an ordinary one). A subscription to a personal channel still works but
  /// would receive each message twice for that user: callers do not make one.
  std::string personal_channel_prefix;
  /// A channel with no members (online or offline) and no subscription that has not been
  /// published to for this long is forgotten with its history (its next use starts a new epoch).
  std::uint64_t channel_idle_ttl_ns = 600ULL * 1'000'000'000;

  std::uint64_t presence_flush_interval_ns = 50'000'000;  // join/leave coalescing window
  /// Large channels coalesce longer, so presence cannot swamp them: a channel's window is
  /// presence subscribers x this (at least presence_flush_interval_ns, at most
  /// presence_max_interval_ns), counted from its first unannounced change. 1,000 of them: 500 ms.
  std::uint64_t presence_window_per_subscriber_ns = 500'000;
  std::uint64_t presence_max_interval_ns = 2'000'000'000;
  /// In those larger channels a leave is announced only once the member has stayed offline this
  /// long, so a reconnect (drop, then back within the grace) produces no events at all.
  std::uint64_t presence_leave_grace_ns = 1'000'000'000;
  /// A channel with more online members than this sends no join/leave events, only its member
  /// count, at most once per `presence_count_interval_ns` (per-user events to every member cost
  /// members^2 frames when they all arrive at once).
  std::size_t presence_max_members = 1'000;
  std::uint64_t presence_count_interval_ns = 1'000'000'000;

  std::size_t pending_notifications_per_user = 100;       // offline queue bound (oldest dropped)
  /// Offline delivery (queue or notify) costs O(offline members) per message at their home
  /// shards; false turns it off (members then learn of missed messages from unread counts).
  bool offline_notifications = true;
  /// A member offline (no subscribed connection) for this long stops being a member, and a user
  /// with no open connection for this long loses their offline queue.
  std::uint64_t offline_member_ttl_ns = 3600ULL * 1'000'000'000;
  /// Offline members kept per channel; going beyond ends the membership offline the longest.
  std::size_t max_offline_members_per_channel = 10'000;

  /// Wall clock for message timestamps and history age (tests inject a controllable one). Called
  /// from every shard thread, so it must be thread-safe.
  std::function<std::int64_t()> wall_clock_us = [] { return core::wall_us(); };

  /// Placement override: the owner shard of `channel` (< the executor's shard count), or nullopt
  /// for the default rule, std::hash(channel) % shards. The node uses it to sequence a cell's
  /// live-map channel on the shard that holds the cell's drivers (app/placement.hpp). Called on
  /// every shard for every channel operation: it must be cheap, thread-safe and always give the
  /// same answer for the same channel.
  std::function<std::optional<unsigned>(std::string_view channel)> channel_owner;
};

/// What one retained message counts against Config::history_max_bytes_per_shard besides its
/// payload and names (the record, its reference count block, the log slot).
inline constexpr std::size_t kHistoryMessageOverheadBytes = 160;

}  // namespace hexwire::pubsub
