// The trip state machine, exhaustively: every (status, action, actor) triple is either one of the
// listed legal transitions, forbidden (an action the actor never takes) or a conflict.
#include <catch2/catch.hpp>

#include <map>
#include <tuple>

#include "geo/dispatch/trip.hpp"

using namespace hexwire::geo;
using S = TripStatus;
using A = TripAction;
using R = TripActor;

TEST_CASE("every trip transition, legal and illegal", "[trip]") {
  const std::map<std::tuple<S, A, R>, S> legal = {
      {{S::kRequested, A::kOffer, R::kSystem}, S::kOffered},
      {{S::kRequested, A::kCancel, R::kRider}, S::kCancelled},
      {{S::kRequested, A::kGiveUp, R::kSystem}, S::kUnmatched},
      {{S::kOffered, A::kAccept, R::kDriver}, S::kMatched},
      {{S::kOffered, A::kDecline, R::kDriver}, S::kRequested},
      {{S::kOffered, A::kExpire, R::kSystem}, S::kRequested},
      {{S::kOffered, A::kCancel, R::kRider}, S::kCancelled},
      {{S::kOffered, A::kGiveUp, R::kSystem}, S::kUnmatched},
      {{S::kMatched, A::kArrive, R::kDriver}, S::kArrived},
      {{S::kMatched, A::kCancel, R::kRider}, S::kCancelled},
      {{S::kMatched, A::kCancel, R::kDriver}, S::kCancelled},
      {{S::kArrived, A::kStart, R::kDriver}, S::kOnTrip},
      {{S::kArrived, A::kCancel, R::kRider}, S::kCancelled},
      {{S::kArrived, A::kCancel, R::kDriver}, S::kCancelled},
      {{S::kOnTrip, A::kComplete, R::kDriver}, S::kCompleted},
  };
  const auto actor_may = [](A a, R r) {
    switch (a) {
      case A::kOffer:
      case A::kExpire:
      case A::kGiveUp:
        return r == R::kSystem;
      case A::kCancel:
        return r != R::kSystem;
      default:
        return r == R::kDriver;
    }
  };
  int legal_seen = 0;
  for (int s = 0; s <= static_cast<int>(S::kUnmatched); ++s) {
    for (int a = 0; a <= static_cast<int>(A::kGiveUp); ++a) {
      for (int r = 0; r <= static_cast<int>(R::kDriver); ++r) {
        const auto key = std::tuple{S(s), A(a), R(r)};
        const TripTransition t = next_trip_status(S(s), A(a), R(r));
        INFO(to_string(S(s)) << " " << to_string(A(a)) << " actor " << r);
        if (const auto it = legal.find(key); it != legal.end()) {
          REQUIRE(t.error == TripError::kOk);
          REQUIRE(t.next == it->second);
          ++legal_seen;
        } else if (!actor_may(A(a), R(r))) {
          REQUIRE(t.error == TripError::kForbidden);
        } else {
          REQUIRE(t.error == TripError::kConflict);
        }
      }
    }
  }
  REQUIRE(legal_seen == static_cast<int>(legal.size()));
}

TEST_CASE("terminal statuses and wire action names", "[trip]") {
  REQUIRE(is_terminal(S::kCompleted));
  REQUIRE(is_terminal(S::kCancelled));
  REQUIRE(is_terminal(S::kUnmatched));
  REQUIRE_FALSE(is_terminal(S::kOnTrip));
  TripAction action{};
  REQUIRE(parse_trip_action("arrive", &action));
  REQUIRE(action == A::kArrive);
  REQUIRE(parse_trip_action("start", &action));
  REQUIRE(action == A::kStart);
  REQUIRE(parse_trip_action("complete", &action));
  REQUIRE(action == A::kComplete);
  REQUIRE(parse_trip_action("cancel", &action));
  REQUIRE(action == A::kCancel);
  REQUIRE_FALSE(parse_trip_action("accept", &action));
  REQUIRE_FALSE(parse_trip_action("", &action));
  REQUIRE(std::string(to_string(S::kOnTrip)) == "on_trip");
}
