// The adaptive write-batching controller of one reactor: picks how long a connection's output is
// held (so that frames queued meanwhile share one sendmsg) from how busy the shard's thread was
// over the last window. An idle or lightly loaded shard sends at once; as the thread's busy share
// crosses the high mark the hold grows geometrically, and it shrinks again once the shard has
// room (below the low mark). The band between the marks is wider than one step's effect, so the
// delay settles instead of oscillating. Pure logic: the reactor feeds it thread CPU time and wall
// time; tests feed it numbers. See docs/core.md ("Adaptive batching").
#pragma once

#include <algorithm>
#include <cstdint>

namespace hexwire::core {

/// How a reactor decides how long to hold output (ReactorConfig::write_batching).
enum class WriteBatching : std::uint8_t {
  kAdaptive,  // BatchingController picks the hold from the shard's load (the default)
  kFixed,     // every send waits ReactorConfig::write_delay_ns (0: none)
};

struct AdaptiveBatchingConfig {
  std::uint64_t window_ns = 10'000'000;    // how often the busy share is measured
  std::uint64_t min_delay_ns = 100'000;    // the first step above 0
  std::uint64_t max_delay_ns = 20'000'000;  // never hold longer than this
  double high_busy = 0.80;  // above (smoothed): hold longer
  double low_busy = 0.40;   // below (smoothed): hold shorter, down to 0
  double step = 1.5;        // factor per window
  double smoothing = 0.5;   // weight of the newest window in the moving average
};

class BatchingController {
 public:
  explicit BatchingController(const AdaptiveBatchingConfig& config) noexcept : config_(config) {}

  /// One window's measurement: the thread was on CPU `busy_ns` out of `wall_ns`. Returns the
  /// delay to use from now on.
  std::uint64_t update(std::uint64_t busy_ns, std::uint64_t wall_ns) noexcept {
    if (wall_ns == 0) {
      return delay_ns_;
    }
    const double share = std::min(1.0, static_cast<double>(busy_ns) / static_cast<double>(wall_ns));
    busy_ = config_.smoothing * share + (1.0 - config_.smoothing) * busy_;
    if (busy_ > config_.high_busy) {
      const double grown =
          delay_ns_ == 0 ? static_cast<double>(config_.min_delay_ns) : delay_ns_ * config_.step;
      delay_ns_ = std::min(config_.max_delay_ns, static_cast<std::uint64_t>(grown));
    } else if (busy_ < config_.low_busy && delay_ns_ != 0) {
      const auto shrunk = static_cast<std::uint64_t>(delay_ns_ / config_.step);
      delay_ns_ = shrunk < config_.min_delay_ns ? 0 : shrunk;
    }
    return delay_ns_;
  }

  [[nodiscard]] std::uint64_t delay_ns() const noexcept { return delay_ns_; }
  /// The smoothed busy share the last decision was based on (0..1).
  [[nodiscard]] double busy() const noexcept { return busy_; }
  [[nodiscard]] const AdaptiveBatchingConfig& config() const noexcept { return config_; }

 private:
  AdaptiveBatchingConfig config_;
  std::uint64_t delay_ns_ = 0;
  double busy_ = 0.0;
};

}  // namespace hexwire::core
