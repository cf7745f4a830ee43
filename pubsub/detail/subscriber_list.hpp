// The connections of one shard subscribed to one channel: a dense array (the span the delivery
// sink walks) with O(1) removal by swapping in the last entry. Small lists find an entry by a
// linear scan; only lists above kIndexThreshold keep a hash index of positions, so the many small
// channels (every user's own `user:<id>`, small groups) cost 8 bytes per subscriber instead of a
// hash node each (docs/capacity.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <unordered_map>
#include <vector>

#include "pubsub/types.hpp"

namespace hexwire::pubsub::detail {

class SubscriberList {
 public:
  /// Lists longer than this keep a position index; shorter ones are scanned.
  static constexpr std::size_t kIndexThreshold = 32;

  [[nodiscard]] std::span<const SubscriberId> span() const noexcept { return live_; }
  [[nodiscard]] std::size_t size() const noexcept { return live_.size(); }
  [[nodiscard]] bool empty() const noexcept { return live_.empty(); }
  [[nodiscard]] bool contains(SubscriberId id) const noexcept { return find(id) != kAbsent; }

  /// Appends `id`; the caller guarantees it is not in the list yet.
  void add(SubscriberId id) {
    live_.push_back(id);
    if (index_) {
      index_->emplace(id, static_cast<std::uint32_t>(live_.size() - 1));
    } else if (live_.size() > kIndexThreshold) {
      build_index();
    }
  }

  /// Removes `id` (the last entry takes its place); false when it was not in the list.
  bool remove(SubscriberId id) {
    const std::size_t at = find(id);
    if (at == kAbsent) {
      return false;
    }
    if (index_) {
      index_->erase(id);
    }
    if (at + 1 != live_.size()) {
      live_[at] = live_.back();
      if (index_) {
        (*index_)[live_[at]] = static_cast<std::uint32_t>(at);
      }
    }
    live_.pop_back();
    if (index_ && live_.size() <= kIndexThreshold / 2) {
      index_.reset();  // hysteresis: a list hovering at the threshold does not rebuild each time
    }
    if (live_.empty()) {
      std::vector<SubscriberId>().swap(live_);  // an idle channel holds no subscriber storage
    }
    return true;
  }

 private:
  static constexpr std::size_t kAbsent = SIZE_MAX;

  [[nodiscard]] std::size_t find(SubscriberId id) const noexcept {
    if (index_) {
      const auto it = index_->find(id);
      return it == index_->end() ? kAbsent : it->second;
    }
    for (std::size_t i = 0; i < live_.size(); ++i) {
      if (live_[i] == id) {
        return i;
      }
    }
    return kAbsent;
  }

  void build_index() {
    auto index = std::make_unique<std::unordered_map<SubscriberId, std::uint32_t>>();
    index->reserve(live_.size() * 2);
    for (std::size_t i = 0; i < live_.size(); ++i) {
      index->emplace(live_[i], static_cast<std::uint32_t>(i));
    }
    index_ = std::move(index);
  }

  std::vector<SubscriberId> live_;
  std::unique_ptr<std::unordered_map<SubscriberId, std::uint32_t>> index_;
};

}  // namespace hexwire::pubsub::detail
