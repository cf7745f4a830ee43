// Measures on the sphere: great-circle distance (haversine, as H3) and exact cell area from the
// cell's boundary (edge-to-pole lune areas, Kahan-summed, the formulation H3 v4 uses).
#include <cmath>

#include "geo/detail/hexgrid_internal.hpp"

namespace hexwire::geo {
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
