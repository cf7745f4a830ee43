// DispatchEngine, first half: shard routing, driver locations (validation, hand-over between
// shards when a driver crosses into another shard's coarse cell, tombstones that forward late
// messages), the live map, the periodic expiry/surge sweep, and exact nearest searches that fan
// out to the shards whose coarse cells the search radius touches and merge their answers.
#include "geo/dispatch/engine.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "core/clock.hpp"
#include "geo/dispatch/engine_shard.hpp"

namespace hexwire::geo {

namespace {
constexpr std::size_t kMaxNearby = 100;

bool in_trip(DriverStatus status) noexcept {
  return status == DriverStatus::kOffered || status == DriverStatus::kEnRoute ||
         status == DriverStatus::kOnTrip;
}
}  // namespace

unsigned default_region_shard(CellId coarse_cell, unsigned shards) noexcept {
  std::uint64_t x = coarse_cell;  // splitmix64 finaliser: spreads neighbouring cells
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  return static_cast<unsigned>((x ^ (x >> 31)) % shards);
}

const char* to_string(DispatchError error) noexcept {
  switch (error) {
    case DispatchError::kOk:
      return "ok";
    case DispatchError::kBadRequest:
      return "bad_request";
    case DispatchError::kForbidden:
      return "forbidden";
    case DispatchError::kNotFound:
      return "not_found";
    case DispatchError::kConflict:
      return "conflict";
  }
  return "?";
}

DispatchEngine::Shard::Shard(const DispatchConfig& config, core::MetricsRegistry& metrics,
                             unsigned shard)
    : id(shard),
      fleet(config.fleet),
      surge(config.surge),
      fixes_accepted(metrics.counter("dispatch_fixes_accepted_total", "GPS fixes accepted", shard)),
      fixes_rejected(metrics.counter("dispatch_fixes_rejected_total",
                                     "GPS fixes with invalid coordinates", shard)),
      jumps_held(metrics.counter("dispatch_jumps_held_total",
                                 "GPS fixes held back as implausible jumps", shard)),
      handovers(metrics.counter("dispatch_driver_handovers_total", "drivers moved to another shard",
                                shard)),
      searches(metrics.counter("dispatch_searches_total",
                               "nearest-driver searches run on this shard", shard)),
      rides(metrics.counter("dispatch_rides_requested_total", "ride requests", shard)),
      offers(metrics.counter("dispatch_offers_total", "offers sent to drivers", shard)),
      reservations_refused(metrics.counter("dispatch_reservations_refused_total",
                                           "candidates no longer available when reserved", shard)),
      matched(metrics.counter("dispatch_trips_matched_total", "trips accepted by a driver", shard)),
      unmatched(metrics.counter("dispatch_trips_unmatched_total",
                                "trips without a driver by the deadline", shard)),
      expired_drivers(metrics.counter("dispatch_drivers_expired_total",
                                      "available drivers gone silent", shard)),
      drivers_held(metrics.gauge("dispatch_drivers_held", "drivers held by this shard", shard)),
      search_ns(metrics.histogram("dispatch_search_seconds", "one shard's nearest search", shard)) {
}

DispatchEngine::DispatchEngine(core::Executor& executor, core::MetricsRegistry& metrics,
                               DispatchConfig config, DispatchEvents& events)
    : executor_(executor), metrics_(metrics), config_(std::move(config)), events_(events) {
  if (config_.fleet.index_res < 0 || config_.fleet.index_res > kMaxResolution) {
    throw std::invalid_argument("dispatch: fleet.index_res must be 0..15");
  }
  if (config_.coarse_res < 0 || config_.coarse_res > 7 ||
      config_.coarse_res > config_.fleet.index_res) {
    throw std::invalid_argument(
        "dispatch: coarse_res must be 0..7 and not finer than fleet.index_res "
        "(a res-7 surge cell must lie in one shard)");
  }
  if (config_.candidates == 0 || config_.pickup_speed_mps <= 0 || config_.max_search_km <= 0) {
    throw std::invalid_argument(
        "dispatch: candidates, pickup_speed_mps and max_search_km must be > 0");
  }
  if (!config_.wall_clock_us) {
    config_.wall_clock_us = [] { return core::wall_us(); };
  }
  for (unsigned i = 0; i < executor_.shard_count(); ++i) {
    shards_.push_back(std::make_unique<Shard>(config_, metrics_, i));
  }
}

DispatchEngine::~DispatchEngine() = default;

DispatchEngine::Shard& DispatchEngine::here() {
  return *shards_[executor_.current_shard()];
}

unsigned DispatchEngine::owner_shard(LatLng point) const noexcept {
  CellId cell = 0;
  (void)lat_lng_to_cell(point, config_.fleet.index_res, &cell);
  return shard_of_index_cell(cell);
}

unsigned DispatchEngine::shard_of_index_cell(CellId index_cell) const noexcept {
  // The region of a point is the coarse parent of its index cell, as for the fleet's lists, the
  // searches and the live-map cell: one rule, even at borders where H3 cells do not nest.
  CellId coarse = 0;
  (void)cell_to_parent(index_cell, config_.coarse_res, &coarse);
  return region_shard(coarse);
}

unsigned DispatchEngine::region_shard(CellId coarse_cell) const noexcept {
  return config_.region_shard ? config_.region_shard(coarse_cell)
                              : default_region_shard(coarse_cell, executor_.shard_count());
}

std::uint64_t DispatchEngine::now_ns() noexcept {
  return executor_.timers().now_ns();
}
std::int64_t DispatchEngine::wall_us() const {
  return config_.wall_clock_us();
}

double DispatchEngine::eta_s(double distance_km) const noexcept {
  return distance_km * 1000.0 * config_.detour_factor / config_.pickup_speed_mps;
}

void DispatchEngine::arm_periodic(Shard& shard) {
  if (shard.periodic_armed) {
    return;
  }
  shard.periodic_armed = true;
  const unsigned id = shard.id;
  executor_.timers().add_after(config_.sweep_interval_ns, [this, id] { periodic(id); });
}

void DispatchEngine::periodic(unsigned shard_id) {
  Shard& s = *shards_[shard_id];
  const std::uint64_t now = now_ns();
  s.expired_drivers.add(s.fleet.expire_silent(now, nullptr));
  if (!s.pool_checks.empty()) {
    recheck_pool_trips(s);
  }
  s.surge_changes.clear();
  s.surge.update(
      now, [&s](CellId cell) { return s.fleet.available_in_res7(cell); }, s.surge_changes);
  for (const SurgeChange& change : s.surge_changes) {
    events_.surge_changed(change.cell_res7, change.multiplier, change.supply, change.demand);
  }
  s.drivers_held.set(static_cast<std::int64_t>(s.fleet.size()));
  executor_.timers().add_after(config_.sweep_interval_ns, [this, shard_id] { periodic(shard_id); });
}

void DispatchEngine::update_location(std::string_view driver, const GpsFix& fix, LocationDone done,
                                     LocationReplies replies) {
  // The one validation of a fix on its way: the holder shard applies it as valid.
  if (driver.empty() || !valid_fix(fix)) {
    here().fixes_rejected.add();
    done({DispatchError::kBadRequest, FixOutcome::kInvalidCoordinates, 0});
    return;
  }
  Shard& s = here();
  const auto hint = s.owner_hint.find(driver);
  const unsigned target = hint != s.owner_hint.end()
                              ? hint->second
                              : owner_shard({degs_to_rads(fix.lat_deg), degs_to_rads(fix.lng_deg)});
  const unsigned caller = s.id;
  if (target == caller) {
    apply_location(driver, fix, caller, 0, replies, std::move(done));  // local: no copy of the id
    return;
  }
  if (hint == s.owner_hint.end()) {
    // Remembered now: a fix applied where it was sent may not come back to tell (kErrorsOnly).
    s.owner_hint.emplace(std::string(driver), target);
  }
  executor_.submit_to(target, [this, name = std::string(driver), fix, caller, replies,
                               done = std::move(done)]() mutable {
    apply_location(name, fix, caller, 0, replies, std::move(done));
  });
}

void DispatchEngine::apply_location(std::string_view driver, const GpsFix& fix, unsigned caller,
                                    int hops, LocationReplies replies, LocationDone done) {
  Shard& s = here();
  // The fix's index cell, computed once: it names the owner and is what the fleet indexes.
  CellId cell = 0;
  const bool located = lat_lng_to_cell({degs_to_rads(fix.lat_deg), degs_to_rads(fix.lng_deg)},
                                       config_.fleet.index_res, &cell) == H3Error::kSuccess;
  const unsigned owner = located ? shard_of_index_cell(cell) : s.id;
  const int max_hops = static_cast<int>(shards_.size()) + 2;
  DriverIndex index = s.fleet.find(driver);
  if (index == kNoDriver && hops < max_hops) {
    // Not here: follow the tombstone of a hand-over, or go to the owner of the new position.
    const auto moved = s.moved_to.find(driver);
    const unsigned next = moved != s.moved_to.end() ? moved->second : owner;
    if (next != s.id) {
      executor_.submit_to(next, [this, name = std::string(driver), fix, caller, hops, replies,
                                 done = std::move(done)]() mutable {
        apply_location(name, fix, caller, hops + 1, replies, std::move(done));
      });
      return;
    }
  }
  arm_periodic(s);
  if (index == kNoDriver) {
    index = s.fleet.find_or_add(driver);
    if (const auto moved = s.moved_to.find(driver); moved != s.moved_to.end()) {
      s.moved_to.erase(moved);
    }
    evict_elsewhere(std::string(driver));
    if (config_.peers != nullptr) {
      check_pool_trip(s, index);  // not matchable before the pool says it is on no trip
    }
  }
  const std::uint64_t now = now_ns();
  const FixOutcome outcome =
      located ? s.fleet.apply_valid_fix(index, fix, now, cell) : FixOutcome::kInvalidCoordinates;
  LocationReply result{
      outcome == FixOutcome::kInvalidCoordinates ? DispatchError::kBadRequest : DispatchError::kOk,
      outcome, 0};
  unsigned holder = s.id;
  if (outcome == FixOutcome::kAccepted) {
    s.fixes_accepted.add();
    result.cell = s.fleet.driver(index).cell;
    if (owner != s.id) {
      // The driver crossed into another shard's coarse cell: hand the whole record over.
      s.handovers.add();
      s.moved_to[std::string(driver)] = owner;
      holder = owner;
      executor_.submit_to(owner, [this, record = std::make_shared<Driver>(s.fleet.extract(index))] {
        Shard& target = here();
        arm_periodic(target);
        target.moved_to.erase(record->id);
        if (record->status == DriverStatus::kChecking || record->trip_from_pool) {
          target.pool_checks.push_back(record->id);  // asked again from the new shard
        }
        const DriverIndex adopted = target.fleet.adopt(std::move(*record));
        maybe_emit_position(target, adopted, now_ns());
      });
    } else {
      maybe_emit_position(s, index, now);
    }
  } else if (outcome == FixOutcome::kJumpHeld) {
    s.jumps_held.add();
  } else {
    s.fixes_rejected.add();
  }
  const bool answer = replies == LocationReplies::kAll || result.error != DispatchError::kOk;
  if (caller == s.id) {
    remember_holder(s, driver, holder);
    if (answer) {
      done(result);
    }
    return;
  }
  if (!answer && hops == 0 && holder == s.id) {
    return;  // came straight here and stays here: the caller's hint is right, nobody waits
  }
  executor_.submit_to(
      caller, [this, name = std::string(driver), holder, result, answer, done = std::move(done)] {
        remember_holder(here(), name, holder);
        if (answer) {
          done(result);
        }
      });
}

void DispatchEngine::remember_holder(Shard& caller, std::string_view driver, unsigned holder) {
  if (const auto it = caller.owner_hint.find(driver); it != caller.owner_hint.end()) {
    it->second = holder;
  } else {
    caller.owner_hint.emplace(std::string(driver), holder);
  }
}

void DispatchEngine::evict_elsewhere(const std::string& driver) {
  const unsigned owner = executor_.current_shard();
  for (unsigned t = 0; t < shards_.size(); ++t) {
    if (t == owner) {
      continue;
    }
    executor_.submit_to(t, [this, driver, owner] {
      Shard& s = here();
      const DriverIndex index = s.fleet.find(driver);
      if (index == kNoDriver) {
        return;
      }
      const Driver record = s.fleet.extract(index);
      s.moved_to[driver] = owner;
      if (in_trip(record.status)) {
        set_driver_state(owner, driver, record.trip, record.status, false, 0);
      }
    });
  }
}

void DispatchEngine::set_driver_state(unsigned shard, std::string driver, std::string trip,
                                      DriverStatus status, bool only_if_trip, int hops) {
  run_on(shard,
         [this, driver = std::move(driver), trip = std::move(trip), status, only_if_trip, hops] {
           Shard& s = here();
           const DriverIndex index = s.fleet.find(driver);
           if (index == kNoDriver) {
             const auto moved = s.moved_to.find(driver);
             if (moved != s.moved_to.end() && hops <= static_cast<int>(shards_.size()) + 2) {
               set_driver_state(moved->second, driver, trip, status, only_if_trip, hops + 1);
             }
             return;
           }
           Driver& d = s.fleet.driver(index);
           if (only_if_trip && d.trip != trip) {
             return;  // a late message about a trip the driver is no longer on
           }
           DriverStatus next = status;
           if (next == DriverStatus::kAvailable && !d.wants_rides) {
             next = DriverStatus::kOffline;
           }
           d.trip = in_trip(next) ? trip : std::string();
           d.trip_from_pool = d.trip_from_pool && in_trip(next);  // the trip's home speaks now
           s.fleet.set_status(index, next);
         });
}

void DispatchEngine::driver_offline(std::string_view driver) {
  Shard& s = here();
  const auto go_offline = [this](std::string name, int hops, auto& self) -> void {
    Shard& holder = here();
    const DriverIndex index = holder.fleet.find(name);
    if (index == kNoDriver) {
      const auto moved = holder.moved_to.find(name);
      if (moved != holder.moved_to.end() && hops <= static_cast<int>(shards_.size()) + 2) {
        run_on(moved->second, [name, hops, self] { self(name, hops + 1, self); });
      }
      return;
    }
    Driver& d = holder.fleet.driver(index);
    d.wants_rides = false;
    if (d.status == DriverStatus::kAvailable) {
      holder.fleet.set_status(index, DriverStatus::kOffline);
    }
  };
  const auto hint = s.owner_hint.find(driver);
  if (hint != s.owner_hint.end()) {
    run_on(hint->second,
           [name = std::string(driver), go_offline] { go_offline(name, 0, go_offline); });
    return;
  }
  for (unsigned t = 0; t < shards_.size(); ++t) {  // unknown holder: ask everyone
    run_on(t, [name = std::string(driver), go_offline] { go_offline(name, 0, go_offline); });
  }
}

void DispatchEngine::set_driver_state(std::string_view driver, unsigned shard,
                                      std::string_view trip, DriverStatus status,
                                      bool only_if_trip) {
  if (shard >= shards_.size()) {
    return;
  }
  set_driver_state(shard, std::string(driver), std::string(trip), status, only_if_trip, 0);
}

void DispatchEngine::driver_state(NodeRef node, unsigned shard, std::string driver,
                                  std::string trip, DriverStatus status, bool only_if_trip) {
  if (node != 0 && config_.peers != nullptr) {
    config_.peers->driver_state(node, shard, driver, trip, status, only_if_trip);
    return;
  }
  set_driver_state(shard, std::move(driver), std::move(trip), status, only_if_trip, 0);
}

void DispatchEngine::forget_driver(std::string_view driver) {
  Shard& s = here();
  const auto hint = s.owner_hint.find(driver);
  if (hint == s.owner_hint.end()) {
    return;  // never held through this shard
  }
  const unsigned holder = hint->second;
  s.owner_hint.erase(hint);
  const auto drop = [this](std::string name, int hops, auto& self) -> void {
    Shard& h = here();
    const DriverIndex index = h.fleet.find(name);
    if (index == kNoDriver) {
      const auto moved = h.moved_to.find(name);
      if (moved != h.moved_to.end() && hops <= static_cast<int>(shards_.size()) + 2) {
        run_on(moved->second, [name, hops, self] { self(name, hops + 1, self); });
      }
      return;
    }
    // Even on a trip: its new holder learns the trip from the pool (DispatchPeers::driver_trip)
    // and keeps it from being matched; a copy here would go stale, and available after the trip.
    h.fleet.remove(index);
  };
  run_on(holder, [name = std::string(driver), drop] { drop(name, 0, drop); });
}

void DispatchEngine::check_pool_trip(Shard& shard, DriverIndex index) {
  shard.fleet.set_status(index, DriverStatus::kChecking);
  shard.pool_checks.push_back(shard.fleet.driver(index).id);
  ask_pool_trip(shard, index);
}

void DispatchEngine::ask_pool_trip(Shard& shard, DriverIndex index) {
  Driver& d = shard.fleet.driver(index);
  if (d.trip_asked) {
    return;
  }
  d.trip_asked = true;
  config_.peers->driver_trip(d.id, [this, driver = d.id](DriverTripState state) mutable {
    settle_pool_trip(std::move(driver), std::move(state), 0);
  });
}

void DispatchEngine::settle_pool_trip(std::string driver, DriverTripState state, int hops) {
  Shard& s = here();
  const DriverIndex index = s.fleet.find(driver);
  if (index == kNoDriver) {  // handed over to another shard meanwhile: follow it
    const auto moved = s.moved_to.find(driver);
    if (moved != s.moved_to.end() && hops <= static_cast<int>(shards_.size()) + 2) {
      run_on(moved->second, [this, driver = std::move(driver), state = std::move(state),
                             hops]() mutable {
        settle_pool_trip(std::move(driver), std::move(state), hops + 1);
      });
    }
    return;
  }
  Driver& d = s.fleet.driver(index);
  d.trip_asked = false;
  if (!state.answered || (d.status != DriverStatus::kChecking && !d.trip_from_pool)) {
    return;  // asked again at the next sweep, or the trip's home has set its state since
  }
  if (state.trip.empty()) {
    d.trip.clear();
    d.trip_from_pool = false;
    s.fleet.set_status(index, d.wants_rides ? DriverStatus::kAvailable : DriverStatus::kOffline);
    return;
  }
  d.trip = std::move(state.trip);
  d.trip_from_pool = true;
  s.fleet.set_status(index, state.status);
}

void DispatchEngine::recheck_pool_trips(Shard& shard) {
  std::size_t kept = 0;
  for (std::size_t i = 0; i < shard.pool_checks.size(); ++i) {
    const DriverIndex index = shard.fleet.find(shard.pool_checks[i]);
    if (index == kNoDriver || (shard.fleet.driver(index).status != DriverStatus::kChecking &&
                               !shard.fleet.driver(index).trip_from_pool)) {
      continue;  // gone, or settled on no trip
    }
    if (kept != i) {
      shard.pool_checks[kept] = std::move(shard.pool_checks[i]);
    }
    ++kept;
  }
  shard.pool_checks.resize(kept);
  for (std::size_t i = 0; i < kept; ++i) {
    ask_pool_trip(shard, shard.fleet.find(shard.pool_checks[i]));
  }
}

void DispatchEngine::maybe_emit_position(Shard& shard, DriverIndex index, std::uint64_t now) {
  Driver& d = shard.fleet.driver(index);
  if (d.status != DriverStatus::kAvailable ||
      (d.last_map_emit_ns != 0 && now - d.last_map_emit_ns < config_.live_map_interval_ns)) {
    return;
  }
  d.last_map_emit_ns = now;
  events_.driver_position(d.cell_res7, d.id, rads_to_degs(d.position.lat),
                          rads_to_degs(d.position.lng), d.heading_deg);
}

double DispatchEngine::search_local(Shard& shard, LatLng point, std::size_t k, double radius_km,
                                    int coarse_res, std::vector<NearbyDriver>& out) {
  const std::uint64_t start = core::monotonic_ns();
  NearestQuery query{point, k, radius_km, now_ns(), coarse_res};
  (void)shard.searcher.find(query, shard.scratch);
  shard.searches.add();
  shard.search_ns.record(core::monotonic_ns() - start);
  for (const NearestCandidate& c : shard.scratch) {
    const Driver& d = shard.fleet.driver(c.driver);
    out.push_back({d.id, rads_to_degs(d.position.lat), rads_to_degs(d.position.lng),
                   c.distance_km * 1000.0, c.distance_km, eta_s(c.distance_km), shard.id});
  }
  return shard.scratch.size() == k ? shard.scratch.back().distance_km : radius_km;
}

void DispatchEngine::nearby(double lat_deg, double lng_deg, std::size_t k, NearbyDone done) {
  if (!valid_coordinates(lat_deg, lng_deg)) {
    done(DispatchError::kBadRequest, {});
    return;
  }
  search({degs_to_rads(lat_deg), degs_to_rads(lng_deg)}, std::min(k, kMaxNearby), {},
         std::move(done));
}

void DispatchEngine::search(LatLng point, std::size_t k, std::vector<std::string> exclude,
                            NearbyDone done, double radius_km, bool ask_peers) {
  const unsigned caller = executor_.current_shard();
  if (k == 0) {
    done(DispatchError::kOk, {});
    return;
  }
  DispatchPeers* peers = ask_peers ? config_.peers : nullptr;
  const double max_radius = radius_km > 0 ? radius_km : config_.max_search_km;
  run_on(owner_shard(point), [this, point, k, exclude = std::move(exclude), caller, peers,
                              max_radius, done = std::move(done)]() mutable {
    Shard& s = here();
    const std::size_t wanted = k + exclude.size();
    const bool partitioned = shards_.size() > 1 || peers != nullptr;
    std::vector<NearbyDriver> found;
    double radius = search_local(s, point, wanted, max_radius,
                                 partitioned ? config_.coarse_res : -1, found);
    if (config_.peers != nullptr && drop_foreign(found) > 0) {
      // Copies left behind in regions other nodes own now must not bound the search.
      radius = found.size() >= wanted ? found[wanted - 1].distance_km : max_radius;
    }
    std::vector<unsigned> remote;
    std::vector<NodeRef> nodes;
    if (partitioned) {
      for (const CellId coarse : s.searcher.coarse_cells()) {
        const NodeRef node = peers != nullptr ? peers->region_node(coarse) : 0;
        if (node != 0) {
          if (std::find(nodes.begin(), nodes.end(), node) == nodes.end()) {
            nodes.push_back(node);
          }
          continue;
        }
        const unsigned owner = region_shard(coarse);
        if (owner != s.id && std::find(remote.begin(), remote.end(), owner) == remote.end()) {
          remote.push_back(owner);
        }
      }
    }
    if (remote.empty() && nodes.empty()) {
      finish_search(std::move(found), k, exclude, caller, std::move(done));
      return;
    }
    // The local k-th distance bounds the true k-th: other shards (and nodes) only need to look
    // that far.
    auto gather = std::make_shared<Gather>();
    gather->home = s.id;
    gather->waiting = remote.size() + nodes.size();
    gather->results.push_back(std::move(found));
    auto finish = std::make_shared<std::function<void()>>(
        [this, gather, k, exclude = std::move(exclude), caller, done = std::move(done)]() mutable {
          std::vector<NearbyDriver> all;
          for (auto& part : gather->results) {
            std::move(part.begin(), part.end(), std::back_inserter(all));
          }
          finish_search(std::move(all), k, exclude, caller, std::move(done));
        });
    for (const unsigned t : remote) {
      executor_.submit_to(t, [this, t, point, wanted, radius, gather, finish] {
        std::vector<NearbyDriver> part;
        search_local(*shards_[t], point, wanted, radius, -1, part);
        executor_.submit_to(gather->home, [gather, finish, part = std::move(part)]() mutable {
          gather->results.push_back(std::move(part));
          if (--gather->waiting == 0) {
            (*finish)();
          }
        });
      });
    }
    for (const NodeRef node : nodes) {
      peers->search(node, point, wanted, radius,
                    [gather, finish](std::vector<NearbyDriver> part) {
                      gather->results.push_back(std::move(part));
                      if (--gather->waiting == 0) {
                        (*finish)();
                      }
                    });
    }
  });
}

void DispatchEngine::search_here(double lat_deg, double lng_deg, std::size_t wanted,
                                 double radius_km, NearbyDone done) {
  if (!valid_coordinates(lat_deg, lng_deg) || !(radius_km > 0)) {
    done(DispatchError::kBadRequest, {});
    return;
  }
  search({degs_to_rads(lat_deg), degs_to_rads(lng_deg)}, std::min(wanted, 2 * kMaxNearby), {},
         std::move(done), std::min(radius_km, config_.max_search_km), false);
}

std::size_t DispatchEngine::drop_foreign(std::vector<NearbyDriver>& found) {
  return std::erase_if(found, [this](const NearbyDriver& d) {
    if (d.node != 0) {
      return false;  // another node's answer about its own regions
    }
    CellId cell = 0;
    CellId region = 0;
    return lat_lng_to_cell({degs_to_rads(d.lat_deg), degs_to_rads(d.lng_deg)},
                           config_.fleet.index_res, &cell) != H3Error::kSuccess ||
           cell_to_parent(cell, config_.coarse_res, &region) != H3Error::kSuccess ||
           config_.peers->region_node(region) != 0;
  });
}

void DispatchEngine::finish_search(std::vector<NearbyDriver> found, std::size_t k,
                                   const std::vector<std::string>& exclude, unsigned caller,
                                   NearbyDone done) {
  if (config_.peers != nullptr) {
    (void)drop_foreign(found);
  }
  std::erase_if(found, [&](const NearbyDriver& d) {
    return std::find(exclude.begin(), exclude.end(), d.driver) != exclude.end();
  });
  std::sort(found.begin(), found.end(), [](const NearbyDriver& a, const NearbyDriver& b) {
    return a.distance_km != b.distance_km ? a.distance_km < b.distance_km : a.driver < b.driver;
  });
  // A driver first seen by a new holder may briefly exist twice until the old holder evicts it.
  std::vector<NearbyDriver> unique;
  unique.reserve(std::min(found.size(), k));
  for (NearbyDriver& d : found) {
    if (unique.size() == k) {
      break;
    }
    const bool seen = std::any_of(unique.begin(), unique.end(),
                                  [&](const NearbyDriver& u) { return u.driver == d.driver; });
    if (!seen) {
      unique.push_back(std::move(d));
    }
  }
  found = std::move(unique);
  run_on(caller, [found = std::move(found), done = std::move(done)]() mutable {
    done(DispatchError::kOk, std::move(found));
  });
}

}  // namespace hexwire::geo
