// Benchmarks of the H3-compatible grid, each next to a plain baseline in the same binary:
// latLngToCell (fast projection vs H3's trigonometric formulation), cellToLatLng/cellToBoundary,
// gridDisk (ring walk vs breadth-first expansion), cellToParent (mask vs digit loop) and
// gridDistance (local IJK vs growing rings). Inputs cycle through 4096 random points/cells.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <set>
#include <vector>

#include "geo/hexgrid.hpp"

namespace {

using hexwire::geo::CellId;
namespace geo = hexwire::geo;

constexpr std::size_t kInputs = 4096;

const std::vector<geo::LatLng>& points() {
  static const std::vector<geo::LatLng> pts = [] {
    std::mt19937_64 rng(42);
    std::uniform_real_distribution<double> u(-1.0, 1.0);
    std::vector<geo::LatLng> v;
    for (std::size_t i = 0; i < kInputs; ++i) {
      v.push_back({std::asin(u(rng)), u(rng) * 3.141592653589793});
    }
    return v;
  }();
  return pts;
}

std::vector<CellId> cells_at(int res) {
  std::vector<CellId> v;
  for (const geo::LatLng& p : points()) {
    CellId c = 0;
    geo::lat_lng_to_cell(p, res, &c);
    v.push_back(c);
  }
  return v;
}

void BM_LatLngToCell(benchmark::State& state) {
  const int res = static_cast<int>(state.range(0));
  const auto& pts = points();
  std::size_t i = 0;
  for (auto _ : state) {
    CellId c = 0;
    geo::lat_lng_to_cell(pts[i++ % kInputs], res, &c);
    benchmark::DoNotOptimize(c);
  }
}
BENCHMARK(BM_LatLngToCell)->Arg(7)->Arg(9)->Arg(15);

// Baseline: the same pipeline with H3's own trigonometric projection (acos, atan2, tan, sin, cos).
void BM_LatLngToCellH3Trig(benchmark::State& state) {
  const int res = static_cast<int>(state.range(0));
  const auto& pts = points();
  std::size_t i = 0;
  for (auto _ : state) {
    CellId c = 0;
    geo::lat_lng_to_cell_reference(pts[i++ % kInputs], res, &c);
    benchmark::DoNotOptimize(c);
  }
}
BENCHMARK(BM_LatLngToCellH3Trig)->Arg(7)->Arg(9)->Arg(15);

void BM_CellToLatLng(benchmark::State& state) {
  const auto cells = cells_at(9);
  std::size_t i = 0;
  for (auto _ : state) {
    geo::LatLng g{};
    geo::cell_to_lat_lng(cells[i++ % kInputs], &g);
    benchmark::DoNotOptimize(g);
  }
}
BENCHMARK(BM_CellToLatLng);

void BM_CellToBoundary(benchmark::State& state) {
  const auto cells = cells_at(9);
  std::size_t i = 0;
  for (auto _ : state) {
    geo::CellBoundary b;
    geo::cell_to_boundary(cells[i++ % kInputs], &b);
    benchmark::DoNotOptimize(b);
  }
}
BENCHMARK(BM_CellToBoundary);

void BM_GridDisk(benchmark::State& state) {
  const int k = static_cast<int>(state.range(0));
  const auto cells = cells_at(9);
  std::int64_t n = 0;
  geo::max_grid_disk_size(k, &n);
  std::vector<CellId> out(static_cast<std::size_t>(n));
  std::size_t i = 0;
  for (auto _ : state) {
    geo::grid_disk(cells[i++ % kInputs], k, out);
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_GridDisk)->Arg(1)->Arg(2)->Arg(5)->Arg(10);

// Baseline: breadth-first expansion through each cell's k = 1 neighbourhood with an ordered set.
void BM_GridDiskBreadthFirst(benchmark::State& state) {
  const int k = static_cast<int>(state.range(0));
  const auto cells = cells_at(9);
  std::size_t i = 0;
  for (auto _ : state) {
    std::set<CellId> seen{cells[i++ % kInputs]};
    std::vector<CellId> frontier(seen.begin(), seen.end());
    for (int d = 0; d < k; ++d) {
      std::vector<CellId> next;
      for (const CellId c : frontier) {
        CellId ring[7];
        geo::grid_disk(c, 1, ring);
        for (const CellId n : ring) {
          if (n != 0 && seen.insert(n).second) {
            next.push_back(n);
          }
        }
      }
      frontier.swap(next);
    }
    benchmark::DoNotOptimize(seen.size());
  }
}
BENCHMARK(BM_GridDiskBreadthFirst)->Arg(1)->Arg(2)->Arg(5)->Arg(10);

void BM_CellToParent(benchmark::State& state) {
  const auto cells = cells_at(15);
  std::size_t i = 0;
  for (auto _ : state) {
    CellId p = 0;
    geo::cell_to_parent(cells[i++ % kInputs], 7, &p);
    benchmark::DoNotOptimize(p);
  }
}
BENCHMARK(BM_CellToParent);

// Baseline: setting the resolution and each finer digit to 7 one at a time.
void BM_CellToParentDigitLoop(benchmark::State& state) {
  const auto cells = cells_at(15);
  std::size_t i = 0;
  for (auto _ : state) {
    CellId h = cells[i++ % kInputs];
    const int res = geo::get_resolution(h);
    h = (h & ~(0xfULL << 52)) | (7ULL << 52);
    for (int r = 8; r <= res; ++r) {
      h |= 7ULL << ((15 - r) * 3);
    }
    benchmark::DoNotOptimize(h);
  }
}
BENCHMARK(BM_CellToParentDigitLoop);

std::vector<std::pair<CellId, CellId>> distance_pairs() {
  const auto cells = cells_at(9);
  std::vector<std::pair<CellId, CellId>> pairs;
  std::mt19937 rng(7);
  for (const CellId c : cells) {
    CellId other = c;
    for (int s = 0; s < 5; ++s) {
      CellId ring[7];
      geo::grid_disk(other, 1, ring);
      other = ring[1 + rng() % 6] != 0 ? ring[1 + rng() % 6] : other;
    }
    pairs.emplace_back(c, other);
  }
  return pairs;
}

void BM_GridDistance(benchmark::State& state) {
  const auto pairs = distance_pairs();
  std::size_t i = 0;
  for (auto _ : state) {
    const auto& [a, b] = pairs[i++ % kInputs];
    std::int64_t d = 0;
    geo::grid_distance(a, b, &d);
    benchmark::DoNotOptimize(d);
  }
}
BENCHMARK(BM_GridDistance);

// Baseline: grow rings around the origin until the destination shows up (distances up to 5).
void BM_GridDistanceRings(benchmark::State& state) {
  const auto pairs = distance_pairs();
  std::vector<CellId> ring(6 * 8);
  std::size_t i = 0;
  for (auto _ : state) {
    const auto& [a, b] = pairs[i++ % kInputs];
    int d = 0;
    for (; d <= 8; ++d) {
      std::fill(ring.begin(), ring.end(), 0);
      geo::grid_ring(a, d, ring);
      if (std::find(ring.begin(), ring.end(), b) != ring.end()) {
        break;
      }
    }
    benchmark::DoNotOptimize(d);
  }
}
BENCHMARK(BM_GridDistanceRings);

}  // namespace
