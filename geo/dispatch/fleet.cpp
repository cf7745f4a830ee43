// FleetIndex: fix validation (coordinates, implausible jumps), the per-cell dense driver lists with
// swap-remove, per-res-7 supply counts and the silent-driver expiry sweep.
#include "geo/dispatch/fleet.hpp"

#include <cassert>
#include <cmath>
#include <utility>

namespace hexwire::geo {

namespace {
constexpr std::uint32_t kNoSlot = UINT32_MAX;

double distance_m(LatLng a, LatLng b) noexcept {
  return great_circle_distance_km(a, b) * 1000.0;
}
}  // namespace

const char* to_string(DriverStatus status) noexcept {
  switch (status) {
    case DriverStatus::kOffline:
      return "offline";
    case DriverStatus::kAvailable:
      return "available";
    case DriverStatus::kOffered:
      return "offered";
    case DriverStatus::kEnRoute:
      return "en_route";
    case DriverStatus::kOnTrip:
      return "on_trip";
    case DriverStatus::kChecking:
      return "checking";
  }
  return "?";
}

const char* to_string(FixOutcome outcome) noexcept {
  switch (outcome) {
    case FixOutcome::kAccepted:
      return "accepted";
    case FixOutcome::kJumpHeld:
      return "jump_held";
    case FixOutcome::kInvalidCoordinates:
      return "invalid_coordinates";
  }
  return "?";
}

bool valid_coordinates(double lat_deg, double lng_deg) noexcept {
  return std::isfinite(lat_deg) && std::isfinite(lng_deg) && lat_deg >= -90.0 && lat_deg <= 90.0 &&
         lng_deg >= -180.0 && lng_deg <= 180.0;
}

bool valid_fix(const GpsFix& fix) noexcept {
  return valid_coordinates(fix.lat_deg, fix.lng_deg) && std::isfinite(fix.heading_deg) &&
         std::isfinite(fix.speed_mps);
}

FleetIndex::FleetIndex(FleetConfig config) : config_(config) {}

DriverIndex FleetIndex::find(std::string_view id) const noexcept {
  const auto it = by_id_.find(id);
  return it == by_id_.end() ? kNoDriver : it->second;
}

DriverIndex FleetIndex::find_or_add(std::string_view id) {
  if (const DriverIndex found = find(id); found != kNoDriver) {
    return found;
  }
  Driver record;
  record.id = std::string(id);
  return adopt(std::move(record));
}

FixOutcome FleetIndex::apply_fix(DriverIndex index, const GpsFix& fix, std::uint64_t now_ns) {
  CellId cell = 0;
  if (!valid_fix(fix) || lat_lng_to_cell({degs_to_rads(fix.lat_deg), degs_to_rads(fix.lng_deg)},
                                         config_.index_res, &cell) != H3Error::kSuccess) {
    return FixOutcome::kInvalidCoordinates;
  }
  return apply_valid_fix(index, fix, now_ns, cell);
}

FixOutcome FleetIndex::apply_valid_fix(DriverIndex index, const GpsFix& fix, std::uint64_t now_ns,
                                       CellId cell) {
  assert(valid_fix(fix) && get_resolution(cell) == config_.index_res);
  Driver& d = drivers_[index];
  const LatLng point{degs_to_rads(fix.lat_deg), degs_to_rads(fix.lng_deg)};
  if (d.has_position) {
    const double dt_s = static_cast<double>(now_ns - std::min(now_ns, d.last_fix_ns)) / 1e9;
    const bool plausible =
        distance_m(d.position, point) <= config_.max_speed_mps * dt_s + config_.jump_slack_m;
    if (!plausible) {
      // A jump is believed only when the next fix continues from the new place.
      const bool confirms =
          d.jump_pending &&
          distance_m(d.pending_position, point) <=
              config_.max_speed_mps * static_cast<double>(now_ns - std::min(now_ns, d.pending_ns)) /
                      1e9 +
                  config_.jump_slack_m;
      if (!confirms) {
        d.jump_pending = true;
        d.pending_position = point;
        d.pending_ns = now_ns;
        return FixOutcome::kJumpHeld;
      }
    }
  }
  CellId cell7 = 0;
  if (cell_to_parent(cell, std::min(kLiveMapRes, config_.index_res), &cell7) != H3Error::kSuccess) {
    return FixOutcome::kInvalidCoordinates;
  }
  const bool was_indexed = d.slot != kNoSlot;
  if (was_indexed) {
    index_erase(index);
  }
  d.jump_pending = false;
  d.position = point;
  d.heading_deg = std::fmod(std::fmod(fix.heading_deg, 360.0) + 360.0, 360.0);
  d.speed_mps = std::max(0.0, fix.speed_mps);
  d.last_fix_ns = now_ns;
  d.has_position = true;
  d.cell = cell;
  d.cell_res7 = cell7;
  d.wants_rides = fix.available;
  if (d.status == DriverStatus::kOffline && fix.available) {
    d.status = DriverStatus::kAvailable;
  } else if (d.status == DriverStatus::kAvailable && !fix.available) {
    d.status = DriverStatus::kOffline;
  }
  refresh_indexing(index);
  return FixOutcome::kAccepted;
}

void FleetIndex::set_status(DriverIndex index, DriverStatus status) {
  drivers_[index].status = status;
  refresh_indexing(index);
}

void FleetIndex::refresh_indexing(DriverIndex index) {
  Driver& d = drivers_[index];
  const bool want = d.status == DriverStatus::kAvailable && d.has_position;
  if (want && d.slot == kNoSlot) {
    index_insert(index);
  } else if (!want && d.slot != kNoSlot) {
    index_erase(index);
  }
}

void FleetIndex::index_insert(DriverIndex index) {
  Driver& d = drivers_[index];
  std::vector<IndexedDriver>& list = cells_[d.cell];
  d.slot = static_cast<std::uint32_t>(list.size());
  list.push_back({d.position, d.last_fix_ns, index});
  ++available_res7_[d.cell_res7];
}

void FleetIndex::index_erase(DriverIndex index) noexcept {
  Driver& d = drivers_[index];
  const auto it = cells_.find(d.cell);
  assert(it != cells_.end() && d.slot < it->second.size() && it->second[d.slot].driver == index);
  std::vector<IndexedDriver>& list = it->second;
  list[d.slot] = list.back();
  drivers_[list[d.slot].driver].slot = d.slot;
  list.pop_back();
  d.slot = kNoSlot;
  // Empty lists are kept: a busy cell empties and refills often, and keeping the vector avoids
  // reallocating it each time.
  const auto count = available_res7_.find(d.cell_res7);
  if (count != available_res7_.end() && --count->second == 0) {
    available_res7_.erase(count);
  }
}

std::span<const IndexedDriver> FleetIndex::drivers_in(CellId cell) const noexcept {
  const auto it = cells_.find(cell);
  if (it == cells_.end()) {
    return {};
  }
  return it->second;
}

std::uint32_t FleetIndex::available_in_res7(CellId cell_res7) const noexcept {
  const auto it = available_res7_.find(cell_res7);
  return it == available_res7_.end() ? 0 : it->second;
}

std::size_t FleetIndex::expire_silent(std::uint64_t now_ns,
                                      const std::function<void(DriverIndex)>& on_expired) {
  std::size_t expired = 0;
  for (DriverIndex i = 0; i < drivers_.size(); ++i) {
    Driver& d = drivers_[i];
    if (d.slot != kNoSlot && now_ns - std::min(now_ns, d.last_fix_ns) > config_.driver_ttl_ns) {
      set_status(i, DriverStatus::kOffline);
      ++expired;
      if (on_expired) {
        on_expired(i);
      }
    }
  }
  return expired;
}

Driver FleetIndex::extract(DriverIndex index) {
  if (drivers_[index].slot != kNoSlot) {
    index_erase(index);
  }
  Driver record = std::move(drivers_[index]);
  by_id_.erase(record.id);
  drivers_[index] = Driver{};
  free_.push_back(index);
  return record;
}

DriverIndex FleetIndex::adopt(Driver record) {
  assert(!record.id.empty());
  if (const DriverIndex existing = find(record.id); existing != kNoDriver) {
    remove(existing);
  }
  DriverIndex index;
  if (!free_.empty()) {
    index = free_.back();
    free_.pop_back();
  } else {
    index = static_cast<DriverIndex>(drivers_.size());
    drivers_.emplace_back();
  }
  record.slot = kNoSlot;
  drivers_[index] = std::move(record);
  by_id_.emplace(drivers_[index].id, index);
  refresh_indexing(index);
  return index;
}

}  // namespace hexwire::geo
