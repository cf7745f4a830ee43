// Token bucket for per-connection limits (publishes per second): `rate` tokens per second refill a
// bucket of `burst` tokens. Integer arithmetic in token-nanoseconds, so refills are exact and the
// hot path is a few adds and compares: noexcept, no allocation, one instance per connection.
#pragma once

#include <algorithm>
#include <cstdint>

namespace hexwire::app {

class TokenBucket {
 public:
  static constexpr std::uint64_t kNsPerSecond = 1'000'000'000;

  /// `rate_per_second` 0 means unlimited. The bucket starts full at `now_ns`.
  TokenBucket(std::uint64_t rate_per_second, std::uint64_t burst, std::uint64_t now_ns) noexcept
      : rate_(rate_per_second),
        capacity_(std::max<std::uint64_t>(burst, 1) * kNsPerSecond),
        level_(capacity_),
        last_ns_(now_ns) {}

  /// Takes one token if available. `now_ns` is a monotonic clock; going backwards is tolerated.
  [[nodiscard]] bool try_take(std::uint64_t now_ns) noexcept {
    if (rate_ == 0) {
      return true;
    }
    refill(now_ns);
    if (level_ < kNsPerSecond) {
      return false;
    }
    level_ -= kNsPerSecond;
    return true;
  }

  /// Whole tokens available at `now_ns` (for tests and metrics).
  [[nodiscard]] std::uint64_t available(std::uint64_t now_ns) noexcept {
    if (rate_ == 0) {
      return capacity_ / kNsPerSecond;
    }
    refill(now_ns);
    return level_ / kNsPerSecond;
  }

 private:
  void refill(std::uint64_t now_ns) noexcept {
    if (now_ns <= last_ns_) {
      return;
    }
    // Clamp the elapsed time to what fills the bucket so elapsed * rate cannot overflow.
    const std::uint64_t missing = capacity_ - level_;
    const std::uint64_t fill_ns = missing / rate_ + 1;
    const std::uint64_t elapsed = std::min(now_ns - last_ns_, fill_ns);
    level_ = std::min(capacity_, level_ + elapsed * rate_);
    last_ns_ = now_ns;
  }

  std::uint64_t rate_;      // tokens per second
  std::uint64_t capacity_;  // burst, in token-nanoseconds
  std::uint64_t level_;     // current tokens, in token-nanoseconds
  std::uint64_t last_ns_;
};

}  // namespace hexwire::app
