// A Hystrix-style circuit breaker and thread-pool bulkhead, written out as the logic Netflix's
// library runs (not a drawn delay): a rolling window of outcome counts in buckets, a health
// snapshot recomputed at most every snapshot interval, a breaker that opens on enough volume and
// errors, sleeps, lets one trial through (half-open) and closes on its success, and a bounded pool
// of threads per dependency that rejects calls when every thread is busy. Time is passed in
// (nanoseconds, the case-study clock), so the same code runs on virtual and real time.
// docs/cases/netflix.md#breaker.
#pragma once

#include <cstdint>
#include <vector>

#include "sim/cases/event_loop.hpp"

namespace hexwire::sim::cases::netflix {

/// Hystrix's knobs, with its defaults.
struct BreakerSettings {
  SimTime window = 10 * kSecond;                    // metrics.rollingStats.timeInMilliseconds
  std::uint32_t buckets = 10;                       // metrics.rollingStats.numBuckets
  std::uint32_t volume_threshold = 20;              // circuitBreaker.requestVolumeThreshold
  double error_threshold_pct = 50;                  // circuitBreaker.errorThresholdPercentage
  SimTime sleep_window = 5 * kSecond;               // circuitBreaker.sleepWindowInMilliseconds
  SimTime snapshot_interval = 500 * kMillisecond;   // metrics.healthSnapshot.intervalInMilliseconds
};

/// How a command ended; every kind but kShortCircuited counts in the health of the window.
enum class Outcome : std::uint8_t { kSuccess, kFailure, kTimeout, kRejected, kShortCircuited };

struct HealthCounts {
  std::uint64_t total = 0;   // success + failure + timeout + rejected
  std::uint64_t errors = 0;  // failure + timeout + rejected
  [[nodiscard]] double error_pct() const noexcept {
    return total == 0 ? 0.0 : 100.0 * static_cast<double>(errors) / static_cast<double>(total);
  }
};

/// Outcome counts over the last `window`, in `buckets` equal buckets: a bucket is dropped whole
/// once it is older than the window (the current bucket is counted while it fills).
class RollingCounts {
 public:
  RollingCounts(SimTime window, std::uint32_t buckets);
  void add(SimTime now, Outcome outcome);
  [[nodiscard]] HealthCounts health(SimTime now);
  void reset() noexcept;

 private:
  struct Bucket {
    std::int64_t index = -1;  // now / bucket width when it was filled; -1 empty
    std::uint64_t total = 0;
    std::uint64_t errors = 0;
  };
  Bucket& bucket_at(SimTime now);

  SimTime width_;
  std::vector<Bucket> ring_;
};

enum class BreakerState : std::uint8_t { kClosed, kOpen, kHalfOpen };

/// What the breaker says to one call.
enum class Admission : std::uint8_t { kRun, kTrial, kShortCircuit };

class CircuitBreaker {
 public:
  explicit CircuitBreaker(const BreakerSettings& settings);

  /// Asked before every call. Closed: consults the health snapshot (recomputed when older than the
  /// snapshot interval) and opens when the window holds at least the volume threshold with at
  /// least the error percentage; otherwise kRun. Open: kShortCircuit until the sleep window has
  /// passed, then the one call that finds it so is the half-open kTrial; while the trial is out,
  /// every call is short-circuited.
  Admission admit(SimTime now);
  /// A call admitted with kRun or kTrial ended. The trial's success closes the breaker (and clears
  /// the window); its failure (error, timeout or rejection) opens it again from now.
  void record(SimTime now, Outcome outcome, Admission admission);

  [[nodiscard]] BreakerState state() const noexcept { return state_; }
  [[nodiscard]] const BreakerSettings& settings() const noexcept { return settings_; }
  /// Times the breaker opened (the first time and after each failed trial).
  [[nodiscard]] const std::vector<SimTime>& opened_at() const noexcept { return opened_; }
  /// Times a half-open trial was let through, and when the breaker closed again.
  [[nodiscard]] const std::vector<SimTime>& trials_at() const noexcept { return trials_; }
  [[nodiscard]] const std::vector<SimTime>& closed_at() const noexcept { return closed_; }

 private:
  void open(SimTime now);

  BreakerSettings settings_;
  RollingCounts counts_;
  BreakerState state_ = BreakerState::kClosed;
  SimTime open_since_ = 0;
  HealthCounts snapshot_;
  SimTime snapshot_at_ = -1;
  std::vector<SimTime> opened_, trials_, closed_;
};

/// A dependency's thread pool (Hystrix's default isolation: coreSize 10, no queue): a call holds a
/// thread until it returns or times out; a call that finds every thread busy is rejected.
class Bulkhead {
 public:
  explicit Bulkhead(std::uint32_t threads) noexcept : threads_(threads) {}
  /// Takes a thread; false (a rejection) when none is free.
  bool acquire() noexcept;
  void release() noexcept;
  [[nodiscard]] std::uint32_t busy() const noexcept { return busy_; }
  [[nodiscard]] std::uint32_t threads() const noexcept { return threads_; }

 private:
  std::uint32_t threads_;
  std::uint32_t busy_ = 0;
};

}  // namespace hexwire::sim::cases::netflix
