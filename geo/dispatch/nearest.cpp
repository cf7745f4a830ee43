// NearestSearch: outward ring scan with an exact stopping rule, and the brute-force reference.
// The stopping rule: any point at grid distance >= r from the query cell is reached by a great
// circle that first crosses a cell of ring r, so min over ring r of (distance to the cell centre
// - max cell radius) bounds every driver that a later ring could add.
#include "geo/dispatch/nearest.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace hexwire::geo {

namespace {
// H3 v4 average hexagon edge lengths (km) per resolution; a regular hexagon's circumradius is its
// edge. Cells vary in size over the icosahedron: the farthest boundary vertex of any cell measured
// 1.104 x this average (every cell of res 0-3, 200k random cells of each finer res), so 1.25 keeps
// a 13% margin; the tests check the bound exhaustively for res 0-3 and on samples beyond.
constexpr double kAverageEdgeKm[16] = {1281.256011, 483.0568391, 182.5129565, 68.97922179,
                                       26.07175968, 9.854090990, 3.724532667, 1.406475763,
                                       0.531414010, 0.200786148, 0.075863783, 0.028663897,
                                       0.010830188, 0.004092010, 0.001546100, 0.000584169};
constexpr double kRadiusMargin = 1.25;
constexpr int kMaxRings = 4000;
constexpr double kInfinity = std::numeric_limits<double>::infinity();
}  // namespace

double max_cell_radius_km(int res) noexcept {
  return kAverageEdgeKm[std::clamp(res, 0, kMaxResolution)] * kRadiusMargin;
}

bool NearestSearch::before(const NearestCandidate& a, const NearestCandidate& b) const noexcept {
  if (a.distance_km != b.distance_km) {
    return a.distance_km < b.distance_km;
  }
  return fleet_->driver(a.driver).id < fleet_->driver(b.driver).id;
}

H3Error NearestSearch::ring_cells(CellId origin, int r) {
  ring_.clear();
  if (!fallback_) {
    ring_.resize(r == 0 ? 1 : 6 * static_cast<std::size_t>(r));
    // The unsafe walk is exact while no pentagon lies in the disk; rings are walked in order, so
    // any pentagon inside would have been met (and reported) on an earlier ring.
    if (grid_ring_unsafe(origin, r, ring_) == H3Error::kSuccess) {
      return H3Error::kSuccess;
    }
    fallback_ = true;
    ring_.clear();
  }
  if (r > disk_radius_) {
    disk_radius_ = std::max(2 * r, 8);
    std::int64_t size = 0;
    if (const H3Error e = max_grid_disk_size(disk_radius_, &size); e != H3Error::kSuccess) {
      return e;
    }
    disk_.assign(static_cast<std::size_t>(size), 0);
    disk_distances_.assign(static_cast<std::size_t>(size), 0);
    if (const H3Error e = grid_disk_distances(origin, disk_radius_, disk_, disk_distances_);
        e != H3Error::kSuccess) {
      return e;
    }
    // Counting sort by distance so each later ring is a slice.
    ring_offsets_.assign(static_cast<std::size_t>(disk_radius_) + 2, 0);
    for (std::size_t i = 0; i < disk_.size(); ++i) {
      if (disk_[i] != 0) {
        ++ring_offsets_[static_cast<std::size_t>(disk_distances_[i]) + 1];
      }
    }
    for (std::size_t i = 1; i < ring_offsets_.size(); ++i) {
      ring_offsets_[i] += ring_offsets_[i - 1];
    }
    by_distance_.assign(ring_offsets_.back(), 0);
    std::vector<std::size_t> cursor(ring_offsets_.begin(), ring_offsets_.end() - 1);
    for (std::size_t i = 0; i < disk_.size(); ++i) {
      if (disk_[i] != 0) {
        by_distance_[cursor[static_cast<std::size_t>(disk_distances_[i])]++] = disk_[i];
      }
    }
  }
  ring_.assign(by_distance_.begin() + static_cast<std::ptrdiff_t>(ring_offsets_[r]),
               by_distance_.begin() + static_cast<std::ptrdiff_t>(ring_offsets_[r + 1]));
  return H3Error::kSuccess;
}

void NearestSearch::scan_cell(CellId cell, const NearestQuery& query,
                              std::vector<NearestCandidate>& out) {
  if (cell == 0) {
    return;
  }
  if (query.coarse_res >= 0) {
    CellId parent = 0;
    if (cell_to_parent(cell, query.coarse_res, &parent) == H3Error::kSuccess &&
        (coarse_.empty() || coarse_.back() != parent)) {
      coarse_.push_back(parent);
    }
  }
  for (const IndexedDriver& entry : fleet_->drivers_in(cell)) {
    if (!fleet_->fresh(entry, query.now_ns)) {
      continue;
    }
    const NearestCandidate candidate{great_circle_distance_km(query.point, entry.position),
                                     entry.driver};
    if (candidate.distance_km > query.max_radius_km) {
      continue;
    }
    if (out.size() == query.k && !before(candidate, out.back())) {
      continue;
    }
    const auto at = std::upper_bound(out.begin(), out.end(), candidate,
                                     [this](const auto& a, const auto& b) { return before(a, b); });
    out.insert(at, candidate);
    if (out.size() > query.k) {
      out.pop_back();
    }
  }
}

double NearestSearch::ring_lower_bound_km(LatLng point) const noexcept {
  double bound = kInfinity;
  for (const CellId cell : ring_) {
    LatLng centre{};
    if (cell != 0 && cell_to_lat_lng(cell, &centre) == H3Error::kSuccess) {
      bound = std::min(bound, great_circle_distance_km(point, centre));
    }
  }
  return bound == kInfinity ? bound : bound - max_cell_radius_km(fleet_->config().index_res);
}

H3Error NearestSearch::find(const NearestQuery& query, std::vector<NearestCandidate>& out) {
  out.clear();
  coarse_.clear();
  rings_ = 0;
  fallback_ = false;
  disk_radius_ = -1;
  if (query.k == 0) {
    return H3Error::kSuccess;
  }
  CellId origin = 0;
  if (const H3Error e = lat_lng_to_cell(query.point, fleet_->config().index_res, &origin);
      e != H3Error::kSuccess) {
    return e;
  }
  if (const H3Error e = ring_cells(origin, 0); e != H3Error::kSuccess) {
    return e;
  }
  for (int r = 0;;) {
    for (const CellId cell : ring_) {
      scan_cell(cell, query, out);
    }
    rings_ = ++r;
    if (r > kMaxRings) {
      break;
    }
    if (const H3Error e = ring_cells(origin, r); e != H3Error::kSuccess) {
      return e;
    }
    if (std::all_of(ring_.begin(), ring_.end(), [](CellId c) { return c == 0; })) {
      break;  // the disk already covers the globe
    }
    const bool full = out.size() == query.k;
    if (full || r % 4 == 0) {
      const double bound = ring_lower_bound_km(query.point);
      if (bound > query.max_radius_km || (full && bound > out.back().distance_km)) {
        break;
      }
    }
  }
  if (query.coarse_res >= 0) {
    std::sort(coarse_.begin(), coarse_.end());
    coarse_.erase(std::unique(coarse_.begin(), coarse_.end()), coarse_.end());
  }
  return H3Error::kSuccess;
}

void nearest_brute_force(const FleetIndex& fleet, const NearestQuery& query,
                         std::vector<NearestCandidate>& out) {
  out.clear();
  for (DriverIndex i = 0; i < fleet.capacity(); ++i) {
    if (!fleet.in_use(i) || !fleet.searchable(i, query.now_ns)) {
      continue;
    }
    const double d = great_circle_distance_km(query.point, fleet.driver(i).position);
    if (d <= query.max_radius_km) {
      out.push_back({d, i});
    }
  }
  const auto before = [&](const NearestCandidate& a, const NearestCandidate& b) {
    if (a.distance_km != b.distance_km) {
      return a.distance_km < b.distance_km;
    }
    return fleet.driver(a.driver).id < fleet.driver(b.driver).id;
  };
  const std::size_t keep = std::min(query.k, out.size());
  std::partial_sort(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(keep), out.end(),
                    before);
  out.resize(keep);
}

}  // namespace hexwire::geo
