// RidesVerifier: request outcomes, per-trip transition checks against the protocol's state
// machine, and per-driver trip occupancy (see rides_verifier.hpp and docs/simulator.md "Rides verification").
#include "sim/rides_verifier.hpp"

#include <fmt/format.h>

#include <array>

#include "sim/wire.hpp"

namespace hexwire::sim {

namespace {

using S = TripStatus;

constexpr std::array<std::string_view, kTripStatusCount> kNames = {
    kTripRequested, kTripOffered,   kTripMatched,   kTripArrived,
    kTripOnTrip,    kTripCompleted, kTripCancelled, kTripUnmatched};

struct Step {
  S from;
  S to;
};
// Every legal step, in the order of a trip's life (is_legal_trip_transition states the rule).
constexpr std::array kSteps = {
    Step{S::kRequested, S::kOffered},   Step{S::kRequested, S::kCancelled},
    Step{S::kRequested, S::kUnmatched}, Step{S::kOffered, S::kMatched},
    Step{S::kOffered, S::kRequested},   Step{S::kOffered, S::kCancelled},
    Step{S::kOffered, S::kUnmatched},   Step{S::kMatched, S::kArrived},
    Step{S::kMatched, S::kCancelled},   Step{S::kArrived, S::kOnTrip},
    Step{S::kArrived, S::kCancelled},   Step{S::kOnTrip, S::kCompleted}};

bool is_occupied(S status) noexcept {
  return status == S::kMatched || status == S::kArrived || status == S::kOnTrip;
}

}  // namespace

bool is_legal_trip_transition(TripStatus from, TripStatus to) noexcept {
  for (const Step& step : kSteps) {
    if (step.from == from && step.to == to) {
      return true;
    }
  }
  return false;
}

bool parse_trip_status(std::string_view text, TripStatus* out) noexcept {
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    if (text == kNames[i]) {
      *out = static_cast<TripStatus>(i);
      return true;
    }
  }
  return false;
}

std::string RidesVerificationSummary::describe() const {
  return fmt::format(
      "verify rides: {}  {} requests: {} matched, {} unmatched, {} cancelled, {} refused; "
      "unanswered {}, never ended {}, ended twice {}, drivers on two trips {}, illegal "
      "transitions {} (of {} trip events), unknown trips {}",
      clean() ? "OK" : "FAILED", requests, matched, unmatched, cancelled, refused, unanswered,
      unended, ended_twice, double_booked, illegal_transitions, trip_events, unknown_trips);
}

void RidesVerifier::on_request_sent(std::uint32_t rider, std::uint64_t request_id) {
  ++summary_.requests;
  requests_[{rider, request_id}];
}

void RidesVerifier::on_request_answered(std::uint32_t rider, std::uint64_t request_id,
                                        std::string_view trip) {
  Request& request = requests_[{rider, request_id}];
  request.trip = trip;
  trips_[request.trip].linked = true;
}

void RidesVerifier::on_request_refused(std::uint32_t rider, std::uint64_t request_id) {
  auto it = requests_.find({rider, request_id});
  if (it != requests_.end() && !it->second.refused) {
    it->second.refused = true;
    ++summary_.refused;
  }
}

void RidesVerifier::count_end(Trip& trip, TripStatus status) {
  if (trip.ends++ > 0) {
    ++summary_.ended_twice;
    return;
  }
  switch (status) {
    case S::kMatched:
      ++summary_.matched;
      break;
    case S::kUnmatched:
      ++summary_.unmatched;
      break;
    default:
      ++summary_.cancelled;
      break;
  }
}

bool RidesVerifier::on_rider_event(std::uint32_t /*rider*/, std::string_view trip_id,
                                   std::string_view status_text) {
  ++summary_.trip_events;
  TripStatus status{};
  Trip& trip = trips_[std::string(trip_id)];
  const std::uint64_t anomalies_before = summary_.illegal_transitions + summary_.ended_twice;
  if (!parse_trip_status(status_text, &status)) {
    ++summary_.illegal_transitions;
    return false;
  }
  // A trip is created `requested`; from then on each event must be one step of the machine.
  const bool legal = trip.has_status ? is_legal_trip_transition(trip.status, status)
                                     : status == S::kRequested;
  if (!legal) {
    ++summary_.illegal_transitions;
  }
  trip.has_status = true;
  trip.status = status;
  // The request ends when a driver takes it, or without one; a later cancel ends the trip only.
  if (status == S::kMatched || status == S::kUnmatched ||
      (status == S::kCancelled && !trip.was_matched)) {
    count_end(trip, status);
  }
  trip.was_matched |= status == S::kMatched;
  return summary_.illegal_transitions + summary_.ended_twice == anomalies_before;
}

bool RidesVerifier::on_driver_event(std::uint32_t driver, std::string_view trip,
                                    std::string_view status_text, bool about_this_driver) {
  TripStatus status{};
  if (!about_this_driver || !parse_trip_status(status_text, &status)) {
    return true;  // offers that went elsewhere; malformed statuses are judged on the rider's side
  }
  auto current = driver_trip_.find(driver);
  if (is_occupied(status)) {
    if (current == driver_trip_.end()) {
      driver_trip_.emplace(driver, std::string(trip));
    } else if (current->second != trip) {
      ++summary_.double_booked;
      current->second = trip;
      return false;
    }
  } else if (current != driver_trip_.end() && current->second == trip) {
    driver_trip_.erase(current);  // completed or cancelled: free again
  }
  return true;
}

void RidesVerifier::on_driver_gone(std::uint32_t driver) {
  driver_trip_.erase(driver);
}

RidesVerificationSummary RidesVerifier::finish() {
  if (finished_) {
    return summary_;
  }
  finished_ = true;
  for (const auto& [key, request] : requests_) {
    if (request.refused) {
      continue;
    }
    if (request.trip.empty()) {
      ++summary_.unanswered;
    } else if (trips_[request.trip].ends == 0) {
      ++summary_.unended;
    }
  }
  for (const auto& [id, trip] : trips_) {
    summary_.unknown_trips += trip.linked ? 0 : 1;
  }
  return summary_;
}

}  // namespace hexwire::sim
