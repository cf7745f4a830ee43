// The trip state machine, exhaustively: every (status, action, actor) triple is either one of the
// listed legal transitions, forbidden (an action the actor never takes) or a conflict.
#include <catch2/catch.hpp>

#include <map>
#include <tuple>

#include "geo/trip.hpp"

using namespace hexwire::geo;
using S = TripStatus;
using A = TripAction;
using R = TripActor;

TEST_CASE("every trip transition, legal and illegal", "[trip]") {
  const std::map<std::tuple<S, A, R>, S> legal = {
      {{S::requested, A::offer, R::system}, S::offered},
      {{S::requested, A::cancel, R::rider}, S::cancelled},
      {{S::requested, A::give_up, R::system}, S::unmatched},
      {{S::offered, A::accept, R::driver}, S::matched},
      {{S::offered, A::decline, R::driver}, S::requested},
      {{S::offered, A::expire, R::system}, S::requested},
      {{S::offered, A::cancel, R::rider}, S::cancelled},
      {{S::offered, A::give_up, R::system}, S::unmatched},
      {{S::matched, A::arrive, R::driver}, S::arrived},
      {{S::matched, A::cancel, R::rider}, S::cancelled},
      {{S::matched, A::cancel, R::driver}, S::cancelled},
      {{S::arrived, A::start, R::driver}, S::on_trip},
      {{S::arrived, A::cancel, R::rider}, S::cancelled},
      {{S::arrived, A::cancel, R::driver}, S::cancelled},
      {{S::on_trip, A::complete, R::driver}, S::completed},
  };
  const auto actor_may = [](A a, R r) {
    switch (a) {
      case A::offer:
      case A::expire:
      case A::give_up:
        return r == R::system;
      case A::cancel:
        return r != R::system;
      default:
        return r == R::driver;
    }
  };
  int legal_seen = 0;
  for (int s = 0; s <= static_cast<int>(S::unmatched); ++s) {
    for (int a = 0; a <= static_cast<int>(A::give_up); ++a) {
      for (int r = 0; r <= static_cast<int>(R::driver); ++r) {
        const auto key = std::tuple{S(s), A(a), R(r)};
        const TripTransition t = next_trip_status(S(s), A(a), R(r));
        INFO(to_string(S(s)) << " " << to_string(A(a)) << " actor " << r);
        if (const auto it = legal.find(key); it != legal.end()) {
          REQUIRE(t.error == TripError::ok);
          REQUIRE(t.next == it->second);
          ++legal_seen;
        } else if (!actor_may(A(a), R(r))) {
          REQUIRE(t.error == TripError::forbidden);
        } else {
          REQUIRE(t.error == TripError::conflict);
        }
      }
    }
  }
  REQUIRE(legal_seen == static_cast<int>(legal.size()));
}

TEST_CASE("terminal statuses and wire action names", "[trip]") {
  REQUIRE(is_terminal(S::completed));
  REQUIRE(is_terminal(S::cancelled));
  REQUIRE(is_terminal(S::unmatched));
  REQUIRE_FALSE(is_terminal(S::on_trip));
  TripAction action{};
  REQUIRE(parse_trip_action("arrive", &action));
  REQUIRE(action == A::arrive);
  REQUIRE(parse_trip_action("start", &action));
  REQUIRE(action == A::start);
  REQUIRE(parse_trip_action("complete", &action));
  REQUIRE(action == A::complete);
  REQUIRE(parse_trip_action("cancel", &action));
  REQUIRE(action == A::cancel);
  REQUIRE_FALSE(parse_trip_action("accept", &action));
  REQUIRE_FALSE(parse_trip_action("", &action));
  REQUIRE(std::string(to_string(S::on_trip)) == "on_trip");
}
