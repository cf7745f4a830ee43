// Encoders of every server->client frame of protocol v1 (replies, events, errors). Each writes one
// JSON object into a FrameWriter and returns the finished TEXT frame; `id` is the raw JSON of the
// request id (ParseResult::id), omitted when empty. Field order matches PROTOCOL.md.
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
#include "pubsub/types.hpp"

namespace hexwire::app {

/// {"op":"error","id":ID,"code":CODE,"message":"<pieces...>"}
core::SharedBuffer encode_error(FrameWriter& w, std::string_view id, ErrorCode code,
                                std::initializer_list<std::string_view> message);
/// The error reply for a parse failure: bad_request with "<problem> '<field>'".
core::SharedBuffer encode_parse_error(FrameWriter& w, const ParseResult& parsed);

/// {"op":"auth","id":ID,"user":USER}
core::SharedBuffer encode_auth_ok(FrameWriter& w, std::string_view id, std::string_view user);
/// {"op":"refresh","id":ID,"exp":EXP}: the connection now lives until the new token's exp.
core::SharedBuffer encode_refresh_ok(FrameWriter& w, std::string_view id, std::int64_t exp_s);
/// {"op":"subbed","id":ID,"channel":C,"seq":S,"recovered":B,"unread":U}
core::SharedBuffer encode_subbed(FrameWriter& w, std::string_view id, std::string_view channel,
                                 std::uint64_t seq, bool recovered, std::uint64_t unread);
/// {"op":"unsubbed","id":ID,"channel":C}
core::SharedBuffer encode_unsubbed(FrameWriter& w, std::string_view id, std::string_view channel);
/// {"op":"ack","id":ID,"channel":C,"seq":S,"ts":T}
core::SharedBuffer encode_ack(FrameWriter& w, std::string_view id, std::string_view channel,
                              std::uint64_t seq, std::int64_t ts_us);
/// {"op":"msg","channel":C,"seq":S,"from":U,"ts":T,"data":DATA} (message.payload is raw JSON)
core::SharedBuffer encode_msg(FrameWriter& w, const pubsub::Message& message);
/// {"op":"notify",...same fields as msg...}: a message of a channel the user belongs to but this
/// connection is not subscribed to (live, or from the offline queue on reconnect).
core::SharedBuffer encode_notify(FrameWriter& w, const pubsub::Message& message);
/// Writes the msg object (no frame) into `w` after whatever it holds (history lists).
void write_msg_object(FrameWriter& w, const pubsub::Message& message,
                      std::string_view op_literal = "{\"op\":\"msg\"");
/// {"op":"history","id":ID,"channel":C,"messages":[MSG...],"recovered":B} with the oldest
/// messages first; once the payload passes `max_payload_bytes` (after at least one message) the
/// rest is left out and `"more":true` is added: the client asks again since the last seq it got.
core::SharedBuffer encode_history(FrameWriter& w, std::string_view id, std::string_view channel,
                                  std::span<const pubsub::MessageRef> messages, bool recovered,
                                  std::size_t max_payload_bytes = SIZE_MAX);
/// {"op":"presence","id":ID,"channel":C,"users":[...]}
core::SharedBuffer encode_presence(FrameWriter& w, std::string_view id, std::string_view channel,
                                   std::span<const std::string> users);
/// {"op":"join"|"leave","channel":C,"user":U}
core::SharedBuffer encode_presence_event(FrameWriter& w, std::string_view channel,
                                         std::string_view user, bool joined);
/// {"op":"read","id":ID,"channel":C,"seq":S} (reply), or without id (sync to other connections)
core::SharedBuffer encode_read(FrameWriter& w, std::string_view id, std::string_view channel,
                               std::uint64_t seq);
/// {"op":"pending","dropped":N} sent after an offline queue was drained when it had overflowed.
core::SharedBuffer encode_pending_dropped(FrameWriter& w, std::uint64_t dropped);

}  // namespace hexwire::app
