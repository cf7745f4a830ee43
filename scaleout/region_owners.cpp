// RegionOwners: rendezvous hashing of regions over the live node ids.
#include "scaleout/region_owners.hpp"

#include <algorithm>

namespace hexwire::scaleout {

namespace {
std::uint64_t mix(std::uint64_t x) noexcept {  // splitmix64 finaliser
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}
}  // namespace

std::uint64_t RegionOwners::weight(std::uint64_t node_hash, std::uint64_t region) noexcept {
  return mix(node_hash ^ mix(region));
}

std::uint64_t RegionOwners::node_hash(std::string_view node) noexcept {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (const char c : node) {
    h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;
  }
  return mix(h);
}

RegionOwners::RegionOwners(std::string self) {
  nodes_.push_back(std::move(self));
  hashes_.push_back(node_hash(nodes_.front()));
}

void RegionOwners::set_live(const std::vector<std::string>& live) {
  std::vector<std::string> nodes = live;
  const std::string self = nodes_[self_index_];
  nodes.push_back(self);
  std::sort(nodes.begin(), nodes.end());
  nodes.erase(std::unique(nodes.begin(), nodes.end()), nodes.end());
  if (nodes == nodes_) {
    return;
  }
  nodes_ = std::move(nodes);
  hashes_.clear();
  for (const std::string& node : nodes_) {
    hashes_.push_back(node_hash(node));
  }
  self_index_ =
      static_cast<std::size_t>(std::find(nodes_.begin(), nodes_.end(), self) - nodes_.begin());
  ++version_;
}

std::size_t RegionOwners::owner_index(std::uint64_t region) const noexcept {
  std::size_t best = 0;
  std::uint64_t best_weight = 0;
  for (std::size_t i = 0; i < hashes_.size(); ++i) {
    const std::uint64_t w = weight(hashes_[i], region);
    if (i == 0 || w > best_weight) {  // ties (astronomically rare) go to the lowest id
      best = i;
      best_weight = w;
    }
  }
  return best;
}

}  // namespace hexwire::scaleout
