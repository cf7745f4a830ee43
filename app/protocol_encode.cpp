// Server->client frames of protocol v1, written field by field into a FrameWriter (no JSON
// library, no intermediate strings). Request ids and message data are raw JSON that the parser
// validated, so they are copied verbatim.
#include "app/protocol_encode.hpp"

#include "app/channel_name.hpp"
#include "app/detail/encode_helpers.hpp"
#include "app/epoch_text.hpp"

namespace hexwire::app {

namespace {
using detail::begin_object;
using detail::channel_field;

/// A kUserEvent's payload is a whole event object: the frame carries it as it is.
core::SharedBuffer encode_event_verbatim(FrameWriter& w, const pubsub::Message& message) {
  w.reset();
  w.raw(message.payload.view());
  return w.finish_text_frame();
}

void epoch_field(FrameWriter& w, std::uint64_t epoch) {
  const auto hex = epoch_to_hex(epoch);
  w.raw(",\"epoch\":\"");
  w.raw(std::string_view(hex.data(), hex.size()));
  w.raw('"');
}

}  // namespace

core::SharedBuffer encode_error(FrameWriter& w, std::string_view id, ErrorCode code,
                                std::initializer_list<std::string_view> message) {
  begin_object(w, "{\"op\":\"error\"", id);
  w.raw(",\"code\":\"");
  w.raw(to_string(code));
  w.raw("\",\"message\":");
  w.string_concat(message);
  w.raw('}');
  return w.finish_text_frame();
}

core::SharedBuffer encode_parse_error(FrameWriter& w, const ParseResult& parsed) {
  const ParseError& error = parsed.error;
  if (error.field.empty()) {
    return encode_error(w, parsed.id, ErrorCode::kBadRequest, {error.text()});
  }
  return encode_error(w, parsed.id, ErrorCode::kBadRequest, {error.text(), " '", error.field, "'"});
}

core::SharedBuffer encode_auth_ok(FrameWriter& w, std::string_view id, std::string_view user) {
  begin_object(w, "{\"op\":\"auth\"", id);
  w.raw(",\"user\":");
  w.string(user);
  w.raw('}');
  return w.finish_text_frame();
}

core::SharedBuffer encode_refresh_ok(FrameWriter& w, std::string_view id, std::int64_t exp_s) {
  begin_object(w, "{\"op\":\"refresh\"", id);
  w.raw(",\"exp\":");
  w.int64(exp_s);
  w.raw('}');
  return w.finish_text_frame();
}

core::SharedBuffer encode_subbed(FrameWriter& w, std::string_view id, std::string_view channel,
                                 std::uint64_t seq, std::uint64_t epoch, bool recovered,
                                 std::uint64_t unread) {
  begin_object(w, "{\"op\":\"subbed\"", id);
  channel_field(w, channel);
  w.raw(",\"seq\":");
  w.uint(seq);
  epoch_field(w, epoch);
  w.raw(",\"recovered\":");
  w.boolean(recovered);
  w.raw(",\"unread\":");
  w.uint(unread);
  w.raw('}');
  return w.finish_text_frame();
}

core::SharedBuffer encode_unsubbed(FrameWriter& w, std::string_view id, std::string_view channel) {
  begin_object(w, "{\"op\":\"unsubbed\"", id);
  channel_field(w, channel);
  w.raw('}');
  return w.finish_text_frame();
}

core::SharedBuffer encode_ack(FrameWriter& w, std::string_view id, std::string_view channel,
                              std::uint64_t seq, std::uint64_t epoch, std::int64_t ts_us) {
  begin_object(w, "{\"op\":\"ack\"", id);
  channel_field(w, channel);
  w.raw(",\"seq\":");
  w.uint(seq);
  epoch_field(w, epoch);
  w.raw(",\"ts\":");
  w.int64(ts_us);
  w.raw('}');
  return w.finish_text_frame();
}

void write_msg_object(FrameWriter& w, const pubsub::Message& message, std::string_view op_literal) {
  w.raw(op_literal);
  channel_field(w, message.channel);
  w.raw(",\"seq\":");
  w.uint(message.seq);
  epoch_field(w, message.epoch);
  w.raw(",\"from\":");
  w.string(message.from);
  w.raw(",\"ts\":");
  w.int64(message.ts_us);
  w.raw(",\"data\":");
  w.raw(message.payload.empty() ? std::string_view("null") : message.payload.view());
  w.raw('}');
}

core::SharedBuffer encode_msg(FrameWriter& w, const pubsub::Message& message) {
  w.reset();
  write_msg_object(w, message);
  return w.finish_text_frame();
}

core::SharedBuffer encode_notify(FrameWriter& w, const pubsub::Message& message) {
  w.reset();
  write_msg_object(w, message, "{\"op\":\"notify\"");
  return w.finish_text_frame();
}

core::SharedBuffer encode_history(FrameWriter& w, std::string_view id, std::string_view channel,
                                  std::uint64_t epoch,
                                  std::span<const pubsub::MessageRef> messages, bool recovered,
                                  std::size_t max_payload_bytes) {
  begin_object(w, "{\"op\":\"history\"", id);
  channel_field(w, channel);
  if (epoch != 0) {
    epoch_field(w, epoch);
  }
  w.raw(",\"messages\":[");
  bool first = true;
  bool more = false;
  for (const pubsub::MessageRef& message : messages) {
    if (!first && w.payload().size() >= max_payload_bytes) {
      more = true;
      break;
    }
    if (!first) {
      w.raw(',');
    }
    first = false;
    write_msg_object(w, *message);
  }
  w.raw("],\"recovered\":");
  w.boolean(recovered);
  if (more) {
    w.raw(",\"more\":true");
  }
  w.raw('}');
  return w.finish_text_frame();
}

core::SharedBuffer encode_presence(FrameWriter& w, std::string_view id, std::string_view channel,
                                   std::span<const std::string> users, std::uint64_t count,
                                   std::string_view cursor) {
  begin_object(w, "{\"op\":\"presence\"", id);
  channel_field(w, channel);
  w.raw(",\"users\":[");
  bool first = true;
  for (const std::string& user : users) {
    if (!first) {
      w.raw(',');
    }
    first = false;
    w.string(user);
  }
  w.raw("],\"count\":");
  w.uint(count);
  if (!cursor.empty()) {
    w.raw(",\"cursor\":");
    w.string(cursor);
  }
  w.raw('}');
  return w.finish_text_frame();
}

core::SharedBuffer encode_presence_count(FrameWriter& w, std::string_view channel,
                                         std::uint64_t count) {
  begin_object(w, "{\"op\":\"presence\"", {});
  channel_field(w, channel);
  w.raw(",\"count\":");
  w.uint(count);
  w.raw('}');
  return w.finish_text_frame();
}

core::SharedBuffer encode_presence_event(FrameWriter& w, std::string_view channel,
                                         std::string_view user, bool joined) {
  begin_object(w, joined ? "{\"op\":\"join\"" : "{\"op\":\"leave\"", {});
  channel_field(w, channel);
  w.raw(",\"user\":");
  w.string(user);
  w.raw('}');
  return w.finish_text_frame();
}

core::SharedBuffer encode_read(FrameWriter& w, std::string_view id, std::string_view channel,
                               std::uint64_t seq) {
  begin_object(w, "{\"op\":\"read\"", id);
  channel_field(w, channel);
  w.raw(",\"seq\":");
  w.uint(seq);
  w.raw('}');
  return w.finish_text_frame();
}

core::SharedBuffer encode_delivery(FrameWriter& w, const pubsub::Message& message) {
  return kind_of(message) == MessageKind::kUserEvent ? encode_event_verbatim(w, message)
                                                     : encode_msg(w, message);
}

core::SharedBuffer encode_notification(FrameWriter& w, const pubsub::Message& message) {
  if (kind_of(message) == MessageKind::kUserEvent) {
    return encode_event_verbatim(w, message);
  }
  return channel_kind(message.channel) == ChannelKind::kUser ? encode_msg(w, message)
                                                             : encode_notify(w, message);
}

namespace {

/// An event carrying one count: {"op":...,"<field>":N} (`op_literal` and `field_literal` are
/// written as they are: `{"op":"x"` and `,"n":`).
core::SharedBuffer encode_count_event(FrameWriter& w, std::string_view op_literal,
                                      std::string_view field_literal, std::uint64_t count) {
  begin_object(w, op_literal, {});
  w.raw(field_literal);
  w.uint(count);
  w.raw('}');
  return w.finish_text_frame();
}

}  // namespace

core::SharedBuffer encode_pending_dropped(FrameWriter& w, std::uint64_t dropped) {
  return encode_count_event(w, "{\"op\":\"pending\"", ",\"dropped\":", dropped);
}

core::SharedBuffer encode_dropped(FrameWriter& w, std::uint64_t count) {
  return encode_count_event(w, "{\"op\":\"dropped\"", ",\"count\":", count);
}

}  // namespace hexwire::app
