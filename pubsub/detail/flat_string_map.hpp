// FlatStringMap: a map from string keys to values kept in one vector, for the many small maps of
// the broker (a channel's members: one entry for a user channel, a handful for most rooms). It
// costs the entries and nothing else: no node per entry, no bucket array. Up to kIndexFrom
// entries a lookup compares keys in order; from there on a PositionIndex (4-byte slots, linear
// probing, at most half full) keeps lookups O(1) for channels with many members.
// Erase moves the last entry into the hole, so it invalidates iterators to the last entry and
// changes the iteration order; references to other entries stay valid until the next emplace.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pubsub/detail/position_index.hpp"

namespace hexwire::pubsub::detail {

template <typename Value>
class FlatStringMap {
 public:
  using value_type = std::pair<std::string, Value>;
  using iterator = typename std::vector<value_type>::iterator;
  using const_iterator = typename std::vector<value_type>::const_iterator;

  /// Entries up to which lookups scan instead of using the index.
  static constexpr std::size_t kIndexFrom = 16;

  [[nodiscard]] std::size_t size() const noexcept { return entries_.size(); }
  [[nodiscard]] bool empty() const noexcept { return entries_.empty(); }
  iterator begin() noexcept { return entries_.begin(); }
  iterator end() noexcept { return entries_.end(); }
  const_iterator begin() const noexcept { return entries_.begin(); }
  const_iterator end() const noexcept { return entries_.end(); }

  iterator find(std::string_view key) noexcept {
    const std::uint32_t pos = position_of(key);
    return pos == kNone ? entries_.end() : entries_.begin() + pos;
  }

  /// Inserts (key, value) unless `key` is present; returns the entry and whether it was inserted.
  /// Invalidates iterators and references to every entry when it inserts.
  std::pair<iterator, bool> emplace(std::string_view key, Value value) {
    const std::uint32_t existing = position_of(key);
    if (existing != kNone) {
      return {entries_.begin() + existing, false};
    }
    if (index_.built() && index_.full_for(entries_.size())) {
      build_index(index_.slot_count() * 2);
    }
    entries_.emplace_back(std::string(key), std::move(value));
    const auto pos = static_cast<std::uint32_t>(entries_.size() - 1);
    if (index_.built()) {
      index_.insert(pos, hash(entries_[pos].first));
    } else if (entries_.size() > kIndexFrom) {
      build_index(PositionIndex::slot_count_for(entries_.size()));
    }
    return {entries_.begin() + pos, true};
  }

  /// Removes the entry at `it`; the last entry takes its place.
  void erase(iterator it) noexcept {
    const auto pos = static_cast<std::uint32_t>(it - entries_.begin());
    const auto last = static_cast<std::uint32_t>(entries_.size() - 1);
    if (index_.built()) {
      index_.erase(pos, hash(entries_[pos].first), hash_at());
      if (pos != last) {
        index_.moved(last, pos, hash(entries_[last].first));
      }
    }
    if (pos != last) {
      entries_[pos] = std::move(entries_[last]);
    }
    entries_.pop_back();
    if (entries_.empty()) {
      std::vector<value_type>().swap(entries_);  // an emptied map holds no memory
    }
    if (index_.built() && entries_.size() <= kIndexFrom / 2) {
      index_.clear();  // small again: scanning is cheaper than the index
    }
  }

 private:
  static constexpr std::uint32_t kNone = PositionIndex::kNone;

  static std::size_t hash(std::string_view key) noexcept {
    return std::hash<std::string_view>{}(key);
  }
  /// Hashes the key at a position (what PositionIndex asks for).
  struct HashAt {
    const std::vector<value_type>* entries;
    std::size_t operator()(std::uint32_t pos) const noexcept { return hash((*entries)[pos].first); }
  };
  [[nodiscard]] HashAt hash_at() const noexcept { return HashAt{&entries_}; }

  [[nodiscard]] std::uint32_t position_of(std::string_view key) const noexcept {
    if (!index_.built()) {
      for (std::size_t i = 0; i < entries_.size(); ++i) {
        if (entries_[i].first == key) {
          return static_cast<std::uint32_t>(i);
        }
      }
      return kNone;
    }
    return index_.find(hash(key), [&](std::uint32_t pos) { return entries_[pos].first == key; });
  }

  void build_index(std::size_t count) { index_.build(count, entries_.size(), hash_at()); }

  std::vector<value_type> entries_;
  PositionIndex index_;  // built above kIndexFrom entries
};

}  // namespace hexwire::pubsub::detail
