// ChannelStore: the typed, asynchronous face of a channel's state in Redis (scripts in
// channel_scripts.cpp, keys in channel_keys.hpp). One per shard, on that shard's RedisClient;
// every callback runs later on the same shard, exactly once. Also the parser of the frames the
// publish and presence scripts send to the nodes on the channel's shard pub/sub channel.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/unique_function.hpp"
#include "redis/client.hpp"
#include "scaleout/channel_keys.hpp"

namespace hexwire::scaleout {

/// Bounds and lifetimes of what the store keeps in Redis (docs/scale-out.md, "Redis keys").
struct ChannelLimits {
  std::string prefix = "hw";                         // key namespace
  std::size_t history_max_messages = 10'000;         // stream MAXLEN ~ (approximate trim)
  std::uint64_t channel_ttl_ms = 24ull * 3'600'000;  // keys expire this long after last use
  std::uint64_t offline_member_ttl_ms = 3'600'000;   // offline membership ends after this
  std::size_t max_offline_members = 10'000;          // per channel; longest-away evicted first
  std::size_t max_members = 1'000'000;               // per channel: channel_full beyond
  std::size_t max_backlog = 10'000;                  // resume replays at most this many
};

enum class StoreStatus : std::uint8_t {
  kOk,
  kUnavailable,  // Redis did not answer (down, timeout, connection lost: a write may have run)
  kChannelFull,  // open: max_members reached
  kNotMember,    // mark_read by a user who is not a member
  kError,        // Redis answered with an error (logged): a bug or a misconfigured server
};
[[nodiscard]] std::string_view to_string(StoreStatus status) noexcept;

/// One message as Redis keeps it.
struct StoredMessage {
  std::uint64_t seq = 0;
  std::int64_t ts_us = 0;
  std::string from;
  std::uint8_t kind = 0;  // the publisher's label (pubsub::MessageKind), stored as it is
  std::string data;
};

/// Epochs travel as 16 lower-case hex digits; 0 is never an epoch.
[[nodiscard]] std::string epoch_text(std::uint64_t epoch);
[[nodiscard]] std::uint64_t parse_epoch_text(std::string_view text) noexcept;  // 0 if malformed

struct PublishResult {
  StoreStatus status = StoreStatus::kOk;
  std::uint64_t seq = 0;
  std::uint64_t epoch = 0;
  std::int64_t ts_us = 0;
};

struct OpenRequest {
  std::string_view user;
  std::optional<std::uint64_t> since;
  std::uint64_t since_epoch = 0;  // 0: trust `since` whatever the epoch
  bool join = true;               // become a member (the protocol's sub does)
};

struct OpenResult {
  StoreStatus status = StoreStatus::kOk;
  std::uint64_t seq = 0;  // the channel's last seq when the read ran
  std::uint64_t epoch = 0;
  bool recovered = true;
  std::uint64_t unread = 0;
  bool joined = false;                 // the user became a member with this call
  std::vector<StoredMessage> backlog;  // (since, seq], oldest first
};

struct RangeResult {
  StoreStatus status = StoreStatus::kOk;
  std::uint64_t last_seq = 0;
  std::uint64_t epoch = 0;  // 0: Redis holds no such channel
  bool recovered = true;
  std::vector<StoredMessage> messages;  // oldest first
};

struct ReadCursorResult {
  StoreStatus status = StoreStatus::kOk;
  std::uint64_t cursor = 0;
  std::uint64_t unread = 0;
  bool moved = false;  // the cursor moved forward
};

enum class PresenceKind : std::uint8_t { kOnline, kOffline, kLeave };

struct PresenceUpdate {
  StoreStatus status = StoreStatus::kOk;
  bool changed = false;  // a global join/leave was published
  std::uint64_t online = 0;
};

struct PresencePage {
  StoreStatus status = StoreStatus::kOk;
  std::uint64_t online = 0;
  std::vector<std::string> users;  // in name order
};

struct OfflineDrain {
  StoreStatus status = StoreStatus::kOk;
  std::uint64_t epoch = 0;   // 0: not a member of a live channel
  std::uint64_t seq = 0;     // the channel's seq when read (drained: the notified seq now)
  bool drained = false;      // false: a member, but no offline queue yet (online on some node) or
                             // DrainMode::kCheck; `missed` and `newest` are then empty
  std::uint64_t missed = 0;  // messages by others since the user was last notified (exact up to
                             // 1,000 missed per channel; beyond, the user's own older ones count)
  std::vector<StoredMessage> newest;  // newest first, without the user's own
};

/// A frame received on a channel's shard pub/sub channel.
struct ChannelFrame {
  enum class Kind : std::uint8_t { kMessage, kJoin, kLeave } kind = Kind::kMessage;
  std::uint64_t epoch = 0;   // message
  StoredMessage message;     // message (data is a view copy)
  std::string user;          // join / leave
  std::uint64_t online = 0;  // join / leave: online members after the change
};
/// False for a frame this version does not understand (counted and dropped by the caller).
[[nodiscard]] bool parse_channel_frame(std::string_view payload, ChannelFrame* out);

/// Where publish_personal() sends a personal channel's message: the inbox of every node in the
/// user's node hash (`nodes_key`); the user is offline while none of them is in `live_key`.
struct PersonalRoute {
  std::string_view user;
  std::string_view nodes_key;     // hash: node id -> 1 for every node holding the user
  std::string_view live_key;      // zset of live node ids (NodeRegistry)
  std::string_view inbox_prefix;  // a node's inbox is inbox_prefix + node id + "}:in"
};

class ChannelStore {
 public:
  template <typename Result>
  using Callback = core::UniqueFunction<void(Result&&)>;

  ChannelStore(redis::RedisClient& client, ChannelLimits limits);

  /// Sequences and stores one message, then publishes it to the nodes. `new_epoch` is used only
  /// when the channel does not exist in Redis yet.
  void publish(std::string_view channel, std::string_view from, std::string_view data,
               std::uint8_t kind, std::uint64_t new_epoch, Callback<PublishResult> done);
  /// publish() of a personal channel, also sent to its user's nodes (scripts::publish_personal).
  /// Needs a single Redis server: the route's keys are in other slots than the channel's.
  void publish_personal(std::string_view channel, const PersonalRoute& route,
                        std::string_view from, std::string_view data, std::uint8_t kind,
                        std::uint64_t new_epoch, Callback<PublishResult> done);
  void open(std::string_view channel, const OpenRequest& request, std::uint64_t new_epoch,
            Callback<OpenResult> done);
  /// Up to `limit` messages with seq > since (and <= until when given), oldest first.
  void range(std::string_view channel, std::uint64_t since, std::uint64_t since_epoch,
             std::size_t limit, std::optional<std::uint64_t> until, Callback<RangeResult> done);
  /// `personal`: the channel is `user`'s personal channel, where they are always a member.
  void mark_read(std::string_view channel, std::string_view user, std::uint64_t seq,
                 Callback<ReadCursorResult> done, bool personal = false);
  /// `seen` (kOffline): the last seq this node handed the user in the channel's current epoch;
  /// the offline queue starts after it (nullopt: after the channel's last seq).
  void presence(std::string_view channel, std::string_view user, std::string_view node,
                PresenceKind kind, Callback<PresenceUpdate> done,
                std::optional<std::uint64_t> seen = std::nullopt);
  void presence_page(std::string_view channel, std::string_view after, std::size_t limit,
                     Callback<PresencePage> done);
  void node_gone(std::string_view channel, std::string_view node, Callback<StoreStatus> done);
  /// kDrain reads the newest `limit` messages an offline member missed up to `until` (nullopt: the
  /// channel's last seq) and moves their notified seq there; kCheck only says whether the user is
  /// still a member.
  enum class DrainMode : std::uint8_t { kDrain, kCheck };
  void drain_offline(std::string_view channel, std::string_view user, std::size_t limit,
                     DrainMode mode, std::optional<std::uint64_t> until,
                     Callback<OfflineDrain> done);
  /// Records that an offline member was notified live of everything up to `seq`.
  void mark_notified(std::string_view channel, std::string_view user, std::uint64_t seq,
                     Callback<StoreStatus> done);

  [[nodiscard]] const ChannelLimits& limits() const noexcept { return limits_; }
  [[nodiscard]] redis::RedisClient& client() noexcept { return client_; }
  /// The shard pub/sub channel of `channel` (what nodes SSUBSCRIBE to).
  [[nodiscard]] std::string shard_channel(std::string_view channel) const;

 private:
  template <typename Parse>
  void run(const redis::Script& script, std::string_view channel,
           std::initializer_list<std::string_view> args, Parse parse,
           std::initializer_list<std::string_view> extra_keys = {});

  redis::RedisClient& client_;
  ChannelLimits limits_;
};

}  // namespace hexwire::scaleout
