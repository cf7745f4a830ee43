// The connections of one shard subscribed to one channel: a dense array (the span the delivery
// sink walks) with O(1) removal by swapping in the last entry. Small lists find an entry by a
// linear scan; only lists above kIndexThreshold keep an index of positions (PositionIndex: 4-byte
// slots, at most half full, no node per entry), so the many small channels (every user's own
// `user:<id>`, small groups) cost 8 bytes per subscriber and a large one about 16 (docs/capacity.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "pubsub/detail/position_index.hpp"
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
    if (index_.built() && index_.full_for(live_.size())) {
      rebuild_index(index_.slot_count() * 2);
    }
    live_.push_back(id);
    const auto pos = static_cast<std::uint32_t>(live_.size() - 1);
    if (index_.built()) {
      index_.insert(pos, hash(id));
    } else if (live_.size() > kIndexThreshold) {
      rebuild_index(PositionIndex::slot_count_for(live_.size()));
    }
  }

  /// Removes `id` (the last entry takes its place); false when it was not in the list.
  bool remove(SubscriberId id) {
    const std::size_t at = find(id);
    if (at == kAbsent) {
      return false;
    }
    const auto last = static_cast<std::uint32_t>(live_.size() - 1);
    if (index_.built()) {
      index_.erase(static_cast<std::uint32_t>(at), hash(id), hash_at());
      if (at != last) {
        index_.moved(last, static_cast<std::uint32_t>(at), hash(live_[last]));
      }
    }
    if (at != last) {
      live_[at] = live_[last];
    }
    live_.pop_back();
    if (index_.built() && live_.size() <= kIndexThreshold / 2) {
      index_.clear();  // hysteresis: a list hovering at the threshold does not rebuild each time
    }
    if (live_.empty()) {
      std::vector<SubscriberId>().swap(live_);  // an idle channel holds no subscriber storage
    }
    return true;
  }

 private:
  static constexpr std::size_t kAbsent = SIZE_MAX;

  /// Ids are handed out in sequence: mix the high bits into the low ones the index masks.
  static std::size_t hash(SubscriberId id) noexcept {
    const std::uint64_t h = id * 0x9E3779B97F4A7C15ULL;
    return static_cast<std::size_t>(h ^ (h >> 29));
  }
  /// Hashes the entry at a position (what PositionIndex asks for).
  struct HashAt {
    const std::vector<SubscriberId>* live;
    std::size_t operator()(std::uint32_t pos) const noexcept { return hash((*live)[pos]); }
  };
  [[nodiscard]] HashAt hash_at() const noexcept { return HashAt{&live_}; }

  [[nodiscard]] std::size_t find(SubscriberId id) const noexcept {
    if (index_.built()) {
      const std::uint32_t pos =
          index_.find(hash(id), [&](std::uint32_t at) { return live_[at] == id; });
      return pos == PositionIndex::kNone ? kAbsent : pos;
    }
    for (std::size_t i = 0; i < live_.size(); ++i) {
      if (live_[i] == id) {
        return i;
      }
    }
    return kAbsent;
  }

  void rebuild_index(std::size_t slots) { index_.build(slots, live_.size(), hash_at()); }

  std::vector<SubscriberId> live_;
  PositionIndex index_;  // built above kIndexThreshold subscribers
};

}  // namespace hexwire::pubsub::detail
