// DispatchEngine, second half: trips on their home shard (the owner of the pickup's coarse cell).
// Immediate mode searches candidates at request time and offers them one by one; batched mode
// pools requests for a window, searches candidates for all of them and assigns drivers by minimum
// total pickup ETA (Hungarian), then offers the same way. A driver is reserved on its holding
// shard (available -> offered) before the offer goes out, so two trips never offer one driver.
#include <algorithm>
#include <string>
#include <utility>

#include "geo/dispatch/assignment.hpp"
#include "geo/dispatch/engine.hpp"
#include "geo/dispatch/engine_shard.hpp"

namespace hexwire::geo {

namespace {
LatLngDeg degrees(LatLng p) {
  return {rads_to_degs(p.lat), rads_to_degs(p.lng)};
}
}  // namespace

int DispatchEngine::trip_shard(std::string_view trip_id) noexcept {
  // Trip ids are "t<home shard>-<sequence>".
  if (trip_id.size() < 4 || trip_id[0] != 't') {
    return -1;
  }
  int shard = 0;
  std::size_t i = 1;
  for (; i < trip_id.size() && trip_id[i] >= '0' && trip_id[i] <= '9' && i < 8; ++i) {
    shard = shard * 10 + (trip_id[i] - '0');
  }
  return i > 1 && i < trip_id.size() && trip_id[i] == '-' ? shard : -1;
}

DispatchEngine::Trip* DispatchEngine::find_trip(Shard& shard, std::string_view trip_id) {
  const auto it = shard.trips.find(trip_id);
  return it == shard.trips.end() ? nullptr : it->second.get();
}

void DispatchEngine::request_ride(std::string_view rider, LatLngDeg pickup, LatLngDeg destination,
                                  RideDone done) {
  if (rider.empty() || !valid_coordinates(pickup.lat, pickup.lng) ||
      !valid_coordinates(destination.lat, destination.lng)) {
    done({DispatchError::kBadRequest, {}, 1.0, 0});
    return;
  }
  const LatLng from{degs_to_rads(pickup.lat), degs_to_rads(pickup.lng)};
  const LatLng to{degs_to_rads(destination.lat), degs_to_rads(destination.lng)};
  const unsigned caller = executor_.current_shard();
  run_on(owner_shard(from),
         [this, rider = std::string(rider), from, to, caller, done = std::move(done)]() mutable {
           create_trip(std::move(rider), from, to, caller, std::move(done));
         });
}

void DispatchEngine::create_trip(std::string rider, LatLng pickup, LatLng destination,
                                 unsigned caller, RideDone done) {
  Shard& s = here();
  arm_periodic(s);
  auto owned = std::make_unique<Trip>();
  Trip& trip = *owned;
  trip.id = "t" + std::to_string(s.id) + "-" + std::to_string(s.next_trip++) + config_.trip_suffix;
  trip.rider = std::move(rider);
  trip.pickup = pickup;
  trip.destination = destination;
  trip.pickup_res7 = res7_of(pickup);
  s.surge.record_request(trip.pickup_res7, now_ns());
  trip.surge = s.surge.multiplier(trip.pickup_res7);
  trip.fare_estimate =
      trip.surge *
      (config_.base_fare + config_.fare_per_km * great_circle_distance_km(pickup, destination));
  s.rides.add();
  const std::string id = trip.id;
  s.trips.emplace(id, std::move(owned));
  emit_trip(trip);
  reply<RideReply>(caller, std::move(done),
                   {DispatchError::kOk, id, trip.surge, trip.fare_estimate});
  arm_match_deadline(trip);
  start_matching(trip);
}

CellId DispatchEngine::res7_of(LatLng point) const noexcept {
  CellId cell = 0;  // the res-7 cell as the fleet derives it (fleet.hpp, kLiveMapRes)
  CellId res7 = 0;
  (void)lat_lng_to_cell(point, config_.fleet.index_res, &cell);
  (void)cell_to_parent(cell, std::min(kLiveMapRes, config_.fleet.index_res), &res7);
  return res7;
}

void DispatchEngine::arm_match_deadline(Trip& trip) {
  trip.deadline_timer = executor_.timers().add_after(config_.match_deadline_ns, [this, id = trip.id] {
    Trip* t = find_trip(here(), id);
    if (t == nullptr ||
        (t->status != TripStatus::kRequested && t->status != TripStatus::kOffered)) {
      return;
    }
    t->deadline_timer = 0;
    executor_.timers().cancel(t->offer_timer);
    executor_.timers().cancel(t->retry_timer);
    here().unmatched.add();
    transition(*t, TripStatus::kUnmatched);
    release_driver(*t);
    retire_if_terminal(*t);
  });
}

void DispatchEngine::adopt_trip(AdoptedTrip record, std::function<void(bool)> done) {
  const bool waiting =
      record.status == TripStatus::kRequested || record.status == TripStatus::kOffered;
  if (trip_shard(record.id) < 0 || record.rider.empty() || is_terminal(record.status) ||
      (!waiting && record.driver.empty()) ||
      !valid_coordinates(record.pickup.lat, record.pickup.lng) ||
      !valid_coordinates(record.destination.lat, record.destination.lng)) {
    done(false);
    return;
  }
  const unsigned caller = executor_.current_shard();
  const unsigned home =
      owner_shard({degs_to_rads(record.pickup.lat), degs_to_rads(record.pickup.lng)});
  run_on(home, [this, record = std::move(record), caller, done = std::move(done)]() mutable {
    install_adopted(std::move(record), caller, std::move(done));
  });
}

void DispatchEngine::install_adopted(AdoptedTrip record, unsigned caller,
                                     std::function<void(bool)> done) {
  Shard& s = here();
  const unsigned route = static_cast<unsigned>(trip_shard(record.id)) % shards_.size();
  if (find_trip(s, record.id) != nullptr || (route == s.id && s.trips_at.contains(record.id))) {
    reply<bool>(caller, std::move(done), false);
    return;
  }
  arm_periodic(s);
  auto owned = std::make_unique<Trip>();
  Trip& trip = *owned;
  trip.id = record.id;
  trip.rider = std::move(record.rider);
  trip.pickup = {degs_to_rads(record.pickup.lat), degs_to_rads(record.pickup.lng)};
  trip.destination = {degs_to_rads(record.destination.lat), degs_to_rads(record.destination.lng)};
  trip.pickup_res7 = res7_of(trip.pickup);
  trip.surge = record.surge;
  trip.fare_estimate = record.fare_estimate;
  const NodeRef holder = config_.peers != nullptr ? config_.peers->node_named(record.driver_node) : 0;
  const bool waiting =
      record.status == TripStatus::kRequested || record.status == TripStatus::kOffered;
  if (!waiting) {
    trip.status = record.status;
    trip.driver = std::move(record.driver);
    trip.driver_node = holder;
    trip.driver_shard = record.driver_shard;
    trip.eta_s = record.eta_s;
  }
  s.trips.emplace(trip.id, std::move(owned));
  if (route != s.id) {
    run_on(route, [this, id = trip.id, at = s.id] { here().trips_at[id] = at; });
  }
  if (waiting) {
    if (record.status == TripStatus::kOffered && !record.driver.empty()) {
      // The offer died with the old home: release its driver, and tell the rider it is searched
      // again (offered -> requested, as when an offer expires).
      driver_state(holder, record.driver_shard, record.driver, trip.id, DriverStatus::kAvailable,
                   true);
      emit_trip(trip);
    }
    arm_match_deadline(trip);
    start_matching(trip);
  }
  reply<bool>(caller, std::move(done), true);
}

void DispatchEngine::start_matching(Trip& trip) {
  Shard& s = here();
  trip.candidates.clear();
  trip.next_candidate = 0;
  if (config_.mode == MatchMode::kBatched) {
    if (!trip.in_pool) {
      trip.in_pool = true;
      s.pool.push_back(trip.id);
    }
    if (s.batch_timer == 0) {
      const unsigned id = s.id;
      s.batch_timer =
          executor_.timers().add_after(config_.batch_window_ns, [this, id] { run_batch(id); });
    }
    return;
  }
  trip.searching = true;
  search(trip.pickup, config_.candidates, trip.tried,
         [this, id = trip.id](DispatchError, std::vector<NearbyDriver> found) {
           Trip* t = find_trip(here(), id);
           if (t == nullptr) {
             return;
           }
           t->searching = false;
           if (t->status != TripStatus::kRequested) {
             return;
           }
           t->candidates = std::move(found);
           t->next_candidate = 0;
           offer_next(id);
         });
}

void DispatchEngine::offer_next(const std::string& trip_id) {
  Trip* t = find_trip(here(), trip_id);
  if (t == nullptr || t->status != TripStatus::kRequested || t->reserving || t->searching) {
    return;
  }
  while (t->next_candidate < t->candidates.size() &&
         std::find(t->tried.begin(), t->tried.end(), t->candidates[t->next_candidate].driver) !=
             t->tried.end()) {
    ++t->next_candidate;
  }
  if (t->next_candidate >= t->candidates.size()) {
    if (config_.mode == MatchMode::kBatched) {
      start_matching(*t);  // back to the pool for the next window
      return;
    }
    t->retry_timer = executor_.timers().add_after(config_.retry_interval_ns, [this, trip_id] {
      Trip* again = find_trip(here(), trip_id);
      if (again != nullptr && again->status == TripStatus::kRequested && !again->searching &&
          !again->reserving) {
        again->retry_timer = 0;
        start_matching(*again);
      }
    });
    return;
  }
  NearbyDriver candidate = t->candidates[t->next_candidate++];
  t->tried.push_back(candidate.driver);
  t->reserving = true;
  if (candidate.node != 0 && config_.peers != nullptr) {
    const NearbyDriver asked = candidate;
    config_.peers->reserve(asked, trip_id,
                           [this, candidate = std::move(candidate), trip_id](bool reserved) mutable {
                             on_reserved(trip_id, std::move(candidate), reserved);
                           });
    return;
  }
  const unsigned home = executor_.current_shard();
  run_on(candidate.shard, [this, candidate = std::move(candidate), trip_id, home]() mutable {
    const bool reserved = reserve_here(candidate.driver, trip_id);
    run_on(home, [this, candidate = std::move(candidate), trip_id, reserved]() mutable {
      on_reserved(trip_id, std::move(candidate), reserved);
    });
  });
}

bool DispatchEngine::reserve_here(std::string_view driver, const std::string& trip_id) {
  Shard& holder = here();
  const DriverIndex index = holder.fleet.find(driver);
  const bool reserved = index != kNoDriver && holder.fleet.searchable(index, now_ns());
  if (reserved) {
    holder.fleet.driver(index).trip = trip_id;
    holder.fleet.set_status(index, DriverStatus::kOffered);
  }
  return reserved;
}

void DispatchEngine::reserve(std::string_view driver, unsigned shard, std::string_view trip,
                             std::function<void(bool)> done) {
  const unsigned caller = executor_.current_shard();
  if (shard >= shards_.size()) {
    done(false);
    return;
  }
  run_on(shard, [this, driver = std::string(driver), trip = std::string(trip), caller,
                 done = std::move(done)]() mutable {
    // A driver handed over to another shard since the search is not chased: the trip offers the
    // next candidate instead.
    const bool reserved = reserve_here(driver, trip);
    reply<bool>(caller, std::move(done), reserved);
  });
}

void DispatchEngine::on_reserved(const std::string& trip_id, NearbyDriver candidate,
                                 bool reserved) {
  Trip* t = find_trip(here(), trip_id);
  if (t != nullptr) {
    t->reserving = false;
  }
  if (t == nullptr || t->status != TripStatus::kRequested) {
    if (reserved) {  // the trip was cancelled or gave up meanwhile
      driver_state(candidate.node, candidate.shard, candidate.driver, trip_id,
                   DriverStatus::kAvailable, true);
    }
    return;
  }
  if (!reserved) {
    here().reservations_refused.add();
    offer_next(trip_id);
    return;
  }
  t->driver = candidate.driver;
  t->driver_shard = candidate.shard;
  t->driver_node = candidate.node;
  t->eta_s = candidate.eta_s;
  t->in_pool = false;
  here().offers.add();
  transition(*t, TripStatus::kOffered);
  events_.offer(t->driver, t->id, degrees(t->pickup), t->eta_s,
                static_cast<std::uint32_t>(config_.offer_expiry_ns / 1'000'000));
  t->offer_timer = executor_.timers().add_after(config_.offer_expiry_ns, [this, trip_id] {
    Trip* expired = find_trip(here(), trip_id);
    if (expired == nullptr || expired->status != TripStatus::kOffered) {
      return;
    }
    expired->offer_timer = 0;
    transition(*expired, TripStatus::kRequested);
    release_driver(*expired);
    offer_next(trip_id);
  });
}

void DispatchEngine::release_driver(Trip& trip) {
  if (trip.driver.empty()) {
    return;
  }
  driver_state(trip.driver_node, trip.driver_shard, trip.driver, trip.id, DriverStatus::kAvailable,
               true);
  if (!is_terminal(trip.status)) {
    trip.driver.clear();  // terminal trips keep it: the driver may still ask and gets conflict
    trip.eta_s = 0;
  }
}

void DispatchEngine::transition(Trip& trip, TripStatus next) {
  trip.status = next;
  emit_trip(trip);
}

void DispatchEngine::emit_trip(const Trip& trip) {
  events_.trip_event({trip.id, trip.status, trip.rider, trip.driver, trip.eta_s, trip.surge,
                      trip.fare_estimate, wall_us(), degrees(trip.pickup),
                      degrees(trip.destination), trip.pickup_res7, trip.driver_node,
                      trip.driver_shard});
}

void DispatchEngine::retire_if_terminal(Trip& trip) {
  if (!is_terminal(trip.status)) {
    return;
  }
  Shard& s = here();
  std::erase(s.pool, trip.id);
  const unsigned route = static_cast<unsigned>(trip_shard(trip.id)) % shards_.size();
  executor_.timers().add_after(config_.terminal_retention_ns, [this, id = trip.id, route] {
    here().trips.erase(id);
    if (route != here().id) {
      run_on(route, [this, id] { here().trips_at.erase(id); });
    }
  });
}

void DispatchEngine::accept(std::string_view driver, std::string_view trip, ActionDone done) {
  answer_offer(std::string(driver), std::string(trip), true, executor_.current_shard(),
               std::move(done));
}

void DispatchEngine::decline(std::string_view driver, std::string_view trip, ActionDone done) {
  answer_offer(std::string(driver), std::string(trip), false, executor_.current_shard(),
               std::move(done));
}

void DispatchEngine::with_trip(std::string trip_id, std::function<void(Trip*)> fn) {
  // Trip ids are "t<shard>-...": this node's trips live on that shard; a trip adopted from another
  // node is found through that shard's trips_at (its id may name any shard, even one beyond ours).
  const int named = trip_shard(trip_id);
  if (named < 0) {
    fn(nullptr);
    return;
  }
  const unsigned route = static_cast<unsigned>(named) % shards_.size();
  run_on(route, [this, trip_id = std::move(trip_id), fn = std::move(fn)]() mutable {
    Shard& s = here();
    if (Trip* t = find_trip(s, trip_id)) {
      fn(t);
      return;
    }
    const auto at = s.trips_at.find(trip_id);
    if (at == s.trips_at.end()) {
      fn(nullptr);
      return;
    }
    run_on(at->second, [this, trip_id = std::move(trip_id), fn = std::move(fn)]() mutable {
      fn(find_trip(here(), trip_id));
    });
  });
}

void DispatchEngine::answer_offer(std::string driver, std::string trip_id, bool accepted,
                                  unsigned caller, ActionDone done) {
  with_trip(std::move(trip_id),
         [this, driver = std::move(driver), accepted, caller,
          done = std::move(done)](Trip* t) mutable {
           if (t == nullptr) {
             reply<DispatchError>(caller, std::move(done), DispatchError::kNotFound);
             return;
           }
           if (t->status != TripStatus::kOffered || t->driver != driver) {
             reply<DispatchError>(caller, std::move(done), DispatchError::kConflict);
             return;
           }
           executor_.timers().cancel(t->offer_timer);
           t->offer_timer = 0;
           if (accepted) {
             executor_.timers().cancel(t->deadline_timer);
             t->deadline_timer = 0;
             here().matched.add();
             transition(*t, TripStatus::kMatched);
             driver_state(t->driver_node, t->driver_shard, t->driver, t->id,
                          DriverStatus::kEnRoute, true);
           } else {
             transition(*t, TripStatus::kRequested);
             release_driver(*t);
             offer_next(std::string(t->id));
           }
           reply<DispatchError>(caller, std::move(done), DispatchError::kOk);
         });
}

void DispatchEngine::trip_action(std::string_view user, std::string_view trip, TripAction action,
                                 ActionDone done) {
  const bool wire_action = action == TripAction::kArrive || action == TripAction::kStart ||
                           action == TripAction::kComplete || action == TripAction::kCancel;
  if (!wire_action) {
    done(DispatchError::kBadRequest);
    return;
  }
  const unsigned caller = executor_.current_shard();
  with_trip(std::string(trip), [this, user = std::string(user), action, caller,
                                done = std::move(done)](Trip* t) mutable {
    if (t == nullptr) {
      reply<DispatchError>(caller, std::move(done), DispatchError::kNotFound);
      return;
    }
    TripActor actor;
    if (user == t->rider) {
      actor = TripActor::kRider;
    } else if (!t->driver.empty() && user == t->driver) {
      actor = TripActor::kDriver;
    } else {
      reply<DispatchError>(caller, std::move(done), DispatchError::kForbidden);
      return;
    }
    const TripTransition step = next_trip_status(t->status, action, actor);
    if (step.error != TripError::kOk) {
      reply<DispatchError>(caller, std::move(done),
                           step.error == TripError::kForbidden ? DispatchError::kForbidden
                                                               : DispatchError::kConflict);
      return;
    }
    executor_.timers().cancel(t->offer_timer);
    t->offer_timer = 0;
    if (is_terminal(step.next)) {
      executor_.timers().cancel(t->deadline_timer);
      executor_.timers().cancel(t->retry_timer);
      t->deadline_timer = t->retry_timer = 0;
    }
    transition(*t, step.next);
    if (step.next == TripStatus::kOnTrip) {
      driver_state(t->driver_node, t->driver_shard, t->driver, t->id, DriverStatus::kOnTrip, true);
    } else if (is_terminal(step.next)) {
      release_driver(*t);
      retire_if_terminal(*t);
    }
    reply<DispatchError>(caller, std::move(done), DispatchError::kOk);
  });
}

void DispatchEngine::run_batch(unsigned shard_id) {
  Shard& s = here();
  s.batch_timer = 0;
  auto gather = std::make_shared<Gather>();
  gather->home = shard_id;
  for (const std::string& id : s.pool) {
    Trip* t = find_trip(s, id);
    if (t != nullptr && t->in_pool && t->status == TripStatus::kRequested && !t->reserving) {
      t->in_pool = false;
      t->searching = true;
      gather->trips.push_back(id);
    }
  }
  s.pool.clear();
  if (gather->trips.empty()) {
    return;
  }
  gather->waiting = gather->trips.size();
  gather->results.resize(gather->trips.size());
  for (std::size_t row = 0; row < gather->trips.size(); ++row) {
    Trip* t = find_trip(s, gather->trips[row]);
    search(t->pickup, config_.candidates, t->tried,
           [this, gather, row, shard_id](DispatchError, std::vector<NearbyDriver> found) {
             gather->results[row] = std::move(found);
             if (--gather->waiting == 0) {
               assign_batch(shard_id, gather);
             }
           });
  }
}

void DispatchEngine::assign_batch(unsigned shard_id, std::shared_ptr<Gather> gather) {
  Shard& s = *shards_[shard_id];
  std::vector<NearbyDriver> columns;
  for (const auto& row : gather->results) {
    for (const NearbyDriver& d : row) {
      if (std::none_of(columns.begin(), columns.end(),
                       [&](const NearbyDriver& c) { return c.driver == d.driver; })) {
        columns.push_back(d);
      }
    }
  }
  const std::size_t rows = gather->trips.size();
  const double cap = config_.max_pickup_eta_s;
  std::vector<double> cost(rows * columns.size(), cap);
  for (std::size_t i = 0; i < rows; ++i) {
    for (const NearbyDriver& d : gather->results[i]) {
      const auto j = static_cast<std::size_t>(
          std::find_if(columns.begin(), columns.end(),
                       [&](const NearbyDriver& c) { return c.driver == d.driver; }) -
          columns.begin());
      cost[i * columns.size() + j] = d.eta_s;
    }
  }
  const AssignmentResult assignment = min_cost_assignment(cost, rows, columns.size(), cap);
  for (std::size_t i = 0; i < rows; ++i) {
    Trip* t = find_trip(s, gather->trips[i]);
    if (t == nullptr) {
      continue;
    }
    t->searching = false;
    if (t->status != TripStatus::kRequested) {
      continue;
    }
    const int column = assignment.column_of_row[i];
    if (column < 0) {
      start_matching(*t);  // nobody within reach this window: try the next one
      continue;
    }
    // The assigned driver first, then this row's other candidates not assigned elsewhere.
    // (Each row keeps its own copy of a driver: distance and ETA are to this row's pickup.)
    t->candidates.clear();
    const std::string& assigned = columns[static_cast<std::size_t>(column)].driver;
    for (const NearbyDriver& d : gather->results[i]) {
      if (d.driver == assigned) {
        t->candidates.push_back(d);
      }
    }
    for (const NearbyDriver& d : gather->results[i]) {
      const auto j = std::find_if(columns.begin(), columns.end(),
                                  [&](const NearbyDriver& c) { return c.driver == d.driver; }) -
                     columns.begin();
      const bool taken = std::find(assignment.column_of_row.begin(), assignment.column_of_row.end(),
                                   static_cast<int>(j)) != assignment.column_of_row.end();
      if (!taken && d.eta_s < cap) {
        t->candidates.push_back(d);
      }
    }
    t->next_candidate = 0;
    offer_next(t->id);
  }
}

}  // namespace hexwire::geo
