// Verification of the rides scenario (`hexwire-sim rides --verify`): every ride request ends
// exactly once (matched, unmatched, or cancelled before a driver took it), no driver is on two
// trips at once, and every trip event a rider receives follows a legal transition of the trip
// state machine as the protocol states it (docs/dispatch-protocol.md, written out here: the
// simulator is a client and checks the engine against the contract, not against the engine's own
// table). Fed from the riders' and drivers' own event streams, which the engine delivers in order
// per user. Memory grows with the trips of the run (a few dozen bytes each), not with the events.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>


namespace hexwire::sim {

struct RidesVerificationSummary {
  std::uint64_t requests = 0;     // ride requests sent
  std::uint64_t refused = 0;      // answered with an error: never became a trip
  std::uint64_t matched = 0;      // ended: a driver took it
  std::uint64_t unmatched = 0;    // ended: no driver before the match deadline
  std::uint64_t cancelled = 0;    // ended: cancelled before a driver took it
  std::uint64_t trip_events = 0;  // trip events checked (rider streams)
  // Anomalies:
  std::uint64_t unanswered = 0;           // no reply (trip id or error) by the end of the drain
  std::uint64_t unended = 0;              // a trip whose request never ended
  std::uint64_t ended_twice = 0;          // a second end (matched/unmatched/cancelled) of one request
  std::uint64_t double_booked = 0;        // a driver matched to a trip while on another
  std::uint64_t illegal_transitions = 0;  // an event no action of the state machine leads to
  std::uint64_t unknown_trips = 0;        // events of a trip no request of this run created

  [[nodiscard]] bool clean() const noexcept {
    return unanswered == 0 && unended == 0 && ended_twice == 0 && double_booked == 0 &&
           illegal_transitions == 0 && unknown_trips == 0;
  }
  /// One line for humans, e.g. "verify rides: OK 120 requests: 97 matched, ...".
  [[nodiscard]] std::string describe() const;
};

/// A trip's status as trip events carry it.
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
inline constexpr std::size_t kTripStatusCount = 8;

/// Whether one step of the protocol's trip state machine leads from `from` to `to`:
/// requested -> offered | cancelled | unmatched; offered -> matched | requested (declined or
/// expired) | cancelled | unmatched; matched -> arrived | cancelled; arrived -> on_trip |
/// cancelled; on_trip -> completed; completed, cancelled and unmatched are final.
[[nodiscard]] bool is_legal_trip_transition(TripStatus from, TripStatus to) noexcept;
/// The wire's status names (sim/wire.hpp kTrip*); false for anything else.
[[nodiscard]] bool parse_trip_status(std::string_view text, TripStatus* out) noexcept;

/// Not thread-safe: feed it under one lock. Riders and drivers are the simulator's global client
/// indexes; requests are identified by (rider, request id).
class RidesVerifier {
 public:
  void on_request_sent(std::uint32_t rider, std::uint64_t request_id);
  /// The engine answered the request with a trip id.
  void on_request_answered(std::uint32_t rider, std::uint64_t request_id, std::string_view trip);
  /// The engine answered the request with an error.
  void on_request_refused(std::uint32_t rider, std::uint64_t request_id);
  /// A trip event on the rider's own stream. Returns false for an anomaly.
  bool on_rider_event(std::uint32_t rider, std::string_view trip, std::string_view status);
  /// A trip event on a driver's own stream; `about_this_driver` when the event names it as the
  /// trip's driver. Returns false for an anomaly.
  bool on_driver_event(std::uint32_t driver, std::string_view trip, std::string_view status,
                       bool about_this_driver);
  /// The driver's connection ended: what it was doing is no longer observed.
  void on_driver_gone(std::uint32_t driver);

  /// End of run (after the drain): requests without an answer, trips that never ended and trips
  /// no request created are anomalies. Call once.
  RidesVerificationSummary finish();
  [[nodiscard]] const RidesVerificationSummary& summary() const noexcept { return summary_; }

 private:
  struct Trip {
    bool has_status = false;  // no event yet: the first must be `requested`
    TripStatus status = TripStatus::kRequested;
    bool was_matched = false;
    bool linked = false;  // a request's answer named this trip
    std::uint32_t ends = 0;
  };
  struct Request {
    std::string trip;  // empty until answered
    bool refused = false;
  };
  void count_end(Trip& trip, TripStatus status);

  RidesVerificationSummary summary_;
  std::map<std::pair<std::uint32_t, std::uint64_t>, Request> requests_;  // (rider, request id)
  std::unordered_map<std::string, Trip> trips_;
  std::unordered_map<std::uint32_t, std::string> driver_trip_;  // driver -> trip it is on
  bool finished_ = false;
};

}  // namespace hexwire::sim
