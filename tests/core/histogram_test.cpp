// Histogram accuracy and bookkeeping: percentiles within 1% of the exact nearest-rank order
// statistic for uniform, lognormal, constant and bimodal data; merge equals recording everything
// into one; min/max/count/mean; clamping; empty histograms; bucket layout invariants.
#include "core/histogram.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

using hexwire::core::Histogram;

namespace {

constexpr double kPercentiles[] = {0.0,  1.0,  10.0, 25.0,  50.0, 75.0,
                                   90.0, 99.0, 99.9, 99.99, 100.0};

// Nearest-rank order statistic: the value at 1-based rank ceil(p/100 * n), at least rank 1.
std::uint64_t exact_percentile(std::vector<std::uint64_t> sorted, double p) {
  const auto n = sorted.size();
  auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(n)));
  rank = std::clamp<std::size_t>(rank, 1, n);
  return sorted[rank - 1];
}

void check_percentiles(const std::vector<std::uint64_t>& values) {
  Histogram h;
  for (const auto v : values) {
    h.record(v);
  }
  std::vector<std::uint64_t> sorted = values;
  std::sort(sorted.begin(), sorted.end());
  for (const double p : kPercentiles) {
    const auto exact = static_cast<double>(exact_percentile(sorted, p));
    const auto got = static_cast<double>(h.percentile(p));
    INFO("p=" << p << " exact=" << exact << " got=" << got);
    CHECK(std::abs(got - exact) <= 0.01 * exact);
  }
  CHECK(h.count() == values.size());
  CHECK(h.min() == sorted.front());
  CHECK(h.max() == sorted.back());
  CHECK(h.percentile(0) == sorted.front());
  CHECK(h.percentile(100) == sorted.back());
}

}  // namespace

TEST_CASE("percentiles of uniform random data are within 1 percent") {
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<std::uint64_t> dist(0, 10'000'000);
  std::vector<std::uint64_t> values(200'000);
  for (auto& v : values) {
    v = dist(rng);
  }
  check_percentiles(values);
}

TEST_CASE("percentiles of lognormal (skewed) data are within 1 percent") {
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> dist(std::log(50'000.0), 1.5);  // latencies around 50 us
  std::vector<std::uint64_t> values(200'000);
  for (auto& v : values) {
    v = static_cast<std::uint64_t>(dist(rng));
  }
  check_percentiles(values);
}

TEST_CASE("percentiles of exponential data with small values are within 1 percent") {
  std::mt19937_64 rng(3);
  std::exponential_distribution<double> dist(1.0 / 300.0);
  std::vector<std::uint64_t> values(100'000);
  for (auto& v : values) {
    v = static_cast<std::uint64_t>(dist(rng));
  }
  check_percentiles(values);
}

TEST_CASE("constant data reports the constant at every percentile") {
  Histogram h;
  for (int i = 0; i < 1000; ++i) {
    h.record(123'456'789);
  }
  for (const double p : kPercentiles) {
    CHECK(h.percentile(p) == 123'456'789);
  }
  CHECK(h.mean() == Approx(123'456'789.0));
}

TEST_CASE("bimodal data keeps both modes apart") {
  std::mt19937_64 rng(11);
  std::normal_distribution<double> fast(20'000.0, 500.0);
  std::normal_distribution<double> slow(5'000'000.0, 100'000.0);
  std::vector<std::uint64_t> values;
  for (int i = 0; i < 90'000; ++i) {
    values.push_back(static_cast<std::uint64_t>(fast(rng)));
  }
  for (int i = 0; i < 10'000; ++i) {
    values.push_back(static_cast<std::uint64_t>(slow(rng)));
  }
  std::shuffle(values.begin(), values.end(), rng);
  check_percentiles(values);
  Histogram h;
  for (const auto v : values) {
    h.record(v);
  }
  CHECK(h.percentile(50) < 30'000);
  CHECK(h.percentile(95) > 4'000'000);
}

TEST_CASE("merge equals recording everything into one histogram") {
  std::mt19937_64 rng(5);
  std::lognormal_distribution<double> dist(10.0, 2.0);
  Histogram a;
  Histogram b;
  Histogram all;
  for (int i = 0; i < 50'000; ++i) {
    const auto v = static_cast<std::uint64_t>(dist(rng));
    ((i % 3 == 0) ? a : b).record(v);
    all.record(v);
  }
  Histogram merged;
  merged.merge(a);
  merged.merge(b);
  CHECK(merged.count() == all.count());
  CHECK(merged.min() == all.min());
  CHECK(merged.max() == all.max());
  CHECK(merged.mean() == Approx(all.mean()));
  for (const double p : kPercentiles) {
    CHECK(merged.percentile(p) == all.percentile(p));
  }
  std::vector<std::pair<std::uint64_t, std::uint64_t>> merged_buckets;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> all_buckets;
  merged.for_each_bucket(
      [&](std::uint64_t upper, std::uint64_t c) { merged_buckets.emplace_back(upper, c); });
  all.for_each_bucket(
      [&](std::uint64_t upper, std::uint64_t c) { all_buckets.emplace_back(upper, c); });
  CHECK(merged_buckets == all_buckets);
  // Merging an empty histogram changes nothing, including min.
  merged.merge(Histogram{});
  CHECK(merged.min() == all.min());
  CHECK(merged.count() == all.count());
}

TEST_CASE("an exported histogram merges back without loss, and bad exports are refused") {
  std::mt19937_64 rng(9);
  std::lognormal_distribution<double> dist(12.0, 1.5);
  Histogram a;
  Histogram b;
  Histogram all;
  for (int i = 0; i < 20'000; ++i) {
    const auto v = static_cast<std::uint64_t>(dist(rng));
    ((i % 2 == 0) ? a : b).record(v);
    all.record(v);
  }
  Histogram rebuilt;
  REQUIRE(rebuilt.merge(a.exported()));
  REQUIRE(rebuilt.merge(b.exported()));
  CHECK(rebuilt.count() == all.count());
  CHECK(rebuilt.sum() == all.sum());
  CHECK(rebuilt.min() == all.min());
  CHECK(rebuilt.max() == all.max());
  for (const double p : kPercentiles) {
    CHECK(rebuilt.percentile(p) == all.percentile(p));
  }
  CHECK(rebuilt.merge(Histogram{}.exported()));  // empty: nothing changes
  CHECK(rebuilt.min() == all.min());

  Histogram::Exported bad_index;
  bad_index.buckets.emplace_back(static_cast<std::uint32_t>(Histogram::bucket_count()), 1);
  CHECK_FALSE(rebuilt.merge(bad_index));
  Histogram::Exported bad_range{{{10, 1}}, 5, 9, 3};
  CHECK_FALSE(rebuilt.merge(bad_range));
  CHECK(rebuilt.count() == all.count());  // refused exports changed nothing
}

TEST_CASE("min max count mean and record_n") {
  Histogram h;
  h.record(10);
  h.record(30);
  h.record_n(20, 3);
  CHECK(h.count() == 5);
  CHECK(h.min() == 10);
  CHECK(h.max() == 30);
  CHECK(h.mean() == Approx(20.0));
  CHECK(h.sum() == 100);
  CHECK(h.percentile(50) == 20);
  h.record_n(1000, 0);  // zero count records nothing
  CHECK(h.max() == 30);
  CHECK(h.count() == 5);
}

TEST_CASE("values above kMaxTrackable clamp to it") {
  Histogram h;
  h.record(UINT64_MAX);
  h.record(Histogram::kMaxTrackable + 12345);
  CHECK(h.count() == 2);
  CHECK(h.max() == Histogram::kMaxTrackable);
  CHECK(h.percentile(50) == Histogram::kMaxTrackable);
  CHECK(Histogram::bucket_index(UINT64_MAX) == Histogram::bucket_count() - 1);
}

TEST_CASE("an empty histogram reports zeros") {
  Histogram h;
  CHECK(h.count() == 0);
  CHECK(h.min() == 0);
  CHECK(h.max() == 0);
  CHECK(h.mean() == 0.0);
  CHECK(h.percentile(50) == 0);
  CHECK(h.percentile(100) == 0);
  int buckets = 0;
  h.for_each_bucket([&](std::uint64_t, std::uint64_t) { ++buckets; });
  CHECK(buckets == 0);
}

TEST_CASE("copy is an independent snapshot and reset empties") {
  Histogram h;
  h.record(5);
  h.record(500);
  Histogram copy = h;
  h.record(50'000);
  CHECK(copy.count() == 2);
  CHECK(copy.max() == 500);
  copy = h;
  CHECK(copy.count() == 3);
  h.reset();
  CHECK(h.count() == 0);
  CHECK(h.percentile(99) == 0);
  CHECK(copy.max() == 50'000);
}

TEST_CASE("buckets tile the value range with at most 1/128 relative width") {
  REQUIRE(Histogram::bucket_lower(0) == 0);
  for (std::size_t i = 0; i + 1 < Histogram::bucket_count(); ++i) {
    const std::uint64_t lower = Histogram::bucket_lower(i);
    const std::uint64_t upper = Histogram::bucket_upper(i);
    REQUIRE(upper >= lower);
    REQUIRE(Histogram::bucket_lower(i + 1) == upper + 1);
    REQUIRE(Histogram::bucket_index(lower) == i);
    REQUIRE(Histogram::bucket_index(upper) == i);
    if (lower > 0) {
      REQUIRE(static_cast<double>(upper - lower + 1) <= static_cast<double>(lower) / 128.0 + 1.0);
    }
  }
  CHECK(Histogram::bucket_upper(Histogram::bucket_count() - 1) == Histogram::kMaxTrackable);
}
