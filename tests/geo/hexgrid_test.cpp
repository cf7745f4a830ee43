// Unit tests of the H3-compatible grid's C++ API: known H3 ids, error codes, invalid cells,
// pentagon behaviour, buffer sizes, round trips, and that hot functions do not allocate. The
// bit-for-bit agreement with H3 at scale is the conformance run (tests/conformance/h3_*.js).
#include <catch2/catch.hpp>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <new>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "geo/hexgrid.hpp"
#include "tests/counting_new.hpp"

namespace geo = hexwire::geo;
using geo::CellId;
using geo::H3Error;

namespace {

CellId cell(const char* text) {
  CellId c = 0;
  REQUIRE(geo::string_to_cell(text, &c) == H3Error::kSuccess);
  return c;
}

geo::LatLng degrees(double lat, double lng) { return {geo::degs_to_rads(lat), geo::degs_to_rads(lng)}; }

std::string text(CellId c) {
  char buf[17];
  geo::cell_to_string(c, buf);
  return buf;
}

}  // namespace

TEST_CASE("latLngToCell gives H3's ids for known places") {
  CellId c = 0;
  // H3's documentation example: San Francisco at resolution 5 and 9.
  REQUIRE(geo::lat_lng_to_cell(degrees(37.3615593, -122.0553238), 5, &c) == H3Error::kSuccess);
  CHECK(text(c) == "85283473fffffff");
  REQUIRE(geo::lat_lng_to_cell(degrees(37.775938728915946, -122.41795063018799), 9, &c) == H3Error::kSuccess);
  CHECK(text(c) == "8928308280fffff");
  CHECK(geo::get_resolution(c) == 9);
  CHECK(geo::get_base_cell_number(c) == 20);
}

TEST_CASE("bad input returns H3's error codes") {
  CellId c = 0;
  CHECK(geo::lat_lng_to_cell(degrees(10, 20), 16, &c) == H3Error::kResDomain);
  CHECK(geo::lat_lng_to_cell(degrees(10, 20), -1, &c) == H3Error::kResDomain);
  CHECK(geo::lat_lng_to_cell({NAN, 0}, 5, &c) == H3Error::kLatLngDomain);
  CHECK(geo::lat_lng_to_cell({0, INFINITY}, 5, &c) == H3Error::kLatLngDomain);
  geo::LatLng g{};
  CHECK(geo::cell_to_lat_lng(0, &g) == H3Error::kCellInvalid);
  geo::CellBoundary b;
  CHECK(geo::cell_to_boundary(0xffffffffffffffffULL, &b) == H3Error::kCellInvalid);
  const CellId sf = cell("85283473fffffff");
  CHECK(geo::cell_to_parent(sf, 6, &c) == H3Error::kResMismatch);
  CHECK(geo::cell_to_parent(sf, 16, &c) == H3Error::kResDomain);
  std::int64_t n = 0;
  CHECK(geo::cell_to_children_size(sf, 4, &n) == H3Error::kResDomain);
  CHECK(geo::max_grid_disk_size(-1, &n) == H3Error::kDomain);
  REQUIRE(geo::max_grid_disk_size(2147483647, &n) == H3Error::kSuccess);  // capped, no overflow
  CHECK(n == 569707381193162);
  CHECK(geo::grid_distance(sf, cell("8428347ffffffff"), &n) == H3Error::kResMismatch);
  CHECK(geo::string_to_cell("xyz", &c) == H3Error::kFailed);
  CHECK(std::string(geo::error_name(H3Error::kLatLngDomain)) == "E_LATLNG_DOMAIN");
  CHECK(std::string(geo::error_name(H3Error::kPentagon)) == "E_PENTAGON");
}

TEST_CASE("isValidCell rejects malformed ids") {
  const CellId sf = cell("85283473fffffff");
  CHECK(geo::is_valid_cell(sf));
  CHECK_FALSE(geo::is_valid_cell(0));
  CHECK_FALSE(geo::is_valid_cell(sf | (1ULL << 63)));              // high bit
  CHECK_FALSE(geo::is_valid_cell(sf | (1ULL << 57)));              // reserved bits
  CHECK_FALSE(geo::is_valid_cell((sf & ~(0xfULL << 59)) | (2ULL << 59)));  // edge mode
  CHECK_FALSE(geo::is_valid_cell(sf & ~7ULL));                      // unused digit not 7
  CHECK_FALSE(geo::is_valid_cell((sf & ~(0x7fULL << 45)) | (122ULL << 45)));  // base cell 122
  // A pentagon's first non-zero digit may not be K (1): its deleted sub-sequence.
  const CellId pent = cell("8009fffffffffff");
  CHECK(geo::is_pentagon(pent));
  CellId child = 0;
  geo::cell_to_center_child(pent, 1, &child);
  CHECK(geo::is_valid_cell(child));
  CHECK_FALSE(geo::is_valid_cell(child | (1ULL << 42)));
}

TEST_CASE("cells round-trip through their centre and their string at every resolution") {
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> u(-1, 1);
  for (int res = 0; res <= 15; ++res) {
    for (int n = 0; n < 200; ++n) {
      const geo::LatLng p{std::asin(u(rng)), u(rng) * 3.141592653589793};
      CellId c = 0;
      REQUIRE(geo::lat_lng_to_cell(p, res, &c) == H3Error::kSuccess);
      REQUIRE(geo::is_valid_cell(c));
      geo::LatLng center{};
      REQUIRE(geo::cell_to_lat_lng(c, &center) == H3Error::kSuccess);
      CellId again = 0;
      REQUIRE(geo::lat_lng_to_cell(center, res, &again) == H3Error::kSuccess);
      CHECK(again == c);
      CellId parsed = 0;
      REQUIRE(geo::string_to_cell(text(c), &parsed) == H3Error::kSuccess);
      CHECK(parsed == c);
      CellId reference = 0;
      geo::lat_lng_to_cell_reference(p, res, &reference);
      CHECK(reference == c);
    }
  }
}

TEST_CASE("pentagons: 5 vertices, 6 children per level, 5 neighbours") {
  const CellId pent = cell("821c07fffffffff");
  REQUIRE(geo::is_pentagon(pent));
  geo::CellBoundary b;
  REQUIRE(geo::cell_to_boundary(pent, &b) == H3Error::kSuccess);
  CHECK(b.num_verts == 5);
  geo::CellBoundary odd;
  CellId child = 0;
  geo::cell_to_center_child(pent, 3, &child);
  REQUIRE(geo::cell_to_boundary(child, &odd) == H3Error::kSuccess);
  CHECK(odd.num_verts == 10);  // Class III pentagons gain a distortion vertex on every edge
  std::int64_t n = 0;
  geo::cell_to_children_size(pent, 3, &n);
  CHECK(n == 6);
  geo::cell_to_children_size(pent, 4, &n);
  CHECK(n == 1 + 5 * 8);
  std::vector<CellId> children(static_cast<std::size_t>(n));
  REQUIRE(geo::cell_to_children(pent, 4, children) == H3Error::kSuccess);
  CHECK(std::set<CellId>(children.begin(), children.end()).size() == children.size());
  CellId disk[7];
  REQUIRE(geo::grid_disk(pent, 1, disk) == H3Error::kSuccess);
  CHECK(std::count_if(std::begin(disk), std::end(disk), [](CellId c) { return c != 0; }) == 6);
  CellId ring[6];
  CHECK(geo::grid_ring_unsafe(pent, 1, ring) == H3Error::kPentagon);
  REQUIRE(geo::grid_ring(pent, 1, ring) == H3Error::kSuccess);
  CHECK(std::count_if(std::begin(ring), std::end(ring), [](CellId c) { return c != 0; }) == 5);
  for (const CellId neighbor : ring) {
    if (neighbor != 0) {
      bool adjacent = false;
      REQUIRE(geo::are_neighbor_cells(pent, neighbor, &adjacent) == H3Error::kSuccess);
      CHECK(adjacent);
      std::int64_t d = 0;
      REQUIRE(geo::grid_distance(pent, neighbor, &d) == H3Error::kSuccess);
      CHECK(d == 1);
    }
  }
}

TEST_CASE("large disks around a pentagon cover the expected number of cells") {
  // A pentagon removes cells from every ring: 1 + 5 k (k + 1) / 2 within k steps.
  const CellId pent = cell("8808000001fffff");  // h3-js: getPentagons(8)[0]; gridDisk sizes 31, 4101
  REQUIRE(geo::is_pentagon(pent));
  for (const int k : {3, 40}) {
    std::int64_t n = 0;
    geo::max_grid_disk_size(k, &n);
    std::vector<CellId> out(static_cast<std::size_t>(n));
    REQUIRE(geo::grid_disk(pent, k, out) == H3Error::kSuccess);
    const auto found = std::count_if(out.begin(), out.end(), [](CellId c) { return c != 0; });
    CHECK(found == 1 + 5 * k * (k + 1) / 2);
  }
}

TEST_CASE("buffers that are too small are reported, not overrun") {
  const CellId sf = cell("85283473fffffff");
  CellId small[3] = {1, 2, 3};
  CHECK(geo::grid_disk(sf, 1, std::span<CellId>(small, 3)) == H3Error::kMemoryBounds);
  CHECK(geo::cell_to_children(sf, 6, std::span<CellId>(small, 3)) == H3Error::kMemoryBounds);
  CHECK(geo::grid_ring(sf, 1, std::span<CellId>(small, 3)) == H3Error::kMemoryBounds);
  char tiny[4];
  CHECK(geo::cell_to_string(sf, tiny) == 0);
}

TEST_CASE("disks, rings, distances and paths agree with each other") {
  const CellId origin = cell("89283082803ffff");
  std::vector<CellId> disk(3 * 4 * 5 + 1);
  std::vector<int> dist(disk.size());
  REQUIRE(geo::grid_disk_distances(origin, 4, disk, dist) == H3Error::kSuccess);
  for (std::size_t i = 0; i < disk.size(); ++i) {
    std::int64_t d = 0;
    REQUIRE(geo::grid_distance(origin, disk[i], &d) == H3Error::kSuccess);
    CHECK(d == dist[i]);
    std::int64_t size = 0;
    REQUIRE(geo::grid_path_cells_size(origin, disk[i], &size) == H3Error::kSuccess);
    std::vector<CellId> path(static_cast<std::size_t>(size));
    REQUIRE(geo::grid_path_cells(origin, disk[i], path) == H3Error::kSuccess);
    CHECK(path.front() == origin);
    CHECK(path.back() == disk[i]);
  }
  std::vector<CellId> ring(24);
  REQUIRE(geo::grid_ring(origin, 4, ring) == H3Error::kSuccess);
  CHECK(std::set<CellId>(ring.begin(), ring.end()).size() == 24);
}

TEST_CASE("compact and uncompact are inverse on complete sets") {
  const CellId parent = cell("85283473fffffff");
  std::vector<CellId> kids(49);
  REQUIRE(geo::cell_to_children(parent, 7, kids) == H3Error::kSuccess);
  std::vector<CellId> out(kids.size());
  std::size_t count = 0;
  REQUIRE(geo::compact_cells(kids, out, &count) == H3Error::kSuccess);
  REQUIRE(count == 1);
  CHECK(out[0] == parent);
  kids.push_back(kids[3]);
  out.resize(kids.size());
  CHECK(geo::compact_cells(kids, out, &count) == H3Error::kDuplicateInput);
  std::int64_t n = 0;
  REQUIRE(geo::uncompact_cells_size(std::span<const CellId>(&parent, 1), 7, &n) == H3Error::kSuccess);
  CHECK(n == 49);
}

TEST_CASE("areas, distances and cell counts") {
  std::int64_t n = 0;
  REQUIRE(geo::get_num_cells(0, &n) == H3Error::kSuccess);
  CHECK(n == 122);
  REQUIRE(geo::get_num_cells(15, &n) == H3Error::kSuccess);
  CHECK(n == 569707381193162);
  // Resolution 0 cells tile the sphere: their areas add up to 4 pi.
  double total = 0;
  for (int bc = 0; bc < 122; ++bc) {
    const CellId c = (1ULL << 59) | (static_cast<CellId>(bc) << 45) | 0x00001fffffffffffULL;
    double a = 0;
    REQUIRE(geo::cell_area_rads2(c, &a) == H3Error::kSuccess);
    total += a;
  }
  CHECK(total == Approx(4 * 3.141592653589793).epsilon(1e-12));
  CHECK(geo::great_circle_distance_km(degrees(0, 0), degrees(0, 180)) == Approx(3.141592653589793 * 6371.007180918475));
}

TEST_CASE("polygonToCells covers a box") {
  const geo::LatLng box[] = {degrees(37.8, -122.5), degrees(37.8, -122.3), degrees(37.7, -122.3), degrees(37.7, -122.5)};
  std::vector<CellId> cells;
  REQUIRE(geo::polygon_to_cells({box, {}}, 7, &cells) == H3Error::kSuccess);
  CHECK(cells.size() == 36);  // h3-js 4.5 gives 36 cells for this box
  for (const CellId c : cells) {
    geo::LatLng center{};
    geo::cell_to_lat_lng(c, &center);
    CHECK(center.lat > geo::degs_to_rads(37.7));
    CHECK(center.lat < geo::degs_to_rads(37.8));
  }
}

TEST_CASE("arbitrary 64-bit values give error codes, never crashes") {
  std::mt19937_64 rng(11);
  std::vector<CellId> buf(400);
  std::vector<int> dist(400);
  for (int n = 0; n < 20000; ++n) {
    CellId h = rng();
    if (n % 2) {
      h = (h & ~(0xfULL << 59) & ~(1ULL << 63)) | (1ULL << 59);  // cell mode, random rest
    }
    const bool valid = geo::is_valid_cell(h);
    geo::LatLng g{};
    geo::CellBoundary b;
    CHECK((geo::cell_to_lat_lng(h, &g) == H3Error::kSuccess) == valid);
    CHECK((geo::cell_to_boundary(h, &b) == H3Error::kSuccess) == valid);
    CellId out = 0;
    geo::cell_to_parent(h, static_cast<int>(rng() % 20) - 2, &out);
    geo::cell_to_center_child(h, static_cast<int>(rng() % 20) - 2, &out);
    std::int64_t size = 0;
    geo::cell_to_children_size(h, static_cast<int>(rng() % 20) - 2, &size);
    CHECK((geo::grid_disk(h, 3, buf) == H3Error::kSuccess) == valid);
    geo::grid_disk_distances(h, 3, buf, dist);
    geo::grid_ring(h, 2, buf);
    geo::grid_ring_unsafe(h, 2, buf);
    geo::grid_disk_distances_unsafe(h, 2, buf, dist);
    std::int64_t d = 0;
    geo::grid_distance(h, h ^ (rng() & 0xfff), &d);
    bool adjacent = false;
    geo::are_neighbor_cells(h, h ^ 8, &adjacent);
    geo::CoordIj ij{};
    geo::cell_to_local_ij(h, h, &ij);
    geo::local_ij_to_cell(h, {static_cast<int>(rng() % 100) - 50, static_cast<int>(rng() % 100) - 50}, &out);
    double area = 0;
    CHECK((geo::cell_area_km2(h, &area) == H3Error::kSuccess) == valid);
    std::size_t count = 0;
    const CellId pair[2] = {h, h ^ 1};
    geo::compact_cells(pair, buf, &count);
    if (valid && geo::get_resolution(h) >= 12) {
      geo::uncompact_cells(std::span<const CellId>(&h, 1), geo::get_resolution(h) + 1 > 15 ? 15 : geo::get_resolution(h) + 1, buf);
    }
  }
}

TEST_CASE("hot functions do not allocate") {
  const CellId sf = cell("89283082803ffff");
  CellId disk[331];
  int dist[331];
  CellId ring[60];
  geo::CellBoundary b;
  geo::LatLng g{};
  CellId c = 0;
  std::int64_t d = 0;
  const std::uint64_t before = hexwire::testing::allocation_count.load();
  for (int i = 0; i < 100; ++i) {
    geo::lat_lng_to_cell(degrees(37.77 + i * 1e-4, -122.41), 9, &c);
    geo::cell_to_lat_lng(c, &g);
    geo::cell_to_boundary(c, &b);
    geo::cell_to_parent(c, 5, &c);
    geo::grid_disk(sf, 10, disk);
    geo::grid_disk_distances(sf, 10, disk, dist);
    geo::grid_ring(sf, 10, ring);
    geo::grid_distance(sf, disk[100], &d);
    geo::is_valid_cell(sf);
  }
  CHECK(hexwire::testing::allocation_count.load() == before);
}
