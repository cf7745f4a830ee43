// Surge pricing per res-7 cell: demand is the number of ride requests in a sliding window, supply
// the available drivers in the cell now; the target multiplier grows with demand/supply, is capped,
// and the published multiplier follows it by exponential smoothing. A change is reported only when
// it moves by more than a threshold since the last report. Single-threaded (one shard's cells).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <unordered_map>
#include <vector>

#include "geo/hexgrid.hpp"

namespace hexwire::geo {

struct SurgeConfig {
  std::uint64_t window_ns = 300'000'000'000;  ///< demand counts requests of the last 5 minutes
  double cap = 3.0;                           ///< highest multiplier
  double sensitivity = 0.5;                   ///< multiplier slope per unit of excess demand/supply
  double smoothing = 0.3;                     ///< weight of the new target per update (0..1]
  double emit_threshold = 0.05;               ///< report when |new - last reported| exceeds this
};

/// The un-smoothed multiplier: 1 while demand <= supply, then 1 + sensitivity * (demand/supply - 1)
/// (supply counted as at least 1), never above cap. Monotonic non-decreasing in demand.
double surge_target(std::uint32_t demand, std::uint32_t supply, const SurgeConfig& config) noexcept;
/// One exponential-smoothing step from `previous` towards `target`.
double surge_smooth(double previous, double target, double smoothing) noexcept;

struct SurgeChange {
  CellId cell_res7;
  double multiplier;
  std::uint32_t supply;
  std::uint32_t demand;
};

class SurgeBook {
 public:
  explicit SurgeBook(SurgeConfig config = {}) : config_(config) {}

  void record_request(CellId cell_res7, std::uint64_t now_ns);
  /// Requests in the window ending at now_ns.
  [[nodiscard]] std::uint32_t demand(CellId cell_res7, std::uint64_t now_ns);
  /// The current (smoothed) multiplier; 1.0 for a cell with no recent demand.
  [[nodiscard]] double multiplier(CellId cell_res7) const noexcept;
  /// One smoothing step for every cell with demand or a multiplier above 1; appends to `changes`
  /// the cells whose multiplier moved by more than emit_threshold since they were last reported.
  void update(std::uint64_t now_ns, const std::function<std::uint32_t(CellId)>& supply_of,
              std::vector<SurgeChange>& changes);
  [[nodiscard]] std::size_t tracked_cells() const noexcept { return cells_.size(); }

 private:
  struct Cell {
    std::deque<std::uint64_t> requests;  // arrival times, oldest first
    double multiplier = 1.0;
    double reported = 1.0;
  };
  void drop_old(Cell& cell, std::uint64_t now_ns) const;

  SurgeConfig config_;
  std::unordered_map<CellId, Cell> cells_;
};

}  // namespace hexwire::geo
