// PositionIndex: an open-addressing index of positions in a dense array that its owner keeps (a
// channel's subscriber ids, a channel's members). Each slot is 4 bytes (position + 1, 0 = empty);
// linear probing, at most half full, backward-shift deletion (no tombstones). The index stores no
// keys: the owner hashes them and answers "does the entry at position p match?", so a lookup
// touches one slot run and the matching entry, with no node per entry and no allocation except
// when the slot array grows.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

namespace hexwire::pubsub::detail {

class PositionIndex {
 public:
  static constexpr std::uint32_t kNone = UINT32_MAX;

  [[nodiscard]] bool built() const noexcept { return slots_ != nullptr; }
  [[nodiscard]] std::size_t slot_count() const noexcept {
    return slots_ == nullptr ? 0 : std::size_t{mask_} + 1;
  }
  /// Whether one more entry (entries + 1 in all) would fill it beyond half.
  [[nodiscard]] bool full_for(std::size_t entries) const noexcept {
    return (entries + 1) * 2 > slot_count();
  }
  /// The smallest slot count (a power of two, at least 64) at most half filled by `entries`.
  static std::size_t slot_count_for(std::size_t entries) noexcept {
    std::size_t count = 64;
    while (count < entries * 2) {
      count *= 2;
    }
    return count;
  }

  /// Replaces the index with `count` empty slots and indexes positions 0..entries-1;
  /// hash_at(pos) is the hash of the entry at pos.
  template <typename HashAt>
  void build(std::size_t count, std::size_t entries, HashAt&& hash_at) {
    slots_ = std::make_unique<std::uint32_t[]>(count);  // zeroed: every slot empty
    mask_ = static_cast<std::uint32_t>(count - 1);
    for (std::uint32_t pos = 0; pos < entries; ++pos) {
      insert(pos, hash_at(pos));
    }
  }
  void clear() noexcept {
    slots_.reset();
    mask_ = 0;
  }

  /// The position whose entry matches (matches(pos) is true), probing from `hash`; kNone if none.
  template <typename Matches>
  [[nodiscard]] std::uint32_t find(std::size_t hash, Matches&& matches) const noexcept {
    for (std::size_t slot = hash & mask_;; slot = (slot + 1) & mask_) {
      const std::uint32_t held = slots_[slot];
      if (held == 0) {
        return kNone;
      }
      if (matches(held - 1)) {
        return held - 1;
      }
    }
  }

  /// Indexes position `pos` (not indexed yet) whose entry hashes to `hash`.
  void insert(std::uint32_t pos, std::size_t hash) noexcept {
    std::size_t slot = hash & mask_;
    while (slots_[slot] != 0) {
      slot = (slot + 1) & mask_;
    }
    slots_[slot] = pos + 1;
  }

  /// The entry at `from` (hashing to `hash`) now lives at `to`.
  void moved(std::uint32_t from, std::uint32_t to, std::size_t hash) noexcept {
    slots_[slot_holding(from, hash)] = to + 1;
  }

  /// Drops position `pos` (hashing to `hash`); hash_at(p) hashes the entries still indexed.
  /// Backward shift: later slots of the probe run move up so that no lookup stops early.
  template <typename HashAt>
  void erase(std::uint32_t pos, std::size_t hash, HashAt&& hash_at) noexcept {
    std::size_t hole = slot_holding(pos, hash);
    for (std::size_t next = (hole + 1) & mask_; slots_[next] != 0; next = (next + 1) & mask_) {
      const std::size_t home = hash_at(slots_[next] - 1) & mask_;
      // The entry at `next` stays unless its home lies cyclically outside (hole, next].
      const bool stays =
          hole <= next ? (hole < home && home <= next) : (hole < home || home <= next);
      if (!stays) {
        slots_[hole] = slots_[next];
        hole = next;
      }
    }
    slots_[hole] = 0;
  }

 private:
  [[nodiscard]] std::size_t slot_holding(std::uint32_t pos, std::size_t hash) const noexcept {
    std::size_t slot = hash & mask_;
    while (slots_[slot] != pos + 1) {
      slot = (slot + 1) & mask_;
    }
    return slot;
  }

  std::unique_ptr<std::uint32_t[]> slots_;  // position + 1; 0 = empty; null when not built
  std::uint32_t mask_ = 0;
};

}  // namespace hexwire::pubsub::detail
