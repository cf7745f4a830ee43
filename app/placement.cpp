// ShardPlacement: region -> shard (dispatch's rule) and cell:/surge: channel -> the shard of the
// channel's region.
#include "app/placement.hpp"

#include "app/channel_name.hpp"
#include "geo/dispatch/engine.hpp"

namespace hexwire::app {

unsigned ShardPlacement::region_shard(geo::CellId coarse_cell) const noexcept {
  return geo::default_region_shard(coarse_cell, shards_);
}

std::optional<unsigned> ShardPlacement::shard_of_cell(geo::CellId cell) const noexcept {
  geo::CellId coarse = 0;
  if (!geo::is_valid_cell(cell) || geo::get_resolution(cell) < coarse_res_ ||
      geo::cell_to_parent(cell, coarse_res_, &coarse) != geo::H3Error::kSuccess) {
    return std::nullopt;
  }
  return region_shard(coarse);
}

std::optional<unsigned> ShardPlacement::channel_owner(std::string_view channel) const noexcept {
  std::string_view hex;
  if (channel.starts_with(kCellPrefix)) {
    hex = channel.substr(kCellPrefix.size());
  } else if (channel.starts_with(kSurgePrefix)) {
    hex = channel.substr(kSurgePrefix.size());
  } else {
    return std::nullopt;
  }
  geo::CellId cell = 0;
  if (geo::string_to_cell(hex, &cell) != geo::H3Error::kSuccess) {
    return std::nullopt;
  }
  return shard_of_cell(cell);
}

}  // namespace hexwire::app
