// DispatchEvents for tests: records every call (mutex-protected, so shards on real threads may
// call it concurrently) with owned copies of the strings.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "geo/dispatch/events.hpp"

namespace hexwire::geo::testing {

class RecordingEvents final : public DispatchEvents {
 public:
  struct Offer {
    std::string driver, trip;
    LatLngDeg pickup;
    double eta_s;
    std::uint32_t expires_ms;
  };
  struct Trip {
    std::string trip;
    TripStatus status;
    std::string rider, driver;
    double eta_s, surge, fare;
    std::int64_t ts_us;
  };
  struct Position {
    CellId cell;
    std::string driver;
    double lat, lng, heading;
  };
  struct Surge {
    CellId cell;
    double multiplier;
    std::uint32_t supply, demand;
  };

  void offer(std::string_view driver, std::string_view trip, LatLngDeg pickup, double eta_s,
             std::uint32_t expires_ms) override {
    std::lock_guard lock(mutex_);
    offers.push_back({std::string(driver), std::string(trip), pickup, eta_s, expires_ms});
  }
  void trip_event(const TripEvent& e) override {
    std::lock_guard lock(mutex_);
    trips.push_back({std::string(e.trip), e.status, std::string(e.rider), std::string(e.driver),
                     e.eta_s, e.surge, e.fare_estimate, e.ts_us});
  }
  void driver_position(CellId cell, std::string_view driver, double lat, double lng,
                       double heading) override {
    std::lock_guard lock(mutex_);
    positions.push_back({cell, std::string(driver), lat, lng, heading});
  }
  void surge_changed(CellId cell, double multiplier, std::uint32_t supply,
                     std::uint32_t demand) override {
    std::lock_guard lock(mutex_);
    surges.push_back({cell, multiplier, supply, demand});
  }

  /// Statuses emitted for one trip, in order.
  std::vector<TripStatus> statuses(const std::string& trip) {
    std::lock_guard lock(mutex_);
    std::vector<TripStatus> out;
    for (const auto& t : trips) {
      if (t.trip == trip) {
        out.push_back(t.status);
      }
    }
    return out;
  }
  Offer offer_at(std::size_t i) {
    std::lock_guard lock(mutex_);
    return offers.at(i);
  }
  std::size_t offer_count() {
    std::lock_guard lock(mutex_);
    return offers.size();
  }

  std::vector<Offer> offers;
  std::vector<Trip> trips;
  std::vector<Position> positions;
  std::vector<Surge> surges;

 private:
  std::mutex mutex_;
};

}  // namespace hexwire::geo::testing
