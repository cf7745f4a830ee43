// DispatchEngine: the Uber-style dispatch of one process, sharded like the rest of hexwire. Drivers
// live on the shard that owns their coarse parent cell (hash of the res-`coarse_res` cell modulo
// shards); trips live on the owner of their pickup's coarse cell, next to the surge state of its
// res-7 cell. Every call is made on the caller's shard and answers through its callback on that
// same shard (inline when all the work was local, else later through Executor::submit_to). Events
// go out through DispatchEvents. See docs/dispatch.md.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/executor.hpp"
#include "core/metrics.hpp"
#include "geo/dispatch/events.hpp"
#include "geo/dispatch/fleet.hpp"
#include "geo/dispatch/surge.hpp"
#include "geo/dispatch/trip.hpp"

namespace hexwire::geo {

enum class MatchMode : std::uint8_t { kImmediate, kBatched };

/// Outcome of a dispatch call; the names are the protocol's error codes.
enum class DispatchError : std::uint8_t { kOk, kBadRequest, kForbidden, kNotFound, kConflict };
const char* to_string(DispatchError error) noexcept;

/// The default placement of a coarse region (a cell at DispatchConfig::coarse_res) on `shards`:
/// splitmix64(cell) % shards, which spreads neighbouring regions over the shards.
[[nodiscard]] unsigned default_region_shard(CellId coarse_cell, unsigned shards) noexcept;

class DispatchPeers;

struct DispatchConfig {
  FleetConfig fleet;  ///< index_res (9), max_speed_mps, driver_ttl_ns
  SurgeConfig surge;
  int coarse_res = 3;  ///< shard partition resolution (0..7)
  /// The shard of a coarse region; empty: default_region_shard. A node sets it so that the broker
  /// and dispatch share one placement (app/placement.hpp). Called on every shard: it must be
  /// thread-safe, give the same answer for the same cell, and name an existing shard.
  std::function<unsigned(CellId coarse_cell)> region_shard;
  MatchMode mode = MatchMode::kImmediate;
  std::uint64_t batch_window_ns = 2'000'000'000;
  std::size_t candidates = 5;       ///< drivers considered per request (immediate and batched)
  double max_search_km = 10.0;      ///< nearest searches never look farther
  double max_pickup_eta_s = 900.0;  ///< batched: a pair above this is "no match"
  std::uint64_t offer_expiry_ns = 10'000'000'000;
  std::uint64_t match_deadline_ns = 60'000'000'000;  ///< then the rider gets unmatched
  std::uint64_t retry_interval_ns = 2'000'000'000;  ///< immediate: search again when out of drivers
  std::uint64_t live_map_interval_ns = 2'000'000'000;
  std::uint64_t sweep_interval_ns = 1'000'000'000;  ///< silent-driver expiry and surge updates
  std::uint64_t terminal_retention_ns =
      60'000'000'000;             ///< finished trips answer conflict until then
  double pickup_speed_mps = 8.0;  ///< ETA model: road distance / speed
  double detour_factor = 1.3;     ///< road distance = great-circle distance * this
  double base_fare = 2.5;
  double fare_per_km = 1.5;
  std::function<std::int64_t()> wall_clock_us;  ///< default core::wall_us
  /// The other nodes of a pool: regions they own are searched and reserved through it. Null: this
  /// node owns every region. Must outlive the engine.
  DispatchPeers* peers = nullptr;
  /// Appended to every trip id ("t<shard>-<seq><suffix>"): a pool names the home node here.
  std::string trip_suffix;
};

/// Which outcomes of update_location are answered through its callback.
enum class LocationReplies : std::uint8_t {
  kAll,        ///< every outcome
  kErrorsOnly  ///< only a rejected fix: an applied or held fix sends nothing back to the caller
};

struct LocationReply {
  DispatchError error = DispatchError::kOk;  ///< bad_request for invalid coordinates
  FixOutcome outcome = FixOutcome::kAccepted;
  CellId cell = 0;  ///< index_res cell of the accepted fix (0 unless accepted)
};

/// A node of a pool as DispatchPeers names it on one shard; 0 is this node.
using NodeRef = std::uint32_t;

struct NearbyDriver {
  std::string driver;
  double lat_deg = 0;
  double lng_deg = 0;
  double distance_m = 0;
  double distance_km = 0;  ///< the exact value ranked on (distance_m is this * 1000)
  double eta_s = 0;
  unsigned shard = 0;  ///< the shard that held it
  NodeRef node = 0;    ///< the node that held it (DispatchPeers); 0 = this node
};

/// The last known state of a trip whose home node died (app::DispatchCluster reads it from the
/// trip's Redis record), for DispatchEngine::adopt_trip.
struct AdoptedTrip {
  std::string id;
  std::string rider;
  std::string driver;       ///< offered or matched driver; empty when none
  std::string driver_node;  ///< the node holding the driver (a DispatchPeers node id)
  unsigned driver_shard = 0;
  TripStatus status = TripStatus::kRequested;
  LatLngDeg pickup{};
  LatLngDeg destination{};
  double eta_s = 0;
  double surge = 1.0;
  double fare_estimate = 0;
};

struct RideReply {
  DispatchError error = DispatchError::kOk;
  std::string trip;
  double surge = 1.0;
  double fare_estimate = 0;
};

/// What a pool knows of a driver's trip (DispatchPeers::driver_trip).
struct DriverTripState {
  bool answered = false;  ///< false: the pool's store did not answer (asked again later)
  std::string trip;       ///< the trip the driver is on; empty when none
  DriverStatus status = DriverStatus::kAvailable;  ///< kOffered / kEnRoute / kOnTrip on `trip`
};

/// The other nodes of a pool, as the engine sees them (app::DispatchCluster; null on one node).
/// Every call is made on a shard thread; every callback runs later on that same shard. A NodeRef is
/// meaningful on the shard that received it.
class DispatchPeers {
 public:
  virtual ~DispatchPeers() = default;
  /// The node owning a coarse region (a cell at DispatchConfig::coarse_res): 0 for this node.
  [[nodiscard]] virtual NodeRef region_node(CellId coarse_cell) noexcept = 0;
  /// The NodeRef of the node named `node` on the calling shard (0 for this node or an empty name).
  [[nodiscard]] virtual NodeRef node_named(std::string_view node) = 0;
  /// Up to `wanted` nearest available drivers held by `node` within `radius_km` of `point`, with
  /// `node` set; an empty list when the node did not answer.
  virtual void search(NodeRef node, LatLng point, std::size_t wanted, double radius_km,
                      std::function<void(std::vector<NearbyDriver>)> done) = 0;
  /// Marks `candidate` (held by candidate.node) offered for `trip` if it is still available there;
  /// done(false) when it was not, or the node did not answer.
  virtual void reserve(const NearbyDriver& candidate, std::string_view trip,
                       std::function<void(bool)> done) = 0;
  /// Sets the state of a driver held by `node` on `shard` (no answer; see set_driver_state).
  virtual void driver_state(NodeRef node, unsigned shard, std::string_view driver,
                            std::string_view trip, DriverStatus status, bool only_if_trip) = 0;
  /// Whether `driver` is on a trip anywhere in the pool (from the trip's record): asked for a
  /// driver new to this node (it moved here, reconnected, or this node restarted) before it may be
  /// matched, and every sweep while it is held busy on such an answer.
  virtual void driver_trip(std::string_view driver, std::function<void(DriverTripState)> done) = 0;
};

class DispatchEngine {
 public:
  using LocationDone = std::function<void(LocationReply)>;
  using NearbyDone = std::function<void(DispatchError, std::vector<NearbyDriver>)>;
  using RideDone = std::function<void(RideReply)>;
  using ActionDone = std::function<void(DispatchError)>;

  /// Throws std::invalid_argument for an unusable configuration. The references must outlive the
  /// engine; destroy the engine only after the executor stopped running its shards' timers.
  DispatchEngine(core::Executor& executor, core::MetricsRegistry& metrics, DispatchConfig config,
                 DispatchEvents& events);
  ~DispatchEngine();
  DispatchEngine(const DispatchEngine&) = delete;
  DispatchEngine& operator=(const DispatchEngine&) = delete;

  /// A driver's GPS fix. Invalid coordinates answer bad_request; a held jump answers ok with
  /// outcome jump_held and cell 0. With kErrorsOnly (a stream of fixes nobody waits for) `done`
  /// runs only for a rejected fix, and a fix applied by the shard it was sent to costs no hop
  /// back to the caller's shard.
  void update_location(std::string_view driver, const GpsFix& fix, LocationDone done,
                       LocationReplies replies = LocationReplies::kAll);
  /// Up to k nearest available drivers (exact, across shards), nearest first, ties by id.
  void nearby(double lat_deg, double lng_deg, std::size_t k, NearbyDone done);
  /// Creates a trip (status requested) and starts matching; answers with the trip id and surge.
  void request_ride(std::string_view rider, LatLngDeg pickup, LatLngDeg destination, RideDone done);
  /// The offered driver takes / refuses the trip; conflict when the offer expired, went to someone
  /// else or the trip is unknown.
  void accept(std::string_view driver, std::string_view trip, ActionDone done);
  void decline(std::string_view driver, std::string_view trip, ActionDone done);
  /// arrive | start | complete | cancel by the trip's rider or driver: forbidden for anyone else
  /// (or an action the user's role never takes), conflict when illegal in the current status.
  void trip_action(std::string_view user, std::string_view trip, TripAction action,
                   ActionDone done);
  /// The driver went away (disconnect, logout): no longer available. Its current trip is untouched.
  void driver_offline(std::string_view driver);
  /// Takes over a trip whose home node died (from its last record), under its id, on the shard
  /// owning its pickup. A trip still waiting for a driver (requested, offered) is matched again:
  /// an offer in flight is void (its driver is released; its accept answers conflict) and the
  /// match deadline starts anew. A matched, arrived or on_trip trip goes on with its driver.
  /// done(false) for a terminal or unusable record, or an id this node knows already.
  void adopt_trip(AdoptedTrip trip, std::function<void(bool)> done);

  // The serving side of DispatchPeers (a node answering another node's requests).
  /// Nearest search over this node's shards only, within `radius_km`: up to `wanted` drivers.
  void search_here(double lat_deg, double lng_deg, std::size_t wanted, double radius_km,
                   NearbyDone done);
  /// Reserves `driver` (held on `shard`, or where it moved) for `trip` if it is available.
  void reserve(std::string_view driver, unsigned shard, std::string_view trip,
               std::function<void(bool)> done);
  /// Sets a held driver's state for `trip` (as the trip's home does between shards).
  void set_driver_state(std::string_view driver, unsigned shard, std::string_view trip,
                        DriverStatus status, bool only_if_trip);
  /// The driver's fixes go to another node now: the record this node held through the calling
  /// shard (if any) is dropped so that searches never see its old position. A driver on a trip is
  /// dropped too: its new holder learns the trip from the pool (DispatchPeers::driver_trip).
  void forget_driver(std::string_view driver);

  /// The shard that owns a point (its coarse parent cell), as used for drivers and trips.
  [[nodiscard]] unsigned owner_shard(LatLng point) const noexcept;
  /// The shard that owns a coarse region (config().region_shard, or default_region_shard).
  [[nodiscard]] unsigned region_shard(CellId coarse_cell) const noexcept;
  /// The shard of the region of an index cell (a cell at config().fleet.index_res).
  [[nodiscard]] unsigned shard_of_index_cell(CellId index_cell) const noexcept;
  [[nodiscard]] const DispatchConfig& config() const noexcept { return config_; }

 private:
  struct Shard;
  struct Trip;
  struct Gather;
  friend struct Shard;

  // engine.cpp: routing, locations, searches
  Shard& here();
  template <typename Fn>
  void run_on(unsigned shard, Fn&& fn);
  void arm_periodic(Shard& shard);
  void periodic(unsigned shard_id);
  void apply_location(std::string_view driver, const GpsFix& fix, unsigned caller, int hops,
                      LocationReplies replies, LocationDone done);
  void remember_holder(Shard& caller, std::string_view driver, unsigned holder);
  void evict_elsewhere(const std::string& driver);
  void set_driver_state(unsigned shard, std::string driver, std::string trip, DriverStatus status,
                        bool only_if_trip, int hops);
  void maybe_emit_position(Shard& shard, DriverIndex index, std::uint64_t now_ns);
  /// With peers: a driver new to this node is held kChecking until the pool says whether it is on
  /// a trip; ask_pool_trip asks (once at a time), settle_pool_trip applies the answer on the
  /// shard holding the driver then.
  void check_pool_trip(Shard& shard, DriverIndex index);
  void ask_pool_trip(Shard& shard, DriverIndex index);
  void settle_pool_trip(std::string driver, DriverTripState state, int hops);
  void recheck_pool_trips(Shard& shard);
  void search(LatLng point, std::size_t k, std::vector<std::string> exclude, NearbyDone done,
              double radius_km = 0, bool ask_peers = true);
  /// The holder's side of a reservation: true when the driver was available and is offered now.
  bool reserve_here(std::string_view driver, const std::string& trip_id);
  /// With peers: drops this node's drivers found in regions other nodes own (copies left behind
  /// after an ownership change, until they expire); returns how many.
  std::size_t drop_foreign(std::vector<NearbyDriver>& found);
  void driver_state(NodeRef node, unsigned shard, std::string driver, std::string trip,
                    DriverStatus status, bool only_if_trip);
  /// Returns the k-th distance found (km), or radius_km when fewer than k were found.
  double search_local(Shard& shard, LatLng point, std::size_t k, double radius_km, int coarse_res,
                      std::vector<NearbyDriver>& out);
  void finish_search(std::vector<NearbyDriver> found, std::size_t k,
                     const std::vector<std::string>& exclude, unsigned caller, NearbyDone done);
  [[nodiscard]] double eta_s(double distance_km) const noexcept;
  [[nodiscard]] std::uint64_t now_ns() noexcept;
  [[nodiscard]] std::int64_t wall_us() const;

  // engine_trips.cpp: trips, offers, batching
  void create_trip(std::string rider, LatLng pickup, LatLng destination, unsigned caller,
                   RideDone done);
  void install_adopted(AdoptedTrip record, unsigned caller, std::function<void(bool)> done);
  [[nodiscard]] CellId res7_of(LatLng point) const noexcept;
  void arm_match_deadline(Trip& trip);
  /// Runs `fn` on the shard holding `trip_id` with the trip (nullptr when unknown there).
  void with_trip(std::string trip_id, std::function<void(Trip*)> fn);
  void start_matching(Trip& trip);
  void offer_next(const std::string& trip_id);
  void on_reserved(const std::string& trip_id, NearbyDriver candidate, bool reserved);
  void release_driver(Trip& trip);
  void transition(Trip& trip, TripStatus next);
  void emit_trip(const Trip& trip);
  void answer_offer(std::string driver, std::string trip_id, bool accepted, unsigned caller,
                    ActionDone done);
  void run_batch(unsigned shard_id);
  void assign_batch(unsigned shard_id, std::shared_ptr<Gather> gather);
  void retire_if_terminal(Trip& trip);
  Trip* find_trip(Shard& shard, std::string_view trip_id);
  [[nodiscard]] static int trip_shard(std::string_view trip_id) noexcept;
  template <typename T>
  void reply(unsigned caller, std::function<void(T)> done, T value);

  core::Executor& executor_;
  core::MetricsRegistry& metrics_;
  DispatchConfig config_;
  DispatchEvents& events_;
  std::vector<std::unique_ptr<Shard>> shards_;
};

}  // namespace hexwire::geo
