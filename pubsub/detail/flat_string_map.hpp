// FlatStringMap: a map from string keys to values kept in one vector, for the many small maps of
// the broker (a channel's members: one entry for a user channel, a handful for most rooms). It
// costs the entries and nothing else: no node per entry, no bucket array. Up to kIndexFrom
// entries a lookup compares keys in order; from there on an open-addressing index of 4-byte
// slots (linear probing, at most half full) keeps lookups O(1) for channels with many members.
// Erase moves the last entry into the hole, so it invalidates iterators to the last entry and
// changes the iteration order; references to other entries stay valid until the next emplace.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

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
    if (slots_ != nullptr && (entries_.size() + 1) * 2 > slot_count()) {
      build_index(slot_count() * 2);
    }
    entries_.emplace_back(std::string(key), std::move(value));
    const auto pos = static_cast<std::uint32_t>(entries_.size() - 1);
    if (slots_ != nullptr) {
      insert_slot(pos);
    } else if (entries_.size() > kIndexFrom) {
      build_index(slot_count_for(entries_.size()));
    }
    return {entries_.begin() + pos, true};
  }

  /// Removes the entry at `it`; the last entry takes its place.
  void erase(iterator it) noexcept {
    const auto pos = static_cast<std::uint32_t>(it - entries_.begin());
    const auto last = static_cast<std::uint32_t>(entries_.size() - 1);
    if (slots_ != nullptr) {
      remove_slot(pos);
      if (pos != last) {
        slots_[slot_holding(last)] = pos + 1;
      }
    }
    if (pos != last) {
      entries_[pos] = std::move(entries_[last]);
    }
    entries_.pop_back();
    if (entries_.empty()) {
      std::vector<value_type>().swap(entries_);  // an emptied map holds no memory
    }
    if (slots_ != nullptr && entries_.size() <= kIndexFrom / 2) {
      slots_.reset();  // small again: scanning is cheaper than the index
      slot_mask_ = 0;
    }
  }

 private:
  static constexpr std::uint32_t kNone = UINT32_MAX;

  static std::size_t hash(std::string_view key) noexcept {
    return std::hash<std::string_view>{}(key);
  }
  [[nodiscard]] std::size_t slot_count() const noexcept {
    return slots_ == nullptr ? 0 : std::size_t{slot_mask_} + 1;
  }
  static std::size_t slot_count_for(std::size_t entries) noexcept {
    std::size_t count = 64;
    while (count < entries * 2) {
      count *= 2;
    }
    return count;
  }

  [[nodiscard]] std::uint32_t position_of(std::string_view key) const noexcept {
    if (slots_ == nullptr) {
      for (std::size_t i = 0; i < entries_.size(); ++i) {
        if (entries_[i].first == key) {
          return static_cast<std::uint32_t>(i);
        }
      }
      return kNone;
    }
    for (std::size_t slot = hash(key) & slot_mask_;; slot = (slot + 1) & slot_mask_) {
      const std::uint32_t held = slots_[slot];
      if (held == 0) {
        return kNone;
      }
      if (entries_[held - 1].first == key) {
        return held - 1;
      }
    }
  }

  /// The slot that holds entry `pos` (which is in the index).
  [[nodiscard]] std::size_t slot_holding(std::uint32_t pos) const noexcept {
    std::size_t slot = hash(entries_[pos].first) & slot_mask_;
    while (slots_[slot] != pos + 1) {
      slot = (slot + 1) & slot_mask_;
    }
    return slot;
  }

  void insert_slot(std::uint32_t pos) noexcept {
    std::size_t slot = hash(entries_[pos].first) & slot_mask_;
    while (slots_[slot] != 0) {
      slot = (slot + 1) & slot_mask_;
    }
    slots_[slot] = pos + 1;
  }

  /// Backward-shift deletion: later entries of the probe run move up so no lookup stops early.
  void remove_slot(std::uint32_t pos) noexcept {
    std::size_t hole = slot_holding(pos);
    for (std::size_t next = (hole + 1) & slot_mask_; slots_[next] != 0;
         next = (next + 1) & slot_mask_) {
      const std::size_t home = hash(entries_[slots_[next] - 1].first) & slot_mask_;
      // Move the entry at `next` into the hole unless its home lies cyclically in (hole, next].
      const bool stays =
          hole <= next ? (hole < home && home <= next) : (hole < home || home <= next);
      if (!stays) {
        slots_[hole] = slots_[next];
        hole = next;
      }
    }
    slots_[hole] = 0;
  }

  void build_index(std::size_t count) {
    slots_ = std::make_unique<std::uint32_t[]>(count);  // zeroed: every slot empty
    slot_mask_ = static_cast<std::uint32_t>(count - 1);
    for (std::uint32_t pos = 0; pos < entries_.size(); ++pos) {
      insert_slot(pos);
    }
  }

  std::vector<value_type> entries_;
  std::unique_ptr<std::uint32_t[]> slots_;  // entry index + 1; 0 = empty; null below kIndexFrom
  std::uint32_t slot_mask_ = 0;
};

}  // namespace hexwire::pubsub::detail
