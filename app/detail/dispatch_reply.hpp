// Replies of the dispatch ops (private to app/dispatch_ops*.cpp): the same frames whether the op
// ran on this node's engine or was forwarded to the node owning its region or trip.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "app/protocol.hpp"
#include "app/ws_app.hpp"
#include "app/ws_app_state.hpp"
#include "geo/dispatch/engine.hpp"

namespace hexwire::app::detail {

/// What replies need after the engine (or another node) answered: the connection may be gone.
struct ReplyTo {
  WsShards* shards;
  pubsub::SubscriberId connection;
  std::string id;

  [[nodiscard]] WsConnection* find() const noexcept { return shards->find(connection); }
  /// The writer of the shard the reply is sent from.
  [[nodiscard]] FrameWriter& writer() const noexcept { return shards->here().writer; }
};

[[nodiscard]] ErrorCode error_code_of(geo::DispatchError error) noexcept;
[[nodiscard]] geo::TripAction geo_action(TripAction action) noexcept;
/// Replies to dispatch ops (never dropped by the slow-consumer policy).
void send(WsConnection& c, core::SharedBuffer frame) noexcept;
void send_error(WsShards& shards, WsConnection& c, std::string_view id, ErrorCode code,
                std::initializer_list<std::string_view> message);

void reply_location(const ReplyTo& reply, geo::LocationReply r);
void reply_nearby(const ReplyTo& reply, geo::DispatchError error,
                  const std::vector<geo::NearbyDriver>& drivers);
void reply_ride(const ReplyTo& reply, const geo::RideReply& r);
void reply_offer_answer(const ReplyTo& reply, std::string_view trip, bool accepted,
                        geo::DispatchError error);
void reply_trip_action(const ReplyTo& reply, std::string_view trip, TripAction action,
                       geo::DispatchError error);
/// `unavailable`: the node owning the op's `what` (region, trip) did not answer in time.
void reply_unavailable(const ReplyTo& reply, std::string_view what);

}  // namespace hexwire::app::detail
