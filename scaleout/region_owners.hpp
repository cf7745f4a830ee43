// RegionOwners: which node of a pool owns a dispatch region, by rendezvous (highest random weight)
// hashing over the live node ids. Every node computes the same owner from the same live set (the
// node registry's), so no owner table is stored; a membership change moves only the regions the
// joining node wins or the leaving node held. One instance per shard (no locks): the node copies
// each new live set to every shard. See docs/scale-out.md, "Dispatch across nodes".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace hexwire::scaleout {

class RegionOwners {
 public:
  /// `self` is this node's id: owner_of answers it for every region while no live set is known
  /// (a node alone, or before its first heartbeat) and the live set does not name it yet.
  explicit RegionOwners(std::string self);

  /// Replaces the live set (any order, duplicates ignored). This node is always counted live: it
  /// serves until it stops.
  void set_live(const std::vector<std::string>& live);

  /// The owner of `region` (any 64-bit region key, e.g. an H3 cell): an index into nodes().
  [[nodiscard]] std::size_t owner_index(std::uint64_t region) const noexcept;
  [[nodiscard]] const std::string& owner_of(std::uint64_t region) const noexcept {
    return nodes_[owner_index(region)];
  }
  /// True when this node owns `region`.
  [[nodiscard]] bool owns(std::uint64_t region) const noexcept {
    return owner_index(region) == self_index_;
  }
  [[nodiscard]] const std::vector<std::string>& nodes() const noexcept { return nodes_; }
  [[nodiscard]] const std::string& self() const noexcept { return nodes_[self_index_]; }
  /// Bumped by every set_live that changed the set.
  [[nodiscard]] std::uint64_t version() const noexcept { return version_; }

  /// The rendezvous weight of (node hash, region): splitmix64 of their xor.
  [[nodiscard]] static std::uint64_t weight(std::uint64_t node_hash, std::uint64_t region) noexcept;
  /// A stable 64-bit hash of a node id (FNV-1a then splitmix64; the same on every node and build).
  [[nodiscard]] static std::uint64_t node_hash(std::string_view node) noexcept;

 private:
  std::vector<std::string> nodes_;    // sorted, unique, self included
  std::vector<std::uint64_t> hashes_;  // node_hash of nodes_[i]
  std::size_t self_index_ = 0;
  std::uint64_t version_ = 0;
};

}  // namespace hexwire::scaleout
