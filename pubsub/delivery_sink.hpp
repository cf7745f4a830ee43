// The one way pubsub talks to connections: app implements DeliverySink on top of net (encode the
// frame once per call, queue the same bytes on every listed connection); tests and benchmarks
// implement it in memory. Every method runs on the shard that owns the listed connections.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "pubsub/types.hpp"

namespace hexwire::pubsub {

class DeliverySink {
 public:
  virtual ~DeliverySink() = default;

  /// A channel message for `subscribers` (connections of the calling shard), once per
  /// (shard, message) of live fan-out. Returns how many of the subscribers refused or dropped it
  /// (slow consumer policy is the sink's; pubsub only counts). Must not block. `subscribers` is
  /// valid only during the call.
  virtual std::size_t deliver(const MessageRef& message,
                              std::span<const SubscriberId> subscribers) noexcept = 0;

  /// The missed messages of a resume (`since`), oldest first, for `subscriber`, right after its
  /// subscribe callback; the channel's live messages follow through deliver(). A sink may send
  /// them as the connection drains rather than at once (a backlog can be far larger than what a
  /// connection may queue), as long as they reach the client before anything handed to it later.
  /// Returns how many it refused. The default delivers them one by one through deliver(); a sink
  /// that times live fan-out overrides it, because a replayed message's age is the subscriber's
  /// gap, not a fan-out delay. A broker hands only a resume backlog here, never live fan-out.
  virtual std::size_t deliver_backlog(SubscriberId subscriber,
                                      std::span<const MessageRef> messages) noexcept {
    std::size_t refused = 0;
    for (const MessageRef& message : messages) {
      refused += deliver(message, std::span<const SubscriberId>(&subscriber, 1));
    }
    return refused;
  }

  /// Coalesced join/leave events of `channel` for its local `subscribers` that asked for presence.
  virtual void presence_changed(std::string_view channel, std::span<const PresenceChange> changes,
                                std::span<const SubscriberId> subscribers) noexcept = 0;

  /// The online member count of a channel too large for per-user events (more online members
  /// than Config::presence_max_members), for its local `subscribers` that asked for presence. At
  /// most once per Config::presence_count_interval_ns per channel, only when it changed.
  virtual void presence_count(std::string_view channel, std::uint64_t count,
                              std::span<const SubscriberId> subscribers) noexcept = 0;

  /// The user of `connections` moved their read cursor of `channel` to `seq` from another
  /// connection (the connection that called mark_read is never listed).
  virtual void read_synced(std::string_view channel, std::uint64_t seq,
                           std::span<const SubscriberId> connections) noexcept = 0;

  /// A message of a channel the user belongs to while none of their connections is subscribed to
  /// it, for the user's open `connections` (a live notification).
  virtual void notify(const MessageRef& message,
                      std::span<const SubscriberId> connections) noexcept = 0;

  /// The offline queue of the user of `connection`, drained when the connection opened: the
  /// queued notifications (oldest first) and how many were dropped by the queue bound.
  virtual void pending_drained(SubscriberId connection, std::span<const MessageRef> pending,
                               std::uint64_t dropped) noexcept = 0;
};

}  // namespace hexwire::pubsub
