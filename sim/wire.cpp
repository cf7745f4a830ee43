// Client-side protocol v1: request builders and the server frame parser (simdjson On-Demand).
#include "sim/wire.hpp"

#include <fmt/format.h>
#include <simdjson.h>

#include <charconv>
#include <iterator>

#include "core/json_string.hpp"

namespace hexwire::sim {
namespace {

using core::append_json_string;

void append_indexed(std::string& out, char prefix, std::uint32_t index) {
  out.push_back(prefix);
  fmt::format_to(std::back_inserter(out), "{}", index);
}

void append_head(std::string& out, std::string_view op, std::uint64_t id) {
  fmt::format_to(std::back_inserter(out), "{{\"op\":\"{}\",\"id\":{}", op, id);
}

struct OpName {
  std::string_view name;
  ServerOp op;
};
constexpr OpName kOps[] = {
    {"auth", ServerOp::kAuth},         {"subbed", ServerOp::kSubbed},
    {"unsubbed", ServerOp::kUnsubbed}, {"ack", ServerOp::kAck},
    {"msg", ServerOp::kMsg},           {"error", ServerOp::kError},
    {"loc", ServerOp::kLoc},           {"nearby", ServerOp::kNearby},
    {"ride", ServerOp::kRide},         {"offer", ServerOp::kOffer},
    {"accept", ServerOp::kAccept},     {"decline", ServerOp::kDecline},
    {"trip", ServerOp::kTrip},         {"join", ServerOp::kJoin},
    {"leave", ServerOp::kLeave},       {"read", ServerOp::kRead},
    {"presence", ServerOp::kPresence}, {"history", ServerOp::kHistory},
};

/// An epoch as the engine writes it: 1 to 16 hex digits. False for anything else.
bool parse_epoch(std::string_view text, std::uint64_t& out) noexcept {
  if (text.empty() || text.size() > 16) {
    return false;
  }
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out, 16);
  return error == std::errc{} && end == text.data() + text.size();
}

ServerOp op_from_name(std::string_view name) noexcept {
  for (const OpName& entry : kOps) {
    if (entry.name == name) {
      return entry.op;
    }
  }
  return ServerOp::kUnknown;
}

}  // namespace

void append_user_name(std::string& out, std::uint32_t index) {
  append_indexed(out, 'u', index);
}
void append_driver_name(std::string& out, std::uint32_t index) {
  append_indexed(out, 'd', index);
}
void append_rider_name(std::string& out, std::uint32_t index) {
  append_indexed(out, 'r', index);
}
void append_channel_name(std::string& out, std::uint32_t index) {
  append_indexed(out, 'c', index);
}

std::optional<std::uint32_t> parse_indexed_name(std::string_view name, char prefix) noexcept {
  if (name.size() < 2 || name[0] != prefix || (name[1] == '0' && name.size() > 2)) {
    return std::nullopt;
  }
  std::uint32_t index = 0;
  const auto [end, error] = std::from_chars(name.data() + 1, name.data() + name.size(), index);
  if (error != std::errc{} || end != name.data() + name.size()) {
    return std::nullopt;
  }
  return index;
}

void encode_auth(std::string& out, std::uint64_t id, std::string_view user, std::string_view role) {
  append_head(out, "auth", id);
  out += ",\"user\":";
  append_json_string(out, user);
  if (!role.empty()) {
    out += ",\"role\":";
    append_json_string(out, role);
  }
  out.push_back('}');
}

void encode_auth_token(std::string& out, std::uint64_t id, std::string_view token) {
  append_head(out, "auth", id);
  out += ",\"token\":";
  append_json_string(out, token);
  out.push_back('}');
}

void encode_sub(std::string& out, std::uint64_t id, std::string_view channel,
                const SubOptions& options) {
  append_head(out, "sub", id);
  out += ",\"channel\":";
  append_json_string(out, channel);
  if (options.since) {
    fmt::format_to(std::back_inserter(out), ",\"since\":{}", *options.since);
    if (options.epoch != 0) {
      fmt::format_to(std::back_inserter(out), ",\"epoch\":\"{:016x}\"", options.epoch);
    }
  }
  if (options.presence) {
    out += ",\"presence\":true";
  }
  out.push_back('}');
}

void encode_unsub(std::string& out, std::uint64_t id, std::string_view channel) {
  append_head(out, "unsub", id);
  out += ",\"channel\":";
  append_json_string(out, channel);
  out.push_back('}');
}

void encode_pub(std::string& out, std::uint64_t id, std::string_view channel, const Probe& probe,
                std::size_t data_size) {
  append_head(out, "pub", id);
  out += ",\"channel\":";
  append_json_string(out, channel);
  out += ",\"data\":";
  write_probe_json(probe, data_size, out);
  out.push_back('}');
}

void encode_pub_json(std::string& out, std::uint64_t id, std::string_view channel,
                     std::string_view data_json) {
  append_head(out, "pub", id);
  out += ",\"channel\":";
  append_json_string(out, channel);
  out += ",\"data\":";
  out += data_json;
  out.push_back('}');
}

void encode_loc(std::string& out, double lat, double lng, double heading_deg, double speed_mps,
                bool available) {
  fmt::format_to(std::back_inserter(out),
                 "{{\"op\":\"loc\",\"lat\":{:.6f},\"lng\":{:.6f},\"heading\":{:.1f},"
                 "\"speed_mps\":{:.2f},\"available\":{}}}",
                 lat, lng, heading_deg, speed_mps, available ? "true" : "false");
}

void encode_ride(std::string& out, std::uint64_t id, double lat, double lng, double dest_lat,
                 double dest_lng) {
  append_head(out, "ride", id);
  fmt::format_to(std::back_inserter(out),
                 ",\"lat\":{:.6f},\"lng\":{:.6f},\"dest_lat\":{:.6f},\"dest_lng\":{:.6f}}}", lat,
                 lng, dest_lat, dest_lng);
}

void encode_offer_reply(std::string& out, std::uint64_t id, std::string_view trip, bool accept) {
  append_head(out, accept ? "accept" : "decline", id);
  out += ",\"trip\":";
  append_json_string(out, trip);
  out.push_back('}');
}

std::string_view to_string(TripAction action) noexcept {
  switch (action) {
    case TripAction::kArrive:
      return "arrive";
    case TripAction::kStart:
      return "start";
    case TripAction::kComplete:
      return "complete";
    case TripAction::kCancel:
      break;
  }
  return "cancel";
}

void encode_trip_action(std::string& out, std::uint64_t id, std::string_view trip,
                        std::string_view action) {
  append_head(out, "trip", id);
  out += ",\"trip\":";
  append_json_string(out, trip);
  out += ",\"action\":";
  append_json_string(out, action);
  out.push_back('}');
}

std::string_view to_string(ServerOp op) noexcept {
  for (const OpName& entry : kOps) {
    if (entry.op == op) {
      return entry.name;
    }
  }
  return "unknown";
}

void ServerEvent::reset() noexcept {
  op = ServerOp::kUnknown;
  has_id = false;
  id = 0;
  channel.clear();
  seq = 0;
  epoch = 0;
  has_epoch = false;
  count = 0;
  ts_us = 0;
  recovered = true;
  from.clear();
  user.clear();
  probe.reset();
  has_data = false;
  data_text.clear();
  trip.clear();
  status.clear();
  driver.clear();
  code.clear();
  message.clear();
  surge = 0.0;
}

struct ServerFrameParser::State {
  simdjson::ondemand::parser parser;
  std::string buffer;  // frame copy with simdjson's required padding
};

ServerFrameParser::ServerFrameParser() : state_(std::make_unique<State>()) {}
ServerFrameParser::~ServerFrameParser() = default;
ServerFrameParser::ServerFrameParser(ServerFrameParser&&) noexcept = default;
ServerFrameParser& ServerFrameParser::operator=(ServerFrameParser&&) noexcept = default;

ParseStatus ServerFrameParser::parse(std::string_view frame, ServerEvent& event) {
  event.reset();
  std::string& buffer = state_->buffer;
  if (buffer.capacity() < frame.size() + simdjson::SIMDJSON_PADDING) {
    buffer.reserve(frame.size() + simdjson::SIMDJSON_PADDING);
  }
  buffer.assign(frame.data(), frame.size());
  const simdjson::padded_string_view view(buffer.data(), buffer.size(), buffer.capacity());

  simdjson::ondemand::document doc;
  if (state_->parser.iterate(view).get(doc) != simdjson::SUCCESS) {
    return ParseStatus::kNotJson;
  }
  simdjson::ondemand::object object;
  if (doc.get_object().get(object) != simdjson::SUCCESS) {
    return ParseStatus::kNotAnObject;
  }
  bool has_op = false;
  for (auto field : object) {
    std::string_view key;
    if (field.unescaped_key().get(key) != simdjson::SUCCESS) {
      return ParseStatus::kNotJson;
    }
    simdjson::ondemand::value value;
    if (field.value().get(value) != simdjson::SUCCESS) {
      return ParseStatus::kNotJson;
    }
    std::string_view text;
    const auto string_into = [&](std::string& target) {
      if (value.get_string().get(text) == simdjson::SUCCESS) {
        target.assign(text);
      }
    };
    if (key == "op") {
      if (value.get_string().get(text) == simdjson::SUCCESS) {
        event.op = op_from_name(text);
        has_op = true;
      }
    } else if (key == "id") {
      event.has_id = value.get_uint64().get(event.id) == simdjson::SUCCESS;
    } else if (key == "channel") {
      string_into(event.channel);
    } else if (key == "seq") {
      (void)value.get_uint64().get(event.seq);
    } else if (key == "epoch") {
      event.has_epoch = value.get_string().get(text) == simdjson::SUCCESS &&
                        parse_epoch(text, event.epoch);
      if (!event.has_epoch) {
        event.epoch = 0;
      }
    } else if (key == "count") {
      (void)value.get_uint64().get(event.count);
    } else if (key == "ts") {
      (void)value.get_int64().get(event.ts_us);
    } else if (key == "recovered") {
      (void)value.get_bool().get(event.recovered);
    } else if (key == "from") {
      string_into(event.from);
    } else if (key == "user") {
      string_into(event.user);
    } else if (key == "data") {
      event.has_data = true;
      if (value.get_string().get(text) == simdjson::SUCCESS) {
        event.probe = read_probe_text(text);
        if (!event.probe) {
          event.data_text.assign(text);
        }
      }
    } else if (key == "trip") {
      string_into(event.trip);
    } else if (key == "status") {
      string_into(event.status);
    } else if (key == "driver") {
      string_into(event.driver);
    } else if (key == "code") {
      string_into(event.code);
    } else if (key == "message") {
      string_into(event.message);
    } else if (key == "surge") {
      (void)value.get_double().get(event.surge);
    }
  }
  return has_op ? ParseStatus::kOk : ParseStatus::kNoOp;
}

}  // namespace hexwire::sim
