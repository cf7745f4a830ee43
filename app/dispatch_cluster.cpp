// DispatchCluster, asking side: region owners per shard, NodeRef interning, forwarding of client
// ops to owner nodes, the engine's peer calls (search, reserve, driver state) and the trip records
// written to Redis. The serving side is in dispatch_cluster_serve.cpp.
#include "app/dispatch_cluster.hpp"

#include <algorithm>
#include <map>
#include <utility>

#include "app/detail/cluster_codec.hpp"
#include "core/clock.hpp"
#include "scaleout/region_owners.hpp"

namespace hexwire::app {

using detail::FieldReader;
using detail::FieldWriter;
using scaleout::RpcStatus;

namespace {
constexpr std::size_t kMaxDriversPerAnswer = 200;

std::string base36(std::int64_t value) {
  std::string text;
  auto rest = static_cast<std::uint64_t>(value);
  do {
    text.insert(text.begin(), "0123456789abcdefghijklmnopqrstuvwxyz"[rest % 36]);
    rest /= 36;
  } while (rest != 0);
  return text;
}

/// The driver's state on a trip of this status; nullopt when the trip does not hold its driver.
std::optional<geo::DriverStatus> driver_busy(geo::TripStatus status) noexcept {
  switch (status) {
    case geo::TripStatus::kOffered:
      return geo::DriverStatus::kOffered;
    case geo::TripStatus::kMatched:
    case geo::TripStatus::kArrived:
      return geo::DriverStatus::kEnRoute;
    case geo::TripStatus::kOnTrip:
      return geo::DriverStatus::kOnTrip;
    default:
      return std::nullopt;
  }
}
}  // namespace

struct DispatchCluster::Slice {
  explicit Slice(std::string self) : owners(std::move(self)) {}
  scaleout::RegionOwners owners;
  std::unique_ptr<scaleout::RpcEndpoint> rpc;
  std::vector<std::string> refs;  // NodeRef r names refs[r - 1]
  // Drivers of this shard's connections whose fixes go to another node: driver -> that node.
  // One entry per such driver, removed when its connection closes or its fixes come back here.
  std::map<std::string, geo::NodeRef, std::less<>> driver_nodes;
  std::atomic<std::size_t> live_known{1};
  bool stopped = false;  // after stop_shard: nothing goes out any more (connections closing)
  bool resumed = false;  // shard 0: this node's list of trips was read after its start
  core::Counter* forwarded = nullptr;
  core::Counter* forward_failures = nullptr;
  core::Counter* peer_calls = nullptr;
  core::Counter* adopted = nullptr;
};

DispatchCluster::DispatchCluster(core::Executor& executor, core::MetricsRegistry& metrics,
                                 DispatchClusterConfig config, geo::DispatchEvents& next)
    : executor_(executor), config_(std::move(config)), run_(base36(core::wall_us())), next_(next) {
  for (unsigned shard = 0; shard < executor.shard_count(); ++shard) {
    auto slice = std::make_unique<Slice>(config_.rpc.node_id);
    slice->forwarded = &metrics.counter("dispatch_forwarded_total",
                                        "dispatch ops and peer calls sent to another node", shard);
    slice->forward_failures =
        &metrics.counter("dispatch_forward_failures_total",
                         "requests to another node without an answer in time", shard);
    slice->peer_calls = &metrics.counter("dispatch_peer_requests_total",
                                         "requests of other nodes served by this one", shard);
    slice->adopted = &metrics.counter("dispatch_trips_adopted_total",
                                      "trips of dead nodes taken over by this one", shard);
    slices_.push_back(std::move(slice));
  }
}

DispatchCluster::~DispatchCluster() = default;

DispatchCluster::Slice& DispatchCluster::here() noexcept {
  return *slices_[executor_.current_shard()];
}

void DispatchCluster::start_shard() {
  Slice& s = here();
  if (s.rpc || s.stopped) {
    return;
  }
  const unsigned shard = executor_.current_shard();
  s.rpc = std::make_unique<scaleout::RpcEndpoint>(
      config_.reactor(), executor_.timers(), config_.rpc, shard,
      [this](std::string_view payload, const scaleout::RpcFrom& from) {
        here().peer_calls->add();
        serve(payload, from);
      });
}

void DispatchCluster::stop_shard() {
  Slice& s = here();
  s.stopped = true;  // connections closed by the shutdown send nothing (their driver_offline)
  s.rpc.reset();     // pending requests are dropped with it (their callbacks never run)
}

void DispatchCluster::set_live(const std::vector<std::string>& live) {
  Slice& s = here();
  const std::vector<std::string> before = s.owners.nodes();
  s.owners.set_live(live);
  s.live_known.store(s.owners.nodes().size(), std::memory_order_relaxed);
  if (executor_.current_shard() != 0) {
    return;
  }
  if (!s.resumed && engine_ != nullptr) {  // trips of an earlier run of this node id
    s.resumed = true;
    adopt_trips_of(config_.rpc.node_id, true);
  }
  for (const std::string& node : before) {  // shard 0 adopts the trips of nodes that died
    if (!std::binary_search(s.owners.nodes().begin(), s.owners.nodes().end(), node)) {
      adopt_trips_of(node, false);
    }
  }
}

bool DispatchCluster::is_live(std::string_view node) {
  const std::vector<std::string>& nodes = here().owners.nodes();
  return std::binary_search(nodes.begin(), nodes.end(), node, std::less<>());
}

std::size_t DispatchCluster::live_nodes_known() const noexcept {
  std::size_t fewest = SIZE_MAX;
  for (const auto& slice : slices_) {
    fewest = std::min(fewest, slice->live_known.load(std::memory_order_relaxed));
  }
  return fewest;
}

std::optional<std::string> DispatchCluster::remote_owner(double lat_deg, double lng_deg) {
  geo::CellId cell = 0;
  geo::CellId region = 0;
  if (!geo::valid_coordinates(lat_deg, lng_deg) ||
      geo::lat_lng_to_cell({geo::degs_to_rads(lat_deg), geo::degs_to_rads(lng_deg)},
                           config_.index_res, &cell) != geo::H3Error::kSuccess ||
      geo::cell_to_parent(cell, config_.coarse_res, &region) != geo::H3Error::kSuccess) {
    return std::nullopt;
  }
  const Slice& s = here();
  if (s.owners.owns(region)) {
    return std::nullopt;
  }
  return s.owners.owner_of(region);
}

DispatchCluster::TripRoute DispatchCluster::trip_route(std::string_view trip) {
  // "t<shard>-<seq>-<node>": the node is everything after the second '-'.
  const std::size_t first = trip.find('-');
  const std::size_t second = first == std::string_view::npos ? first : trip.find('-', first + 1);
  if (second == std::string_view::npos || second + 1 >= trip.size()) {
    return {};  // not a pool trip id: the local engine answers (not_found)
  }
  const std::string_view node = trip.substr(second + 1);
  if (node == config_.rpc.node_id) {
    return {};
  }
  if (is_live(node)) {
    return {TripRoute::Kind::kNode, std::string(node)};
  }
  return {TripRoute::Kind::kLookup, {}};
}

void DispatchCluster::lookup_trip_home(std::string_view trip, Done<std::string> done) {
  redis::RedisClient* redis = redis_here();
  if (redis == nullptr) {
    return;  // stopped: dropped like pending requests
  }
  const std::string key = trip_key(trip);
  redis->command(key, {"HGET", key, "home"},
                          [done = std::move(done)](redis::RedisStatus status, redis::ReplyView home) {
                            if (status != redis::RedisStatus::kOk || home.is_error() ||
                                home.is_nil() || home.str().empty()) {
                              done(RpcStatus::kUnavailable, {});
                              return;
                            }
                            done(RpcStatus::kOk, std::string(home.str()));
                          });
}

geo::NodeRef DispatchCluster::ref_of(const std::string& node) {
  Slice& s = here();
  // Node ids seen by this shard: one entry per id for the node's life (ids change only when a
  // node restarts without --node-id).
  const auto it = std::find(s.refs.begin(), s.refs.end(), node);
  if (it != s.refs.end()) {
    return static_cast<geo::NodeRef>(it - s.refs.begin()) + 1;
  }
  s.refs.push_back(node);
  return static_cast<geo::NodeRef>(s.refs.size());
}

const std::string* DispatchCluster::node_of(geo::NodeRef ref) {
  Slice& s = here();
  return ref == 0 || ref > s.refs.size() ? nullptr : &s.refs[ref - 1];
}

void DispatchCluster::request(const std::string& node, std::string payload,
                              scaleout::RpcEndpoint::ReplyCallback done) {
  Slice& s = here();
  if (!s.rpc) {
    start_shard();  // a shard not started yet starts on first use
  }
  if (!s.rpc) {
    return;  // stopped: dropped like the pending requests
  }
  s.forwarded->add();
  s.rpc->request(node, payload,
                 [&s, done = std::move(done)](RpcStatus status, std::string_view reply) mutable {
                   if (status != RpcStatus::kOk) {
                     s.forward_failures->add();
                   }
                   done(status, reply);
                 });
}

void DispatchCluster::send(const std::string& node, std::string payload) {
  Slice& s = here();
  if (!s.rpc) {
    start_shard();
  }
  if (!s.rpc) {
    return;
  }
  s.forwarded->add();
  s.rpc->send(node, payload);
}

void DispatchCluster::answer(const scaleout::RpcFrom& from, std::string payload) {
  Slice& s = here();
  if (s.rpc) {
    s.rpc->reply(from, payload);
  }
}

// ---------------------------------------------------------------------------------------------
// Forwarding of client ops

void DispatchCluster::forward_location(const std::string& node, std::string_view driver,
                                       const geo::GpsFix& fix, bool want_reply,
                                       Done<geo::LocationReply> done) {
  FieldWriter w("loc");
  w.add(driver).num(fix.lat_deg).num(fix.lng_deg).num(fix.heading_deg).num(fix.speed_mps);
  w.num(fix.available ? 1 : 0);
  if (!want_reply) {
    send(node, w.take());
    return;
  }
  request(node, w.take(), [done = std::move(done)](RpcStatus status, std::string_view text) {
    FieldReader r(text);
    geo::LocationReply reply;
    reply.error = static_cast<geo::DispatchError>(r.num<int>());
    reply.outcome = static_cast<geo::FixOutcome>(r.num<int>());
    reply.cell = r.num<geo::CellId>();
    done(status == RpcStatus::kOk && !r.ok() ? RpcStatus::kUnavailable : status, reply);
  });
}

void DispatchCluster::forward_ride(const std::string& node, std::string_view rider,
                                   geo::LatLngDeg pickup, geo::LatLngDeg destination,
                                   Done<geo::RideReply> done) {
  FieldWriter w("ride");
  w.add(rider).num(pickup.lat).num(pickup.lng).num(destination.lat).num(destination.lng);
  request(node, w.take(), [done = std::move(done)](RpcStatus status, std::string_view text) {
    FieldReader r(text);
    geo::RideReply reply;
    reply.error = static_cast<geo::DispatchError>(r.num<int>());
    reply.trip = std::string(r.str());
    reply.surge = r.num<double>();
    reply.fare_estimate = r.num<double>();
    done(status == RpcStatus::kOk && !r.ok() ? RpcStatus::kUnavailable : status, std::move(reply));
  });
}

void DispatchCluster::forward_nearby(const std::string& node, double lat_deg, double lng_deg,
                                     std::size_t k, Done<NearbyAnswer> done) {
  FieldWriter w("near");
  w.num(lat_deg).num(lng_deg).num(k);
  const geo::NodeRef ref = ref_of(node);
  request(node, w.take(),
          [ref, k, done = std::move(done)](RpcStatus status, std::string_view text) {
            FieldReader r(text);
            NearbyAnswer answer;
            answer.error = static_cast<geo::DispatchError>(r.num<int>());
            answer.drivers = detail::read_drivers(r, ref, k);
            done(status == RpcStatus::kOk && !r.ok() ? RpcStatus::kUnavailable : status,
                 std::move(answer));
          });
}

void DispatchCluster::forward_offer_answer(const std::string& node, std::string_view driver,
                                           std::string_view trip, bool accepted,
                                           Done<geo::DispatchError> done) {
  FieldWriter w("ans");
  w.add(driver).add(trip).num(accepted ? 1 : 0);
  request(node, w.take(), [done = std::move(done)](RpcStatus status, std::string_view text) {
    FieldReader r(text);
    const auto error = static_cast<geo::DispatchError>(r.num<int>());
    done(status == RpcStatus::kOk && !r.ok() ? RpcStatus::kUnavailable : status, error);
  });
}

void DispatchCluster::forward_trip_action(const std::string& node, std::string_view user,
                                          std::string_view trip, geo::TripAction action,
                                          Done<geo::DispatchError> done) {
  FieldWriter w("act");
  w.add(user).add(trip).num(static_cast<int>(action));
  request(node, w.take(), [done = std::move(done)](RpcStatus status, std::string_view text) {
    FieldReader r(text);
    const auto error = static_cast<geo::DispatchError>(r.num<int>());
    done(status == RpcStatus::kOk && !r.ok() ? RpcStatus::kUnavailable : status, error);
  });
}

// ---------------------------------------------------------------------------------------------
// Drivers whose fixes go to other nodes

void DispatchCluster::route_driver(std::string_view driver, const std::string* node) {
  Slice& s = here();
  const auto it = s.driver_nodes.find(driver);
  if (node == nullptr && it == s.driver_nodes.end()) {
    return;  // the common case of a local driver: one lookup
  }
  const geo::NodeRef now = node == nullptr ? 0 : ref_of(*node);
  if (it != s.driver_nodes.end() && it->second == now) {
    return;
  }
  if (it != s.driver_nodes.end()) {
    if (const std::string* before = node_of(it->second)) {
      FieldWriter w("forget");
      w.add(driver);
      send(*before, w.take());
    }
    if (now == 0) {
      s.driver_nodes.erase(it);
    } else {
      it->second = now;
    }
    return;
  }
  s.driver_nodes.emplace(std::string(driver), now);
}

void DispatchCluster::driver_offline(std::string_view driver) {
  Slice& s = here();
  const auto it = s.driver_nodes.find(driver);
  if (it == s.driver_nodes.end()) {
    return;
  }
  if (const std::string* holder = node_of(it->second)) {
    FieldWriter w("off");
    w.add(driver);
    send(*holder, w.take());
  }
  s.driver_nodes.erase(it);
}

// ---------------------------------------------------------------------------------------------
// geo::DispatchPeers

geo::NodeRef DispatchCluster::region_node(geo::CellId coarse_cell) noexcept {
  Slice& s = here();
  const std::size_t owner = s.owners.owner_index(coarse_cell);
  if (s.owners.nodes()[owner] == s.owners.self()) {
    return 0;
  }
  try {
    return ref_of(s.owners.nodes()[owner]);
  } catch (...) {
    return 0;  // out of memory: searched as this node's (it holds nothing there)
  }
}

redis::RedisClient* DispatchCluster::redis_here() {
  Slice& s = here();
  if (!s.rpc) {
    start_shard();  // a shard not started yet starts on first use
  }
  return s.rpc ? &s.rpc->client() : nullptr;  // null once stopped
}

void DispatchCluster::count_adopted() noexcept {
  here().adopted->add();
}

geo::NodeRef DispatchCluster::node_named(std::string_view node) {
  if (node.empty() || node == config_.rpc.node_id) {
    return 0;
  }
  return ref_of(std::string(node));
}

void DispatchCluster::search(geo::NodeRef node, geo::LatLng point, std::size_t wanted,
                             double radius_km,
                             std::function<void(std::vector<geo::NearbyDriver>)> done) {
  const std::string* id = node_of(node);
  if (id == nullptr) {
    executor_.submit_to(executor_.current_shard(), [done = std::move(done)] { done({}); });
    return;
  }
  FieldWriter w("part");
  w.num(geo::rads_to_degs(point.lat)).num(geo::rads_to_degs(point.lng)).num(wanted).num(radius_km);
  request(*id, w.take(),
          [node, wanted, done = std::move(done)](RpcStatus status, std::string_view text) {
            if (status != RpcStatus::kOk) {
              done({});  // an owner that does not answer contributes nothing (counted)
              return;
            }
            FieldReader r(text);
            (void)r.num<int>();
            done(detail::read_drivers(r, node, std::min(wanted, kMaxDriversPerAnswer)));
          });
}

void DispatchCluster::reserve(const geo::NearbyDriver& candidate, std::string_view trip,
                              std::function<void(bool)> done) {
  const std::string* id = node_of(candidate.node);
  if (id == nullptr) {
    executor_.submit_to(executor_.current_shard(), [done = std::move(done)] { done(false); });
    return;
  }
  FieldWriter w("resv");
  w.add(candidate.driver).num(candidate.shard).add(trip);
  request(*id, w.take(), [done = std::move(done)](RpcStatus status, std::string_view text) {
    done(status == RpcStatus::kOk && text == "1");
  });
}

void DispatchCluster::driver_state(geo::NodeRef node, unsigned shard, std::string_view driver,
                                   std::string_view trip, geo::DriverStatus status,
                                   bool only_if_trip) {
  if (const std::string* id = node_of(node)) {
    FieldWriter w("state");
    w.add(driver).num(shard).add(trip).num(static_cast<int>(status)).num(only_if_trip ? 1 : 0);
    send(*id, w.take());
  }
}

void DispatchCluster::driver_trip(std::string_view driver,
                                  std::function<void(geo::DriverTripState)> done) {
  redis::RedisClient* redis = redis_here();
  if (redis == nullptr) {
    return;  // stopped
  }
  const std::string pointer = driver_key(driver);
  redis->command(pointer, {"GET", pointer},
                 [this, driver = std::string(driver), done = std::move(done)](
                     redis::RedisStatus status, redis::ReplyView trip) mutable {
                   if (status != redis::RedisStatus::kOk || trip.is_error()) {
                     done({});
                     return;
                   }
                   if (trip.is_nil() || trip.str().empty()) {
                     done({true, {}, geo::DriverStatus::kAvailable});
                     return;
                   }
                   read_driver_trip(std::move(driver), std::string(trip.str()), std::move(done));
                 });
}

void DispatchCluster::read_driver_trip(std::string driver, std::string trip,
                                       std::function<void(geo::DriverTripState)> done) {
  redis::RedisClient* redis = redis_here();
  if (redis == nullptr) {
    return;
  }
  const std::string key = trip_key(trip);
  redis->command(key, {"HMGET", key, "status", "driver"},
                 [driver = std::move(driver), trip = std::move(trip), done = std::move(done)](
                     redis::RedisStatus status, redis::ReplyView fields) mutable {
                   if (status != redis::RedisStatus::kOk || !fields.is_array() ||
                       fields.size() != 2) {
                     done({});
                     return;
                   }
                   geo::DriverTripState state{true, {}, geo::DriverStatus::kAvailable};
                   geo::TripStatus trip_status = geo::TripStatus::kRequested;
                   const std::optional<geo::DriverStatus> busy =
                       !fields[0].is_nil() && geo::parse_trip_status(fields[0].str(), &trip_status)
                           ? driver_busy(trip_status)
                           : std::nullopt;
                   if (busy && !fields[1].is_nil() && fields[1].str() == driver) {
                     state.trip = std::move(trip);
                     state.status = *busy;
                   }
                   done(std::move(state));
                 });
}

// ---------------------------------------------------------------------------------------------
// geo::DispatchEvents

void DispatchCluster::offer(std::string_view driver, std::string_view trip, geo::LatLngDeg pickup,
                            double eta_s, std::uint32_t expires_ms) {
  next_.offer(driver, trip, pickup, eta_s, expires_ms);
}

void DispatchCluster::trip_event(const geo::TripEvent& event) {
  Slice& s = here();
  if (s.rpc) {
    // Written before the event goes out; not waited for (a Redis outage loses the record, never
    // the trip). Fields as geo::to_string and the wire print them.
    const std::string key = trip_key(event.trip);
    const std::string ttl = std::to_string(geo::is_terminal(event.status)
                                               ? config_.terminal_trip_ttl_s
                                               : config_.trip_ttl_s);
    const std::string pickup = fmt::format("{},{}", event.pickup.lat, event.pickup.lng);
    const std::string destination =
        fmt::format("{},{}", event.destination.lat, event.destination.lng);
    const std::string numbers =
        fmt::format("{} {} {} {}", event.eta_s, event.surge, event.fare_estimate, event.ts_us);
    const std::string* holder =
        event.driver_node == 0 ? &config_.rpc.node_id : node_of(event.driver_node);
    const std::string driver_at =
        fmt::format("{} {}", holder != nullptr ? *holder : std::string("-"), event.driver_shard);
    redis::RedisClient& client = s.rpc->client();
    client.command(key,
                   {"HSET", key, "status", geo::to_string(event.status), "rider", event.rider,
                    "driver", event.driver, "pickup", pickup, "destination", destination,
                    "eta_surge_fare_ts", numbers, "home", config_.rpc.node_id, "run", run_,
                    "driver_at", driver_at},
                   nullptr);
    client.command(key, {"EXPIRE", key, ttl}, nullptr);
    // The home's list of trips in progress: what a node adopting them reads when this one dies.
    const std::string list = trips_key(config_.rpc.node_id);
    client.command(list, {geo::is_terminal(event.status) ? "SREM" : "SADD", list, event.trip},
                   nullptr);
    client.command(list, {"EXPIRE", list, std::to_string(config_.trip_ttl_s)}, nullptr);
    if (!event.driver.empty() && driver_busy(event.status)) {
      // Where a node that gets this driver next (it moved, reconnected, or its holder restarted)
      // looks up its trip (driver_trip). Never deleted: the trip's record says when it is over.
      const std::string pointer = driver_key(event.driver);
      client.command(pointer, {"SET", pointer, std::string(event.trip), "EX", ttl}, nullptr);
    }
  }
  next_.trip_event(event);
}

void DispatchCluster::driver_position(geo::CellId cell_res7, std::string_view driver,
                                      double lat_deg, double lng_deg, double heading_deg) {
  next_.driver_position(cell_res7, driver, lat_deg, lng_deg, heading_deg);
}

void DispatchCluster::surge_changed(geo::CellId cell_res7, double multiplier,
                                    std::uint32_t supply, std::uint32_t demand) {
  next_.surge_changed(cell_res7, multiplier, supply, demand);
}

}  // namespace hexwire::app
