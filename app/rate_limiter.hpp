// Token buckets for per-connection limits (ops per second): a TokenRate (`rate` tokens per second
// refill a bucket of `burst` tokens) is shared by every connection that follows it, and each
// connection keeps only its TokenBucket (16 bytes: level and last refill). Integer arithmetic in
// token-nanoseconds, so refills are exact and the hot path is a few adds and compares: noexcept,
// no allocation.
#pragma once

#include <algorithm>
#include <cstdint>

namespace hexwire::app {

inline constexpr std::uint64_t kTokenNsPerSecond = 1'000'000'000;

/// A limit: `rate_per_second` tokens per second (0 = unlimited) into a bucket of `burst` tokens.
class TokenRate {
 public:
  TokenRate(std::uint64_t rate_per_second, std::uint64_t burst) noexcept
      : rate_(rate_per_second), capacity_(std::max<std::uint64_t>(burst, 1) * kTokenNsPerSecond) {}

  [[nodiscard]] std::uint64_t per_second() const noexcept { return rate_; }
  /// The burst, in token-nanoseconds.
  [[nodiscard]] std::uint64_t capacity() const noexcept { return capacity_; }

 private:
  std::uint64_t rate_;      // tokens per second
  std::uint64_t capacity_;  // burst, in token-nanoseconds
};

/// One connection's bucket under a TokenRate; every call passes the same rate.
class TokenBucket {
 public:
  static constexpr std::uint64_t kNsPerSecond = kTokenNsPerSecond;

  /// The bucket starts full at `now_ns`.
  TokenBucket(const TokenRate& rate, std::uint64_t now_ns) noexcept
      : level_(rate.capacity()), last_ns_(now_ns) {}

  /// Takes one token if available. `now_ns` is a monotonic clock; going backwards is tolerated.
  [[nodiscard]] bool try_take(const TokenRate& rate, std::uint64_t now_ns) noexcept {
    if (rate.per_second() == 0) {
      return true;
    }
    refill(rate, now_ns);
    if (level_ < kNsPerSecond) {
      return false;
    }
    level_ -= kNsPerSecond;
    return true;
  }

  /// Whole tokens available at `now_ns` (for tests and metrics).
  [[nodiscard]] std::uint64_t available(const TokenRate& rate, std::uint64_t now_ns) noexcept {
    if (rate.per_second() == 0) {
      return rate.capacity() / kNsPerSecond;
    }
    refill(rate, now_ns);
    return level_ / kNsPerSecond;
  }

 private:
  void refill(const TokenRate& rate, std::uint64_t now_ns) noexcept {
    if (now_ns <= last_ns_) {
      return;
    }
    // Clamp the elapsed time to what fills the bucket so elapsed * rate cannot overflow.
    const std::uint64_t missing = rate.capacity() - std::min(level_, rate.capacity());
    const std::uint64_t fill_ns = missing / rate.per_second() + 1;
    const std::uint64_t elapsed = std::min(now_ns - last_ns_, fill_ns);
    level_ = std::min(rate.capacity(), level_ + elapsed * rate.per_second());
    last_ns_ = now_ns;
  }

  std::uint64_t level_;  // current tokens, in token-nanoseconds
  std::uint64_t last_ns_;
};

}  // namespace hexwire::app
