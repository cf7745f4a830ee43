// The second half of parsing a client op: from the collected fields to the typed struct of the
// named op, reporting the first missing, wrong or out-of-range field; plus the op and error names.
#include <array>
#include <optional>
#include <variant>

#include "app/channel_name.hpp"
#include "app/epoch_text.hpp"
#include "app/protocol.hpp"
#include "app/protocol_fields.hpp"

namespace hexwire::app {

namespace detail {

namespace {

bool require(ParseContext& walk, Field f) noexcept {
  if (!walk.fields.has(f)) {
    walk.fail(ParseProblem::kMissingField, kFieldNames[f]);
    return false;
  }
  return true;
}

bool require_channel(ParseContext& walk, std::string_view& out) noexcept {
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

bool require_coordinate(ParseContext& walk, Field f, double limit, double& out) noexcept {
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

/// The optional "epoch" field: 1-16 hex digits. False (error reported) when present but invalid.
bool optional_epoch(ParseContext& walk, std::optional<std::uint64_t>& out) noexcept {
  if (!walk.fields.has(kEpoch)) {
    return true;
  }
  out = epoch_from_hex(walk.fields.values[kEpoch].text);
  if (!out) {
    walk.fail(ParseProblem::kInvalidValue, "epoch");
    return false;
  }
  return true;
}

/// Builds the typed op from the collected fields; reports the first missing/invalid field.
}  // namespace

void build_op(ParseContext& walk, std::string_view op) noexcept {
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
    if (require_channel(walk, sub.channel) && optional_epoch(walk, sub.epoch)) {
      if (fields.has(kSince)) {
        sub.since = fields.values[kSince].uint;
      }
      if (fields.has(kPresence)) {
        sub.presence = fields.values[kPresence].flag;
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
    result.op = AuthOp{text(kToken), text(kUser), text(kRole)};
  } else if (op == "refresh") {
    if (require(walk, kToken)) {
      result.op = RefreshOp{text(kToken)};
    }
  } else if (op == "history") {
    HistoryOp history;
    if (require_channel(walk, history.channel) && optional_epoch(walk, history.epoch)) {
      history.since = fields.has(kSince) ? fields.values[kSince].uint : 0;
      history.limit = fields.has(kLimit) ? fields.values[kLimit].uint : HistoryOp::kDefaultLimit;
      result.op = history;
    }
  } else if (op == "presence") {
    PresenceOp presence;
    if (require_channel(walk, presence.channel)) {
      presence.limit =
          fields.has(kLimit) ? fields.values[kLimit].uint : PresenceOp::kDefaultLimit;
      presence.cursor = text(kCursor);
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
    if (require_coordinate(walk, kLat, 90, loc.lat) &&
        require_coordinate(walk, kLng, 180, loc.lng)) {
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

}  // namespace detail

std::string_view ParseError::text() const noexcept {
  switch (problem) {
    case ParseProblem::kNone:
      return "";
    case ParseProblem::kMalformedJson:
      return "malformed JSON";
    case ParseProblem::kNotAnObject:
      return "message must be a JSON object";
    case ParseProblem::kMissingField:
      return "missing field";
    case ParseProblem::kWrongType:
      return "wrong type for field";
    case ParseProblem::kOutOfRange:
      return "value out of range for field";
    case ParseProblem::kUnknownOp:
      return "unknown op";
    case ParseProblem::kInvalidChannel:
      return "invalid channel name (1-128 bytes of A-Z a-z 0-9 _ . : @ -) in field";
    case ParseProblem::kInvalidValue:
      return "invalid value for field";
    case ParseProblem::kTooDeep:
      return "nested too deeply in field";
    case ParseProblem::kIdTooLong:
      return "field too long (max 128 bytes)";
  }
  return "bad request";
}

std::string_view to_string(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::kBadRequest:
      return "bad_request";
    case ErrorCode::kUnauthorized:
      return "unauthorized";
    case ErrorCode::kForbidden:
      return "forbidden";
    case ErrorCode::kNotFound:
      return "not_found";
    case ErrorCode::kTooLarge:
      return "too_large";
    case ErrorCode::kRateLimited:
      return "rate_limited";
    case ErrorCode::kConflict:
      return "conflict";
    case ErrorCode::kUnavailable:
      return "unavailable";
  }
  return "bad_request";
}

std::string_view op_name(const ClientOp& op) noexcept {
  static constexpr std::array<std::string_view, std::variant_size_v<ClientOp>> kNames = {
      "auth", "sub",    "unsub", "pub",    "history", "presence", "read",
      "loc",  "nearby", "ride",  "accept", "decline", "trip",     "refresh"};
  return kNames[op.index()];
}

}  // namespace hexwire::app
