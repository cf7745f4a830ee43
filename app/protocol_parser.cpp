// OpParser: one pass of simdjson On-Demand over the message's object collects the known fields
// (each field name has one JSON type in protocol v1), then the op's required fields are checked.
// `data` is validated by walking it once and kept as the raw JSON span between its first byte and
// the next token, so a publication is forwarded byte for byte without re-serialising.
#include <simdjson.h>

#include <array>
#include <cmath>
#include <cstring>
#include <new>
#include <vector>

#include "app/channel_name.hpp"
#include "app/protocol.hpp"

namespace hexwire::app {

namespace od = simdjson::ondemand;

namespace {

enum Field : std::uint8_t {
  kOp, kId, kChannel, kSince, kLimit, kSeq, kData, kToken, kUser, kLat, kLng, kDestLat, kDestLng,
  kHeading, kSpeed, kAvailable, kK, kTrip, kAction, kFieldCount
};
constexpr std::array<std::string_view, kFieldCount> kFieldNames = {
    "op", "id", "channel", "since", "limit", "seq", "data", "token", "user", "lat", "lng",
    "dest_lat", "dest_lng", "heading", "speed_mps", "available", "k", "trip", "action"};

enum class FieldType : std::uint8_t { kString, kUint, kDouble, kBool, kRawJson, kId };
constexpr std::array<FieldType, kFieldCount> kFieldTypes = {
    FieldType::kString, FieldType::kId,     FieldType::kString, FieldType::kUint,
    FieldType::kUint,   FieldType::kUint,   FieldType::kRawJson, FieldType::kString,
    FieldType::kString, FieldType::kDouble, FieldType::kDouble, FieldType::kDouble,
    FieldType::kDouble, FieldType::kDouble, FieldType::kDouble, FieldType::kBool,
    FieldType::kUint,   FieldType::kString, FieldType::kString};

int field_index(std::string_view key) noexcept {
  for (std::size_t i = 0; i < kFieldNames.size(); ++i) {
    if (kFieldNames[i] == key) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

struct FieldValue {
  std::string_view text;  // strings, raw JSON, id
  std::uint64_t uint = 0;
  double number = 0;
  bool flag = false;
};

struct Fields {
  std::uint32_t present = 0;
  std::array<FieldValue, kFieldCount> values;
  [[nodiscard]] bool has(Field f) const noexcept { return (present >> f) & 1u; }
  void set(Field f) noexcept { present |= 1u << f; }
};

bool is_json_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string_view trim_right(std::string_view s) noexcept {
  while (!s.empty() && is_json_space(s.back())) {
    s.remove_suffix(1);
  }
  return s;
}

bool is_type_error(simdjson::error_code e) noexcept {
  return e == simdjson::INCORRECT_TYPE || e == simdjson::NUMBER_OUT_OF_RANGE ||
         e == simdjson::NUMBER_ERROR;
}

/// Walks `value` fully, so every string escape, number and literal inside is checked.
simdjson::error_code validate_value(od::value value, std::size_t depth, bool& too_deep) noexcept {
  od::json_type type;
  if (auto e = value.type().get(type)) {
    return e;
  }
  switch (type) {
    case od::json_type::object: {
      if (depth >= OpParser::kMaxDataDepth) {
        too_deep = true;
        return simdjson::DEPTH_ERROR;
      }
      od::object object;
      if (auto e = value.get_object().get(object)) {
        return e;
      }
      for (auto field : object) {
        std::string_view key;
        if (auto e = field.unescaped_key().get(key)) {
          return e;
        }
        od::value child;
        if (auto e = field.value().get(child)) {
          return e;
        }
        if (auto e = validate_value(child, depth + 1, too_deep)) {
          return e;
        }
      }
      return simdjson::SUCCESS;
    }
    case od::json_type::array: {
      if (depth >= OpParser::kMaxDataDepth) {
        too_deep = true;
        return simdjson::DEPTH_ERROR;
      }
      od::array array;
      if (auto e = value.get_array().get(array)) {
        return e;
      }
      for (auto element : array) {
        od::value child;
        if (auto e = element.get(child)) {
          return e;
        }
        if (auto e = validate_value(child, depth + 1, too_deep)) {
          return e;
        }
      }
      return simdjson::SUCCESS;
    }
    case od::json_type::string: {
      std::string_view s;
      return value.get_string().get(s);
    }
    case od::json_type::number: {
      od::number n;
      return value.get_number().get(n);
    }
    case od::json_type::boolean: {
      bool b;
      return value.get_bool().get(b);
    }
    case od::json_type::null: {
      bool is_null = false;
      if (auto e = value.is_null().get(is_null)) {
        return e;
      }
      return is_null ? simdjson::SUCCESS : simdjson::N_ATOM_ERROR;
    }
  }
  return simdjson::TAPE_ERROR;
}

}  // namespace

struct OpParser::State {
  od::parser parser;
  std::vector<char> padded;  // message copy followed by SIMDJSON_PADDING bytes
  od::document document;
};

OpParser::OpParser(std::size_t expected_max_bytes) : state_(std::make_unique<State>()) {
  state_->padded.resize(expected_max_bytes + simdjson::SIMDJSON_PADDING);
  if (state_->parser.allocate(expected_max_bytes) != simdjson::SUCCESS) {
    throw std::bad_alloc();
  }
}

OpParser::~OpParser() = default;

namespace {

struct Walk {
  ParseResult& result;
  Fields& fields;
  od::document& document;

  ParseResult& fail(ParseProblem problem, std::string_view field = {}) noexcept {
    if (result.error.problem == ParseProblem::kNone) {
      result.error = ParseError{problem, field};
    }
    return result;
  }

  /// Reads one field's value. Returns false on an error that ends the walk (malformed JSON).
  bool read_field(Field f, od::value value) noexcept {
    FieldValue& out = fields.values[f];
    const std::string_view name = kFieldNames[f];
    simdjson::error_code e = simdjson::SUCCESS;
    switch (kFieldTypes[f]) {
      case FieldType::kString:
        e = value.get_string().get(out.text);
        break;
      case FieldType::kUint:
        e = value.get_uint64().get(out.uint);
        break;
      case FieldType::kDouble:
        e = value.get_double().get(out.number);
        if (!e && !std::isfinite(out.number)) {
          fail(ParseProblem::kOutOfRange, name);
          return true;
        }
        break;
      case FieldType::kBool:
        e = value.get_bool().get(out.flag);
        break;
      case FieldType::kRawJson:
        return read_raw_json(out, value);
      case FieldType::kId:
        return read_id(out, value);
    }
    if (e == simdjson::SUCCESS) {
      fields.set(f);
      return true;
    }
    if (is_type_error(e)) {
      fail(ParseProblem::kWrongType, name);
      return true;
    }
    fail(ParseProblem::kMalformedJson);
    return false;
  }

  bool read_id(FieldValue& out, od::value value) noexcept {
    od::json_type type;
    if (value.type().get(type)) {
      fail(ParseProblem::kMalformedJson);
      return false;
    }
    const std::string_view raw = trim_right(value.raw_json_token());
    simdjson::error_code e = simdjson::SUCCESS;
    if (type == od::json_type::string) {
      std::string_view s;
      e = value.get_string().get(s);
    } else if (type == od::json_type::number) {
      od::number n;
      e = value.get_number().get(n);
    } else {
      fail(ParseProblem::kWrongType, "id");
      return true;
    }
    if (e) {
      fail(ParseProblem::kMalformedJson);
      return false;
    }
    if (raw.size() > OpParser::kMaxIdBytes) {
      fail(ParseProblem::kIdTooLong, "id");
      return true;
    }
    out.text = raw;
    fields.set(kId);
    result.id = raw;
    return true;
  }

  bool read_raw_json(FieldValue& out, od::value value) noexcept {
    const char* start = value.raw_json_token().data();
    bool too_deep = false;
    od::json_type type;
    if (value.type().get(type)) {
      fail(ParseProblem::kMalformedJson);
      return false;
    }
    const bool container = type == od::json_type::object || type == od::json_type::array;
    std::string_view scalar_token;
    if (!container) {
      scalar_token = trim_right(value.raw_json_token());
    }
    if (validate_value(value, 0, too_deep) != simdjson::SUCCESS) {
      fail(too_deep ? ParseProblem::kTooDeep : ParseProblem::kMalformedJson, "data");
      return false;
    }
    if (container) {
      const char* end = nullptr;
      if (document.current_location().get(end) || end < start) {
        fail(ParseProblem::kMalformedJson);
        return false;
      }
      out.text = trim_right(std::string_view(start, static_cast<std::size_t>(end - start)));
    } else {
      out.text = scalar_token;
    }
    fields.set(kData);
    return true;
  }
};

bool require(Walk& walk, Field f) noexcept {
  if (!walk.fields.has(f)) {
    walk.fail(ParseProblem::kMissingField, kFieldNames[f]);
    return false;
  }
  return true;
}

bool require_channel(Walk& walk, std::string_view& out) noexcept {
  if (!require(walk, kChannel)) {
    return false;
  }
  out = walk.fields.values[kChannel].text;
  if (!is_valid_channel_name(out)) {
    walk.fail(ParseProblem::kInvalidChannel, "channel");
    return false;
  }
  return true;
}

bool require_coordinate(Walk& walk, Field f, double limit, double& out) noexcept {
  if (!require(walk, f)) {
    return false;
  }
  out = walk.fields.values[f].number;
  if (out < -limit || out > limit) {
    walk.fail(ParseProblem::kOutOfRange, kFieldNames[f]);
    return false;
  }
  return true;
}

std::optional<double> optional_number(const Fields& fields, Field f) noexcept {
  return fields.has(f) ? std::optional<double>(fields.values[f].number) : std::nullopt;
}

/// Builds the typed op from the collected fields; reports the first missing/invalid field.
void build_op(Walk& walk, std::string_view op) noexcept {
  const Fields& fields = walk.fields;
  ParseResult& result = walk.result;
  auto text = [&](Field f) { return fields.values[f].text; };
  if (op == "pub") {
    PubOp pub;
    if (require_channel(walk, pub.channel) && require(walk, kData)) {
      pub.data = text(kData);
      result.op = pub;
    }
  } else if (op == "sub") {
    SubOp sub;
    if (require_channel(walk, sub.channel)) {
      if (fields.has(kSince)) {
        sub.since = fields.values[kSince].uint;
      }
      result.op = sub;
    }
  } else if (op == "unsub") {
    UnsubOp unsub;
    if (require_channel(walk, unsub.channel)) {
      result.op = unsub;
    }
  } else if (op == "auth") {
    if (!fields.has(kToken) && !fields.has(kUser)) {
      walk.fail(ParseProblem::kMissingField, "token");
      return;
    }
    result.op = AuthOp{text(kToken), text(kUser)};
  } else if (op == "history") {
    HistoryOp history;
    if (require_channel(walk, history.channel)) {
      history.since = fields.has(kSince) ? fields.values[kSince].uint : 0;
      history.limit = fields.has(kLimit) ? fields.values[kLimit].uint : HistoryOp::kDefaultLimit;
      result.op = history;
    }
  } else if (op == "presence") {
    PresenceOp presence;
    if (require_channel(walk, presence.channel)) {
      result.op = presence;
    }
  } else if (op == "read") {
    ReadOp read;
    if (require_channel(walk, read.channel) && require(walk, kSeq)) {
      read.seq = fields.values[kSeq].uint;
      result.op = read;
    }
  } else if (op == "loc") {
    LocOp loc;
    if (require_coordinate(walk, kLat, 90, loc.lat) && require_coordinate(walk, kLng, 180, loc.lng)) {
      loc.heading = optional_number(fields, kHeading);
      loc.speed_mps = optional_number(fields, kSpeed);
      if (fields.has(kAvailable)) {
        loc.available = fields.values[kAvailable].flag;
      }
      result.op = loc;
    }
  } else if (op == "nearby") {
    NearbyOp nearby;
    if (require_coordinate(walk, kLat, 90, nearby.lat) &&
        require_coordinate(walk, kLng, 180, nearby.lng)) {
      nearby.k = fields.has(kK) ? fields.values[kK].uint : NearbyOp::kDefaultK;
      result.op = nearby;
    }
  } else if (op == "ride") {
    RideOp ride;
    if (require_coordinate(walk, kLat, 90, ride.lat) &&
        require_coordinate(walk, kLng, 180, ride.lng) &&
        require_coordinate(walk, kDestLat, 90, ride.dest_lat) &&
        require_coordinate(walk, kDestLng, 180, ride.dest_lng)) {
      result.op = ride;
    }
  } else if (op == "accept" || op == "decline") {
    if (require(walk, kTrip)) {
      if (op == "accept") {
        result.op = AcceptOp{text(kTrip)};
      } else {
        result.op = DeclineOp{text(kTrip)};
      }
    }
  } else if (op == "trip") {
    TripOp trip;
    if (require(walk, kTrip) && require(walk, kAction)) {
      trip.trip = text(kTrip);
      const std::string_view action = text(kAction);
      if (action == "arrive") {
        trip.action = TripAction::kArrive;
      } else if (action == "start") {
        trip.action = TripAction::kStart;
      } else if (action == "complete") {
        trip.action = TripAction::kComplete;
      } else if (action == "cancel") {
        trip.action = TripAction::kCancel;
      } else {
        walk.fail(ParseProblem::kInvalidValue, "action");
        return;
      }
      result.op = trip;
    }
  } else {
    walk.fail(ParseProblem::kUnknownOp);
  }
}

}  // namespace

namespace {

/// After get_object() said INCORRECT_TYPE: is the message some other valid JSON value (an error
/// path only, so it parses again)?
bool is_valid_non_object(od::parser& parser, std::vector<char>& padded, std::size_t size) noexcept {
  od::document document;
  if (parser.iterate(padded.data(), size, padded.size()).get(document)) {
    return false;
  }
  od::json_type type;
  if (document.type().get(type)) {
    return false;
  }
  simdjson::error_code e = simdjson::SUCCESS;
  switch (type) {
    case od::json_type::array: {
      od::array array;
      e = document.get_array().get(array);
      if (!e) {
        for (auto element : array) {
          od::value value;
          bool too_deep = false;
          if ((e = element.get(value)) || (e = validate_value(value, 1, too_deep))) {
            break;
          }
        }
      }
      break;
    }
    case od::json_type::string: {
      std::string_view v;
      e = document.get_string().get(v);
      break;
    }
    case od::json_type::number: {
      od::number v;
      e = document.get_number().get(v);
      break;
    }
    case od::json_type::boolean: {
      bool v;
      e = document.get_bool().get(v);
      break;
    }
    case od::json_type::null: {
      bool v = false;
      e = document.is_null().get(v);
      if (!e && !v) {
        e = simdjson::N_ATOM_ERROR;
      }
      break;
    }
    case od::json_type::object:
      return false;
  }
  return e == simdjson::SUCCESS;
}

}  // namespace

ParseResult OpParser::parse(std::string_view text) noexcept {
  ParseResult result;
  State& s = *state_;
  const std::size_t needed = text.size() + simdjson::SIMDJSON_PADDING;
  if (s.padded.size() < needed) {
    try {
      s.padded.resize(needed);
    } catch (...) {
      result.error = ParseError{ParseProblem::kMalformedJson, {}};
      return result;
    }
  }
  std::memcpy(s.padded.data(), text.data(), text.size());
  std::memset(s.padded.data() + text.size(), 0, simdjson::SIMDJSON_PADDING);

  Fields fields;
  Walk walk{result, fields, s.document};
  if (s.parser.iterate(s.padded.data(), text.size(), s.padded.size()).get(s.document)) {
    return walk.fail(ParseProblem::kMalformedJson);
  }
  od::object object;
  if (auto e = s.document.get_object().get(object)) {
    const bool valid_other_value =
        e == simdjson::INCORRECT_TYPE && is_valid_non_object(s.parser, s.padded, text.size());
    return walk.fail(valid_other_value ? ParseProblem::kNotAnObject : ParseProblem::kMalformedJson);
  }
  for (auto field : object) {
    std::string_view key;
    if (field.unescaped_key().get(key)) {
      return walk.fail(ParseProblem::kMalformedJson);
    }
    od::value value;
    if (field.value().get(value)) {
      return walk.fail(ParseProblem::kMalformedJson);
    }
    const int index = field_index(key);
    if (index < 0) {
      continue;  // unknown fields are ignored (forward compatibility); On-Demand skips them
    }
    if (!walk.read_field(static_cast<Field>(index), value)) {
      return result;
    }
  }
  // Anything after the object (or an unterminated object) is malformed.
  const char* rest = nullptr;
  if (s.document.current_location().get(rest) != simdjson::OUT_OF_BOUNDS) {
    result.error = ParseError{ParseProblem::kMalformedJson, {}};
    return result;
  }
  if (!result.ok()) {
    return result;  // a wrong-typed field, reported with the id read after it
  }
  if (!fields.has(kOp)) {
    return walk.fail(ParseProblem::kMissingField, "op");
  }
  build_op(walk, fields.values[kOp].text);
  return result;
}

std::string_view ParseError::text() const noexcept {
  switch (problem) {
    case ParseProblem::kNone: return "";
    case ParseProblem::kMalformedJson: return "malformed JSON";
    case ParseProblem::kNotAnObject: return "message must be a JSON object";
    case ParseProblem::kMissingField: return "missing field";
    case ParseProblem::kWrongType: return "wrong type for field";
    case ParseProblem::kOutOfRange: return "value out of range for field";
    case ParseProblem::kUnknownOp: return "unknown op";
    case ParseProblem::kInvalidChannel:
      return "invalid channel name (1-128 bytes of A-Z a-z 0-9 _ . : @ -) in field";
    case ParseProblem::kInvalidValue: return "invalid value for field";
    case ParseProblem::kTooDeep: return "nested too deeply in field";
    case ParseProblem::kIdTooLong: return "field too long (max 128 bytes)";
  }
  return "bad request";
}

std::string_view to_string(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::kBadRequest: return "bad_request";
    case ErrorCode::kUnauthorized: return "unauthorized";
    case ErrorCode::kForbidden: return "forbidden";
    case ErrorCode::kNotFound: return "not_found";
    case ErrorCode::kTooLarge: return "too_large";
    case ErrorCode::kRateLimited: return "rate_limited";
    case ErrorCode::kConflict: return "conflict";
    case ErrorCode::kUnavailable: return "unavailable";
  }
  return "bad_request";
}

std::string_view op_name(const ClientOp& op) noexcept {
  static constexpr std::array<std::string_view, std::variant_size_v<ClientOp>> kNames = {
      "auth", "sub", "unsub", "pub", "history", "presence", "read",
      "loc", "nearby", "ride", "accept", "decline", "trip"};
  return kNames[op.index()];
}

}  // namespace hexwire::app
