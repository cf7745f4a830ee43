// Hungarian algorithm on a square matrix (rows padded with unmatched columns, columns with dummy
// rows), shortest augmenting paths with row/column potentials; see assignment.hpp for the model.
#include "geo/dispatch/assignment.hpp"

#include <algorithm>
#include <limits>

namespace hexwire::geo {

AssignmentResult min_cost_assignment(std::span<const double> cost, std::size_t rows,
                                     std::size_t cols, double no_match_cost) {
  AssignmentResult result;
  result.column_of_row.assign(rows, -1);
  if (rows == 0) {
    return result;
  }
  // Square n x n: real rows x real columns keep min(cost, cap); a real row against a padding
  // column costs the cap (that is "unmatched"); dummy rows cost 0 everywhere.
  const std::size_t n = std::max(rows, cols);
  const auto entry = [&](std::size_t i, std::size_t j) -> double {
    if (i >= rows) {
      return 0.0;
    }
    if (j >= cols) {
      return no_match_cost;
    }
    return std::min(cost[i * cols + j], no_match_cost);
  };
  constexpr double kInf = std::numeric_limits<double>::infinity();
  // 1-based arrays as in the classic formulation: p[j] = row matched to column j (0 = none).
  std::vector<double> u(n + 1, 0.0), v(n + 1, 0.0), min_to(n + 1);
  std::vector<std::size_t> p(n + 1, 0), way(n + 1, 0);
  std::vector<char> used(n + 1);
  for (std::size_t i = 1; i <= n; ++i) {
    p[0] = i;
    std::size_t j0 = 0;
    std::fill(min_to.begin(), min_to.end(), kInf);
    std::fill(used.begin(), used.end(), 0);
    do {
      used[j0] = 1;
      const std::size_t i0 = p[j0];
      double delta = kInf;
      std::size_t j1 = 0;
      for (std::size_t j = 1; j <= n; ++j) {
        if (used[j]) {
          continue;
        }
        const double reduced = entry(i0 - 1, j - 1) - u[i0] - v[j];
        if (reduced < min_to[j]) {
          min_to[j] = reduced;
          way[j] = j0;
        }
        if (min_to[j] < delta) {
          delta = min_to[j];
          j1 = j;
        }
      }
      for (std::size_t j = 0; j <= n; ++j) {
        if (used[j]) {
          u[p[j]] += delta;
          v[j] -= delta;
        } else {
          min_to[j] -= delta;
        }
      }
      j0 = j1;
    } while (p[j0] != 0);
    do {
      const std::size_t j1 = way[j0];
      p[j0] = p[j1];
      j0 = j1;
    } while (j0 != 0);
  }
  for (std::size_t j = 1; j <= n; ++j) {
    const std::size_t i = p[j] - 1;
    if (i < rows && j - 1 < cols && cost[i * cols + (j - 1)] < no_match_cost) {
      result.column_of_row[i] = static_cast<int>(j - 1);
    }
  }
  for (std::size_t i = 0; i < rows; ++i) {
    const int j = result.column_of_row[i];
    result.total_cost += j < 0 ? no_match_cost : cost[i * cols + static_cast<std::size_t>(j)];
  }
  return result;
}

}  // namespace hexwire::geo
