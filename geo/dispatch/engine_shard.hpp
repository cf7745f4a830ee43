// DispatchEngine's per-shard state (private to geo/dispatch/engine*.cpp): the shard's fleet index
// and nearest-search scratch, its surge book, the trips it is home to, routing hints and
// tombstones for drivers that moved to another shard, the batch pool, and its metrics.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/metrics.hpp"
#include "core/timer_wheel.hpp"
#include "geo/dispatch/engine.hpp"
#include "geo/dispatch/nearest.hpp"

namespace hexwire::geo {

struct TransparentStringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view text) const noexcept {
    return std::hash<std::string_view>{}(text);
  }
};
/// A string-keyed map that looks up by std::string_view without building a std::string.
template <typename T>
using StringMap = std::unordered_map<std::string, T, TransparentStringHash, std::equal_to<>>;

struct DispatchEngine::Trip {
  std::string id;
  std::string rider;
  std::string driver;         // offered or matched driver; empty otherwise
  unsigned driver_shard = 0;  // where `driver` was held when reserved
  NodeRef driver_node = 0;    // on which node (0: this one)
  LatLng pickup{};
  LatLng destination{};
  CellId pickup_res7 = 0;
  TripStatus status = TripStatus::kRequested;
  double surge = 1.0;
  double fare_estimate = 0;
  double eta_s = 0;
  std::vector<NearbyDriver> candidates;  // in offer order
  std::size_t next_candidate = 0;
  std::vector<std::string> tried;  // drivers offered before (never offered twice)
  bool reserving = false;          // a reservation request is in flight
  bool searching = false;          // a candidate search is in flight
  bool in_pool = false;            // batched: waiting for the next window
  core::TimerId offer_timer = 0;
  core::TimerId retry_timer = 0;
  core::TimerId deadline_timer = 0;
};

struct DispatchEngine::Gather {
  unsigned home = 0;
  std::size_t waiting = 0;
  std::vector<std::string> trips;                  // batched: one row per trip
  std::vector<std::vector<NearbyDriver>> results;  // per trip (batch) or per shard (search)
};

struct DispatchEngine::Shard {
  Shard(const DispatchConfig& config, core::MetricsRegistry& metrics, unsigned id);

  unsigned id;
  FleetIndex fleet;
  NearestSearch searcher{fleet};
  std::vector<NearestCandidate> scratch;
  SurgeBook surge;
  StringMap<std::unique_ptr<Trip>> trips;
  StringMap<unsigned> trips_at;    // adopted trips whose id names this shard: id -> holding shard
  StringMap<unsigned> owner_hint;  // caller side: driver -> holding shard
  StringMap<unsigned> moved_to;    // holder side: driver handed over to
  std::vector<std::string> pool;   // batched trips waiting for a window
  // With peers: drivers held kChecking or busy on the pool's answer (asked again every sweep).
  std::vector<std::string> pool_checks;
  core::TimerId batch_timer = 0;
  bool periodic_armed = false;
  std::uint64_t next_trip = 1;
  std::vector<SurgeChange> surge_changes;

  core::Counter& fixes_accepted;
  core::Counter& fixes_rejected;
  core::Counter& jumps_held;
  core::Counter& handovers;
  core::Counter& searches;
  core::Counter& rides;
  core::Counter& offers;
  core::Counter& reservations_refused;
  core::Counter& matched;
  core::Counter& unmatched;
  core::Counter& expired_drivers;
  core::Gauge& drivers_held;
  core::Histogram& search_ns;
};

template <typename Fn>
void DispatchEngine::run_on(unsigned shard, Fn&& fn) {
  if (shard == executor_.current_shard()) {
    fn();
  } else {
    executor_.submit_to(shard, core::Task(std::forward<Fn>(fn)));
  }
}

template <typename T>
void DispatchEngine::reply(unsigned caller, std::function<void(T)> done, T value) {
  run_on(caller,
         [done = std::move(done), value = std::move(value)]() mutable { done(std::move(value)); });
}

}  // namespace hexwire::geo
