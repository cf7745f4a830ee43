// Regions and measures: polygonToCells (cells whose centres lie inside a polygon, with H3's
// lat/lng ray casting and tie-breaking), great-circle distance (haversine, as H3) and exact cell
// area from the cell's boundary (edge-to-pole lune areas, Kahan-summed, as H3 v4).
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <unordered_set>
#include <vector>

#include "geo/detail/hexgrid_internal.hpp"

namespace hexwire::geo {
using detail::make_cell_header;
namespace {

constexpr double kEarthRadiusKm = 6371.007180918475;
constexpr double kEarthRadiusKm2 = 40589732.49931477;
constexpr double kQuarterPi = 0.7853981633974483;
constexpr double kFourPi = 12.566370614359172;

}  // namespace

double great_circle_distance_rads(LatLng a, LatLng b) noexcept {
  const double sin_lat = std::sin((b.lat - a.lat) * 0.5);
  const double sin_lng = std::sin((b.lng - a.lng) * 0.5);
  const double h = sin_lat * sin_lat + sin_lng * (std::cos(b.lat) * std::cos(a.lat) * sin_lng);
  return std::atan2(std::sqrt(h), std::sqrt(1.0 - h)) * 2.0;
}

double great_circle_distance_km(LatLng a, LatLng b) noexcept {
  return great_circle_distance_rads(a, b) * kEarthRadiusKm;  // same rounding as H3: (atan2 * 2) * R
}

H3Error cell_area_rads2(CellId cell, double* out) noexcept {
  CellBoundary boundary;
  if (const H3Error e = cell_to_boundary(cell, &boundary); e != H3Error::kSuccess) {
    return e;
  }
  // Signed area of the loop as a sum over edges of the area between the edge and the pole
  // (tangent half-angle form), Kahan-summed; a negative sum wraps around the sphere (4 pi).
  double sum = 0;
  double compensation = 0;
  const int n = boundary.num_verts;
  for (int i = 0; i < n; ++i) {
    const LatLng& a = boundary.verts[i];
    const LatLng& b = boundary.verts[(i + 1) % n];
    const double ta = a.lat * 0.5 + kQuarterPi;
    const double tb = b.lat * 0.5 + kQuarterPi;
    const double sines = std::sin(ta) * std::sin(tb);
    const double dlng = b.lng - a.lng;
    const double term = std::atan2(std::sin(dlng) * sines, std::cos(ta) * std::cos(tb) + std::cos(dlng) * sines) * -2.0;
    const double y = term - compensation;
    const double t = sum + y;
    compensation = (t - sum) - y;
    sum = t;
  }
  *out = sum < 0.0 ? sum + (kFourPi - compensation) : sum;
  return H3Error::kSuccess;
}

H3Error cell_area_km2(CellId cell, double* out) noexcept {
  double rads2 = 0;
  if (const H3Error e = cell_area_rads2(cell, &rads2); e != H3Error::kSuccess) {
    return e;
  }
  *out = rads2 * kEarthRadiusKm2;
  return H3Error::kSuccess;
}

}  // namespace hexwire::geo

// --- polygonToCells ---------------------------------------------------------------------------------
namespace hexwire::geo {
namespace {

constexpr double kTwoPi = 6.283185307179586;
constexpr double kPiValue = 3.141592653589793;

struct BBox {
  double north, south, east, west;
  bool transmeridian() const noexcept { return east < west; }
};

BBox loop_bbox(std::span<const LatLng> loop) noexcept {
  BBox box{-DBL_MAX, DBL_MAX, -DBL_MAX, DBL_MAX};
  if (loop.empty()) {
    return {0, 0, 0, 0};
  }
  double min_pos_lng = DBL_MAX;
  double max_neg_lng = -DBL_MAX;
  bool transmeridian = false;
  for (std::size_t i = 0; i < loop.size(); ++i) {
    const LatLng c = loop[i];
    const LatLng next = loop[(i + 1) % loop.size()];
    box.south = std::min(box.south, c.lat);
    box.west = std::min(box.west, c.lng);
    box.north = std::max(box.north, c.lat);
    box.east = std::max(box.east, c.lng);
    if (c.lng > 0 && c.lng < min_pos_lng) {
      min_pos_lng = c.lng;
    }
    if (c.lng < 0 && c.lng > max_neg_lng) {
      max_neg_lng = c.lng;
    }
    if (std::fabs(c.lng - next.lng) > kPiValue) {
      transmeridian = true;
    }
  }
  if (transmeridian) {
    box.east = max_neg_lng;
    box.west = min_pos_lng;
  }
  return box;
}

double normalize_lng(double lng, bool transmeridian) noexcept {
  return transmeridian && lng < 0 ? lng + kTwoPi : lng;
}

/// Ray casting in lat/lng space with H3's tie-breaking (nudge north on vertex latitudes, west on
/// vertex longitudes), so that cells whose centres lie exactly on an edge go the same way as H3.
bool point_in_loop(std::span<const LatLng> loop, const BBox& box, LatLng p) noexcept {
  const bool tm = box.transmeridian();
  const bool in_box = p.lat >= box.south && p.lat <= box.north &&
                      (tm ? (p.lng >= box.west || p.lng <= box.east) : (p.lng >= box.west && p.lng <= box.east));
  if (!in_box) {
    return false;
  }
  bool contains = false;
  double lat = p.lat;
  double lng = normalize_lng(p.lng, tm);
  for (std::size_t i = 0; i < loop.size(); ++i) {
    LatLng a = loop[i];
    LatLng b = loop[(i + 1) % loop.size()];
    if (a.lat > b.lat) {
      std::swap(a, b);
    }
    if (lat == a.lat || lat == b.lat) {
      lat += DBL_EPSILON;
    }
    if (lat < a.lat || lat > b.lat) {
      continue;
    }
    const double a_lng = normalize_lng(a.lng, tm);
    const double b_lng = normalize_lng(b.lng, tm);
    if (a_lng == lng || b_lng == lng) {
      lng -= DBL_EPSILON;
    }
    const double ratio = (lat - a.lat) / (b.lat - a.lat);
    const double test_lng = normalize_lng(a_lng + (b_lng - a_lng) * ratio, tm);
    if (test_lng > lng) {
      contains = !contains;
    }
  }
  return contains;
}

struct PreparedPolygon {
  const GeoPolygon& polygon;
  BBox outer_box;
  std::vector<BBox> hole_boxes;

  bool contains(LatLng p) const noexcept {
    if (!point_in_loop(polygon.outer, outer_box, p)) {
      return false;
    }
    for (std::size_t h = 0; h < polygon.holes.size(); ++h) {
      if (point_in_loop(polygon.holes[h], hole_boxes[h], p)) {
        return false;
      }
    }
    return true;
  }
};

/// Distance from the centre to the first vertex of a res pentagon: the most distorted cell radius.
double pentagon_radius_km(int res) noexcept {
  CellId pentagon = 0;
  cell_to_center_child(make_cell_header(0, 4), res, &pentagon);
  LatLng center{};
  CellBoundary boundary;
  cell_to_lat_lng(pentagon, &center);
  cell_to_boundary(pentagon, &boundary);
  return great_circle_distance_km(center, boundary.verts[0]);
}

/// H3's edge trace: samples spaced about one cell diameter apart, interpolated linearly in
/// latitude and longitude (transmeridian edges go the long way round, exactly as in H3).
H3Error trace_edge(LatLng a, LatLng b, int res, double pentagon_radius, std::vector<CellId>& traced) {
  auto estimate = static_cast<std::int64_t>(std::ceil(great_circle_distance_km(a, b) / (2 * pentagon_radius)));
  if (estimate == 0) {
    estimate = 1;
  }
  const auto n = static_cast<double>(estimate);
  for (std::int64_t j = 0; j < estimate; ++j) {
    const auto fj = static_cast<double>(j);
    const auto rest = static_cast<double>(estimate - j);
    const LatLng p{a.lat * rest / n + b.lat * fj / n, a.lng * rest / n + b.lng * fj / n};
    CellId cell = 0;
    if (const H3Error e = lat_lng_to_cell(p, res, &cell); e != H3Error::kSuccess) {
      return e;
    }
    traced.push_back(cell);
  }
  return H3Error::kSuccess;
}

}  // namespace

H3Error polygon_to_cells(const GeoPolygon& polygon, int res, std::vector<CellId>* out) {
  out->clear();
  if (res < 0 || res > kMaxResolution) {
    return H3Error::kResDomain;
  }
  for (const LatLng& v : polygon.outer) {
    if (!std::isfinite(v.lat) || !std::isfinite(v.lng)) {
      return H3Error::kLatLngDomain;
    }
  }
  if (polygon.outer.size() < 3) {
    return H3Error::kSuccess;
  }
  PreparedPolygon prepared{polygon, loop_bbox(polygon.outer), {}};
  for (const auto& hole : polygon.holes) {
    prepared.hole_boxes.push_back(loop_bbox(hole));
  }
  // As H3: trace the loops, then grow from the traced cells through neighbours whose centres are
  // inside (cells reachable only through outside cells are not found, exactly as in H3).
  const double radius = pentagon_radius_km(res);
  std::vector<CellId> frontier;
  const auto trace_loop = [&](std::span<const LatLng> loop) {
    for (std::size_t i = 0; i < loop.size(); ++i) {
      if (const H3Error e = trace_edge(loop[i], loop[(i + 1) % loop.size()], res, radius, frontier); e != H3Error::kSuccess) {
        return e;
      }
    }
    return H3Error::kSuccess;
  };
  if (const H3Error e = trace_loop(polygon.outer); e != H3Error::kSuccess) {
    return e;
  }
  for (const auto& hole : polygon.holes) {
    if (const H3Error e = trace_loop(hole); e != H3Error::kSuccess) {
      return e;
    }
  }
  std::unordered_set<CellId> tested;
  std::vector<CellId> next;
  while (!frontier.empty()) {
    next.clear();
    for (const CellId c : frontier) {
      CellId disk[7];
      grid_disk(c, 1, disk);
      for (const CellId n : disk) {
        if (n == 0 || !tested.insert(n).second) {
          continue;
        }
        LatLng center{};
        cell_to_lat_lng(n, &center);
        if (prepared.contains(center)) {
          out->push_back(n);
          next.push_back(n);
        }
      }
    }
    frontier.swap(next);
  }
  return H3Error::kSuccess;
}

}  // namespace hexwire::geo
