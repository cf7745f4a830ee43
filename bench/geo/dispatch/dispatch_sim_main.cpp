// hexwire-dispatch-sim: a simulated city comparing immediate and batched matching on the same
// demand. N drivers cruise a San-Francisco-sized box and report every 4 s; riders arrive as a
// Poisson process; drivers answer offers after a few seconds (accepting with a probability), drive
// to the pickup and the destination, and the DispatchEngine (on the deterministic executor, 2
// logical shards, simulated clock) does the rest. Prints pickup ETA, wait, match rate, utilization.
// Usage: hexwire-dispatch-sim [--drivers 2000] [--riders-per-min 80] [--minutes 60] [--seed 1]
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "core/metrics.hpp"
#include "core/testing/fake_executor.hpp"
#include "geo/dispatch/engine.hpp"

using namespace hexwire;
using namespace hexwire::geo;

namespace {
constexpr double kLat0 = 37.70, kLat1 = 37.81, kLng0 = -122.51, kLng1 = -122.38;  // ~11.5 x 12 km
constexpr std::uint64_t kSecond = 1'000'000'000;
constexpr int kReportEvery = 4;

struct Options {
  int drivers = 2000;
  double riders_per_min = 80;
  int minutes = 60;
  std::uint64_t seed = 1;
  double accept_probability = 0.85;
};

enum class Phase { idle, offered, to_pickup, to_destination };

struct SimDriver {
  std::string id;
  LatLngDeg at;
  Phase phase = Phase::idle;
  std::string trip;
  LatLngDeg target{};
  double heading = 0;
};

struct SimRider {
  LatLngDeg pickup, destination;
  double requested_s = 0;
  double matched_s = -1;
  double picked_up_s = -1;
  double quoted_eta_s = 0;
  bool unmatched = false;
  std::string trip;
};

struct Response {
  double due_s;
  std::string driver, trip;
  bool accept;
};

struct Results {
  std::size_t requests = 0, matched = 0, unmatched = 0, picked_up = 0, offers = 0, declines = 0;
  std::vector<double> quoted_eta, wait_to_pickup, time_to_match;
  double busy_driver_seconds = 0, riding_driver_seconds = 0, driver_seconds = 0;
};

class SimEvents final : public DispatchEvents {
 public:
  std::vector<std::pair<std::string, std::string>> offers;  // driver, trip
  std::vector<std::tuple<std::string, TripStatus, std::string, double>>
      trips;  // trip, status, driver, eta
  void offer(std::string_view driver, std::string_view trip, LatLngDeg, double,
             std::uint32_t) override {
    offers.emplace_back(driver, trip);
  }
  void trip_event(const TripEvent& e) override {
    trips.emplace_back(e.trip, e.status, e.driver, e.eta_s);
  }
  void driver_position(CellId, std::string_view, double, double, double) override {}
  void surge_changed(CellId, double, std::uint32_t, std::uint32_t) override {}
};

double percentile(std::vector<double> v, double p) {
  if (v.empty()) {
    return 0;
  }
  std::sort(v.begin(), v.end());
  const auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
  return v[std::min(v.size() - 1, rank == 0 ? 0 : rank - 1)];
}

double mean(const std::vector<double>& v) {
  double sum = 0;
  for (double x : v) {
    sum += x;
  }
  return v.empty() ? 0 : sum / static_cast<double>(v.size());
}

/// Moves `from` towards `to` by at most `metres`; true when it arrived.
bool move_towards(LatLngDeg& from, LatLngDeg to, double metres, double* heading) {
  const double k = std::cos(from.lat * M_PI / 180);
  const double dy = (to.lat - from.lat) * 111'195, dx = (to.lng - from.lng) * 111'195 * k;
  const double d = std::hypot(dx, dy);
  if (d <= metres) {
    from = to;
    return true;
  }
  from.lat += dy / d * metres / 111'195;
  from.lng += dx / d * metres / (111'195 * k);
  *heading = std::fmod(std::atan2(dx, dy) * 180 / M_PI + 360, 360);
  return false;
}

Results run(MatchMode mode, const Options& o) {
  core::testing::FakeExecutor exec(2);
  core::MetricsRegistry metrics(2);
  SimEvents events;
  DispatchConfig config;
  config.mode = mode;
  config.coarse_res = 6;  // the box spans several coarse cells, so both shards hold drivers
  config.wall_clock_us = [&exec] { return exec.wall_us(); };
  DispatchEngine engine(exec, metrics, config, events);
  // The same random streams in both modes: the same city, the same riders at the same moments.
  std::mt19937_64 city_rng(o.seed), rider_rng(o.seed + 1), answer_rng(o.seed + 2),
      wander_rng(o.seed + 3);
  std::uniform_real_distribution<double> lat(kLat0, kLat1), lng(kLng0, kLng1), unit(0, 1);
  const double straight_speed =
      config.pickup_speed_mps / config.detour_factor;  // matches the ETA model
  std::vector<SimDriver> drivers(static_cast<std::size_t>(o.drivers));
  std::map<std::string, std::size_t> driver_index;
  for (std::size_t i = 0; i < drivers.size(); ++i) {
    drivers[i].id = "d" + std::to_string(i);
    drivers[i].at = {lat(city_rng), lng(city_rng)};
    drivers[i].target = {lat(wander_rng), lng(wander_rng)};
    driver_index[drivers[i].id] = i;
  }
  std::vector<SimRider> riders;
  std::map<std::string, std::size_t> rider_of_trip;
  std::vector<Response> responses;
  Results r;
  std::poisson_distribution<int> arrivals(o.riders_per_min / 60.0);
  const auto report = [&](SimDriver& d, unsigned shard) {
    GpsFix fix{d.at.lat, d.at.lng, d.heading, straight_speed, true};
    exec.run_on(shard, [&] { engine.update_location(d.id, fix, [](LocationReply) {}); });
  };
  for (std::size_t i = 0; i < drivers.size(); ++i) {
    report(drivers[i], static_cast<unsigned>(i % 2));
  }
  exec.run_until_idle();
  const int seconds = o.minutes * 60;
  // After the arrivals stop, the city runs on until every ride in progress has picked up.
  const int drain = 30 * 60;
  for (int t = 1; t <= seconds + drain; ++t) {
    const double now_s = t;
    exec.advance_time(kSecond);  // batch windows, offer expiries, deadlines
    // Riders arriving this second.
    for (int n = t <= seconds ? arrivals(rider_rng) : 0; n > 0; --n) {
      SimRider rider{{lat(rider_rng), lng(rider_rng)},
                     {lat(rider_rng), lng(rider_rng)},
                     now_s,
                     -1,
                     -1,
                     0,
                     false,
                     {}};
      const std::size_t index = riders.size();
      riders.push_back(rider);
      exec.run_on(index % 2, [&] {
        engine.request_ride("r" + std::to_string(index), rider.pickup, rider.destination,
                            [&, index](RideReply reply) { rider_of_trip[reply.trip] = index; });
      });
      exec.run_until_idle();
    }
    // Drivers answer their offers a few seconds later.
    for (const auto& [driver, trip] : events.offers) {
      ++r.offers;
      drivers[driver_index[driver]].phase = Phase::offered;
      drivers[driver_index[driver]].trip = trip;
      responses.push_back({now_s + 2 + 4 * unit(answer_rng), driver, trip,
                           unit(answer_rng) < o.accept_probability});
    }
    events.offers.clear();
    for (auto it = responses.begin(); it != responses.end();) {
      if (it->due_s > now_s) {
        ++it;
        continue;
      }
      const unsigned shard = static_cast<unsigned>(driver_index[it->driver] % 2);
      exec.run_on(shard, [&] {
        if (it->accept) {
          engine.accept(it->driver, it->trip, [](DispatchError) {});
        } else {
          ++r.declines;
          engine.decline(it->driver, it->trip, [](DispatchError) {});
        }
      });
      it = responses.erase(it);
      exec.run_until_idle();
    }
    // Trip events: matched drivers head for the pickup; offers that ended free the driver.
    for (const auto& [trip, status, driver, eta] : events.trips) {
      const auto rider_it = rider_of_trip.find(trip);
      if (rider_it == rider_of_trip.end()) {
        continue;
      }
      SimRider& rider = riders[rider_it->second];
      if (status == TripStatus::kMatched) {
        rider.matched_s = now_s;
        rider.trip = trip;
        rider.quoted_eta_s = eta;
        SimDriver& d = drivers[driver_index[driver]];
        d.phase = Phase::to_pickup;
        d.trip = trip;
        d.target = rider.pickup;
        continue;
      }
      if (status == TripStatus::kUnmatched) {
        rider.unmatched = true;
      }
      if (!driver.empty() &&
          (status == TripStatus::kRequested || status == TripStatus::kUnmatched ||
           status == TripStatus::kCancelled)) {
        SimDriver& d = drivers[driver_index[driver]];  // the offer ended without a ride
        if (d.phase == Phase::offered && d.trip == trip) {
          d.phase = Phase::idle;
          d.trip.clear();
        }
      }
    }
    events.trips.clear();
    // Movement and location reports.
    for (std::size_t i = 0; i < drivers.size(); ++i) {
      SimDriver& d = drivers[i];
      const unsigned shard = static_cast<unsigned>(i % 2);
      const bool measured = t <= seconds;  // utilization: during arrivals only, not the drain
      r.driver_seconds += measured ? 1 : 0;
      if (measured && (d.phase == Phase::to_pickup || d.phase == Phase::to_destination)) {
        r.busy_driver_seconds += 1;
        r.riding_driver_seconds += d.phase == Phase::to_destination ? 1 : 0;
      }
      if (d.phase == Phase::idle) {
        if (move_towards(d.at, d.target, straight_speed * 0.5, &d.heading)) {
          d.target = {lat(wander_rng), lng(wander_rng)};  // cruise slowly to a new spot
        }
      } else if (d.phase == Phase::to_pickup &&
                 move_towards(d.at, d.target, straight_speed, &d.heading)) {
        SimRider& rider = riders[rider_of_trip[d.trip]];
        rider.picked_up_s = now_s;
        exec.run_on(shard, [&] {
          engine.trip_action(d.id, d.trip, TripAction::kArrive, [](DispatchError) {});
          engine.trip_action(d.id, d.trip, TripAction::kStart, [](DispatchError) {});
        });
        d.phase = Phase::to_destination;
        d.target = rider.destination;
      } else if (d.phase == Phase::to_destination &&
                 move_towards(d.at, d.target, straight_speed, &d.heading)) {
        exec.run_on(shard, [&] {
          engine.trip_action(d.id, d.trip, TripAction::kComplete, [](DispatchError) {});
        });
        d.phase = Phase::idle;
        d.trip.clear();
        d.target = {lat(wander_rng), lng(wander_rng)};
      }
      if ((t + static_cast<int>(i)) % kReportEvery == 0) {
        report(d, shard);
      }
    }
    exec.run_until_idle();
  }
  for (const SimRider& rider : riders) {
    ++r.requests;
    if (rider.matched_s >= 0) {
      ++r.matched;
      r.quoted_eta.push_back(rider.quoted_eta_s);
      r.time_to_match.push_back(rider.matched_s - rider.requested_s);
      if (rider.picked_up_s >= 0) {
        ++r.picked_up;
        r.wait_to_pickup.push_back(rider.picked_up_s - rider.requested_s);
      }
    } else if (rider.unmatched) {
      ++r.unmatched;
    }
  }
  return r;
}

void print(const char* name, const Results& r) {
  std::printf(
      "| %-9s | %8zu | %6.1f %% | %7.0f | %7.0f | %7.1f | %7.0f | %7.0f | %6.1f %% | %6.1f %% | "
      "%6zu |\n",
      name, r.requests,
      100.0 * static_cast<double>(r.matched) /
          static_cast<double>(std::max<std::size_t>(r.requests, 1)),
      mean(r.quoted_eta), percentile(r.quoted_eta, 95), mean(r.time_to_match),
      mean(r.wait_to_pickup), percentile(r.wait_to_pickup, 95),
      100.0 * r.busy_driver_seconds / std::max(1.0, r.driver_seconds),
      100.0 * r.riding_driver_seconds / std::max(1.0, r.driver_seconds), r.declines);
}
}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"hexwire-dispatch-sim: immediate vs batched matching on the same simulated demand"};
  app.add_option("--drivers", o.drivers, "drivers in the city")->check(CLI::PositiveNumber);
  app.add_option("--riders-per-min", o.riders_per_min, "mean rider arrivals per minute (Poisson)")
      ->check(CLI::PositiveNumber);
  app.add_option("--minutes", o.minutes, "simulated minutes")->check(CLI::PositiveNumber);
  app.add_option("--seed", o.seed, "random seed (the same demand for both modes)");
  app.add_option("--accept-probability", o.accept_probability, "chance a driver accepts an offer")
      ->check(CLI::Range(0.0, 1.0));
  CLI11_PARSE(app, argc, argv);
  std::printf("drivers %d, riders %.0f/min, %d min, seed %llu, accept %.2f\n", o.drivers,
              o.riders_per_min, o.minutes, static_cast<unsigned long long>(o.seed),
              o.accept_probability);
  std::printf(
      "| mode      | requests | matched  | ETA avg | ETA p95 | match s | wait avg| wait p95| busy  "
      "   | riding   | declin |\n");
  std::printf(
      "|-----------|----------|----------|---------|---------|---------|---------|---------|-------"
      "---|----------|--------|\n");
  print("immediate", run(MatchMode::kImmediate, o));
  print("batched", run(MatchMode::kBatched, o));
  return 0;
}
