// ConnectionCap: an engine-wide limit on open accepted connections, shared by every shard's
// reactor. A reactor takes a slot when it accepts a connection and gives it back when that
// connection is gone; when none is free it writes the refusal bytes (e.g. an HTTP 503) to the new
// socket and closes it, without creating a Connection. The count is only a limit (it publishes no
// data), so relaxed atomics suffice.
#pragma once

#include <atomic>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

namespace hexwire::core {

class ConnectionCap {
 public:
  /// `limit`: connections open at once (at least 1). `refusal`: bytes written to a connection
  /// refused for lack of a slot, before it is closed (may be empty).
  ConnectionCap(std::size_t limit, std::string refusal)
      : limit_(limit == 0 ? 1 : limit), refusal_(std::move(refusal)) {}
  ConnectionCap(const ConnectionCap&) = delete;
  ConnectionCap& operator=(const ConnectionCap&) = delete;

  /// Takes a slot; false (and nothing taken) when `limit` are open. Any thread.
  [[nodiscard]] bool try_acquire() noexcept {
    std::size_t open = open_.load(std::memory_order_relaxed);
    while (open < limit_) {
      // Relaxed: the count orders nothing else; the CAS alone keeps it exact.
      if (open_.compare_exchange_weak(open, open + 1, std::memory_order_relaxed)) {
        return true;
      }
    }
    return false;
  }
  /// Gives back a slot taken by try_acquire(). Any thread.
  void release() noexcept { open_.fetch_sub(1, std::memory_order_relaxed); }

  [[nodiscard]] std::size_t open() const noexcept { return open_.load(std::memory_order_relaxed); }
  [[nodiscard]] std::size_t limit() const noexcept { return limit_; }
  [[nodiscard]] std::string_view refusal() const noexcept { return refusal_; }

 private:
  std::atomic<std::size_t> open_{0};
  const std::size_t limit_;
  const std::string refusal_;
};

}  // namespace hexwire::core
