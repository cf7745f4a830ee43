// Fleet state of one shard: every driver it holds (id, dense index, position, heading, speed,
// status, last fix time) and the moving-object index over them: per-H3-cell dense lists of the
// *searchable* drivers (available, position confirmed). A driver remembers its slot in its cell's
// list, so a move between cells is two O(1) swap-removes/appends. GPS fixes are checked here:
// non-finite or out-of-range coordinates are rejected, a jump faster than max_speed_mps is held
// back until the next fix confirms it. Single-threaded: one shard owns one FleetIndex.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "geo/hexgrid.hpp"

namespace hexwire::geo {

using DriverIndex = std::uint32_t;
inline constexpr DriverIndex kNoDriver = UINT32_MAX;

/// kChecking: a node of a pool holds a driver new to it and has not yet learned from the pool
/// whether it is on a trip (never searchable; a fix leaves it as it is).
enum class DriverStatus : std::uint8_t { kOffline, kAvailable, kOffered, kEnRoute, kOnTrip, kChecking };
const char* to_string(DriverStatus status) noexcept;

/// One GPS report from a driver's phone (degrees, as on the wire).
struct GpsFix {
  double lat_deg = 0;
  double lng_deg = 0;
  double heading_deg = 0;  ///< 0..360, clockwise from north; normalised on entry
  double speed_mps = 0;
  bool available = true;  ///< the driver's own "taking rides" switch
};

enum class FixOutcome : std::uint8_t {
  kAccepted,            ///< position updated (and indexed if the driver is available)
  kJumpHeld,            ///< implied speed above max: kept aside until the next fix confirms it
  kInvalidCoordinates,  ///< NaN/inf or outside [-90,90] x [-180,180]: ignored (bad_request)
};
const char* to_string(FixOutcome outcome) noexcept;

/// Resolution of the live-map and surge cells (cell:<h3>, surge:<h3>). A point's res-7 cell is
/// always the res-7 parent of its index cell (H3 children do not nest exactly, so computing it
/// directly could name a neighbour near a border).
inline constexpr int kLiveMapRes = 7;

struct FleetConfig {
  int index_res = 9;                             ///< resolution of the per-cell driver lists
  double max_speed_mps = 70.0;                   ///< faster implied motion is a suspicious jump
  double jump_slack_m = 100.0;                   ///< GPS noise allowed on top of max_speed * dt
  std::uint64_t driver_ttl_ns = 30'000'000'000;  ///< silent longer: no longer available
};

struct Driver {
  std::string id;
  LatLng position{};  ///< radians
  double heading_deg = 0;
  double speed_mps = 0;
  DriverStatus status = DriverStatus::kOffline;
  bool has_position = false;
  bool wants_rides = false;         ///< last fix's `available` switch
  bool trip_asked = false;          ///< a pool: the question of its trip is in flight
  bool trip_from_pool = false;      ///< a pool: its trip state was learned from the trip's record
  std::uint64_t last_fix_ns = 0;    ///< time of the last accepted fix
  CellId cell = 0;                  ///< index_res cell of `position` (0 before the first fix)
  CellId cell_res7 = 0;             ///< live-map / surge cell of `position`
  std::uint32_t slot = UINT32_MAX;  ///< position in cells_[cell] while indexed
  bool jump_pending = false;
  LatLng pending_position{};
  std::uint64_t pending_ns = 0;
  std::string trip;                    ///< trip while offered / en_route / on_trip
  std::uint64_t last_map_emit_ns = 0;  ///< live-map throttle
};

/// One entry of a cell's list: what a search needs, stored inline so that a scan reads one
/// contiguous array instead of chasing every driver's record.
struct IndexedDriver {
  LatLng position;
  std::uint64_t last_fix_ns;
  DriverIndex driver;
};

class FleetIndex {
 public:
  explicit FleetIndex(FleetConfig config = {});

  [[nodiscard]] const FleetConfig& config() const noexcept { return config_; }
  [[nodiscard]] DriverIndex find(std::string_view id) const noexcept;
  /// Finds or creates (offline, no position) the driver `id`.
  DriverIndex find_or_add(std::string_view id);
  [[nodiscard]] Driver& driver(DriverIndex index) noexcept { return drivers_[index]; }
  [[nodiscard]] const Driver& driver(DriverIndex index) const noexcept { return drivers_[index]; }
  /// Drivers held (not counting freed slots).
  [[nodiscard]] std::size_t size() const noexcept { return by_id_.size(); }
  /// One past the largest dense index in use (for scans).
  [[nodiscard]] std::size_t capacity() const noexcept { return drivers_.size(); }
  [[nodiscard]] bool in_use(DriverIndex index) const noexcept {
    return index < drivers_.size() && !drivers_[index].id.empty();
  }

  /// Validates and applies a fix taken at now_ns. An accepted fix also applies fix.available
  /// (offline <-> available; trip states are left alone).
  FixOutcome apply_fix(DriverIndex index, const GpsFix& fix, std::uint64_t now_ns);
  /// apply_fix for a fix its caller has validated already and whose index cell it has computed
  /// (DispatchEngine does both once per fix). Preconditions: valid_fix(fix), and `cell` is the
  /// fix's cell at config().index_res (both asserted in debug builds).
  FixOutcome apply_valid_fix(DriverIndex index, const GpsFix& fix, std::uint64_t now_ns,
                             CellId cell);
  /// Sets the status and keeps the cell lists in step (only available drivers are indexed).
  void set_status(DriverIndex index, DriverStatus status);

  /// Available, positioned and heard from within driver_ttl_ns of now_ns.
  [[nodiscard]] bool searchable(DriverIndex index, std::uint64_t now_ns) const noexcept {
    const Driver& d = drivers_[index];
    return d.slot != UINT32_MAX && d.last_fix_ns + config_.driver_ttl_ns >= now_ns;
  }
  /// Whether an indexed entry was heard from within driver_ttl_ns of now_ns.
  [[nodiscard]] bool fresh(const IndexedDriver& entry, std::uint64_t now_ns) const noexcept {
    return entry.last_fix_ns + config_.driver_ttl_ns >= now_ns;
  }
  /// Indexed drivers of one index_res cell (may include silent ones: check fresh()).
  [[nodiscard]] std::span<const IndexedDriver> drivers_in(CellId cell) const noexcept;
  /// Available (indexed) drivers whose position is in the given res-7 cell.
  [[nodiscard]] std::uint32_t available_in_res7(CellId cell_res7) const noexcept;

  /// Available drivers silent for longer than driver_ttl_ns become offline; `on_expired` (may be
  /// empty) sees each. Returns how many expired. O(drivers).
  std::size_t expire_silent(std::uint64_t now_ns,
                            const std::function<void(DriverIndex)>& on_expired);

  /// Removes the driver and returns its record (for a hand-over to another shard).
  Driver extract(DriverIndex index);
  /// Inserts a record taken from another shard (replacing any driver with the same id).
  DriverIndex adopt(Driver record);
  /// Forgets the driver entirely.
  void remove(DriverIndex index) { (void)extract(index); }

 private:
  struct IdHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  void index_insert(DriverIndex index);
  void index_erase(DriverIndex index) noexcept;
  void refresh_indexing(DriverIndex index);

  FleetConfig config_;
  std::vector<Driver> drivers_;
  std::vector<DriverIndex> free_;
  std::unordered_map<std::string, DriverIndex, IdHash, std::equal_to<>> by_id_;
  std::unordered_map<CellId, std::vector<IndexedDriver>> cells_;
  std::unordered_map<CellId, std::uint32_t> available_res7_;
};

/// Degrees to radians, rejecting NaN/inf and coordinates outside [-90,90] x [-180,180].
bool valid_coordinates(double lat_deg, double lng_deg) noexcept;
/// valid_coordinates, and a finite heading and speed: what apply_fix accepts.
bool valid_fix(const GpsFix& fix) noexcept;

}  // namespace hexwire::geo
