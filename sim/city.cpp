// City model: street-grid random walk for drivers and the hotspot/uniform mix for ride requests,
// on an equirectangular projection centred on the box (error well under 1% at city scale).
#include "sim/city.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace hexwire::sim {
namespace {

constexpr double kEarthRadiusM = 6'371'008.8;
constexpr double kDegToRad = 3.14159265358979323846 / 180.0;
constexpr double kEpsilonM = 1e-6;

// Direction vectors for 0 north, 1 east, 2 south, 3 west.
constexpr int kDx[4] = {0, 1, 0, -1};
constexpr int kDy[4] = {1, 0, -1, 0};

}  // namespace

double haversine_m(GeoPoint a, GeoPoint b) noexcept {
  const double dlat = (b.lat - a.lat) * kDegToRad;
  const double dlng = (b.lng - a.lng) * kDegToRad;
  const double h = std::sin(dlat / 2) * std::sin(dlat / 2) +
                   std::cos(a.lat * kDegToRad) * std::cos(b.lat * kDegToRad) * std::sin(dlng / 2) *
                       std::sin(dlng / 2);
  return 2.0 * kEarthRadiusM * std::asin(std::min(1.0, std::sqrt(h)));
}

std::vector<Hotspot> san_francisco_hotspots() {
  return {
      {{37.7946, -122.3999}, 3.0, 400.0},  // Financial District
      {{37.7880, -122.4075}, 3.0, 350.0},  // Union Square
      {{37.7764, -122.3942}, 2.0, 300.0},  // Caltrain, 4th & King
      {{37.7650, -122.4197}, 2.0, 400.0},  // Mission, 16th St BART
      {{37.7609, -122.4350}, 1.0, 300.0},  // Castro
      {{37.8030, -122.4370}, 1.0, 400.0},  // Marina
      {{37.7692, -122.4481}, 1.0, 300.0},  // Haight-Ashbury
      {{37.7694, -122.4862}, 1.0, 600.0},  // Golden Gate Park
      {{37.7680, -122.3877}, 1.0, 250.0},  // Chase Center
  };
}

CityModel::CityModel(CityOptions options, std::uint64_t seed)
    : options_(std::move(options)), rng_(derive_seed(seed, 0x63697479)) {  // "city"
  const BoundingBox& box = options_.box;
  if (!(box.max_lat > box.min_lat) || !(box.max_lng > box.min_lng) || box.min_lat < -85.0 ||
      box.max_lat > 85.0) {
    throw std::invalid_argument("city: the bounding box must have min < max (and |lat| <= 85)");
  }
  if (!(options_.block_m >= 10.0)) {
    throw std::invalid_argument("city: the street spacing (block_m) must be at least 10 m");
  }
  if (!(options_.min_speed_mps > 0.0) || !(options_.max_speed_mps >= options_.min_speed_mps)) {
    throw std::invalid_argument("city: speeds need 0 < min_speed_mps <= max_speed_mps");
  }
  const double centre_lat = (box.min_lat + box.max_lat) / 2.0;
  metres_per_deg_lat_ = kEarthRadiusM * kDegToRad;
  metres_per_deg_lng_ = metres_per_deg_lat_ * std::cos(centre_lat * kDegToRad);
  width_m_ = (box.max_lng - box.min_lng) * metres_per_deg_lng_;
  height_m_ = (box.max_lat - box.min_lat) * metres_per_deg_lat_;
  if (width_m_ < options_.block_m || height_m_ < options_.block_m) {
    throw std::invalid_argument("city: the bounding box must be at least one block wide and high");
  }
  for (const Hotspot& h : options_.hotspots) {
    hotspot_weight_total_ += std::max(0.0, h.weight);
  }
}

GeoPoint CityModel::to_geo(double x_m, double y_m) const noexcept {
  return GeoPoint{options_.box.min_lat + y_m / metres_per_deg_lat_,
                  options_.box.min_lng + x_m / metres_per_deg_lng_};
}

void CityModel::to_local(GeoPoint p, double& x_m, double& y_m) const noexcept {
  x_m = (p.lng - options_.box.min_lng) * metres_per_deg_lng_;
  y_m = (p.lat - options_.box.min_lat) * metres_per_deg_lat_;
}

GeoPoint CityModel::draw_place() noexcept {
  double x = 0.0;
  double y = 0.0;
  if (hotspot_weight_total_ > 0.0 && rng_.chance(options_.hotspot_share)) {
    double pick = rng_.uniform01() * hotspot_weight_total_;
    const Hotspot* chosen = &options_.hotspots.back();
    for (const Hotspot& h : options_.hotspots) {
      pick -= std::max(0.0, h.weight);
      if (pick < 0.0) {
        chosen = &h;
        break;
      }
    }
    double cx = 0.0;
    double cy = 0.0;
    to_local(chosen->centre, cx, cy);
    x = cx + rng_.normal() * chosen->spread_m;
    y = cy + rng_.normal() * chosen->spread_m;
  } else {
    x = rng_.uniform(0.0, width_m_);
    y = rng_.uniform(0.0, height_m_);
  }
  return to_geo(std::clamp(x, 0.0, width_m_), std::clamp(y, 0.0, height_m_));
}

RideRequest CityModel::draw_ride_request() noexcept {
  RideRequest ride;
  ride.origin = draw_place();
  ride.destination = draw_place();
  for (int attempt = 0;
       attempt < 16 && haversine_m(ride.origin, ride.destination) < options_.min_trip_m;
       ++attempt) {
    ride.destination = draw_place();
  }
  return ride;
}

double CityModel::draw_speed() noexcept {
  return rng_.uniform(options_.min_speed_mps, options_.max_speed_mps);
}

void CityModel::add_drivers(std::uint32_t count) {
  const double block = options_.block_m;
  const double max_x = std::floor(width_m_ / block) * block;
  const double max_y = std::floor(height_m_ / block) * block;
  drivers_.reserve(drivers_.size() + count);
  for (std::uint32_t i = 0; i < count; ++i) {
    Driver d;
    to_local(draw_place(), d.x, d.y);
    d.x = std::clamp(d.x, 0.0, max_x);
    d.y = std::clamp(d.y, 0.0, max_y);
    d.dir = static_cast<int>(rng_.below(4));
    // Put it on a street running in its direction: snap the cross coordinate to a grid line.
    if (kDx[d.dir] == 0) {
      d.x = std::round(d.x / block) * block;
    } else {
      d.y = std::round(d.y / block) * block;
    }
    if (!can_go(d, d.dir)) {
      d.dir = (d.dir + 2) % 4;  // at the edge of the grid: drive back in
    }
    d.speed = draw_speed();
    drivers_.push_back(d);
  }
}

DriverState CityModel::driver(std::uint32_t i) const noexcept {
  const Driver& d = drivers_[i];
  return DriverState{to_geo(d.x, d.y), 90.0 * d.dir, d.speed, d.odometer};
}

// Distance to the next grid line ahead in direction d.dir (a full block when on a line).
double CityModel::next_intersection_distance(const Driver& d) const noexcept {
  const double block = options_.block_m;
  const double along = kDx[d.dir] != 0 ? d.x : d.y;
  const int sign = kDx[d.dir] + kDy[d.dir];
  double target;
  if (sign > 0) {
    target = (std::floor(along / block + kEpsilonM) + 1.0) * block;
  } else {
    target = (std::ceil(along / block - kEpsilonM) - 1.0) * block;
  }
  return std::abs(target - along);
}

bool CityModel::can_go(const Driver& d, int dir) const noexcept {
  const double block = options_.block_m;
  const double max_x = std::floor(width_m_ / block) * block;
  const double max_y = std::floor(height_m_ / block) * block;
  Driver probe = d;
  probe.dir = dir;
  const double step = next_intersection_distance(probe);
  const double nx = d.x + kDx[dir] * step;
  const double ny = d.y + kDy[dir] * step;
  return nx >= -kEpsilonM && nx <= max_x + kEpsilonM && ny >= -kEpsilonM && ny <= max_y + kEpsilonM;
}

void CityModel::choose_direction(Driver& d) noexcept {
  // Mostly straight on, sometimes a turn; a U-turn only when nothing else stays in the box.
  const int straight = d.dir;
  const int left = (d.dir + 3) % 4;
  const int right = (d.dir + 1) % 4;
  const double roll = rng_.uniform01();
  int preferred[3];
  if (roll < 0.6) {
    preferred[0] = straight, preferred[1] = left, preferred[2] = right;
  } else if (roll < 0.8) {
    preferred[0] = left, preferred[1] = right, preferred[2] = straight;
  } else {
    preferred[0] = right, preferred[1] = left, preferred[2] = straight;
  }
  for (const int dir : preferred) {
    if (can_go(d, dir)) {
      d.dir = dir;
      return;
    }
  }
  d.dir = (d.dir + 2) % 4;
}

void CityModel::advance(std::uint32_t i, double elapsed_s) noexcept {
  Driver& d = drivers_[i];
  double time_left = std::max(0.0, elapsed_s);
  const double block = options_.block_m;
  while (time_left > 0.0) {
    const double distance = next_intersection_distance(d);
    const double needed_s = distance / d.speed;
    if (time_left < needed_s) {
      const double step = d.speed * time_left;
      d.x += kDx[d.dir] * step;
      d.y += kDy[d.dir] * step;
      d.odometer += step;
      return;
    }
    d.x = std::round((d.x + kDx[d.dir] * distance) / block) * block;
    d.y = std::round((d.y + kDy[d.dir] * distance) / block) * block;
    d.odometer += distance;
    time_left -= needed_s;
    choose_direction(d);
    d.speed = draw_speed();
  }
}

void CityModel::advance_all(double elapsed_s) noexcept {
  for (std::uint32_t i = 0; i < drivers_.size(); ++i) {
    advance(i, elapsed_s);
  }
}

}  // namespace hexwire::sim
