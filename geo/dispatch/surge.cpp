// SurgeBook: sliding-window demand per res-7 cell, capped target multiplier, smoothing and
// threshold-based change reports.
#include "geo/dispatch/surge.hpp"

#include <algorithm>
#include <cmath>

namespace hexwire::geo {

double surge_target(std::uint32_t demand, std::uint32_t supply,
                    const SurgeConfig& config) noexcept {
  const double ratio =
      static_cast<double>(demand) / static_cast<double>(std::max<std::uint32_t>(supply, 1));
  const double target = 1.0 + config.sensitivity * std::max(0.0, ratio - 1.0);
  return std::clamp(target, 1.0, std::max(1.0, config.cap));
}

double surge_smooth(double previous, double target, double smoothing) noexcept {
  return previous + std::clamp(smoothing, 0.0, 1.0) * (target - previous);
}

void SurgeBook::drop_old(Cell& cell, std::uint64_t now_ns) const {
  while (!cell.requests.empty() && cell.requests.front() + config_.window_ns <= now_ns) {
    cell.requests.pop_front();
  }
}

void SurgeBook::record_request(CellId cell_res7, std::uint64_t now_ns) {
  Cell& cell = cells_[cell_res7];
  drop_old(cell, now_ns);
  cell.requests.push_back(now_ns);
}

std::uint32_t SurgeBook::demand(CellId cell_res7, std::uint64_t now_ns) {
  const auto it = cells_.find(cell_res7);
  if (it == cells_.end()) {
    return 0;
  }
  drop_old(it->second, now_ns);
  return static_cast<std::uint32_t>(it->second.requests.size());
}

double SurgeBook::multiplier(CellId cell_res7) const noexcept {
  const auto it = cells_.find(cell_res7);
  return it == cells_.end() ? 1.0 : it->second.multiplier;
}

void SurgeBook::update(std::uint64_t now_ns, const std::function<std::uint32_t(CellId)>& supply_of,
                       std::vector<SurgeChange>& changes) {
  for (auto it = cells_.begin(); it != cells_.end();) {
    Cell& cell = it->second;
    drop_old(cell, now_ns);
    const auto demand = static_cast<std::uint32_t>(cell.requests.size());
    const std::uint32_t supply = supply_of ? supply_of(it->first) : 0;
    const double target = surge_target(demand, supply, config_);
    cell.multiplier = surge_smooth(cell.multiplier, target, config_.smoothing);
    // Snap to the target once within a hair of it, so an idle cell settles at exactly 1.0.
    if (std::abs(cell.multiplier - target) < 1e-3) {
      cell.multiplier = target;
    }
    if (std::abs(cell.multiplier - cell.reported) > config_.emit_threshold ||
        (cell.multiplier == 1.0 && cell.reported != 1.0)) {
      cell.reported = cell.multiplier;
      changes.push_back({it->first, cell.multiplier, supply, demand});
    }
    if (demand == 0 && cell.multiplier == 1.0 && cell.reported == 1.0) {
      it = cells_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace hexwire::geo
