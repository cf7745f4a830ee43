// Internal to the protocol parser (protocol_parser.cpp walks the JSON, protocol_ops.cpp builds
// the typed op): the known field names of protocol v1 with their one JSON type each, the values
// collected for one message, and the error-reporting context. Not part of the app API.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "app/protocol.hpp"

namespace hexwire::app::detail {

enum Field : std::uint8_t {
  kOp,
  kId,
  kChannel,
  kSince,
  kLimit,
  kSeq,
  kData,
  kToken,
  kUser,
  kLat,
  kLng,
  kDestLat,
  kDestLng,
  kHeading,
  kSpeed,
  kAvailable,
  kK,
  kTrip,
  kAction,
  kRole,
  kEpoch,
  kPresence,
  kCursor,
  kFieldCount
};
inline constexpr std::array<std::string_view, kFieldCount> kFieldNames = {
    "op",        "id",        "channel", "since", "limit",    "seq",      "data",
    "token",     "user",      "lat",     "lng",   "dest_lat", "dest_lng", "heading",
    "speed_mps", "available", "k",       "trip",  "action",   "role",     "epoch",
    "presence",  "cursor"};

enum class FieldType : std::uint8_t { kString, kUint, kDouble, kBool, kRawJson, kId };
inline constexpr std::array<FieldType, kFieldCount> kFieldTypes = {
    FieldType::kString, FieldType::kId,     FieldType::kString,  FieldType::kUint,
    FieldType::kUint,   FieldType::kUint,   FieldType::kRawJson, FieldType::kString,
    FieldType::kString, FieldType::kDouble, FieldType::kDouble,  FieldType::kDouble,
    FieldType::kDouble, FieldType::kDouble, FieldType::kDouble,  FieldType::kBool,
    FieldType::kUint,   FieldType::kString, FieldType::kString,  FieldType::kString,
    FieldType::kString, FieldType::kBool,   FieldType::kString};

inline int field_index(std::string_view key) noexcept {
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

/// What one parse produced so far; fail() keeps the first problem.
struct ParseContext {
  ParseResult& result;
  Fields& fields;

  ParseResult& fail(ParseProblem problem, std::string_view field = {}) noexcept {
    if (result.error.problem == ParseProblem::kNone) {
      result.error = ParseError{problem, field};
    }
    return result;
  }
};

/// Checks the fields `op` requires and stores the typed op in ctx.result (or a ParseError).
void build_op(ParseContext& ctx, std::string_view op) noexcept;

}  // namespace hexwire::app::detail
