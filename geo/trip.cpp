// Trip state machine table and names (see trip.hpp).
#include "geo/trip.hpp"

namespace hexwire::geo {

namespace {
bool actor_may(TripAction action, TripActor actor) noexcept {
  switch (action) {
    case TripAction::offer:
    case TripAction::expire:
    case TripAction::give_up:
      return actor == TripActor::system;
    case TripAction::accept:
    case TripAction::decline:
    case TripAction::arrive:
    case TripAction::start:
    case TripAction::complete:
      return actor == TripActor::driver;
    case TripAction::cancel:
      return actor == TripActor::rider || actor == TripActor::driver;
  }
  return false;
}
}  // namespace

bool is_terminal(TripStatus status) noexcept {
  return status == TripStatus::completed || status == TripStatus::cancelled ||
         status == TripStatus::unmatched;
}

TripTransition next_trip_status(TripStatus from, TripAction action, TripActor actor) noexcept {
  if (!actor_may(action, actor)) {
    return {TripError::forbidden, from};
  }
  const auto to = [](TripStatus next) { return TripTransition{TripError::ok, next}; };
  constexpr TripTransition kConflict{TripError::conflict, TripStatus::requested};
  switch (from) {
    case TripStatus::requested:
      if (action == TripAction::offer) {
        return to(TripStatus::offered);
      }
      if (action == TripAction::cancel && actor == TripActor::rider) {
        return to(TripStatus::cancelled);
      }
      if (action == TripAction::give_up) {
        return to(TripStatus::unmatched);
      }
      return kConflict;
    case TripStatus::offered:
      if (action == TripAction::accept) {
        return to(TripStatus::matched);
      }
      if (action == TripAction::decline || action == TripAction::expire) {
        return to(TripStatus::requested);
      }
      if (action == TripAction::cancel && actor == TripActor::rider) {
        return to(TripStatus::cancelled);
      }
      if (action == TripAction::give_up) {
        return to(TripStatus::unmatched);
      }
      return kConflict;
    case TripStatus::matched:
      if (action == TripAction::arrive) {
        return to(TripStatus::arrived);
      }
      if (action == TripAction::cancel) {
        return to(TripStatus::cancelled);
      }
      return kConflict;
    case TripStatus::arrived:
      if (action == TripAction::start) {
        return to(TripStatus::on_trip);
      }
      if (action == TripAction::cancel) {
        return to(TripStatus::cancelled);
      }
      return kConflict;
    case TripStatus::on_trip:
      if (action == TripAction::complete) {
        return to(TripStatus::completed);
      }
      return kConflict;
    case TripStatus::completed:
    case TripStatus::cancelled:
    case TripStatus::unmatched:
      return kConflict;
  }
  return kConflict;
}

const char* to_string(TripStatus status) noexcept {
  switch (status) {
    case TripStatus::requested:
      return "requested";
    case TripStatus::offered:
      return "offered";
    case TripStatus::matched:
      return "matched";
    case TripStatus::arrived:
      return "arrived";
    case TripStatus::on_trip:
      return "on_trip";
    case TripStatus::completed:
      return "completed";
    case TripStatus::cancelled:
      return "cancelled";
    case TripStatus::unmatched:
      return "unmatched";
  }
  return "?";
}

const char* to_string(TripAction action) noexcept {
  switch (action) {
    case TripAction::offer:
      return "offer";
    case TripAction::accept:
      return "accept";
    case TripAction::decline:
      return "decline";
    case TripAction::expire:
      return "expire";
    case TripAction::arrive:
      return "arrive";
    case TripAction::start:
      return "start";
    case TripAction::complete:
      return "complete";
    case TripAction::cancel:
      return "cancel";
    case TripAction::give_up:
      return "give_up";
  }
  return "?";
}

bool parse_trip_action(std::string_view text, TripAction* out) noexcept {
  if (text == "arrive") {
    *out = TripAction::arrive;
  } else if (text == "start") {
    *out = TripAction::start;
  } else if (text == "complete") {
    *out = TripAction::complete;
  } else if (text == "cancel") {
    *out = TripAction::cancel;
  } else {
    return false;
  }
  return true;
}

}  // namespace hexwire::geo
