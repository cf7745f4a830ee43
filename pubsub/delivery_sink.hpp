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

  /// One message of a resume backlog (retained history after the subscriber's `since`, sequenced
  /// before it subscribed) for `connection`, oldest first, before any live message. Returns 1 when
  /// refused, else 0. By default the same as deliver(); a sink that times live fan-out overrides
  /// it, because a replayed message's age is not a fan-out delay.
  virtual std::size_t deliver_backlog(const MessageRef& message,
                                      SubscriberId connection) noexcept {
    return deliver(message, std::span<const SubscriberId>(&connection, 1));
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
