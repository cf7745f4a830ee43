// The chat scenario's pending reconnects (churn and the reconnect storm), earliest first. A
// reconnect whose slot is still closing its previous connection waits a millisecond more; its
// latencies still start at the intended reopen time (no coordinated omission).
#pragma once

#include <cstdint>
#include <functional>
#include <queue>
#include <vector>

#include "sim/client_pool.hpp"

namespace hexwire::sim::detail {

class ReconnectQueue {
 public:
  /// Slot `local` reopens at `intended_ns`.
  void push(std::uint32_t local, std::uint64_t intended_ns) {
    queue_.push(Entry{intended_ns, intended_ns, local});
  }

  /// Starts every reconnect due at `now_ns` whose slot is idle.
  void start_due(ClientPool& pool, std::uint64_t now_ns) {
    while (!queue_.empty() && queue_.top().due_ns <= now_ns) {
      Entry entry = queue_.top();
      queue_.pop();
      if (pool.slot(entry.local).state != SlotState::kIdle) {
        entry.due_ns = now_ns + kSlotBusyRetryNs;
        queue_.push(entry);
        continue;
      }
      pool.connect(entry.local, entry.intended_ns);
    }
  }

  /// When the next reconnect is due; UINT64_MAX when none is pending.
  [[nodiscard]] std::uint64_t next_due_ns() const noexcept {
    return queue_.empty() ? UINT64_MAX : queue_.top().due_ns;
  }

 private:
  static constexpr std::uint64_t kSlotBusyRetryNs = 1'000'000;
  struct Entry {
    std::uint64_t due_ns = 0;
    std::uint64_t intended_ns = 0;
    std::uint32_t local = 0;
    bool operator>(const Entry& other) const noexcept { return due_ns > other.due_ns; }
  };
  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> queue_;
};

}  // namespace hexwire::sim::detail
