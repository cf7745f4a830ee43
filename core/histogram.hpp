// Log-linear latency histogram (HDR-style): every power-of-two range is split into 128 linear
// sub-buckets, so any recorded value is reported within 1% relative error; constant-time record,
// fixed memory, mergeable across shards, any percentile. One writer thread (the owning shard);
// other threads may read concurrently and see a slightly stale but never torn count per bucket.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace hexwire::core {

class Histogram {
 public:
  /// Largest value recorded exactly (within the error bound); larger values clamp to it.
  static constexpr std::uint64_t kMaxTrackable = (1ull << 44) - 1;  // ~4.9 hours in ns

  Histogram();
  Histogram(const Histogram& other);             // snapshot copy
  Histogram& operator=(const Histogram& other);  // snapshot copy

  /// Records one value (e.g. nanoseconds). Single writer; noexcept, no allocation.
  void record(std::uint64_t value) noexcept { record_n(value, 1); }
  void record_n(std::uint64_t value, std::uint64_t count) noexcept;

  /// Adds another histogram's counts into this one (same bucket layout by construction).
  void merge(const Histogram& other) noexcept;

  /// A histogram's content in plain values, for sending it to another process: the non-empty
  /// buckets and the exact sum, min and max. merge(Exported) adds it back without loss.
  struct Exported {
    std::vector<std::pair<std::uint32_t, std::uint64_t>> buckets;  // (bucket index, count)
    std::uint64_t sum = 0;
    std::uint64_t min = 0;
    std::uint64_t max = 0;
  };
  [[nodiscard]] Exported exported() const;
  /// Adds an exported histogram. Returns false, changing nothing, when a bucket index is out of
  /// range or min > max for a non-empty one (the input came from outside the process).
  bool merge(const Exported& other) noexcept;
  void reset() noexcept;

  [[nodiscard]] std::uint64_t count() const noexcept;
  [[nodiscard]] std::uint64_t min() const noexcept;  // 0 when empty
  [[nodiscard]] std::uint64_t max() const noexcept;  // 0 when empty
  [[nodiscard]] double mean() const noexcept;
  /// Sum of the recorded (clamped) values; exact, not bucketed.
  [[nodiscard]] std::uint64_t sum() const noexcept;
  /// Value at percentile p in [0, 100] (p=50 median, p=100 max); 0 when empty. The result is within
  /// 1% of the exact order statistic of the recorded values.
  [[nodiscard]] std::uint64_t percentile(double p) const noexcept;

  /// Bucket iteration for exporters: calls fn(upper_bound_inclusive, count) for each non-empty
  /// bucket.
  template <typename Fn>
  void for_each_bucket(Fn&& fn) const {
    for (std::size_t i = 0; i < counts_.size(); ++i) {
      const std::uint64_t c = counts_[i].load(std::memory_order_relaxed);
      if (c != 0) {
        fn(bucket_upper(i), c);
      }
    }
  }

  static std::size_t bucket_index(std::uint64_t value) noexcept;
  static std::uint64_t bucket_lower(std::size_t index) noexcept;
  static std::uint64_t bucket_upper(std::size_t index) noexcept;
  static std::size_t bucket_count() noexcept;

 private:
  // Single-writer counters: the writer does load+store (relaxed), readers load (relaxed).
  std::vector<std::atomic<std::uint64_t>> counts_;
  std::atomic<std::uint64_t> total_{0};
  std::atomic<std::uint64_t> sum_{0};
  std::atomic<std::uint64_t> min_{UINT64_MAX};
  std::atomic<std::uint64_t> max_{0};
};

}  // namespace hexwire::core
