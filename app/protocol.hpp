// Protocol v1 client operations as typed structs, and the parser that turns one JSON text message
// into one of them with simdjson On-Demand (no DOM). String views in a parsed op point into the
// parser's buffers and stay valid until its next parse(). Errors are values: a ParseError names
// the problem and the field so the reply can say exactly what was wrong (see docs/protocol.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <variant>

namespace hexwire::app {

/// Error codes of {"op":"error"} replies (PROTOCOL.md).
enum class ErrorCode : std::uint8_t {
  kBadRequest,
  kUnauthorized,
  kForbidden,
  kNotFound,
  kTooLarge,
  kRateLimited,
  kConflict,
  kUnavailable,
};
[[nodiscard]] std::string_view to_string(ErrorCode code) noexcept;

struct AuthOp {
  std::string_view token;  // empty when absent
  std::string_view user;   // anonymous mode only; empty when absent
  std::string_view role;   // anonymous mode only ("rider" or "driver"); empty when absent
};
/// Replaces the connection's token before it expires (same `sub` and `role`; a new `exp`).
struct RefreshOp {
  std::string_view token;
};
struct SubOp {
  std::string_view channel;
  std::optional<std::uint64_t> since;
  std::optional<std::uint64_t> epoch;  // the epoch `since` belongs to ("epoch":"<16 hex>")
  std::optional<bool> presence;        // absent: the engine's default (--presence-by-default)
};
struct UnsubOp {
  std::string_view channel;
};
struct PubOp {
  std::string_view channel;
  std::string_view data;  // raw JSON text of "data" (validated), forwarded without re-serialising
};
struct HistoryOp {
  static constexpr std::uint64_t kDefaultLimit = 100;
  std::string_view channel;
  std::uint64_t since = 0;
  std::uint64_t limit = kDefaultLimit;
  std::optional<std::uint64_t> epoch;
};
struct PresenceOp {
  static constexpr std::uint64_t kDefaultLimit = 1'000;  // also the maximum
  std::string_view channel;
  std::uint64_t limit = kDefaultLimit;
  std::string_view cursor;  // empty: the first page
};
struct ReadOp {
  std::string_view channel;
  std::uint64_t seq = 0;
};
struct LocOp {
  double lat = 0;
  double lng = 0;
  std::optional<double> heading;
  std::optional<double> speed_mps;
  std::optional<bool> available;
};
struct NearbyOp {
  static constexpr std::uint64_t kDefaultK = 10;
  double lat = 0;
  double lng = 0;
  std::uint64_t k = kDefaultK;
};
struct RideOp {
  double lat = 0;
  double lng = 0;
  double dest_lat = 0;
  double dest_lng = 0;
};
struct AcceptOp {
  std::string_view trip;
};
struct DeclineOp {
  std::string_view trip;
};
enum class TripAction : std::uint8_t { kArrive, kStart, kComplete, kCancel };
struct TripOp {
  std::string_view trip;
  TripAction action = TripAction::kArrive;
};

using ClientOp = std::variant<AuthOp, SubOp, UnsubOp, PubOp, HistoryOp, PresenceOp, ReadOp, LocOp,
                              NearbyOp, RideOp, AcceptOp, DeclineOp, TripOp, RefreshOp>;

/// The `op` string of each alternative (same index as ClientOp).
[[nodiscard]] std::string_view op_name(const ClientOp& op) noexcept;

/// What was wrong with a message. The reply message is "<problem text> '<field>'" (see
/// ParseError::describe).
enum class ParseProblem : std::uint8_t {
  kNone,
  kMalformedJson,   // not JSON, or not one JSON value
  kNotAnObject,     // valid JSON but not an object
  kMissingField,    // a required field is absent
  kWrongType,       // a field has the wrong JSON type
  kOutOfRange,      // a number outside its allowed range
  kUnknownOp,       // "op" names no operation
  kInvalidChannel,  // channel name breaks the naming rules
  kInvalidValue,    // a string field with a value outside its set (trip action)
  kTooDeep,         // "data" nested deeper than kMaxDataDepth
  kIdTooLong,       // "id" longer than kMaxIdBytes
};

struct ParseError {
  ParseProblem problem = ParseProblem::kNone;
  std::string_view field;  // static field name ("channel"), empty when not about one field
  /// Human readable parts of the message; the reply concatenates them.
  [[nodiscard]] std::string_view text() const noexcept;
};

struct ParseResult {
  /// Raw JSON of the request "id" (a number or a string literal, quotes included), empty when the
  /// message had none or it could not be read. Echo it verbatim in the reply.
  std::string_view id;
  ClientOp op;
  ParseError error;
  [[nodiscard]] bool ok() const noexcept { return error.problem == ParseProblem::kNone; }
};

/// Parses client messages. One per shard (not thread-safe); reuses its buffers, so after warm-up a
/// parse allocates nothing. Messages are copied into a padded buffer because simdjson reads up to
/// 64 bytes past the end of its input.
class OpParser {
 public:
  static constexpr std::size_t kMaxIdBytes = 128;
  static constexpr std::size_t kMaxDataDepth = 64;

  /// `expected_max_bytes`: messages up to this size never make the parser grow its buffers.
  explicit OpParser(std::size_t expected_max_bytes = 64 * 1024);
  ~OpParser();
  OpParser(const OpParser&) = delete;
  OpParser& operator=(const OpParser&) = delete;

  /// Parses one message. Views in the result stay valid until the next parse(). Never throws
  /// (a buffer growth that fails reports kMalformedJson).
  ParseResult parse(std::string_view text) noexcept;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace hexwire::app
