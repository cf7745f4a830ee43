// ConnectionTable: the /ws connections of one shard by subscriber id, what the DeliverySink looks
// every listed subscriber up in (once per delivered frame). An id is (generation << 32) | (slot +
// 1): a closed connection's slot is reused under the next generation, so a task still holding the
// old id (a subscribe reply, a timer) finds nothing, and a lookup is one index into a dense array
// instead of a hash-node walk. Ids are never 0; the first connections of a shard get 1, 2, 3, ...
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "pubsub/types.hpp"

namespace hexwire::app {

template <typename Connection>
class ConnectionTable {
 public:
  /// Registers `connection` and returns its id.
  pubsub::SubscriberId add(Connection* connection) {
    std::uint32_t slot = 0;
    if (free_.empty()) {
      slot = static_cast<std::uint32_t>(slots_.size());
      slots_.push_back(Slot{});
    } else {
      slot = free_.back();
      free_.pop_back();
    }
    slots_[slot].connection = connection;
    ++live_;
    return (std::uint64_t{slots_[slot].generation} << 32) | (std::uint64_t{slot} + 1);
  }

  /// Forgets `id` (its slot goes to a later connection under a new generation); no-op if unknown.
  void remove(pubsub::SubscriberId id) {
    const std::size_t index = index_of(id);
    if (index == kAbsent) {
      return;
    }
    slots_[index].connection = nullptr;
    ++slots_[index].generation;  // wraps after 2^32 reuses of one slot
    free_.push_back(static_cast<std::uint32_t>(index));
    --live_;
  }

  /// The connection with `id`, or null when it has gone.
  [[nodiscard]] Connection* find(pubsub::SubscriberId id) const noexcept {
    const std::size_t index = index_of(id);
    return index == kAbsent ? nullptr : slots_[index].connection;
  }
  [[nodiscard]] std::size_t size() const noexcept { return live_; }

 private:
  struct Slot {
    Connection* connection = nullptr;
    std::uint32_t generation = 0;
  };

  static constexpr std::size_t kAbsent = SIZE_MAX;

  /// The slot holding the live connection `id`, or kAbsent.
  [[nodiscard]] std::size_t index_of(pubsub::SubscriberId id) const noexcept {
    const std::uint64_t slot_plus_one = id & 0xFFFF'FFFFULL;
    if (slot_plus_one == 0 || slot_plus_one > slots_.size()) {
      return kAbsent;
    }
    const Slot& s = slots_[slot_plus_one - 1];
    return s.connection != nullptr && s.generation == (id >> 32) ? slot_plus_one - 1 : kAbsent;
  }

  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_;
  std::size_t live_ = 0;
};

}  // namespace hexwire::app
