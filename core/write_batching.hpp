// The adaptive write-batching controller of one reactor: picks how long a connection's output is
// held (so that frames queued meanwhile share one sendmsg) from how busy the shard's thread was
// over the last window. An idle or lightly loaded shard sends at once; as the thread's busy share
// crosses the high mark the hold grows geometrically, and it shrinks again once the shard has
// room (below the low mark). The band between the marks is wider than one step's effect, so the
// delay settles instead of oscillating. A hold is only chosen when it can merge frames: if a
// connection gets too few frames per second for even the longest hold to catch another one, the
// hold would be latency for nothing, and it goes back to 0 however busy the shard is. Pure logic:
// the reactor feeds it thread CPU time, wall time, frames queued and connections; tests feed it
// numbers. See docs/core.md ("Adaptive batching").
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
  // A hold is worth starting only if, within max_delay_ns, an average connection gets at least
  // this many further frames to merge (writes per connection per second x max_delay); a hold
  // already in use is kept down to keep_merge_frames. Below that the hold shrinks to 0 whatever
  // the busy share. The gap matters under overload: a shard that falls behind queues fewer frames
  // than are offered, and without it the shrinking hold would cut its throughput further.
  // 0 turns the check off.
  double min_merge_frames = 1.0;
  double keep_merge_frames = 0.5;
};

/// One measuring window of a reactor.
struct BatchingWindow {
  std::uint64_t busy_ns = 0;      // the shard's thread was on CPU this long ...
  std::uint64_t wall_ns = 0;      // ... out of this much wall time
  std::uint64_t writes = 0;       // frames (sends requested) queued on connections meanwhile
  std::uint64_t connections = 0;  // open connections at the end of the window
};

class BatchingController {
 public:
  explicit BatchingController(const AdaptiveBatchingConfig& config) noexcept : config_(config) {}

  /// One window's measurement. Returns the delay to use from now on.
  std::uint64_t update(const BatchingWindow& window) noexcept {
    if (window.wall_ns == 0) {
      return delay_ns_;
    }
    const auto wall = static_cast<double>(window.wall_ns);
    const double share = std::min(1.0, static_cast<double>(window.busy_ns) / wall);
    busy_ = smoothed(busy_, share);
    // Frames an average connection gets within the longest hold (writes/s per connection x cap).
    const double per_connection =
        window.connections == 0
            ? 0.0
            : static_cast<double>(window.writes) / static_cast<double>(window.connections);
    merge_ = smoothed(merge_, per_connection * static_cast<double>(config_.max_delay_ns) / wall);
    if (merge_ < (delay_ns_ == 0 ? config_.min_merge_frames : config_.keep_merge_frames)) {
      shrink();
    } else if (busy_ > config_.high_busy) {
      const double grown =
          delay_ns_ == 0 ? static_cast<double>(config_.min_delay_ns) : delay_ns_ * config_.step;
      delay_ns_ = std::min(config_.max_delay_ns, static_cast<std::uint64_t>(grown));
    } else if (busy_ < config_.low_busy) {
      shrink();
    }
    return delay_ns_;
  }

  [[nodiscard]] std::uint64_t delay_ns() const noexcept { return delay_ns_; }
  /// The smoothed busy share the last decision was based on (0..1).
  [[nodiscard]] double busy() const noexcept { return busy_; }
  /// The smoothed frames an average connection gets within the longest hold.
  [[nodiscard]] double merge_frames() const noexcept { return merge_; }
  [[nodiscard]] const AdaptiveBatchingConfig& config() const noexcept { return config_; }

 private:
  [[nodiscard]] double smoothed(double average, double newest) const noexcept {
    return config_.smoothing * newest + (1.0 - config_.smoothing) * average;
  }
  void shrink() noexcept {
    if (delay_ns_ != 0) {
      const auto shrunk = static_cast<std::uint64_t>(static_cast<double>(delay_ns_) / config_.step);
      delay_ns_ = shrunk < config_.min_delay_ns ? 0 : shrunk;
    }
  }

  AdaptiveBatchingConfig config_;
  std::uint64_t delay_ns_ = 0;
  double busy_ = 0.0;
  double merge_ = 0.0;
};

}  // namespace hexwire::core
