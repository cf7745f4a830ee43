// min_cost_assignment gives the optimum of "sum of matched costs + cap per unmatched row" that an
// exhaustive search over all partial assignments finds, on random square and rectangular
// instances, and always returns a valid matching (distinct columns, only pairs below the cap).
#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <random>
#include <vector>

#include "geo/dispatch/assignment.hpp"

using namespace hexwire::geo;

namespace {
double brute_force(const std::vector<double>& cost, std::size_t rows, std::size_t cols,
                   double cap) {
  std::vector<char> used(cols, 0);
  std::function<double(std::size_t)> best = [&](std::size_t row) -> double {
    if (row == rows) {
      return 0.0;
    }
    double result = cap + best(row + 1);  // leave this row unmatched
    for (std::size_t j = 0; j < cols; ++j) {
      if (!used[j] && cost[row * cols + j] < cap) {
        used[j] = 1;
        result = std::min(result, cost[row * cols + j] + best(row + 1));
        used[j] = 0;
      }
    }
    return result;
  };
  return best(0);
}

void check_valid(const AssignmentResult& r, const std::vector<double>& cost, std::size_t rows,
                 std::size_t cols, double cap) {
  REQUIRE(r.column_of_row.size() == rows);
  std::vector<char> seen(cols, 0);
  double total = 0;
  for (std::size_t i = 0; i < rows; ++i) {
    const int j = r.column_of_row[i];
    if (j < 0) {
      total += cap;
      continue;
    }
    REQUIRE(static_cast<std::size_t>(j) < cols);
    REQUIRE_FALSE(seen[static_cast<std::size_t>(j)]);
    seen[static_cast<std::size_t>(j)] = 1;
    REQUIRE(cost[i * cols + static_cast<std::size_t>(j)] < cap);
    total += cost[i * cols + static_cast<std::size_t>(j)];
  }
  REQUIRE(std::abs(total - r.total_cost) < 1e-9);
}
}  // namespace

TEST_CASE("Hungarian equals brute force on random instances, square and rectangular",
          "[assignment]") {
  std::mt19937_64 rng(11);
  std::uniform_int_distribution<std::size_t> size(1, 6);
  std::uniform_real_distribution<double> value(0, 100);
  for (int instance = 0; instance < 3000; ++instance) {
    const std::size_t rows = size(rng), cols = size(rng);
    const double cap = instance % 3 == 0 ? 1e9 : 60.0;  // sometimes no cap, sometimes a binding one
    std::vector<double> cost(rows * cols);
    for (double& c : cost) {
      c = instance % 5 == 0 ? std::floor(value(rng) / 20) : value(rng);  // integer costs: many ties
    }
    const AssignmentResult r = min_cost_assignment(cost, rows, cols, cap);
    INFO("instance " << instance << " " << rows << "x" << cols);
    check_valid(r, cost, rows, cols, cap);
    REQUIRE(std::abs(r.total_cost - brute_force(cost, rows, cols, cap)) < 1e-6);
  }
}

TEST_CASE("Hungarian picks the total optimum where greedy does not", "[assignment]") {
  // Greedy gives row 0 its best column (0, cost 1) and row 1 is left with cost 100: total 101.
  // The optimum is 2 + 3 = 5.
  const std::vector<double> cost = {1, 2, 3, 100};
  const AssignmentResult r = min_cost_assignment(cost, 2, 2, 1000);
  REQUIRE(r.column_of_row == std::vector<int>{1, 0});
  REQUIRE(r.total_cost == 5);
}

TEST_CASE("every pair above the cap leaves rows unmatched, empty inputs", "[assignment]") {
  const std::vector<double> cost = {500, 600, 700, 800, 900, 1000};
  const AssignmentResult r = min_cost_assignment(cost, 2, 3, 400);
  REQUIRE(r.column_of_row == std::vector<int>{-1, -1});
  REQUIRE(r.total_cost == 800);
  REQUIRE(min_cost_assignment({}, 0, 3, 10).column_of_row.empty());
  const AssignmentResult no_columns = min_cost_assignment({}, 2, 0, 10);
  REQUIRE(no_columns.column_of_row == std::vector<int>{-1, -1});
  REQUIRE(no_columns.total_cost == 20);
}
