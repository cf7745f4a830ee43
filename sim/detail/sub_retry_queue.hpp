// The chat scenario's subs waiting to be sent again after an `unavailable` answer, earliest first.
// Each entry names the client's connection (ChatClient::connection) when it was queued: a retry
// whose connection has closed since is dropped, since a reconnect subscribes every channel anew.
// Bounded: a membership has at most one sub outstanding, so the queue never holds more entries
// than the worker's memberships.
#pragma once

#include <cstdint>
#include <functional>
#include <queue>
#include <vector>

namespace hexwire::sim::detail {

struct SubRetry {
  std::uint64_t due_ns = 0;
  std::uint32_t client = 0;      // index into ChatPart::clients_
  std::uint32_t connection = 0;  // ChatClient::connection when queued
  std::uint32_t channel = 0;     // k: the client's k-th channel
  bool operator>(const SubRetry& other) const noexcept { return due_ns > other.due_ns; }
};

class SubRetryQueue {
 public:
  void push(const SubRetry& retry) { queue_.push(retry); }

  /// Calls `send(retry)` for every retry due at `now_ns`, earliest first.
  template <typename Send>
  void send_due(std::uint64_t now_ns, Send&& send) {
    while (!queue_.empty() && queue_.top().due_ns <= now_ns) {
      const SubRetry retry = queue_.top();
      queue_.pop();
      send(retry);
    }
  }

  /// When the next retry is due; UINT64_MAX when none is waiting.
  [[nodiscard]] std::uint64_t next_due_ns() const noexcept {
    return queue_.empty() ? UINT64_MAX : queue_.top().due_ns;
  }
  [[nodiscard]] std::size_t size() const noexcept { return queue_.size(); }

 private:
  std::priority_queue<SubRetry, std::vector<SubRetry>, std::greater<>> queue_;
};

}  // namespace hexwire::sim::detail
