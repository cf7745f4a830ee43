// Minimum-cost assignment (Hungarian algorithm, O(n^3) with potentials) for batched matching:
// rows are ride requests, columns are drivers, cost is the pickup ETA. Rectangular matrices are
// padded to square; leaving a row unmatched costs `no_match_cost`, and a pair costing at least that
// much is never chosen, so the result minimises sum(matched costs) + no_match_cost * unmatched
// rows.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

namespace hexwire::geo {

struct AssignmentResult {
  std::vector<int> column_of_row;  ///< -1: the row is left unmatched
  double total_cost = 0;           ///< matched costs + no_match_cost per unmatched row
};

/// `cost` is row-major rows x cols (finite values; use no_match_cost or more for "impossible").
/// Not a hot path (allocates O(n^2) scratch); n = max(rows, cols).
AssignmentResult min_cost_assignment(std::span<const double> cost, std::size_t rows,
                                     std::size_t cols, double no_match_cost);

}  // namespace hexwire::geo
