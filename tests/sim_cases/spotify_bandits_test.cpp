// The carousel bandits of `spotify bandits`: Beta/Gamma sampling moments, the cascade rule for
// what counts as displayed, delayed batch feedback, what each policy shows once it has learned,
// and the hidden taste model's optimum.
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <set>
#include <vector>

#include "sim/cases/spotify/carousel_bandit.hpp"
#include "sim/cases/spotify/taste_model.hpp"
#include "sim/cases/stats.hpp"

namespace cases = hexwire::sim::cases;
namespace spotify = hexwire::sim::cases::spotify;
using spotify::PolicyKind;

namespace {

void check_beta_moments(double a, double b) {
  spotify::BetaSampler sampler(hexwire::sim::Rng(7));
  cases::RunningStats stats;
  for (int i = 0; i < 200'000; ++i) {
    const double x = sampler.beta(a, b);
    REQUIRE(x >= 0.0);
    REQUIRE(x <= 1.0);
    stats.add(x);
  }
  const double mean = a / (a + b);
  const double variance = a * b / ((a + b) * (a + b) * (a + b + 1));
  INFO("Beta(" << a << ", " << b << ")");
  CHECK(std::abs(stats.mean() - mean) < 5 * stats.standard_error());
  // The sample variance of 200k draws is within a few percent of the true one.
  CHECK(std::abs(stats.variance() / variance - 1.0) < 0.03);
}

spotify::BanditConfig small_config(PolicyKind kind) {
  spotify::BanditConfig c;
  c.kind = kind;
  c.playlists = 40;
  c.segments = 2;
  c.slots = 4;
  c.visible = 2;
  c.etc_min = 5;
  return c;
}

/// Shows carousels to segment 0 for `rounds` rounds, where only playlist 17 is ever streamed.
void train_on_one_favourite(spotify::CarouselBandit& bandit, int rounds) {
  std::vector<std::uint32_t> carousel(bandit.config().slots);
  for (int r = 0; r < rounds; ++r) {
    for (int visit = 0; visit < 50; ++visit) {
      bandit.recommend(0, carousel);
      const auto at = std::find(carousel.begin(), carousel.end(), 17u);
      bandit.record(0, carousel, at == carousel.end() ? -1 : static_cast<int>(at - carousel.begin()));
    }
    bandit.apply_feedback();
  }
}

}  // namespace

TEST_CASE("bandits: Beta samples have the right mean and variance") {
  check_beta_moments(1, 99);   // the pessimistic prior (inversion)
  check_beta_moments(3, 140);  // small integer alpha: product of uniforms; large beta: Marsaglia-Tsang
  check_beta_moments(12.5, 7.5);
  check_beta_moments(0.5, 0.5);  // shapes below 1 through the boost
  check_beta_moments(40, 1);     // inversion on the other side
}

TEST_CASE("bandits: the cascade rule counts only the cards taken as seen") {
  spotify::BanditConfig c = small_config(PolicyKind::kThompson);
  c.slots = 12;
  c.visible = 3;
  CHECK(spotify::cards_seen(c, 0) == 1);  // streamed the first: it stopped there
  CHECK(spotify::cards_seen(c, 7) == 8);
  CHECK(spotify::cards_seen(c, -1) == 12);  // nothing streamed: it browsed them all
  c.unstreamed_all_seen = false;
  CHECK(spotify::cards_seen(c, -1) == 3);  // the paper's text: only the visible ones
  CHECK(spotify::cards_seen(c, 7) == 8);
  c.cascade = false;
  CHECK(spotify::cards_seen(c, 0) == 12);
  CHECK(spotify::cards_seen(c, -1) == 12);
}

TEST_CASE("bandits: feedback is applied in batches, per segment, by the cascade rule") {
  spotify::BanditConfig c = small_config(PolicyKind::kThompson);
  spotify::CarouselBandit bandit(c, hexwire::sim::Rng(1));
  const std::array<std::uint32_t, 4> carousel{5, 6, 7, 8};
  bandit.record(1, carousel, 1);
  CHECK(bandit.displays(1, 5) == 0);  // not yet: delayed until the end of the round
  bandit.apply_feedback();
  CHECK(bandit.displays(1, 5) == 1);
  CHECK(bandit.displays(1, 6) == 1);
  CHECK(bandit.streams(1, 6) == 1);
  CHECK(bandit.displays(1, 7) == 0);  // after the stream: never looked at
  CHECK(bandit.displays(0, 5) == 0);  // another segment learns nothing
  c.cascade = false;
  spotify::CarouselBandit plain(c, hexwire::sim::Rng(1));
  plain.record(1, carousel, 1);
  plain.apply_feedback();
  CHECK(plain.displays(1, 8) == 1);
  CHECK(plain.streams(1, 8) == 0);
}

TEST_CASE("bandits: carousels hold distinct playlists") {
  for (const PolicyKind kind : {PolicyKind::kRandom, PolicyKind::kEpsilonGreedy,
                                PolicyKind::kExploreThenCommit, PolicyKind::kThompson}) {
    spotify::CarouselBandit bandit(small_config(kind), hexwire::sim::Rng(3));
    std::vector<std::uint32_t> carousel(4);
    for (int i = 0; i < 200; ++i) {
      bandit.recommend(i % 2, carousel);
      const std::set<std::uint32_t> distinct(carousel.begin(), carousel.end());
      REQUIRE(distinct.size() == carousel.size());
      REQUIRE(*distinct.rbegin() < 40);
    }
  }
}

TEST_CASE("bandits: every learning policy ends up showing the favourite") {
  for (const PolicyKind kind :
       {PolicyKind::kEpsilonGreedy, PolicyKind::kExploreThenCommit, PolicyKind::kThompson}) {
    spotify::BanditConfig c = small_config(kind);
    c.epsilon = 0.0;
    spotify::CarouselBandit bandit(c, hexwire::sim::Rng(11));
    train_on_one_favourite(bandit, 30);
    std::vector<std::uint32_t> carousel(c.slots);
    int shown = 0;
    for (int i = 0; i < 100; ++i) {
      bandit.recommend(0, carousel);
      shown += std::count(carousel.begin(), carousel.end(), 17u) > 0 ? 1 : 0;
    }
    INFO("policy " << spotify::to_string(kind));
    CHECK(shown >= 95);
  }
}

TEST_CASE("bandits: epsilon-greedy breaks ties at random, so it tries every playlist") {
  spotify::BanditConfig c = small_config(PolicyKind::kEpsilonGreedy);
  c.epsilon = 0.0;
  spotify::CarouselBandit bandit(c, hexwire::sim::Rng(5));
  std::set<std::uint32_t> seen;
  std::vector<std::uint32_t> carousel(c.slots);
  for (int i = 0; i < 200; ++i) {
    bandit.recommend(0, carousel);  // no feedback: every playlist is tied at the optimistic 1
    seen.insert(carousel.begin(), carousel.end());
  }
  CHECK(seen.size() == 40);
}

TEST_CASE("bandits: top_k keeps the largest keys, best first, ties to the lower index") {
  const std::vector<double> keys{0.3, 0.9, 0.1, 0.9, 0.5, 0.7, 0.2};
  std::array<std::uint32_t, 4> out{};
  spotify::top_k(keys, out);
  CHECK(out == std::array<std::uint32_t, 4>{1, 3, 5, 4});
}

TEST_CASE("taste model: the optimum is the best carousel the population can be shown") {
  spotify::TasteConfig c;
  c.playlists = 60;
  c.users = 200;
  c.slots = 5;
  const spotify::TasteModel taste(c, hexwire::sim::Rng(2));
  hexwire::sim::Rng rng(9);
  for (std::uint32_t user = 0; user < 50; ++user) {
    std::vector<double> p(c.playlists);
    for (std::uint32_t i = 0; i < c.playlists; ++i) {
      p[i] = taste.stream_probability(user, i);
    }
    std::vector<std::uint32_t> best(c.slots);
    spotify::top_k(p, best);
    CHECK(taste.optimal_reward(user) == Approx(taste.expected_reward(user, best)));
    // With browsing to the end: 1 - prod(1 - p).
    double none = 1.0;
    for (const std::uint32_t i : best) {
      none *= 1.0 - p[i];
    }
    CHECK(taste.optimal_reward(user) == Approx(1.0 - none));
    for (int trial = 0; trial < 20; ++trial) {
      std::vector<std::uint32_t> other;
      while (other.size() < c.slots) {
        const auto card = static_cast<std::uint32_t>(rng.below(c.playlists));
        if (std::find(other.begin(), other.end(), card) == other.end()) {
          other.push_back(card);
        }
      }
      CHECK(taste.expected_reward(user, other) <= taste.optimal_reward(user) + 1e-12);
    }
  }
}

TEST_CASE("taste model: users who stop swiping stream less from the hidden cards") {
  spotify::TasteConfig c;
  c.playlists = 60;
  c.users = 10;
  c.slots = 6;
  c.visible = 2;
  c.swipe = 0.5;
  const spotify::TasteModel taste(c, hexwire::sim::Rng(4));
  const std::array<std::uint32_t, 6> carousel{0, 1, 2, 3, 4, 5};
  double reached = 1.0, expected = 0.0;
  for (std::size_t k = 0; k < carousel.size(); ++k) {
    reached *= k >= 2 ? 0.5 : 1.0;
    const double p = taste.stream_probability(3, carousel[k]);
    expected += reached * p;
    reached *= 1.0 - p;
  }
  CHECK(taste.expected_reward(3, carousel) == Approx(expected));
}
