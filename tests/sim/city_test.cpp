// City model: drivers stay inside the box on the street grid with plausible speeds and headings,
// distance driven matches speed x time, ride requests mix hotspots and uniform places, and the
// whole city is deterministic for a seed.
#include "sim/city.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <stdexcept>

using namespace hexwire::sim;

TEST_CASE("haversine distance matches known values") {
  CHECK(haversine_m({37.7749, -122.4194}, {37.7749, -122.4194}) == 0.0);
  // One degree of latitude is ~111.2 km on the mean sphere.
  CHECK(haversine_m({37.0, -122.0}, {38.0, -122.0}) == Approx(111'195).epsilon(0.001));
  // Ferry Building to Golden Gate Bridge toll plaza: about 7.5 km as the crow flies.
  CHECK(haversine_m({37.7955, -122.3937}, {37.8078, -122.4750}) == Approx(7300).epsilon(0.05));
}

TEST_CASE("drivers stay in the box with speeds of 5-20 m/s, moving along their heading") {
  CityModel city(CityOptions{}, 42);
  city.add_drivers(500);
  const BoundingBox box = city.options().box;
  for (int step = 0; step < 600; ++step) {  // ten minutes in one-second steps
    for (std::uint32_t i = 0; i < city.driver_count(); ++i) {
      const DriverState before = city.driver(i);
      city.advance(i, 1.0);
      const DriverState after = city.driver(i);
      REQUIRE(box.contains(after.position));
      REQUIRE(after.speed_mps >= 5.0);
      REQUIRE(after.speed_mps <= 20.0);
      REQUIRE(std::fmod(after.heading_deg, 90.0) == 0.0);
      // Along a street the straight-line displacement can only be shorter than the distance
      // driven (corners), and never longer than 20 m in one second.
      const double moved = haversine_m(before.position, after.position);
      const double driven = after.odometer_m - before.odometer_m;
      REQUIRE(moved <= driven * 1.01 + 1e-6);
      REQUIRE(driven <= 20.0 + 1e-9);
      REQUIRE(driven >= 5.0 - 1e-9);
    }
  }
}

TEST_CASE("a driver between intersections moves exactly speed x time along its heading") {
  CityOptions options;
  options.block_m = 1000.0;  // long blocks: no corner within the step
  CityModel city(options, 7);
  city.add_drivers(50);
  int checked = 0;
  for (std::uint32_t i = 0; i < city.driver_count(); ++i) {
    const DriverState before = city.driver(i);
    city.advance(i, 0.5);
    const DriverState after = city.driver(i);
    if (after.heading_deg != before.heading_deg || after.speed_mps != before.speed_mps) {
      continue;  // passed an intersection
    }
    ++checked;
    const double moved = haversine_m(before.position, after.position);
    CHECK(moved == Approx(before.speed_mps * 0.5).epsilon(0.01));
    const double dlat = after.position.lat - before.position.lat;
    const double dlng = after.position.lng - before.position.lng;
    if (before.heading_deg == 0.0) {
      CHECK(dlat > 0.0);
    } else if (before.heading_deg == 90.0) {
      CHECK(dlng > 0.0);
    } else if (before.heading_deg == 180.0) {
      CHECK(dlat < 0.0);
    } else {
      CHECK(dlng < 0.0);
    }
  }
  CHECK(checked > 40);
}

TEST_CASE("drivers spread over the city and use every heading over time") {
  CityModel city(CityOptions{}, 3);
  city.add_drivers(200);
  int headings[4] = {0, 0, 0, 0};
  double total_driven = 0.0;
  for (int minute = 0; minute < 30; ++minute) {
    city.advance_all(60.0);
    for (std::uint32_t i = 0; i < city.driver_count(); ++i) {
      ++headings[static_cast<int>(city.driver(i).heading_deg / 90.0)];
    }
  }
  for (std::uint32_t i = 0; i < city.driver_count(); ++i) {
    total_driven += city.driver(i).odometer_m;
  }
  for (const int h : headings) {
    CHECK(h > 200 * 30 / 8);
  }
  // Average speed over half an hour stays within the drawn range (uniform 5-20: mean 12.5).
  const double mean_speed = total_driven / (200 * 30 * 60.0);
  CHECK(mean_speed > 10.0);
  CHECK(mean_speed < 15.0);
}

TEST_CASE("ride requests mix hotspots and uniform places inside the box") {
  CityModel city(CityOptions{}, 11);
  const BoundingBox box = city.options().box;
  const auto hotspots = san_francisco_hotspots();
  int near_hotspot = 0;
  const int rides = 5000;
  for (int i = 0; i < rides; ++i) {
    const RideRequest ride = city.draw_ride_request();
    REQUIRE(box.contains(ride.origin));
    REQUIRE(box.contains(ride.destination));
    CHECK(haversine_m(ride.origin, ride.destination) >= 500.0);
    for (const Hotspot& h : hotspots) {
      if (haversine_m(ride.origin, h.centre) < 3.0 * h.spread_m) {
        ++near_hotspot;
        break;
      }
    }
  }
  // 60% are drawn at hotspots (99% of those within 3 sigma in 2-D); of the uniform 40%, the share
  // that happens to fall near a hotspot is the hotspots' area share of the box (~20%).
  const double share = static_cast<double>(near_hotspot) / rides;
  CHECK(share > 0.60);
  CHECK(share < 0.80);

  CityOptions uniform_only;
  uniform_only.hotspots.clear();
  CityModel flat(uniform_only, 11);
  double mean_lat = 0.0;
  int flat_near_hotspot = 0;
  for (int i = 0; i < rides; ++i) {
    const GeoPoint p = flat.draw_place();
    mean_lat += p.lat;
    for (const Hotspot& h : hotspots) {
      if (haversine_m(p, h.centre) < 3.0 * h.spread_m) {
        ++flat_near_hotspot;
        break;
      }
    }
  }
  CHECK(static_cast<double>(flat_near_hotspot) / rides < 0.3);
  CHECK(mean_lat / rides == Approx((box.min_lat + box.max_lat) / 2).epsilon(0.0005));
}

TEST_CASE("the city is deterministic for a seed") {
  CityModel a(CityOptions{}, 5);
  CityModel b(CityOptions{}, 5);
  a.add_drivers(20);
  b.add_drivers(20);
  a.advance_all(123.0);
  b.advance_all(123.0);
  for (std::uint32_t i = 0; i < 20; ++i) {
    CHECK(a.driver(i).position.lat == b.driver(i).position.lat);
    CHECK(a.driver(i).position.lng == b.driver(i).position.lng);
  }
  CHECK(a.draw_ride_request().origin.lat == b.draw_ride_request().origin.lat);
}

TEST_CASE("a custom box works and bad options are rejected with a reason") {
  CityOptions small;
  small.box = BoundingBox{51.50, 51.51, -0.13, -0.11};  // a slice of London
  small.hotspots.clear();
  CityModel london(small, 1);
  london.add_drivers(10);
  london.advance_all(3600.0);
  for (std::uint32_t i = 0; i < 10; ++i) {
    CHECK(small.box.contains(london.driver(i).position));
  }

  CityOptions inverted;
  inverted.box = BoundingBox{37.8, 37.7, -122.5, -122.4};
  CHECK_THROWS_AS(CityModel(inverted, 1), std::invalid_argument);
  CityOptions slow;
  slow.min_speed_mps = 0.0;
  CHECK_THROWS_AS(CityModel(slow, 1), std::invalid_argument);
  CityOptions tiny_blocks;
  tiny_blocks.block_m = 1.0;
  CHECK_THROWS_AS(CityModel(tiny_blocks, 1), std::invalid_argument);
}
