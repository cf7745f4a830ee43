// Encoders of every server->client frame of protocol v1 (replies, events, errors), and of the
// payloads the app publishes on the router. Each writes one JSON object into a FrameWriter and
// returns the finished TEXT frame (or, for a published payload, the payload bytes); `id` is the raw
// JSON of the request id (ParseResult::id), omitted when empty. Field order matches PROTOCOL.md.
// Chat and pubsub shapes: protocol_encode.cpp; dispatch shapes: protocol_encode_dispatch.cpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>

#include "app/json_writer.hpp"
#include "app/protocol.hpp"
#include "core/shared_buffer.hpp"
#include "geo/dispatch/events.hpp"
#include "geo/hexgrid.hpp"
#include "pubsub/types.hpp"

namespace hexwire::geo {
struct NearbyDriver;  // geo/dispatch/engine.hpp
}

namespace hexwire::app {

/// The kinds of message the app publishes on the router (pubsub::Message::kind), which decide how
/// the /ws sink turns a message into a frame.
enum class MessageKind : pubsub::MessageKind {
  kChat = 0,            ///< a client's pub: delivered as msg (or notify)
  kUserEvent = 1,       ///< a whole server event on user:<id> (offer, trip): sent as it is
  kDriverPosition = 2,  ///< live-map data on cell:<res-7 cell>: delivered as msg
  kSurge = 3,           ///< surge data on surge:<res-7 cell>: delivered as msg
  kTripMap = 4,         ///< a trip's status on its pickup's cell:<res-7 cell>: delivered as msg
};
[[nodiscard]] constexpr pubsub::MessageKind to_pubsub(MessageKind kind) noexcept {
  return static_cast<pubsub::MessageKind>(kind);
}
[[nodiscard]] constexpr MessageKind kind_of(const pubsub::Message& message) noexcept {
  return static_cast<MessageKind>(message.kind);
}

/// {"op":"error","id":ID,"code":CODE,"message":"<pieces...>"}
core::SharedBuffer encode_error(FrameWriter& w, std::string_view id, ErrorCode code,
                                std::initializer_list<std::string_view> message);
/// The error reply for a parse failure: bad_request with "<problem> '<field>'".
core::SharedBuffer encode_parse_error(FrameWriter& w, const ParseResult& parsed);

/// {"op":"auth","id":ID,"user":USER}
core::SharedBuffer encode_auth_ok(FrameWriter& w, std::string_view id, std::string_view user);
/// {"op":"refresh","id":ID,"exp":EXP}: the connection now lives until the new token's exp.
core::SharedBuffer encode_refresh_ok(FrameWriter& w, std::string_view id, std::int64_t exp_s);
/// {"op":"subbed","id":ID,"channel":C,"seq":S,"epoch":E,"recovered":B,"unread":U}
core::SharedBuffer encode_subbed(FrameWriter& w, std::string_view id, std::string_view channel,
                                 std::uint64_t seq, std::uint64_t epoch, bool recovered,
                                 std::uint64_t unread);
/// {"op":"unsubbed","id":ID,"channel":C}
core::SharedBuffer encode_unsubbed(FrameWriter& w, std::string_view id, std::string_view channel);
/// {"op":"ack","id":ID,"channel":C,"seq":S,"epoch":E,"ts":T}
core::SharedBuffer encode_ack(FrameWriter& w, std::string_view id, std::string_view channel,
                              std::uint64_t seq, std::uint64_t epoch, std::int64_t ts_us);
/// {"op":"msg","channel":C,"seq":S,"epoch":E,"from":U,"ts":T,"data":DATA} (payload is raw JSON).
/// E is the channel epoch as 16 hex digits (app/epoch_text.hpp).
core::SharedBuffer encode_msg(FrameWriter& w, const pubsub::Message& message);
/// {"op":"notify",...same fields as msg...}: a message of a channel the user belongs to but this
/// connection is not subscribed to (live, or from the offline queue on reconnect).
core::SharedBuffer encode_notify(FrameWriter& w, const pubsub::Message& message);
/// Writes the msg object (no frame) into `w` after whatever it holds (history lists).
void write_msg_object(FrameWriter& w, const pubsub::Message& message,
                      std::string_view op_literal = "{\"op\":\"msg\"");
/// {"op":"history","id":ID,"channel":C,"epoch":E,"messages":[MSG...],"recovered":B} with the
/// oldest messages first (no epoch when it is 0: the channel has no state); once the payload
/// passes `max_payload_bytes` (after at least one message) the rest is left out and
/// `"more":true` is added: the client asks again since the last seq it got.
core::SharedBuffer encode_history(FrameWriter& w, std::string_view id, std::string_view channel,
                                  std::uint64_t epoch,
                                  std::span<const pubsub::MessageRef> messages, bool recovered,
                                  std::size_t max_payload_bytes = SIZE_MAX);
/// {"op":"presence","id":ID,"channel":C,"users":[...],"count":N[,"cursor":CURSOR]}: one page of
/// the online members, their total count, and the cursor of the next page when there is one.
core::SharedBuffer encode_presence(FrameWriter& w, std::string_view id, std::string_view channel,
                                   std::span<const std::string> users, std::uint64_t count,
                                   std::string_view cursor);
/// {"op":"presence","channel":C,"count":N}: the member count event of a large channel.
core::SharedBuffer encode_presence_count(FrameWriter& w, std::string_view channel,
                                         std::uint64_t count);
/// {"op":"join"|"leave","channel":C,"user":U}
core::SharedBuffer encode_presence_event(FrameWriter& w, std::string_view channel,
                                         std::string_view user, bool joined);
/// {"op":"read","id":ID,"channel":C,"seq":S} (reply), or without id (sync to other connections)
core::SharedBuffer encode_read(FrameWriter& w, std::string_view id, std::string_view channel,
                               std::uint64_t seq);
/// {"op":"pending","dropped":N} sent after an offline queue was drained when it had overflowed.
core::SharedBuffer encode_pending_dropped(FrameWriter& w, std::uint64_t dropped);
/// {"op":"dropped","count":N}: N events before this point were dropped because the connection
/// read too slowly (--ws-slow-policy drop).
core::SharedBuffer encode_dropped(FrameWriter& w, std::uint64_t count);

/// The frame of a message for its live subscribers: a kUserEvent's payload as it is, any other
/// kind as msg.
core::SharedBuffer encode_delivery(FrameWriter& w, const pubsub::Message& message);
/// The frame of a message for a member's connections that are not subscribed to its channel (live
/// or drained from the offline queue): a kUserEvent's payload as it is; a message of the user's
/// own `user:<id>` channel as msg; any other as notify (so a later resume with `since` never shows
/// the client the same msg twice).
core::SharedBuffer encode_notification(FrameWriter& w, const pubsub::Message& message);

// ---- dispatch (docs/dispatch-protocol.md; protocol_encode_dispatch.cpp) ----

/// Payload of an offer event for user:<driver>:
/// {"op":"offer","trip":T,"pickup":{"lat":..,"lng":..},"eta_s":..,"expires_ms":..}
core::SharedBuffer encode_offer_payload(FrameWriter& w, std::string_view trip,
                                        geo::LatLngDeg pickup, double eta_s,
                                        std::uint32_t expires_ms);
/// Payload of a trip event for user:<rider> and user:<driver>: {"op":"trip","trip":T,"status":S,
/// "rider":R[,"driver":D,"eta_s":..],"surge":..,"fare":..,"ts":..}
core::SharedBuffer encode_trip_event_payload(FrameWriter& w, const geo::TripEvent& event);
/// msg data on cell:<res-7 cell of the pickup> for every trip status change, without the rider:
/// {"trip":T,"status":S[,"driver":D],"pickup":{"lat":..,"lng":..},
/// "destination":{"lat":..,"lng":..},"ts":..}
core::SharedBuffer encode_trip_map_payload(FrameWriter& w, const geo::TripEvent& event);
/// msg data on cell:<res-7 cell>: {"driver":D,"lat":..,"lng":..,"heading":..}
core::SharedBuffer encode_driver_position_payload(FrameWriter& w, std::string_view driver,
                                                  double lat_deg, double lng_deg,
                                                  double heading_deg);
/// msg data on surge:<res-7 cell>: {"multiplier":..,"supply":..,"demand":..}
core::SharedBuffer encode_surge_payload(FrameWriter& w, double multiplier, std::uint32_t supply,
                                        std::uint32_t demand);

/// {"op":"loc","id":ID,"cell":"<hex>"} for an accepted fix, {"op":"loc","id":ID,"held":true} for
/// one held back as an implausible jump (cell 0).
core::SharedBuffer encode_loc_reply(FrameWriter& w, std::string_view id, geo::CellId cell);
/// {"op":"nearby","id":ID,"drivers":[{"driver":D,"lat":..,"lng":..,"dist_m":..,"eta_s":..}...]}
core::SharedBuffer encode_nearby_reply(FrameWriter& w, std::string_view id,
                                       std::span<const geo::NearbyDriver> drivers);
/// {"op":"ride","id":ID,"trip":T,"status":"requested","surge":..,"fare":..}
core::SharedBuffer encode_ride_reply(FrameWriter& w, std::string_view id, std::string_view trip,
                                     double surge, double fare);
/// {"op":"accept"|"decline","id":ID,"trip":T}
core::SharedBuffer encode_offer_answer(FrameWriter& w, std::string_view id, bool accepted,
                                       std::string_view trip);
/// {"op":"trip","id":ID,"trip":T,"action":A}
core::SharedBuffer encode_trip_action_reply(FrameWriter& w, std::string_view id,
                                            std::string_view trip, std::string_view action);

}  // namespace hexwire::app
