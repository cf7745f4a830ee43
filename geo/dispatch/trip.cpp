// Trip state machine table and names (see trip.hpp).
#include "geo/dispatch/trip.hpp"

namespace hexwire::geo {

namespace {
bool actor_may(TripAction action, TripActor actor) noexcept {
  switch (action) {
    case TripAction::kOffer:
    case TripAction::kExpire:
    case TripAction::kGiveUp:
      return actor == TripActor::kSystem;
    case TripAction::kAccept:
    case TripAction::kDecline:
    case TripAction::kArrive:
    case TripAction::kStart:
    case TripAction::kComplete:
      return actor == TripActor::kDriver;
    case TripAction::kCancel:
      return actor == TripActor::kRider || actor == TripActor::kDriver;
  }
  return false;
}
}  // namespace

bool is_terminal(TripStatus status) noexcept {
  return status == TripStatus::kCompleted || status == TripStatus::kCancelled ||
         status == TripStatus::kUnmatched;
}

TripTransition next_trip_status(TripStatus from, TripAction action, TripActor actor) noexcept {
  if (!actor_may(action, actor)) {
    return {TripError::kForbidden, from};
  }
  const auto to = [](TripStatus next) { return TripTransition{TripError::kOk, next}; };
  constexpr TripTransition kConflict{TripError::kConflict, TripStatus::kRequested};
  switch (from) {
    case TripStatus::kRequested:
      if (action == TripAction::kOffer) {
        return to(TripStatus::kOffered);
      }
      if (action == TripAction::kCancel && actor == TripActor::kRider) {
        return to(TripStatus::kCancelled);
      }
      if (action == TripAction::kGiveUp) {
        return to(TripStatus::kUnmatched);
      }
      return kConflict;
    case TripStatus::kOffered:
      if (action == TripAction::kAccept) {
        return to(TripStatus::kMatched);
      }
      if (action == TripAction::kDecline || action == TripAction::kExpire) {
        return to(TripStatus::kRequested);
      }
      if (action == TripAction::kCancel && actor == TripActor::kRider) {
        return to(TripStatus::kCancelled);
      }
      if (action == TripAction::kGiveUp) {
        return to(TripStatus::kUnmatched);
      }
      return kConflict;
    case TripStatus::kMatched:
      if (action == TripAction::kArrive) {
        return to(TripStatus::kArrived);
      }
      if (action == TripAction::kCancel) {
        return to(TripStatus::kCancelled);
      }
      return kConflict;
    case TripStatus::kArrived:
      if (action == TripAction::kStart) {
        return to(TripStatus::kOnTrip);
      }
      if (action == TripAction::kCancel) {
        return to(TripStatus::kCancelled);
      }
      return kConflict;
    case TripStatus::kOnTrip:
      if (action == TripAction::kComplete) {
        return to(TripStatus::kCompleted);
      }
      return kConflict;
    case TripStatus::kCompleted:
    case TripStatus::kCancelled:
    case TripStatus::kUnmatched:
      return kConflict;
  }
  return kConflict;
}

const char* to_string(TripStatus status) noexcept {
  switch (status) {
    case TripStatus::kRequested:
      return "requested";
    case TripStatus::kOffered:
      return "offered";
    case TripStatus::kMatched:
      return "matched";
    case TripStatus::kArrived:
      return "arrived";
    case TripStatus::kOnTrip:
      return "on_trip";
    case TripStatus::kCompleted:
      return "completed";
    case TripStatus::kCancelled:
      return "cancelled";
    case TripStatus::kUnmatched:
      return "unmatched";
  }
  return "?";
}

const char* to_string(TripAction action) noexcept {
  switch (action) {
    case TripAction::kOffer:
      return "offer";
    case TripAction::kAccept:
      return "accept";
    case TripAction::kDecline:
      return "decline";
    case TripAction::kExpire:
      return "expire";
    case TripAction::kArrive:
      return "arrive";
    case TripAction::kStart:
      return "start";
    case TripAction::kComplete:
      return "complete";
    case TripAction::kCancel:
      return "cancel";
    case TripAction::kGiveUp:
      return "give_up";
  }
  return "?";
}

bool parse_trip_status(std::string_view text, TripStatus* out) noexcept {
  for (int i = 0; i <= static_cast<int>(TripStatus::kUnmatched); ++i) {
    if (text == to_string(static_cast<TripStatus>(i))) {
      *out = static_cast<TripStatus>(i);
      return true;
    }
  }
  return false;
}

bool parse_trip_action(std::string_view text, TripAction* out) noexcept {
  if (text == "arrive") {
    *out = TripAction::kArrive;
  } else if (text == "start") {
    *out = TripAction::kStart;
  } else if (text == "complete") {
    *out = TripAction::kComplete;
  } else if (text == "cancel") {
    *out = TripAction::kCancel;
  } else {
    return false;
  }
  return true;
}

}  // namespace hexwire::geo
