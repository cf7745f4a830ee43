// The trip state machine: requested -> offered -> matched -> arrived -> on_trip -> completed, with
// decline/expiry back to requested, cancellation by the rider (before the ride starts) or the
// driver (once matched, before the ride starts), and unmatched when no driver took it before the
// deadline. Pure functions: the dispatch engine applies them and emits every transition.
#pragma once

#include <cstdint>
#include <string_view>

namespace hexwire::geo {

enum class TripStatus : std::uint8_t {
  kRequested,
  kOffered,
  kMatched,
  kArrived,
  kOnTrip,
  kCompleted,
  kCancelled,
  kUnmatched,
};

enum class TripAction : std::uint8_t {
  kOffer,     ///< system: an available driver was reserved and offered the trip
  kAccept,    ///< driver
  kDecline,   ///< driver
  kExpire,    ///< system: the offer timed out
  kArrive,    ///< driver, at the pickup
  kStart,     ///< driver, rider on board
  kComplete,  ///< driver, at the destination
  kCancel,    ///< rider or driver
  kGiveUp,    ///< system: no driver before the match deadline
};

enum class TripActor : std::uint8_t { kSystem, kRider, kDriver };

enum class TripError : std::uint8_t {
  kOk,
  kConflict,   ///< the action is not legal in the trip's current status
  kForbidden,  ///< this actor may never take this action
};

struct TripTransition {
  TripError error;
  TripStatus next;  ///< valid when error == ok
};

/// The status after `action` by `actor` from `from`, or why it is refused. Terminal statuses
/// (completed, cancelled, unmatched) refuse everything with conflict.
TripTransition next_trip_status(TripStatus from, TripAction action, TripActor actor) noexcept;
bool is_terminal(TripStatus status) noexcept;
const char* to_string(TripStatus status) noexcept;
const char* to_string(TripAction action) noexcept;
/// The status named `text` as to_string prints it; false for anything else.
bool parse_trip_status(std::string_view text, TripStatus* out) noexcept;
/// The wire's trip actions ("arrive", "start", "complete", "cancel"); false for anything else.
bool parse_trip_action(std::string_view text, TripAction* out) noexcept;

}  // namespace hexwire::geo
