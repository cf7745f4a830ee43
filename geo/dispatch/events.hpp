// The sink through which dispatch talks to the outside world without knowing sockets or JSON: the
// app turns each call into a publication on the shared router (offer -> user:<driver>, trip_event
// -> user:<rider> and user:<driver> and, without the rider, the pickup's cell:<res7>,
// driver_position -> cell:<res7>, surge_changed -> surge:<res7>). Calls come from whichever shard produced the event, possibly several shards at
// once: an implementation must be safe to call concurrently from different shard threads.
#pragma once

#include <cstdint>
#include <string_view>

#include "geo/dispatch/trip.hpp"
#include "geo/hexgrid.hpp"

namespace hexwire::geo {

/// A point in degrees, as on the wire.
struct LatLngDeg {
  double lat = 0;
  double lng = 0;
};

struct TripEvent {
  std::string_view trip;
  TripStatus status;
  std::string_view rider;
  std::string_view driver;   ///< empty while no driver is involved
  double eta_s = 0;          ///< pickup ETA of `driver` (0 when none)
  double surge = 1.0;        ///< multiplier fixed at request time
  double fare_estimate = 0;  ///< surge * (base + per_km * pickup-to-destination distance)
  std::int64_t ts_us = 0;    ///< wall clock, microseconds since the Unix epoch
  LatLngDeg pickup{};        ///< where the rider is picked up
  LatLngDeg destination{};
  CellId pickup_res7 = 0;    ///< the res-7 cell of `pickup` (its live map, cell:<res7>)
  /// Where `driver` is held: a DispatchPeers NodeRef of the emitting shard (0: this node) and the
  /// shard there. A pool records it with the trip, so that a node adopting the trip reaches it.
  std::uint32_t driver_node = 0;
  unsigned driver_shard = 0;
};

class DispatchEvents {
 public:
  virtual ~DispatchEvents() = default;
  /// An offer to `driver` (user:<driver>): accept or decline `trip` within expires_ms.
  virtual void offer(std::string_view driver, std::string_view trip, LatLngDeg pickup, double eta_s,
                     std::uint32_t expires_ms) = 0;
  /// Every trip status change, for the rider and (when not empty) the driver.
  virtual void trip_event(const TripEvent& event) = 0;
  /// Live map (cell:<cell_res7>): an available driver's position, at most once per
  /// DispatchConfig::live_map_interval_ns per driver.
  virtual void driver_position(CellId cell_res7, std::string_view driver, double lat_deg,
                               double lng_deg, double heading_deg) = 0;
  /// surge:<cell_res7>: the multiplier moved by more than SurgeConfig::emit_threshold.
  virtual void surge_changed(CellId cell_res7, double multiplier, std::uint32_t supply,
                             std::uint32_t demand) = 0;
};

}  // namespace hexwire::geo
