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

struct SubscribeResult {
  Status status = Status::kOk;
  std::uint64_t seq = 0;     // the channel's last seq when the subscription took effect
  bool recovered = true;     // false: history no longer reaches back to `since` (client reloads)
  std::uint64_t unread = 0;  // seq - the user's read cursor, at most the retained history
  std::size_t backlog = 0;   // how many missed messages follow (delivered right after)
};

struct PublishAck {
  Status status = Status::kOk;
  std::uint64_t seq = 0;
  std::int64_t ts_us = 0;
};

struct HistoryResult {
  Status status = Status::kOk;
  std::vector<MessageRef> messages;  // seq ascending, all with seq > since
  bool recovered = true;             // false: messages after `since` were already trimmed
  std::uint64_t last_seq = 0;
};

struct PresenceResult {
  Status status = Status::kOk;
  std::vector<std::string> users;  // online members (at least one subscribed connection), sorted
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

/// Limits and retention. Every limit has a default; exceeding one returns a Status.
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

  std::uint64_t presence_flush_interval_ns = 50'000'000;  // join/leave coalescing window
  /// Large channels coalesce longer, so presence cannot swamp them: a channel's window is
  /// subscribers x this (at least presence_flush_interval_ns, at most presence_max_interval_ns),
  /// counted from its first unannounced change. 1,000 subscribers: 500 ms.
  std::uint64_t presence_window_per_subscriber_ns = 500'000;
  std::uint64_t presence_max_interval_ns = 2'000'000'000;
  /// In those larger channels a leave is announced only once the member has stayed offline this
  /// long, so a reconnect (drop, then back within the grace) produces no events at all.
  std::uint64_t presence_leave_grace_ns = 1'000'000'000;
  std::size_t pending_notifications_per_user = 100;       // offline queue bound (oldest dropped)
  /// Offline delivery (queue or notify) costs O(offline members) per message at their home
  /// shards; false turns it off (members then learn of missed messages from unread counts).
  bool offline_notifications = true;

  /// Wall clock for message timestamps and history age (tests inject a controllable one). Called
  /// from every shard thread, so it must be thread-safe.
  std::function<std::int64_t()> wall_clock_us = [] { return core::wall_us(); };
};

}  // namespace hexwire::pubsub
