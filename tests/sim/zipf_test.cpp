// Zipf sampler frequencies against the exact distribution, and the chat scenario's channel
// membership assignment (skewed sizes, distinct channels, determinism).
#include "sim/zipf.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

using namespace hexwire::sim;

namespace {
// Pearson chi-square statistic of observed counts against the sampler's exact probabilities,
// lumping ranks whose expected count is small into one bin.
double chi_square(const ZipfSampler& zipf, const std::vector<std::uint64_t>& counts,
                  std::uint64_t draws, int& bins) {
  double statistic = 0.0;
  double tail_expected = 0.0;
  double tail_observed = 0.0;
  bins = 0;
  for (std::uint64_t k = 1; k <= zipf.n(); ++k) {
    const double expected = zipf.probability(k) * static_cast<double>(draws);
    if (expected >= 20.0) {
      const double d = static_cast<double>(counts[k]) - expected;
      statistic += d * d / expected;
      ++bins;
    } else {
      tail_expected += expected;
      tail_observed += static_cast<double>(counts[k]);
    }
  }
  if (tail_expected > 0.0) {
    statistic += (tail_observed - tail_expected) * (tail_observed - tail_expected) / tail_expected;
    ++bins;
  }
  return statistic;
}
}  // namespace

TEST_CASE("zipf sample frequencies match k^-s / H(n,s)") {
  struct Case {
    std::uint64_t n;
    double s;
  };
  for (const Case c : {Case{10, 1.0}, Case{1000, 1.1}, Case{100, 0.5}, Case{50, 2.0}, Case{20, 0.0},
                       Case{100000, 0.99}}) {
    CAPTURE(c.n, c.s);
    const ZipfSampler zipf(c.n, c.s);
    Rng rng(2024);
    const std::uint64_t draws = 400'000;
    std::vector<std::uint64_t> counts(c.n + 1, 0);
    bool in_range = true;
    for (std::uint64_t i = 0; i < draws; ++i) {
      const std::uint64_t k = zipf.sample(rng);
      in_range = in_range && k >= 1 && k <= c.n;
      ++counts[std::min(k, c.n)];
    }
    REQUIRE(in_range);
    int bins = 0;
    const double statistic = chi_square(zipf, counts, draws, bins);
    // Chi-square with (bins - 1) degrees of freedom has mean bins-1 and sd sqrt(2(bins-1)); allow
    // mean + 6 sd, which a correct sampler with this fixed seed stays far below.
    const double dof = bins - 1;
    CHECK(statistic < dof + 6.0 * std::sqrt(2.0 * dof) + 10.0);
    // And the headline number: the most popular rank's share.
    CHECK(static_cast<double>(counts[1]) / draws == Approx(zipf.probability(1)).epsilon(0.03));
  }
}

TEST_CASE("zipf probabilities sum to one and s = 1 follows the harmonic numbers") {
  const ZipfSampler zipf(4, 1.0);
  const double h4 = 1.0 + 1.0 / 2 + 1.0 / 3 + 1.0 / 4;
  CHECK(zipf.probability(1) == Approx(1.0 / h4));
  CHECK(zipf.probability(4) == Approx(0.25 / h4));
  CHECK(zipf.probability(0) == 0.0);
  CHECK(zipf.probability(5) == 0.0);
  double total = 0.0;
  for (std::uint64_t k = 1; k <= 4; ++k) {
    total += zipf.probability(k);
  }
  CHECK(total == Approx(1.0));
}

TEST_CASE("zipf rejects an empty range and negative exponents") {
  CHECK_THROWS_AS(ZipfSampler(0, 1.0), std::invalid_argument);
  CHECK_THROWS_AS(ZipfSampler(10, -0.5), std::invalid_argument);
  CHECK_THROWS_AS(ZipfSampler(10, std::nan("")), std::invalid_argument);
  const ZipfSampler one(1, 3.0);
  Rng rng(1);
  CHECK(one.sample(rng) == 1);
}

TEST_CASE("channel memberships: few huge channels, many small, every channel used") {
  const std::uint32_t users = 20'000;
  const std::uint32_t channels = 1000;
  const ChannelMembership m = assign_channel_memberships(users, channels, 5, 1.1, 9);
  REQUIRE(m.user_count() == users);
  REQUIRE(m.channel_count() == channels);

  std::uint64_t total = 0;
  for (std::uint32_t u = 0; u < users; ++u) {
    const auto row = m.channels_of(u);
    CHECK(row.size() >= 5);
    CHECK(std::adjacent_find(row.begin(), row.end()) == row.end());  // distinct
    CHECK(std::is_sorted(row.begin(), row.end()));
    total += row.size();
  }
  CHECK(total == m.total_memberships());

  std::vector<std::uint32_t> sizes(m.channel_sizes().begin(), m.channel_sizes().end());
  CHECK(std::all_of(sizes.begin(), sizes.end(), [](std::uint32_t s) { return s >= 1; }));
  // Channel 0 is the biggest by construction of the ranks; the top 1% hold a large share while
  // the median channel is small.
  CHECK(*std::max_element(sizes.begin(), sizes.end()) == sizes[0]);
  std::uint64_t top10 = 0;
  for (int c = 0; c < 10; ++c) {
    top10 += sizes[c];
  }
  CHECK(static_cast<double>(top10) / total > 0.25);
  std::vector<std::uint32_t> sorted = sizes;
  std::nth_element(sorted.begin(), sorted.begin() + channels / 2, sorted.end());
  CHECK(sorted[channels / 2] < sizes[0] / 20);
  // Sizes of ranks 1 and 2 are close to 2^s apart (drawing without replacement flattens it a bit).
  CHECK(static_cast<double>(sizes[0]) / sizes[1] == Approx(std::pow(2.0, 1.1)).epsilon(0.25));
}

TEST_CASE("channel memberships are deterministic for a seed") {
  const ChannelMembership a = assign_channel_memberships(500, 50, 3, 1.0, 77);
  const ChannelMembership b = assign_channel_memberships(500, 50, 3, 1.0, 77);
  const ChannelMembership c = assign_channel_memberships(500, 50, 3, 1.0, 78);
  bool same_as_c = true;
  for (std::uint32_t u = 0; u < 500; ++u) {
    const auto ra = a.channels_of(u);
    const auto rb = b.channels_of(u);
    const auto rc = c.channels_of(u);
    REQUIRE(std::equal(ra.begin(), ra.end(), rb.begin(), rb.end()));
    same_as_c = same_as_c && std::equal(ra.begin(), ra.end(), rc.begin(), rc.end());
  }
  CHECK_FALSE(same_as_c);
}

TEST_CASE("channel memberships cap per-user at the channel count even with a steep exponent") {
  const ChannelMembership m = assign_channel_memberships(100, 4, 10, 5.0, 3);
  for (std::uint32_t u = 0; u < 100; ++u) {
    CHECK(m.channels_of(u).size() == 4);
  }
  CHECK_THROWS_AS(assign_channel_memberships(0, 4, 1, 1.0, 1), std::invalid_argument);
  CHECK_THROWS_AS(assign_channel_memberships(4, 0, 1, 1.0, 1), std::invalid_argument);
}
