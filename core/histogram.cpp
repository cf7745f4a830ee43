// Log-linear histogram: values below 256 get one bucket each; every power-of-two range above is
// split into 128 equal sub-buckets, so a bucket is at most 1/128 of its lower bound wide and its
// midpoint is within 0.4% of any value in it. Bucket index is computed with one count-leading-zeros
// and shifts.
#include "core/histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace hexwire::core {
namespace {

constexpr unsigned kSubBucketBits = 7;  // 128 sub-buckets per power of two
constexpr std::uint64_t kSubBucketCount = 1ull << kSubBucketBits;
constexpr std::uint64_t kLinearMask = (kSubBucketCount << 1) - 1;  // values 0..255 are exact
constexpr unsigned kLinearBits = kSubBucketBits + 1;

// Index of the largest trackable value + 1.
constexpr std::size_t kBucketCount = [] {
  const unsigned magnitude = 64 - std::countl_zero(Histogram::kMaxTrackable | kLinearMask);
  const unsigned shift = magnitude - kLinearBits;
  return static_cast<std::size_t>(shift * kSubBucketCount + (Histogram::kMaxTrackable >> shift) +
                                  1);
}();

}  // namespace

std::size_t Histogram::bucket_index(std::uint64_t value) noexcept {
  value = std::min(value, kMaxTrackable);
  // For value < 256 shift is 0 and the index is the value; otherwise (value >> shift) lies in
  // [128, 256), and the ranges for consecutive shifts are contiguous: [128(shift+1), 128(shift+2)).
  const unsigned shift =
      static_cast<unsigned>(64 - std::countl_zero(value | kLinearMask)) - kLinearBits;
  return static_cast<std::size_t>(shift * kSubBucketCount + (value >> shift));
}

std::uint64_t Histogram::bucket_lower(std::size_t index) noexcept {
  if (index < 2 * kSubBucketCount) {
    return index;
  }
  const std::uint64_t shift = index / kSubBucketCount - 1;
  const std::uint64_t sub = index - shift * kSubBucketCount;
  return sub << shift;
}

std::uint64_t Histogram::bucket_upper(std::size_t index) noexcept {
  if (index < 2 * kSubBucketCount) {
    return index;
  }
  const std::uint64_t shift = index / kSubBucketCount - 1;
  return bucket_lower(index) + (1ull << shift) - 1;
}

std::size_t Histogram::bucket_count() noexcept {
  return kBucketCount;
}

Histogram::Histogram() : counts_(kBucketCount) {}

Histogram::Histogram(const Histogram& other) : counts_(kBucketCount) {
  merge(other);
}

Histogram& Histogram::operator=(const Histogram& other) {
  if (this != &other) {
    reset();
    merge(other);
  }
  return *this;
}

void Histogram::record_n(std::uint64_t value, std::uint64_t count) noexcept {
  value = std::min(value, kMaxTrackable);
  auto& bucket = counts_[bucket_index(value)];
  // Single writer: relaxed load+store (no locked instruction); readers load relaxed.
  bucket.store(bucket.load(std::memory_order_relaxed) + count, std::memory_order_relaxed);
  total_.store(total_.load(std::memory_order_relaxed) + count, std::memory_order_relaxed);
  sum_.store(sum_.load(std::memory_order_relaxed) + value * count, std::memory_order_relaxed);
  if (count != 0) {
    min_.store(std::min(min_.load(std::memory_order_relaxed), value), std::memory_order_relaxed);
    max_.store(std::max(max_.load(std::memory_order_relaxed), value), std::memory_order_relaxed);
  }
}

void Histogram::merge(const Histogram& other) noexcept {
  if (&other == this) {
    for (auto& c : counts_) {
      c.store(c.load(std::memory_order_relaxed) * 2, std::memory_order_relaxed);
    }
    total_.store(total_.load(std::memory_order_relaxed) * 2, std::memory_order_relaxed);
    sum_.store(sum_.load(std::memory_order_relaxed) * 2, std::memory_order_relaxed);
    return;
  }
  std::uint64_t other_total = 0;
  for (std::size_t i = 0; i < kBucketCount; ++i) {
    const std::uint64_t c = other.counts_[i].load(std::memory_order_relaxed);
    if (c != 0) {
      counts_[i].store(counts_[i].load(std::memory_order_relaxed) + c, std::memory_order_relaxed);
      other_total += c;
    }
  }
  // The bucket sum, not other.total_, so a snapshot taken while the owner records stays consistent.
  total_.store(total_.load(std::memory_order_relaxed) + other_total, std::memory_order_relaxed);
  sum_.store(sum_.load(std::memory_order_relaxed) + other.sum_.load(std::memory_order_relaxed),
             std::memory_order_relaxed);
  if (other_total != 0) {
    min_.store(
        std::min(min_.load(std::memory_order_relaxed), other.min_.load(std::memory_order_relaxed)),
        std::memory_order_relaxed);
    max_.store(
        std::max(max_.load(std::memory_order_relaxed), other.max_.load(std::memory_order_relaxed)),
        std::memory_order_relaxed);
  }
}

Histogram::Exported Histogram::exported() const {
  Exported out;
  for (std::size_t i = 0; i < kBucketCount; ++i) {
    if (const std::uint64_t c = counts_[i].load(std::memory_order_relaxed); c != 0) {
      out.buckets.emplace_back(static_cast<std::uint32_t>(i), c);
    }
  }
  out.sum = sum_.load(std::memory_order_relaxed);
  out.min = min();
  out.max = max();
  return out;
}

bool Histogram::merge(const Exported& other) noexcept {
  std::uint64_t other_total = 0;
  for (const auto& [index, c] : other.buckets) {
    if (index >= kBucketCount) {
      return false;
    }
    other_total += c;
  }
  if (other_total != 0 && other.min > other.max) {
    return false;
  }
  for (const auto& [index, c] : other.buckets) {
    counts_[index].store(counts_[index].load(std::memory_order_relaxed) + c,
                         std::memory_order_relaxed);
  }
  total_.store(total_.load(std::memory_order_relaxed) + other_total, std::memory_order_relaxed);
  sum_.store(sum_.load(std::memory_order_relaxed) + other.sum, std::memory_order_relaxed);
  if (other_total != 0) {
    min_.store(std::min(min_.load(std::memory_order_relaxed), other.min), std::memory_order_relaxed);
    max_.store(std::max(max_.load(std::memory_order_relaxed), other.max), std::memory_order_relaxed);
  }
  return true;
}

void Histogram::reset() noexcept {
  for (auto& c : counts_) {
    c.store(0, std::memory_order_relaxed);
  }
  total_.store(0, std::memory_order_relaxed);
  sum_.store(0, std::memory_order_relaxed);
  min_.store(UINT64_MAX, std::memory_order_relaxed);
  max_.store(0, std::memory_order_relaxed);
}

std::uint64_t Histogram::count() const noexcept {
  return total_.load(std::memory_order_relaxed);
}

std::uint64_t Histogram::min() const noexcept {
  return count() == 0 ? 0 : min_.load(std::memory_order_relaxed);
}

std::uint64_t Histogram::max() const noexcept {
  return count() == 0 ? 0 : max_.load(std::memory_order_relaxed);
}

double Histogram::mean() const noexcept {
  const std::uint64_t n = count();
  return n == 0
             ? 0.0
             : static_cast<double>(sum_.load(std::memory_order_relaxed)) / static_cast<double>(n);
}

std::uint64_t Histogram::sum() const noexcept {
  return sum_.load(std::memory_order_relaxed);
}

std::uint64_t Histogram::percentile(double p) const noexcept {
  const std::uint64_t n = count();
  if (n == 0) {
    return 0;
  }
  if (!(p > 0.0)) {  // also catches NaN
    return min();
  }
  p = std::min(p, 100.0);
  // Nearest-rank definition: the smallest value with at least ceil(p/100 * n) values <= it.
  auto rank = static_cast<std::uint64_t>(std::ceil(p / 100.0 * static_cast<double>(n)));
  rank = std::clamp<std::uint64_t>(rank, 1, n);
  if (rank == n) {
    return max();
  }
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < kBucketCount; ++i) {
    seen += counts_[i].load(std::memory_order_relaxed);
    if (seen >= rank) {
      const std::uint64_t lower = bucket_lower(i);
      const std::uint64_t mid = lower + (bucket_upper(i) - lower) / 2;
      return std::clamp(mid, min(), std::max(min(), max()));
    }
  }
  return max();  // a concurrent writer raised the total after we read it
}

}  // namespace hexwire::core
