// Exact nearest-k search over one shard's FleetIndex: grid rings are scanned outward from the
// query cell until k drivers are held AND no cell of the next ring can hold anything nearer than
// the k-th (a conservative great-circle lower bound from the ring's cell centres minus a bound on
// any cell's circumradius). Ranking is by great-circle distance, ties by driver id, so the answer
// equals a brute-force scan. Scratch buffers are reused: no allocation once warmed up.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "geo/dispatch/fleet.hpp"
#include "geo/hexgrid.hpp"

namespace hexwire::geo {

struct NearestCandidate {
  double distance_km;
  DriverIndex driver;
};

struct NearestQuery {
  LatLng point{};  ///< radians
  std::size_t k = 10;
  double max_radius_km = 25.0;  ///< drivers farther away are never returned (inclusive bound)
  std::uint64_t now_ns = 0;     ///< for the silence check (FleetIndex::searchable)
  int coarse_res = -1;          ///< >= 0: also report the coarse cells the search covered
};

/// Upper bound on the distance from a cell's centre to any point of the cell, for any cell of
/// `res` on the globe (km). Checked against cell_to_boundary by the tests.
double max_cell_radius_km(int res) noexcept;

class NearestSearch {
 public:
  explicit NearestSearch(const FleetIndex& fleet) : fleet_(&fleet) {}

  /// Writes the (up to) k nearest searchable drivers within max_radius_km, nearest first, ties by
  /// id. When query.coarse_res >= 0, coarse_cells() afterwards lists (sorted, unique) the parents
  /// at that resolution of every cell that could hold a driver within the final search radius.
  H3Error find(const NearestQuery& query, std::vector<NearestCandidate>& out);

  [[nodiscard]] const std::vector<CellId>& coarse_cells() const noexcept { return coarse_; }
  /// Rings scanned by the last find() (for metrics).
  [[nodiscard]] int rings_scanned() const noexcept { return rings_; }

 private:
  H3Error ring_cells(CellId origin, int r);
  void scan_cell(CellId cell, const NearestQuery& query, std::vector<NearestCandidate>& out);
  [[nodiscard]] bool before(const NearestCandidate& a, const NearestCandidate& b) const noexcept;
  double ring_lower_bound_km(LatLng point) const noexcept;

  const FleetIndex* fleet_;
  std::vector<CellId> ring_;
  std::vector<CellId> disk_;
  std::vector<int> disk_distances_;
  std::vector<std::size_t> ring_offsets_;  // pentagon fallback: disk_ cells grouped by distance
  std::vector<CellId> by_distance_;
  int disk_radius_ = -1;
  bool fallback_ = false;
  std::vector<CellId> coarse_;
  int rings_ = 0;
};

/// Reference: the same answer by scanning every driver (tests and the benchmark baseline).
void nearest_brute_force(const FleetIndex& fleet, const NearestQuery& query,
                         std::vector<NearestCandidate>& out);

}  // namespace hexwire::geo
