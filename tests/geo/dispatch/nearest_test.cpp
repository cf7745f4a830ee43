// NearestSearch returns exactly what a brute-force scan returns (same drivers, same order, ties by
// id) on random fleets: a city, around icosahedron pentagons, across the antimeridian and at both
// poles; and max_cell_radius_km really bounds every cell's outline.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "geo/dispatch/fleet.hpp"
#include "geo/dispatch/nearest.hpp"

using namespace hexwire::geo;

namespace {
constexpr std::uint64_t kNow = 1'000'000'000'000;

struct Area {
  double lat_lo, lat_hi, lng_lo, lng_hi;  // lng_lo > lng_hi means "wraps across 180"
};

double wrap(double lng) {
  return lng > 180 ? lng - 360 : lng;
}

GpsFix random_fix(std::mt19937_64& rng, const Area& a) {
  std::uniform_real_distribution<double> u(0, 1);
  const double width = a.lng_lo <= a.lng_hi ? a.lng_hi - a.lng_lo : a.lng_hi + 360 - a.lng_lo;
  GpsFix f;
  f.lat_deg = std::min(90.0, a.lat_lo + u(rng) * (a.lat_hi - a.lat_lo));
  f.lng_deg = wrap(a.lng_lo + u(rng) * width);
  return f;
}

void fill(FleetIndex& fleet, std::mt19937_64& rng, const Area& area, int drivers) {
  for (int i = 0; i < drivers; ++i) {
    const DriverIndex d = fleet.find_or_add("d" + std::to_string(i));
    GpsFix f = random_fix(rng, area);
    // A few drivers share exact positions, so ties by id are exercised.
    if (i % 50 == 1) {
      f.lat_deg = rads_to_degs(fleet.driver(d - 1).position.lat);
      f.lng_deg = rads_to_degs(fleet.driver(d - 1).position.lng);
    }
    f.available = i % 10 != 0;  // some are offline: never returned
    REQUIRE(fleet.apply_fix(d, f, kNow - (i % 7 == 0 ? 60'000'000'000 : 0)) ==
            FixOutcome::kAccepted);
    if (i % 13 == 0) {
      fleet.set_status(d, DriverStatus::kOnTrip);
    }
  }
}

void compare(FleetIndex& fleet, std::mt19937_64& rng, const Area& area, int queries,
             double radius_km) {
  NearestSearch search(fleet);
  std::vector<NearestCandidate> got, want;
  std::uniform_int_distribution<std::size_t> k_of(1, 25);
  for (int q = 0; q < queries; ++q) {
    const GpsFix at = random_fix(rng, area);
    NearestQuery query{
        {degs_to_rads(at.lat_deg), degs_to_rads(at.lng_deg)}, k_of(rng), radius_km, kNow, -1};
    REQUIRE(search.find(query, got) == H3Error::kSuccess);
    nearest_brute_force(fleet, query, want);
    INFO("query " << q << " at " << at.lat_deg << "," << at.lng_deg << " k=" << query.k);
    REQUIRE(got.size() == want.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
      REQUIRE(fleet.driver(got[i].driver).id == fleet.driver(want[i].driver).id);
      REQUIRE(got[i].distance_km == want[i].distance_km);
    }
  }
}

FleetIndex make_fleet() {
  FleetConfig config;
  config.driver_ttl_ns = 30'000'000'000;
  return FleetIndex(config);
}
}  // namespace

TEST_CASE("nearest-k equals brute force in a city", "[nearest]") {
  std::mt19937_64 rng(1);
  FleetIndex fleet = make_fleet();
  const Area sf{37.70, 37.82, -122.52, -122.36};
  fill(fleet, rng, sf, 5000);
  compare(fleet, rng, sf, 3000, 5.0);
  // Queries at the edge and outside the fleet's area, with a larger radius.
  compare(fleet, rng, Area{37.60, 37.90, -122.70, -122.20}, 500, 20.0);
}

TEST_CASE("nearest-k equals brute force in a sparse fleet (many rings)", "[nearest]") {
  std::mt19937_64 rng(2);
  FleetIndex fleet = make_fleet();
  const Area region{37.0, 38.5, -123.0, -121.5};
  fill(fleet, rng, region, 300);
  compare(fleet, rng, region, 300, 40.0);
}

TEST_CASE("nearest-k equals brute force around pentagons", "[nearest]") {
  // Every res-0 pentagon; its res-9 centre child is a pentagon too.
  std::mt19937_64 rng(3);
  int pentagons = 0;
  for (int base = 0; base < 122; ++base) {
    const CellId res0 = 0x8001fffffffffffull | (static_cast<CellId>(base) << 45);
    if (!is_pentagon(res0)) {
      continue;
    }
    CellId centre = 0;
    REQUIRE(cell_to_center_child(res0, 9, &centre) == H3Error::kSuccess);
    REQUIRE(is_pentagon(centre));
    LatLng p{};
    REQUIRE(cell_to_lat_lng(centre, &p) == H3Error::kSuccess);
    const double lat = rads_to_degs(p.lat), lng = rads_to_degs(p.lng);
    const double dlng = 0.03 / std::max(0.1, std::cos(p.lat));
    const Area around{lat - 0.03, lat + 0.03, wrap(lng - dlng + 360), wrap(lng + dlng + 360)};
    FleetIndex fleet = make_fleet();
    fill(fleet, rng, around, 400);
    compare(fleet, rng, around, 150, 6.0);
    ++pentagons;
  }
  REQUIRE(pentagons == 12);
}

TEST_CASE("nearest-k equals brute force across the antimeridian", "[nearest]") {
  std::mt19937_64 rng(4);
  FleetIndex fleet = make_fleet();
  const Area fiji{-17.0, -16.0, 179.6, -179.6};  // wraps across 180
  fill(fleet, rng, fiji, 3000);
  compare(fleet, rng, fiji, 2000, 15.0);
}

TEST_CASE("nearest-k equals brute force near both poles", "[nearest]") {
  std::mt19937_64 rng(5);
  for (const Area pole : {Area{89.8, 90.0, -180, 180}, Area{-90.0, -89.8, -180, 180}}) {
    FleetIndex fleet = make_fleet();
    fill(fleet, rng, pole, 2000);
    compare(fleet, rng, pole, 1000, 10.0);
  }
}

TEST_CASE("nothing within range, k larger than the fleet, and k = 0", "[nearest]") {
  std::mt19937_64 rng(6);
  FleetIndex fleet = make_fleet();
  fill(fleet, rng, Area{10.0, 10.01, 10.0, 10.01}, 20);
  NearestSearch search(fleet);
  std::vector<NearestCandidate> got;
  const LatLng far{degs_to_rads(11.0), degs_to_rads(11.0)};
  REQUIRE(search.find({far, 10, 5.0, kNow, -1}, got) == H3Error::kSuccess);
  REQUIRE(got.empty());
  const LatLng near{degs_to_rads(10.005), degs_to_rads(10.005)};
  REQUIRE(search.find({near, 100, 5.0, kNow, -1}, got) == H3Error::kSuccess);
  std::vector<NearestCandidate> want;
  nearest_brute_force(fleet, {near, 100, 5.0, kNow, -1}, want);
  REQUIRE(got.size() == want.size());
  REQUIRE(!got.empty());
  REQUIRE(search.find({near, 0, 5.0, kNow, -1}, got) == H3Error::kSuccess);
  REQUIRE(got.empty());
}

TEST_CASE("the coarse cells reported cover every returned driver", "[nearest]") {
  std::mt19937_64 rng(8);
  FleetIndex fleet = make_fleet();
  const Area sf{37.70, 37.82, -122.52, -122.36};
  fill(fleet, rng, sf, 2000);
  NearestSearch search(fleet);
  std::vector<NearestCandidate> got;
  for (int q = 0; q < 200; ++q) {
    const GpsFix at = random_fix(rng, sf);
    REQUIRE(search.find({{degs_to_rads(at.lat_deg), degs_to_rads(at.lng_deg)}, 10, 5.0, kNow, 6},
                        got) == H3Error::kSuccess);
    const auto& coarse = search.coarse_cells();
    for (const auto& c : got) {
      CellId parent = 0;
      REQUIRE(cell_to_parent(fleet.driver(c.driver).cell, 6, &parent) == H3Error::kSuccess);
      REQUIRE(std::binary_search(coarse.begin(), coarse.end(), parent));
    }
  }
}

TEST_CASE("max_cell_radius_km bounds every cell's outline", "[nearest]") {
  const auto radius = [](CellId cell) {
    LatLng centre{};
    CellBoundary boundary{};
    REQUIRE(cell_to_lat_lng(cell, &centre) == H3Error::kSuccess);
    REQUIRE(cell_to_boundary(cell, &boundary) == H3Error::kSuccess);
    double worst = 0;
    for (int v = 0; v < boundary.num_verts; ++v) {
      worst = std::max(worst, great_circle_distance_km(centre, boundary.verts[v]));
    }
    return worst;
  };
  // Every cell of res 0-3 (41,162 cells), including the 12 pentagons of each.
  std::vector<CellId> children;
  for (int base = 0; base < 122; ++base) {
    const CellId res0 = 0x8001fffffffffffull | (static_cast<CellId>(base) << 45);
    for (int res = 0; res <= 3; ++res) {
      std::int64_t n = 0;
      REQUIRE(cell_to_children_size(res0, res, &n) == H3Error::kSuccess);
      children.assign(static_cast<std::size_t>(n), 0);
      REQUIRE(cell_to_children(res0, res, children) == H3Error::kSuccess);
      for (const CellId cell : children) {
        INFO("cell " << std::hex << cell);
        REQUIRE(radius(cell) <= max_cell_radius_km(res));
      }
    }
  }
  // Finer resolutions: random cells plus each pentagon's centre child.
  std::mt19937_64 rng(9);
  std::uniform_real_distribution<double> sine(-1, 1), lng(-180, 180);
  for (int res = 4; res <= 15; ++res) {
    for (int i = 0; i < 5000; ++i) {
      CellId cell = 0;
      REQUIRE(lat_lng_to_cell({std::asin(sine(rng)), degs_to_rads(lng(rng))}, res, &cell) ==
              H3Error::kSuccess);
      REQUIRE(radius(cell) <= max_cell_radius_km(res));
    }
    for (int base = 0; base < 122; ++base) {
      CellId centre = 0;
      REQUIRE(cell_to_center_child(0x8001fffffffffffull | (static_cast<CellId>(base) << 45), res,
                                   &centre) == H3Error::kSuccess);
      REQUIRE(radius(centre) <= max_cell_radius_km(res));
    }
  }
}
