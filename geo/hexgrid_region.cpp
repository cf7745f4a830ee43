// Measures on the sphere: great-circle distance (haversine, as H3) and exact cell area from the
// cell's boundary, split into spherical triangles around the centre (l'Huilier's formula).
#include <cmath>

#include "geo/detail/hexgrid_internal.hpp"

namespace hexwire::geo {
namespace {

constexpr double kEarthRadiusKm = 6371.007180918475;

double triangle_area(LatLng a, LatLng b, LatLng c) noexcept {
  const double ab = great_circle_distance_rads(a, b);
  const double bc = great_circle_distance_rads(b, c);
  const double ca = great_circle_distance_rads(c, a);
  const double s = (ab + bc + ca) / 2;
  const double t = std::tan(s / 2) * std::tan((s - ab) / 2) * std::tan((s - bc) / 2) * std::tan((s - ca) / 2);
  return 4 * std::atan(std::sqrt(std::fabs(t)));
}

}  // namespace

double great_circle_distance_rads(LatLng a, LatLng b) noexcept {
  const double sin_lat = std::sin((b.lat - a.lat) * 0.5);
  const double sin_lng = std::sin((b.lng - a.lng) * 0.5);
  const double h = sin_lat * sin_lat + std::cos(a.lat) * std::cos(b.lat) * sin_lng * sin_lng;
  return 2 * std::atan2(std::sqrt(h), std::sqrt(1 - h));
}

double great_circle_distance_km(LatLng a, LatLng b) noexcept {
  return great_circle_distance_rads(a, b) * kEarthRadiusKm;
}

H3Error cell_area_rads2(CellId cell, double* out) noexcept {
  LatLng center{};
  CellBoundary boundary;
  if (const H3Error e = cell_to_lat_lng(cell, &center); e != H3Error::kSuccess) {
    return e;
  }
  cell_to_boundary(cell, &boundary);
  double area = 0;
  for (int i = 0; i < boundary.num_verts; ++i) {
    area += triangle_area(boundary.verts[i], boundary.verts[(i + 1) % boundary.num_verts], center);
  }
  *out = area;
  return H3Error::kSuccess;
}

H3Error cell_area_km2(CellId cell, double* out) noexcept {
  double rads2 = 0;
  if (const H3Error e = cell_area_rads2(cell, &rads2); e != H3Error::kSuccess) {
    return e;
  }
  *out = rads2 * kEarthRadiusKm * kEarthRadiusKm;
  return H3Error::kSuccess;
}

}  // namespace hexwire::geo
