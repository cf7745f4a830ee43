// A node's local subscribers of one channel on one shard: a dense vector handed to the sink as a
// span (encode once, send to all), with O(1) removal by id through an index.
#pragma once

#include <cstdint>
#include <span>
#include <unordered_map>
#include <vector>

#include "pubsub/types.hpp"

namespace hexwire::scaleout::detail {

class SubscriberList {
 public:
  void add(pubsub::SubscriberId id) {
    if (index_.emplace(id, static_cast<std::uint32_t>(ids_.size())).second) {
      ids_.push_back(id);
    }
  }
  /// False when `id` was not listed.
  bool remove(pubsub::SubscriberId id) {
    auto it = index_.find(id);
    if (it == index_.end()) {
      return false;
    }
    const std::uint32_t at = it->second;
    index_.erase(it);
    if (at + 1 != ids_.size()) {
      ids_[at] = ids_.back();
      index_[ids_[at]] = at;
    }
    ids_.pop_back();
    return true;
  }
  [[nodiscard]] bool contains(pubsub::SubscriberId id) const { return index_.contains(id); }
  [[nodiscard]] bool empty() const noexcept { return ids_.empty(); }
  [[nodiscard]] std::size_t size() const noexcept { return ids_.size(); }
  [[nodiscard]] std::span<const pubsub::SubscriberId> span() const noexcept { return ids_; }

 private:
  std::vector<pubsub::SubscriberId> ids_;
  std::unordered_map<pubsub::SubscriberId, std::uint32_t> index_;
};

}  // namespace hexwire::scaleout::detail
