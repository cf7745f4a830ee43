// FleetIndex: per-cell lists stay consistent through moves and status changes (swap-remove with
// stored slots), GPS validation (NaN, out of range, implausible jumps held until confirmed), the
// antimeridian and the poles, silent-driver expiry, supply counts and hand-over records.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <random>
#include <string>

#include "geo/dispatch/fleet.hpp"

using namespace hexwire::geo;

namespace {
constexpr std::uint64_t kSecond = 1'000'000'000;

GpsFix fix(double lat, double lng, bool available = true) {
  GpsFix f;
  f.lat_deg = lat;
  f.lng_deg = lng;
  f.heading_deg = 90;
  f.speed_mps = 10;
  f.available = available;
  return f;
}

CellId cell_of(double lat, double lng, int res = 9) {
  CellId cell = 0;
  REQUIRE(lat_lng_to_cell({degs_to_rads(lat), degs_to_rads(lng)}, res, &cell) == H3Error::kSuccess);
  return cell;
}

// Every indexed driver is in its cell's list at its slot, and every list entry points back.
void check_consistent(const FleetIndex& fleet, std::uint64_t now) {
  std::size_t indexed = 0;
  for (DriverIndex i = 0; i < fleet.capacity(); ++i) {
    if (!fleet.in_use(i)) {
      continue;
    }
    const Driver& d = fleet.driver(i);
    const bool should = d.status == DriverStatus::kAvailable && d.has_position;
    REQUIRE((d.slot != UINT32_MAX) == should);
    if (should) {
      ++indexed;
      const auto list = fleet.drivers_in(d.cell);
      REQUIRE(d.slot < list.size());
      REQUIRE(list[d.slot].driver == i);
      REQUIRE(list[d.slot].last_fix_ns == d.last_fix_ns);
    }
  }
  (void)now;
  (void)indexed;
}
}  // namespace

TEST_CASE("a driver moving between cells leaves the old list and joins the new one", "[fleet]") {
  FleetIndex fleet;
  const DriverIndex a = fleet.find_or_add("a");
  const DriverIndex b = fleet.find_or_add("b");
  const DriverIndex c = fleet.find_or_add("c");
  std::uint64_t now = kSecond;
  REQUIRE(fleet.apply_fix(a, fix(37.7749, -122.4194), now) == FixOutcome::kAccepted);
  REQUIRE(fleet.apply_fix(b, fix(37.7749, -122.4194), now) == FixOutcome::kAccepted);
  REQUIRE(fleet.apply_fix(c, fix(37.7749, -122.4194), now) == FixOutcome::kAccepted);
  const CellId first = cell_of(37.7749, -122.4194);
  REQUIRE(fleet.drivers_in(first).size() == 3);
  // `a` sits in slot 0: removing it swaps `c` into its place.
  now += 60 * kSecond;
  REQUIRE(fleet.apply_fix(a, fix(37.7849, -122.4094), now) == FixOutcome::kAccepted);
  const CellId second = cell_of(37.7849, -122.4094);
  REQUIRE(second != first);
  REQUIRE(fleet.drivers_in(first).size() == 2);
  REQUIRE(fleet.drivers_in(second).size() == 1);
  REQUIRE(fleet.drivers_in(second)[0].driver == a);
  REQUIRE(fleet.driver(a).cell == second);
  check_consistent(fleet, now);
}

TEST_CASE("random moves and status changes keep every list consistent", "[fleet]") {
  FleetIndex fleet;
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> lat(37.70, 37.81), lng(-122.51, -122.37);
  std::uint64_t now = kSecond;
  for (int step = 0; step < 20000; ++step) {
    now += kSecond;
    const auto id = "d" + std::to_string(rng() % 300);
    const DriverIndex index = fleet.find_or_add(id);
    switch (rng() % 5) {
      case 0:
        fleet.set_status(index, DriverStatus(rng() % 5));
        break;
      case 1:
        fleet.remove(index);
        break;
      default: {
        const FixOutcome outcome =
            fleet.apply_fix(index, fix(lat(rng), lng(rng), rng() % 4 != 0), now);
        REQUIRE(outcome != FixOutcome::kInvalidCoordinates);
      }
    }
    if (step % 500 == 0) {
      check_consistent(fleet, now);
    }
  }
  check_consistent(fleet, now);
}

TEST_CASE("NaN, infinite and out-of-range coordinates are rejected and change nothing", "[fleet]") {
  FleetIndex fleet;
  const DriverIndex d = fleet.find_or_add("d");
  REQUIRE(fleet.apply_fix(d, fix(10, 20), kSecond) == FixOutcome::kAccepted);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  for (const auto& [lat, lng] : {std::pair{nan, 0.0},
                                 {0.0, nan},
                                 {inf, 0.0},
                                 {0.0, -inf},
                                 {90.01, 0.0},
                                 {-90.5, 0.0},
                                 {0.0, 180.1},
                                 {0.0, -181.0}}) {
    REQUIRE(fleet.apply_fix(d, fix(lat, lng), 2 * kSecond) == FixOutcome::kInvalidCoordinates);
  }
  GpsFix bad_heading = fix(10, 20);
  bad_heading.heading_deg = nan;
  REQUIRE(fleet.apply_fix(d, bad_heading, 2 * kSecond) == FixOutcome::kInvalidCoordinates);
  REQUIRE(fleet.driver(d).last_fix_ns == kSecond);
  REQUIRE(std::abs(rads_to_degs(fleet.driver(d).position.lat) - 10) < 1e-9);
}

TEST_CASE("a jump above the speed limit is held until the next fix confirms it", "[fleet]") {
  FleetConfig config;
  config.max_speed_mps = 50;
  FleetIndex fleet(config);
  const DriverIndex d = fleet.find_or_add("d");
  REQUIRE(fleet.apply_fix(d, fix(37.77, -122.42), 10 * kSecond) == FixOutcome::kAccepted);
  const CellId home = fleet.driver(d).cell;
  // ~11 km in one second: impossible.
  REQUIRE(fleet.apply_fix(d, fix(37.87, -122.42), 11 * kSecond) == FixOutcome::kJumpHeld);
  REQUIRE(fleet.driver(d).cell == home);
  REQUIRE(fleet.drivers_in(home).size() == 1);
  SECTION("a consistent next fix near the new place confirms the jump") {
    REQUIRE(fleet.apply_fix(d, fix(37.8701, -122.42), 12 * kSecond) == FixOutcome::kAccepted);
    REQUIRE(fleet.driver(d).cell == cell_of(37.8701, -122.42));
    REQUIRE(fleet.drivers_in(home).empty());
  }
  SECTION("a next fix back near the old place discards the glitch") {
    REQUIRE(fleet.apply_fix(d, fix(37.7701, -122.42), 12 * kSecond) == FixOutcome::kAccepted);
    REQUIRE_FALSE(fleet.driver(d).jump_pending);
    REQUIRE(fleet.apply_fix(d, fix(37.7702, -122.42), 13 * kSecond) == FixOutcome::kAccepted);
  }
  SECTION("another wild fix is held again") {
    REQUIRE(fleet.apply_fix(d, fix(37.60, -122.42), 12 * kSecond) == FixOutcome::kJumpHeld);
    REQUIRE(fleet.driver(d).cell == home);
  }
  SECTION("after a long silence a far move is plausible") {
    REQUIRE(fleet.apply_fix(d, fix(37.87, -122.42), 1000 * kSecond) == FixOutcome::kAccepted);
  }
}

TEST_CASE("crossing the antimeridian is a short move, and the poles are valid positions",
          "[fleet]") {
  FleetIndex fleet;
  const DriverIndex d = fleet.find_or_add("d");
  REQUIRE(fleet.apply_fix(d, fix(-16.5, 179.9995), kSecond) == FixOutcome::kAccepted);
  // ~100 m east across 180 degrees within 10 s: plausible, not a 40,000 km jump.
  REQUIRE(fleet.apply_fix(d, fix(-16.5, -179.9995), 11 * kSecond) == FixOutcome::kAccepted);
  REQUIRE(fleet.driver(d).cell == cell_of(-16.5, -179.9995));
  const DriverIndex n = fleet.find_or_add("n");
  REQUIRE(fleet.apply_fix(n, fix(90, 0), kSecond) == FixOutcome::kAccepted);
  REQUIRE(fleet.apply_fix(n, fix(89.9995, 135), 11 * kSecond) == FixOutcome::kAccepted);
  const DriverIndex s = fleet.find_or_add("s");
  REQUIRE(fleet.apply_fix(s, fix(-90, -180), kSecond) == FixOutcome::kAccepted);
  REQUIRE(fleet.apply_fix(s, fix(-89.9995, 180), 11 * kSecond) == FixOutcome::kAccepted);
  check_consistent(fleet, 11 * kSecond);
}

TEST_CASE("silent drivers stop being searchable and expire to offline", "[fleet]") {
  FleetConfig config;
  config.driver_ttl_ns = 30 * kSecond;
  FleetIndex fleet(config);
  const DriverIndex quiet = fleet.find_or_add("quiet");
  const DriverIndex chatty = fleet.find_or_add("chatty");
  REQUIRE(fleet.apply_fix(quiet, fix(1, 1), kSecond) == FixOutcome::kAccepted);
  REQUIRE(fleet.apply_fix(chatty, fix(1, 1), kSecond) == FixOutcome::kAccepted);
  REQUIRE(fleet.apply_fix(chatty, fix(1, 1), 25 * kSecond) == FixOutcome::kAccepted);
  REQUIRE(fleet.searchable(quiet, 31 * kSecond));
  REQUIRE_FALSE(fleet.searchable(quiet, 32 * kSecond));
  std::vector<DriverIndex> expired;
  REQUIRE(fleet.expire_silent(40 * kSecond, [&](DriverIndex i) { expired.push_back(i); }) == 1);
  REQUIRE(expired == std::vector<DriverIndex>{quiet});
  REQUIRE(fleet.driver(quiet).status == DriverStatus::kOffline);
  REQUIRE(fleet.driver(chatty).status == DriverStatus::kAvailable);
  // A new fix brings it back.
  REQUIRE(fleet.apply_fix(quiet, fix(1, 1), 41 * kSecond) == FixOutcome::kAccepted);
  REQUIRE(fleet.driver(quiet).status == DriverStatus::kAvailable);
}

TEST_CASE("available switch, trip statuses and res-7 supply counts", "[fleet]") {
  FleetIndex fleet;
  const DriverIndex a = fleet.find_or_add("a");
  const DriverIndex b = fleet.find_or_add("b");
  REQUIRE(fleet.apply_fix(a, fix(37.77, -122.42), kSecond) == FixOutcome::kAccepted);
  REQUIRE(fleet.apply_fix(b, fix(37.77, -122.42), kSecond) == FixOutcome::kAccepted);
  const CellId c7 = cell_of(37.77, -122.42, 7);
  REQUIRE(fleet.available_in_res7(c7) == 2);
  fleet.set_status(a, DriverStatus::kOnTrip);
  REQUIRE(fleet.available_in_res7(c7) == 1);
  // A fix while on a trip keeps the trip status (the switch only toggles offline/available).
  REQUIRE(fleet.apply_fix(a, fix(37.7701, -122.42, false), 2 * kSecond) == FixOutcome::kAccepted);
  REQUIRE(fleet.driver(a).status == DriverStatus::kOnTrip);
  REQUIRE(fleet.apply_fix(b, fix(37.7701, -122.42, false), 2 * kSecond) == FixOutcome::kAccepted);
  REQUIRE(fleet.driver(b).status == DriverStatus::kOffline);
  REQUIRE(fleet.available_in_res7(c7) == 0);
}

TEST_CASE("extract and adopt move a driver record intact", "[fleet]") {
  FleetIndex from, to;
  const DriverIndex d = from.find_or_add("d");
  REQUIRE(from.apply_fix(d, fix(48.85, 2.35), kSecond) == FixOutcome::kAccepted);
  from.driver(d).trip = "t0-1";
  Driver record = from.extract(d);
  REQUIRE(from.find("d") == kNoDriver);
  REQUIRE(from.drivers_in(record.cell).empty());
  const DriverIndex adopted = to.adopt(std::move(record));
  REQUIRE(to.find("d") == adopted);
  REQUIRE(to.driver(adopted).trip == "t0-1");
  REQUIRE(to.drivers_in(to.driver(adopted).cell).size() == 1);
  // The freed slot is reused.
  REQUIRE(from.find_or_add("e") == d);
}
