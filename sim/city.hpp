// City model for the rides scenario: drivers cruise a street grid inside a bounding box (default
// San Francisco) with plausible headings and speeds, and riders ask for trips between hotspots and
// random places. Pure math on a local flat projection (metres east/north of the box's south-west
// corner); no hexgrid dependency. Same seed, same city.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "sim/random.hpp"

namespace hexwire::sim {

struct GeoPoint {
  double lat = 0.0;  // degrees
  double lng = 0.0;  // degrees
};

struct BoundingBox {
  double min_lat = 37.70;
  double max_lat = 37.81;
  double min_lng = -122.52;
  double max_lng = -122.36;

  [[nodiscard]] bool contains(GeoPoint p) const noexcept {
    return p.lat >= min_lat && p.lat <= max_lat && p.lng >= min_lng && p.lng <= max_lng;
  }
  static BoundingBox san_francisco() noexcept { return {}; }
};

/// Great-circle distance in metres (haversine, mean Earth radius).
double haversine_m(GeoPoint a, GeoPoint b) noexcept;

/// A place riders gather; weight is relative popularity, spread_m the standard deviation of the
/// distance from its centre.
struct Hotspot {
  GeoPoint centre;
  double weight = 1.0;
  double spread_m = 400.0;
};

/// Well-known busy spots of San Francisco (downtown, Mission, stations, parks...).
std::vector<Hotspot> san_francisco_hotspots();

struct CityOptions {
  BoundingBox box;
  std::vector<Hotspot> hotspots = san_francisco_hotspots();  // may be empty: uniform only
  double hotspot_share = 0.6;  // share of ride origins/destinations drawn near a hotspot
  double block_m = 200.0;      // street spacing of the grid
  double min_speed_mps = 5.0;
  double max_speed_mps = 20.0;
  double min_trip_m = 500.0;  // destinations closer than this to the origin are redrawn
};

struct DriverState {
  GeoPoint position;
  double heading_deg = 0.0;  // compass: 0 north, 90 east, 180 south, 270 west
  double speed_mps = 0.0;
  double odometer_m = 0.0;  // distance driven since creation
};

struct RideRequest {
  GeoPoint origin;
  GeoPoint destination;
};

/// Drivers and ride requests. Not thread-safe: one CityModel per worker thread (give each a
/// different seed, or split drivers between workers by index).
class CityModel {
 public:
  /// Throws std::invalid_argument on an empty box, a block size < 10 m or bad speed bounds.
  CityModel(CityOptions options, std::uint64_t seed);

  /// Adds `count` drivers placed on the street grid (hotspot mix), each heading along a street.
  void add_drivers(std::uint32_t count);
  [[nodiscard]] std::uint32_t driver_count() const noexcept {
    return static_cast<std::uint32_t>(drivers_.size());
  }
  /// Position, heading and speed of driver i (i < driver_count()).
  [[nodiscard]] DriverState driver(std::uint32_t i) const noexcept;

  /// Moves driver i along the streets for `elapsed_s` seconds: at each intersection it goes
  /// straight, turns, or (at the edge of the box) turns back inwards; it picks a new speed per
  /// block.
  void advance(std::uint32_t i, double elapsed_s) noexcept;
  void advance_all(double elapsed_s) noexcept;

  /// A ride: origin and destination each from a hotspot (probability hotspot_share) or uniform
  /// in the box; at least min_trip_m apart when the box allows.
  RideRequest draw_ride_request() noexcept;
  /// One point of the hotspot/uniform mix, inside the box.
  GeoPoint draw_place() noexcept;

  [[nodiscard]] const CityOptions& options() const noexcept { return options_; }
  [[nodiscard]] double width_m() const noexcept { return width_m_; }
  [[nodiscard]] double height_m() const noexcept { return height_m_; }
  /// Local projection (metres east/north of the south-west corner) and back.
  [[nodiscard]] GeoPoint to_geo(double x_m, double y_m) const noexcept;
  void to_local(GeoPoint p, double& x_m, double& y_m) const noexcept;

 private:
  struct Driver {
    double x = 0.0, y = 0.0;  // metres, always on a street line
    int dir = 0;              // 0 north, 1 east, 2 south, 3 west
    double speed = 0.0;
    double odometer = 0.0;
  };

  [[nodiscard]] double next_intersection_distance(const Driver& d) const noexcept;
  void choose_direction(Driver& d) noexcept;
  [[nodiscard]] bool can_go(const Driver& d, int dir) const noexcept;
  double draw_speed() noexcept;

  CityOptions options_;
  Rng rng_;
  double metres_per_deg_lat_;
  double metres_per_deg_lng_;
  double width_m_;
  double height_m_;
  double hotspot_weight_total_ = 0.0;
  std::vector<Driver> drivers_;
};

}  // namespace hexwire::sim
