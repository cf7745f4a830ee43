// Rides verification: legal trip histories pass; a request that ends twice or never, a driver on
// two trips, an illegal transition, an unanswered request and a trip nobody requested are each
// counted; the simulator's transition table (its reading of the protocol) agrees with the
// engine's own state machine in geo/dispatch/trip.hpp, step for step.
#include "sim/rides_verifier.hpp"

#include <catch2/catch.hpp>

#include <array>

#include "geo/dispatch/trip.hpp"

using namespace hexwire::sim;
using geo_status = hexwire::sim::TripStatus;

namespace {

void request(RidesVerifier& v, std::uint32_t rider, std::uint64_t id, const char* trip) {
  v.on_request_sent(rider, id);
  v.on_request_answered(rider, id, trip);
}

}  // namespace

TEST_CASE("transitions follow the trip state machine") {
  CHECK(is_legal_trip_transition(geo_status::kRequested, geo_status::kOffered));
  CHECK(is_legal_trip_transition(geo_status::kOffered, geo_status::kRequested));  // decline, expiry
  CHECK(is_legal_trip_transition(geo_status::kOffered, geo_status::kMatched));
  CHECK(is_legal_trip_transition(geo_status::kMatched, geo_status::kArrived));
  CHECK(is_legal_trip_transition(geo_status::kArrived, geo_status::kOnTrip));
  CHECK(is_legal_trip_transition(geo_status::kOnTrip, geo_status::kCompleted));
  CHECK(is_legal_trip_transition(geo_status::kMatched, geo_status::kCancelled));
  CHECK(is_legal_trip_transition(geo_status::kRequested, geo_status::kUnmatched));
  CHECK_FALSE(is_legal_trip_transition(geo_status::kRequested, geo_status::kMatched));
  CHECK_FALSE(is_legal_trip_transition(geo_status::kOnTrip, geo_status::kCancelled));
  CHECK_FALSE(is_legal_trip_transition(geo_status::kCompleted, geo_status::kRequested));
  CHECK_FALSE(is_legal_trip_transition(geo_status::kMatched, geo_status::kMatched));
  geo_status parsed{};
  CHECK(parse_trip_status("on_trip", &parsed));
  CHECK(parsed == geo_status::kOnTrip);
  CHECK_FALSE(parse_trip_status("teleported", &parsed));
}

TEST_CASE("the simulator's table is the engine's state machine, step for step") {
  namespace geo = hexwire::geo;
  constexpr std::array kActions = {geo::TripAction::kOffer,  geo::TripAction::kAccept,
                                   geo::TripAction::kDecline, geo::TripAction::kExpire,
                                   geo::TripAction::kArrive, geo::TripAction::kStart,
                                   geo::TripAction::kComplete, geo::TripAction::kCancel,
                                   geo::TripAction::kGiveUp};
  constexpr std::array kActors = {geo::TripActor::kSystem, geo::TripActor::kRider,
                                  geo::TripActor::kDriver};
  for (std::size_t from = 0; from < kTripStatusCount; ++from) {
    for (std::size_t to = 0; to < kTripStatusCount; ++to) {
      bool engine = false;
      for (const geo::TripAction action : kActions) {
        for (const geo::TripActor actor : kActors) {
          const geo::TripTransition t =
              geo::next_trip_status(static_cast<geo::TripStatus>(from), action, actor);
          engine |= t.error == geo::TripError::kOk && t.next == static_cast<geo::TripStatus>(to);
        }
      }
      CAPTURE(from, to);
      CHECK(is_legal_trip_transition(static_cast<TripStatus>(from), static_cast<TripStatus>(to)) ==
            engine);
      // Both name the statuses the same way on the wire.
      TripStatus parsed{};
      REQUIRE(parse_trip_status(geo::to_string(static_cast<geo::TripStatus>(from)), &parsed));
      CHECK(static_cast<std::size_t>(parsed) == from);
    }
  }
}

TEST_CASE("a run of complete, declined, unmatched and cancelled trips is clean") {
  RidesVerifier v;
  // Rider 1: offered, declined, offered again, matched and driven to completion by driver 10.
  request(v, 1, 100, "t1");
  for (const char* status : {"requested", "offered", "requested", "offered", "matched",
                             "arrived", "on_trip", "completed"}) {
    CHECK(v.on_rider_event(1, "t1", status));
  }
  for (const char* status : {"matched", "arrived", "on_trip", "completed"}) {
    CHECK(v.on_driver_event(10, "t1", status, true));
  }
  // Rider 2: its events arrive before the answer to its request (they travel apart); unmatched.
  v.on_request_sent(2, 200);
  CHECK(v.on_rider_event(2, "t2", "requested"));
  CHECK(v.on_rider_event(2, "t2", "unmatched"));
  v.on_request_answered(2, 200, "t2");
  // Rider 3: cancelled while waiting. Rider 4: refused outright. Rider 1 again: matched with the
  // same driver after the first trip ended, then cancelled after the match (the request ended at
  // the match; the cancel ends the trip).
  request(v, 3, 300, "t3");
  CHECK(v.on_rider_event(3, "t3", "requested"));
  CHECK(v.on_rider_event(3, "t3", "cancelled"));
  v.on_request_sent(4, 400);
  v.on_request_refused(4, 400);
  request(v, 1, 101, "t4");
  for (const char* status : {"requested", "offered", "matched", "cancelled"}) {
    CHECK(v.on_rider_event(1, "t4", status));
  }
  CHECK(v.on_driver_event(10, "t4", "matched", true));
  CHECK(v.on_driver_event(10, "t4", "cancelled", true));
  const RidesVerificationSummary s = v.finish();
  CHECK(s.clean());
  CHECK(s.requests == 5);
  CHECK(s.matched == 2);
  CHECK(s.unmatched == 1);
  CHECK(s.cancelled == 1);
  CHECK(s.refused == 1);
  CHECK(s.describe().find("verify rides: OK") != std::string::npos);
}

TEST_CASE("each rides anomaly is detected and counted") {
  RidesVerifier v;
  // Ends twice: matched, then unmatched (also an illegal transition).
  request(v, 1, 1, "t1");
  CHECK(v.on_rider_event(1, "t1", "requested"));
  CHECK(v.on_rider_event(1, "t1", "offered"));
  CHECK(v.on_rider_event(1, "t1", "matched"));
  CHECK_FALSE(v.on_rider_event(1, "t1", "unmatched"));
  // Illegal: a trip whose first event is not `requested`, and a skipped step.
  request(v, 2, 2, "t2");
  CHECK_FALSE(v.on_rider_event(2, "t2", "offered"));
  request(v, 3, 3, "t3");
  CHECK(v.on_rider_event(3, "t3", "requested"));
  CHECK_FALSE(v.on_rider_event(3, "t3", "on_trip"));
  // A driver matched to a second trip while on the first.
  CHECK(v.on_driver_event(10, "t1", "matched", true));
  CHECK_FALSE(v.on_driver_event(10, "t2", "matched", true));
  // Another driver's trip events do not count for this one.
  CHECK(v.on_driver_event(11, "t1", "matched", false));
  // Never ended, never answered, never requested.
  request(v, 4, 4, "t5");
  CHECK(v.on_rider_event(4, "t5", "requested"));
  v.on_request_sent(5, 5);
  CHECK(v.on_rider_event(6, "t9", "requested"));
  const RidesVerificationSummary s = v.finish();
  CHECK_FALSE(s.clean());
  CHECK(s.ended_twice == 1);
  CHECK(s.illegal_transitions == 3);
  CHECK(s.double_booked == 1);
  CHECK(s.unended == 3);  // t2 and t3 (illegal but never ended) and t5
  CHECK(s.unanswered == 1);
  CHECK(s.unknown_trips == 1);
}

TEST_CASE("a driver whose connection ended is free again") {
  RidesVerifier v;
  CHECK(v.on_driver_event(10, "t1", "matched", true));
  v.on_driver_gone(10);
  CHECK(v.on_driver_event(10, "t2", "matched", true));
  CHECK(v.finish().double_booked == 0);
}
