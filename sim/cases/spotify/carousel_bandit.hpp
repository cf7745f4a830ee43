// The carousel bandits of `spotify bandits` (after Bendada et al., RecSys'20): one policy fills a
// carousel of `slots` playlists for a user of a known segment, learning per segment from display
// and stream counts. Policies: epsilon-greedy (per segment), explore-then-commit (per segment) and
// Thompson sampling (per segment, Beta priors: pessimistic Beta(1, 99) by default). Feedback is
// delayed and batched: record() queues it, apply_feedback() (once a round) updates the counts.
// With the cascade model only the cards a user is taken to have seen count as displays: up to the
// streamed one, and when nothing was streamed all `slots` (the released code of the paper, and the
// cascade model of Kveton et al., ICML'15) or only the first `visible` (the paper's text); without
// it every card counts, also those after the stream that the user never looked at.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "sim/random.hpp"

namespace hexwire::sim::cases::spotify {

/// Gamma and Beta variates from one Rng, keeping Box-Muller's second normal for the next call.
class BetaSampler {
 public:
  explicit BetaSampler(Rng rng) noexcept : rng_(rng) {}
  /// Gamma(shape, 1), shape > 0: -log of a product of uniforms for small integer shapes,
  /// Marsaglia and Tsang (2000) otherwise (shape < 1 through the U^(1/shape) boost).
  [[nodiscard]] double gamma(double shape) noexcept;
  /// Beta(a, b), a, b > 0: X / (X + Y) with X ~ Gamma(a), Y ~ Gamma(b); Beta(1, b) and
  /// Beta(a, 1) by inversion (one uniform and one power).
  [[nodiscard]] double beta(double a, double b) noexcept;
  [[nodiscard]] Rng& rng() noexcept { return rng_; }

 private:
  double normal() noexcept;
  Rng rng_;
  double spare_ = 0.0;
  bool has_spare_ = false;
};

enum class PolicyKind : std::uint8_t { kRandom, kEpsilonGreedy, kExploreThenCommit, kThompson };

[[nodiscard]] std::string_view to_string(PolicyKind kind) noexcept;

struct BanditConfig {
  PolicyKind kind = PolicyKind::kThompson;
  bool cascade = true;
  std::uint32_t playlists = 862;
  std::uint32_t segments = 5;
  std::uint32_t slots = 12;
  std::uint32_t visible = 3;
  bool unstreamed_all_seen = true;  // cascade, nothing streamed: all slots seen (else `visible`)
  double epsilon = 0.1;          // epsilon-greedy: share of carousels drawn at random
  std::uint32_t etc_min = 20;    // explore-then-commit: displays per playlist per segment first
  double prior_alpha = 1.0;      // Thompson sampling: Beta(prior_alpha, prior_beta)
  double prior_beta = 99.0;
};

/// How many cards of a shown carousel (from the first) the policy updates: `streamed` is the
/// 0-based position of the stream, or -1. Cascade: up to the stream; without one all `slots` or
/// the first `visible` (unstreamed_all_seen). No cascade: all `slots`.
[[nodiscard]] std::uint32_t cards_seen(const BanditConfig& config, int streamed) noexcept;

class CarouselBandit {
 public:
  /// `rng` draws the policy's randomness (exploration, ties, posterior samples).
  CarouselBandit(const BanditConfig& config, Rng rng);

  [[nodiscard]] const BanditConfig& config() const noexcept { return config_; }
  /// Fills `out` (config.slots entries) for a user of `segment`; the first `visible` are shuffled
  /// (seen together, their order carries no signal).
  void recommend(std::uint32_t segment, std::span<std::uint32_t> out);
  /// Queues the outcome of a shown carousel; counted at the next apply_feedback().
  void record(std::uint32_t segment, std::span<const std::uint32_t> carousel, int streamed);
  /// Applies every queued outcome (the end of a round: batched, delayed feedback).
  void apply_feedback();
  /// Forgets everything learned (a wiped recommender).
  void reset();

  [[nodiscard]] double displays(std::uint32_t segment, std::uint32_t playlist) const noexcept {
    return displays_[index(segment, playlist)];
  }
  [[nodiscard]] double streams(std::uint32_t segment, std::uint32_t playlist) const noexcept {
    return streams_[index(segment, playlist)];
  }

 private:
  struct Outcome {
    std::uint32_t segment;
    std::int32_t streamed;
    std::size_t first;  // into pending_cards_
  };
  [[nodiscard]] std::size_t index(std::uint32_t segment, std::uint32_t playlist) const noexcept {
    return static_cast<std::size_t>(segment) * config_.playlists + playlist;
  }
  /// Greedy policies' scores are fixed within a round (feedback is batched): each segment's
  /// playlists are ranked once per round, and a carousel only breaks the ties at its last slot.
  struct Ranking {
    bool valid = false;
    std::vector<double> keys;
    std::vector<std::uint32_t> order;  // best first
  };
  void random_carousel(std::span<std::uint32_t> out);
  [[nodiscard]] double greedy_key(std::uint32_t segment, std::uint32_t playlist) const noexcept;
  const Ranking& ranking(std::uint32_t segment);
  void greedy_carousel(std::uint32_t segment, std::span<std::uint32_t> out);
  void thompson_carousel(std::uint32_t segment, std::span<std::uint32_t> out);

  BanditConfig config_;
  std::vector<double> displays_;  // segments x playlists
  std::vector<double> streams_;
  BetaSampler sampler_;
  std::vector<double> keys_;  // scratch: one posterior sample per playlist
  std::vector<Ranking> rankings_;  // per segment (greedy policies)
  std::vector<Outcome> pending_;
  std::vector<std::uint32_t> pending_cards_;
};

}  // namespace hexwire::sim::cases::spotify
