// DispatchCluster: dispatch across the nodes of a pool (--broker redis with dispatch on). The map is
// partitioned by dispatch regions (coarse_res parents of res-9 cells); each region has one owner
// node, chosen by rendezvous hashing over the live nodes of the Redis registry (one
// scaleout::RegionOwners per shard, updated by the broker's live-set observer). DispatchService
// forwards loc, ride and nearby for regions of other nodes, and accept/decline/trip for trips homed
// on other nodes, through a scaleout::RpcEndpoint per shard; this node's shard 0 serves such
// requests on its engine. As geo::DispatchPeers it lets the engine search and reserve drivers held
// by other nodes (exact nearest across borders), and as geo::DispatchEvents it writes every trip
// status change to Redis (`<prefix>:{trip:ID}`, expiring; trips in progress listed per home node)
// before handing the event on, with a per-driver pointer to its trip: a node that gets a driver new
// to it asks there whether it is on a trip before it may be matched. When a node dies, the new owner of each of its trips' pickup
// regions adopts the trip from its record; a node restarted under the same id takes back the trips
// of its earlier run that nobody adopted. See docs/scale-out.md, "Dispatch across nodes".
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/executor.hpp"
#include "core/metrics.hpp"
#include "core/reactor.hpp"
#include "geo/dispatch/engine.hpp"
#include "geo/dispatch/events.hpp"
#include "scaleout/node_rpc.hpp"

namespace hexwire::app {

struct DispatchClusterConfig {
  scaleout::RpcConfig rpc;  ///< node id, Redis target and prefix, deadline of a forwarded op
  int coarse_res = 3;       ///< the region resolution (geo::DispatchConfig::coarse_res)
  int index_res = 9;        ///< the fleet's index resolution (regions are parents of its cells)
  std::uint64_t trip_ttl_s = 3600;          ///< a trip's Redis record lives this long unchanged
  std::uint64_t terminal_trip_ttl_s = 60;  ///< once completed, cancelled or unmatched
  /// The calling shard's reactor (Redis connections live on the shards' reactors).
  std::function<core::Reactor&()> reactor;
};

class DispatchCluster final : public geo::DispatchPeers, public geo::DispatchEvents {
 public:
  template <typename T>
  using Done = std::function<void(scaleout::RpcStatus, T)>;
  struct NearbyAnswer {
    geo::DispatchError error = geo::DispatchError::kOk;
    std::vector<geo::NearbyDriver> drivers;
  };

  /// Events go on to `next` (the node's DispatchBridge). Build before the executor runs tasks.
  DispatchCluster(core::Executor& executor, core::MetricsRegistry& metrics,
                  DispatchClusterConfig config, geo::DispatchEvents& next);
  ~DispatchCluster() override;
  DispatchCluster(const DispatchCluster&) = delete;
  DispatchCluster& operator=(const DispatchCluster&) = delete;

  /// The engine that serves other nodes' requests (built after the cluster: it uses it as peers).
  void attach(geo::DispatchEngine& engine) noexcept { engine_ = &engine; }
  /// Opens / closes the calling shard's Redis connections (core::Runtime start and stop hooks).
  void start_shard();
  void stop_shard();
  /// The live node ids as the registry last saw them; call on every shard.
  void set_live(const std::vector<std::string>& live);

  [[nodiscard]] const std::string& node_id() const noexcept { return config_.rpc.node_id; }
  /// The fewest live nodes any shard knows of (any thread; for tests and status).
  [[nodiscard]] std::size_t live_nodes_known() const noexcept;
  /// The owner of the region of a point when it is another node; nullopt when this node owns it
  /// (or the coordinates are invalid: the local engine rejects them).
  [[nodiscard]] std::optional<std::string> remote_owner(double lat_deg, double lng_deg);
  /// Where the ops of a trip go: kHere for this node's trips, kNode for the live node named in the
  /// id, kLookup when that node is not live (its trips are adopted by others: lookup_trip_home).
  struct TripRoute {
    enum class Kind : std::uint8_t { kHere, kNode, kLookup };
    Kind kind = Kind::kHere;
    std::string node;  ///< kNode: the trip's home
  };
  [[nodiscard]] TripRoute trip_route(std::string_view trip);
  /// The node home to `trip` now, from its Redis record (the adopter of a dead node's trip, or
  /// still the dead node before adoption): done(kOk, node), or kUnavailable when Redis did not
  /// answer or the record is gone. `done` runs later on the calling shard.
  void lookup_trip_home(std::string_view trip, Done<std::string> done);
  /// True when `node` is in the live set the calling shard knows (this node always is).
  [[nodiscard]] bool is_live(std::string_view node);
  /// The trip-id suffix of this node (geo::DispatchConfig::trip_suffix): ".<run>-<node id>", so
  /// that a node restarted under the same id never reuses an id of its earlier run.
  [[nodiscard]] std::string trip_suffix() const { return "." + run_ + "-" + config_.rpc.node_id; }
  /// This run of the node (base 36 of its start time in microseconds).
  [[nodiscard]] const std::string& run() const noexcept { return run_; }

  // Forwarding (DispatchService). `done` runs later on the calling shard; status kUnavailable when
  // the owner did not answer within the deadline.
  void forward_location(const std::string& node, std::string_view driver, const geo::GpsFix& fix,
                        bool want_reply, Done<geo::LocationReply> done);
  void forward_ride(const std::string& node, std::string_view rider, geo::LatLngDeg pickup,
                    geo::LatLngDeg destination, Done<geo::RideReply> done);
  void forward_nearby(const std::string& node, double lat_deg, double lng_deg, std::size_t k,
                      Done<NearbyAnswer> done);
  void forward_offer_answer(const std::string& node, std::string_view driver,
                            std::string_view trip, bool accepted, Done<geo::DispatchError> done);
  void forward_trip_action(const std::string& node, std::string_view user, std::string_view trip,
                           geo::TripAction action, Done<geo::DispatchError> done);

  // Drivers whose fixes this node forwards (per shard of their connection).
  /// `driver`'s fixes from this shard go to `node` now (null: this node's engine). When they
  /// went to another node before, that node forgets the driver (its searches must not see the
  /// old position; a driver on a trip stays there for the trip's state updates).
  void route_driver(std::string_view driver, const std::string* node);
  /// The driver's connection on this shard closed: the node its fixes went to takes it offline at
  /// once (one message, no reply). Does nothing when they stayed on this node.
  void driver_offline(std::string_view driver);

  // geo::DispatchPeers
  geo::NodeRef region_node(geo::CellId coarse_cell) noexcept override;
  geo::NodeRef node_named(std::string_view node) override;
  void search(geo::NodeRef node, geo::LatLng point, std::size_t wanted, double radius_km,
              std::function<void(std::vector<geo::NearbyDriver>)> done) override;
  void reserve(const geo::NearbyDriver& candidate, std::string_view trip,
               std::function<void(bool)> done) override;
  void driver_state(geo::NodeRef node, unsigned shard, std::string_view driver,
                    std::string_view trip, geo::DriverStatus status, bool only_if_trip) override;
  /// From `<prefix>:{driver:ID}` (the trip the driver was last given, written with every trip
  /// event that involves it) and that trip's record: on it while the record names the driver in
  /// offered, matched, arrived or on_trip.
  void driver_trip(std::string_view driver,
                   std::function<void(geo::DriverTripState)> done) override;

  // geo::DispatchEvents: trip events are written to Redis, then everything goes on to `next`.
  void offer(std::string_view driver, std::string_view trip, geo::LatLngDeg pickup, double eta_s,
             std::uint32_t expires_ms) override;
  void trip_event(const geo::TripEvent& event) override;
  void driver_position(geo::CellId cell_res7, std::string_view driver, double lat_deg,
                       double lng_deg, double heading_deg) override;
  void surge_changed(geo::CellId cell_res7, double multiplier, std::uint32_t supply,
                     std::uint32_t demand) override;

 private:
  struct Slice;
  Slice& here() noexcept;
  /// The node a NodeRef names on the calling shard (interned there on first use).
  geo::NodeRef ref_of(const std::string& node);
  [[nodiscard]] const std::string* node_of(geo::NodeRef ref);
  void request(const std::string& node, std::string payload, scaleout::RpcEndpoint::ReplyCallback done);
  /// The calling shard's Redis connection (its endpoint's; started on first use); null once the
  /// shard stopped.
  redis::RedisClient* redis_here();
  void count_adopted() noexcept;
  /// driver_trip, second step: whether `trip`'s record still holds `driver`.
  void read_driver_trip(std::string driver, std::string trip,
                        std::function<void(geo::DriverTripState)> done);
  void send(const std::string& node, std::string payload);
  // dispatch_cluster_serve.cpp: this node answering requests (on shard 0), and adopting the trips
  // of nodes that died (shard 0 reads their lists when the live set loses them).
  void serve(std::string_view payload, const scaleout::RpcFrom& from);
  void answer(const scaleout::RpcFrom& from, std::string payload);
  /// `own`: this node's list after a restart (trips of its earlier run nobody adopted).
  void adopt_trips_of(const std::string& dead, bool own);
  void adopt_trip(const std::string& dead, const std::string& trip, bool own);
  /// Makes this node the record's home if it still is `home` in run `run` (atomic in Redis):
  /// exactly one node takes a trip over, however many try.
  void claim_trip(geo::AdoptedTrip record, const std::string& home, const std::string& run);
  void adopted(const std::string& dead, const std::string& trip);
  [[nodiscard]] std::string trip_key(std::string_view trip) const;
  /// The set of a node's trips in progress (`<prefix>:{node:ID}:trips`).
  [[nodiscard]] std::string trips_key(std::string_view node) const;
  /// The trip a driver was last given (`<prefix>:{driver:ID}`).
  [[nodiscard]] std::string driver_key(std::string_view driver) const;

  core::Executor& executor_;
  DispatchClusterConfig config_;
  std::string run_;
  geo::DispatchEvents& next_;
  geo::DispatchEngine* engine_ = nullptr;
  std::vector<std::unique_ptr<Slice>> slices_;
};

}  // namespace hexwire::app
