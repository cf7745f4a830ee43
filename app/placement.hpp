// The one sharding rule of a node. Dispatch partitions the map by coarse regions (the res
// `coarse_res` parent of a cell): a region's drivers, trips and surge live on its shard. pubsub
// sequences a channel on its owner shard. ShardPlacement makes the two line up: the cell:<h3> and
// surge:<h3> channels of a cell are owned by the shard of the cell's region, so a live-map position
// or a surge change is sequenced on the shard that produced it, without a mailbox hop. Every other
// channel keeps pubsub's own rule. The node gives the same placement to the broker
// (pubsub::Config::channel_owner) and to the dispatch engine (geo::DispatchConfig::region_shard).
#pragma once

#include <optional>
#include <string_view>

#include "geo/hexgrid.hpp"

namespace hexwire::app {

class ShardPlacement {
 public:
  /// `shards` > 0; `coarse_res` is the dispatch partition resolution (geo::DispatchConfig).
  ShardPlacement(unsigned shards, int coarse_res) noexcept
      : shards_(shards), coarse_res_(coarse_res) {}

  /// The shard of a coarse region (a cell at coarse_res): geo::default_region_shard.
  [[nodiscard]] unsigned region_shard(geo::CellId coarse_cell) const noexcept;
  /// The shard of the region containing `cell` (any resolution at or finer than coarse_res), or
  /// nullopt for an invalid or coarser cell.
  [[nodiscard]] std::optional<unsigned> shard_of_cell(geo::CellId cell) const noexcept;
  /// The owner of a cell:<h3> or surge:<h3> channel (lowercase or uppercase hex, as
  /// geo::string_to_cell reads it): shard_of_cell of its cell. nullopt for every other channel
  /// (pubsub then applies its own rule).
  [[nodiscard]] std::optional<unsigned> channel_owner(std::string_view channel) const noexcept;

  [[nodiscard]] unsigned shards() const noexcept { return shards_; }
  [[nodiscard]] int coarse_res() const noexcept { return coarse_res_; }

 private:
  unsigned shards_;
  int coarse_res_;
};

}  // namespace hexwire::app
