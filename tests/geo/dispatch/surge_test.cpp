// Surge: the target multiplier is 1 without excess demand, never above the cap, non-decreasing in
// demand; smoothing moves part of the way each update and converges; reports only past the
// threshold; demand leaves the sliding window.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "geo/dispatch/surge.hpp"

using namespace hexwire::geo;

namespace {
constexpr std::uint64_t kSecond = 1'000'000'000;
}

TEST_CASE("surge target: floor 1, cap, monotonic in demand", "[surge]") {
  SurgeConfig config;
  config.cap = 2.5;
  config.sensitivity = 0.5;
  for (std::uint32_t supply = 0; supply <= 20; ++supply) {
    double previous = 0;
    for (std::uint32_t demand = 0; demand <= 200; ++demand) {
      const double m = surge_target(demand, supply, config);
      REQUIRE(m >= 1.0);
      REQUIRE(m <= config.cap);
      REQUIRE(m >= previous);
      previous = m;
      if (demand <= std::max<std::uint32_t>(supply, 1)) {
        REQUIRE(m == 1.0);
      }
    }
    REQUIRE(previous == config.cap);
  }
  REQUIRE(surge_target(30, 10, config) == Approx(2.0));  // 1 + 0.5 * (3 - 1)
  // More supply never raises the price.
  REQUIRE(surge_target(30, 20, config) <= surge_target(30, 10, config));
}

TEST_CASE("smoothing moves part of the way and converges", "[surge]") {
  REQUIRE(surge_smooth(1.0, 3.0, 0.25) == Approx(1.5));
  REQUIRE(surge_smooth(1.0, 3.0, 1.0) == Approx(3.0));
  REQUIRE(surge_smooth(2.0, 2.0, 0.3) == Approx(2.0));
  double m = 1.0;
  for (int i = 0; i < 100; ++i) {
    const double next = surge_smooth(m, 3.0, 0.3);
    REQUIRE(next >= m);
    REQUIRE(next <= 3.0);
    m = next;
  }
  REQUIRE(m == Approx(3.0));
}

TEST_CASE("the book reports changes past the threshold and settles back to 1", "[surge]") {
  SurgeConfig config;
  config.window_ns = 60 * kSecond;
  config.cap = 3.0;
  config.sensitivity = 1.0;
  config.smoothing = 0.5;
  config.emit_threshold = 0.1;
  SurgeBook book(config);
  const CellId cell = 0x872830828ffffffull;
  std::uint64_t now = kSecond;
  for (int i = 0; i < 8; ++i) {
    book.record_request(cell, now);
  }
  REQUIRE(book.demand(cell, now) == 8);
  std::vector<SurgeChange> changes;
  const auto supply = [](CellId) -> std::uint32_t { return 2; };
  book.update(now, supply, changes);  // target 4 capped to 3: 1 -> 2
  REQUIRE(changes.size() == 1);
  REQUIRE(changes[0].multiplier == Approx(2.0));
  REQUIRE(changes[0].demand == 8);
  REQUIRE(changes[0].supply == 2);
  book.update(now, supply, changes);  // 2 -> 2.5
  book.update(now, supply, changes);  // 2.5 -> 2.75
  REQUIRE(changes.size() == 3);
  REQUIRE(book.multiplier(cell) == Approx(2.75));
  changes.clear();
  book.update(now, supply, changes);  // 2.875: moved 0.125 since the last report
  book.update(now, supply, changes);  // 2.9375: only 0.06 since: not reported
  REQUIRE(changes.size() == 1);
  // The window passes: demand 0, the multiplier decays to exactly 1 and is reported as such.
  now += 61 * kSecond;
  REQUIRE(book.demand(cell, now) == 0);
  changes.clear();
  for (int i = 0; i < 30; ++i) {
    book.update(now, supply, changes);
  }
  REQUIRE(!changes.empty());
  REQUIRE(changes.back().multiplier == 1.0);
  REQUIRE(book.multiplier(cell) == 1.0);
  REQUIRE(book.tracked_cells() == 0);
}
