// The hidden preference model behind `spotify bandits`: a population of simulated users in
// segments and a catalogue of playlists, each with an embedding, so that user u streams playlist i
// with probability sigmoid(<x_u, theta_i> + b_i) — the form of the released Deezer data (RecSys'20,
// Bendada et al.), generated here instead of loaded. Users of a segment share a taste centroid and
// differ around it; the policies see only the segment. docs/cases/spotify.md#bandits.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "sim/random.hpp"

namespace hexwire::sim::cases::spotify {

struct TasteConfig {
  std::uint32_t playlists = 862;
  std::uint32_t users = 10'000;  // the population visits are drawn from (with replacement)
  std::uint32_t segments = 5;
  std::uint32_t dims = 8;
  std::uint32_t slots = 12;  // carousel length: the optimum is the best `slots` playlists
  std::uint32_t visible = 3;  // cards on screen at once: all of them are looked at
  double swipe = 1.0;         // P(a user who has not streamed looks at the next hidden card)
  double centroid_spread = 1.0;  // std of a segment's centroid, per dimension
  double user_spread = 0.5;      // std of a user around the centroid, per dimension
  double base_logit = -5.5;      // mean of the playlists' biases b_i
  double bias_spread = 0.8;      // std of b_i (some playlists are popular with everyone)
};

class TasteModel {
 public:
  TasteModel(const TasteConfig& config, Rng rng);

  [[nodiscard]] const TasteConfig& config() const noexcept { return config_; }
  [[nodiscard]] std::uint32_t segment(std::uint32_t user) const noexcept { return segment_[user]; }
  /// P(user streams playlist when it sees it).
  [[nodiscard]] double stream_probability(std::uint32_t user, std::uint32_t playlist) const noexcept;
  /// P(a stream) when `user` is shown `carousel`: the user looks at the visible cards, then at
  /// each further card with probability `swipe`, and streams the first card it likes (card i with
  /// stream_probability). The expected reward of showing `carousel`.
  [[nodiscard]] double expected_reward(std::uint32_t user,
                                       std::span<const std::uint32_t> carousel) const noexcept;
  /// expected_reward of the user's own best carousel: its `slots` most likely playlists, most
  /// likely first (the regret's reference).
  [[nodiscard]] double optimal_reward(std::uint32_t user) const noexcept { return optimal_[user]; }
  /// Mean of optimal_reward over the population, and of a uniformly random carousel's reward.
  [[nodiscard]] double mean_optimal_reward() const noexcept { return mean_optimal_; }
  [[nodiscard]] double mean_stream_probability() const noexcept { return mean_probability_; }

 private:
  [[nodiscard]] double logit(std::uint32_t user, std::uint32_t playlist) const noexcept;
  void compute_optima();

  TasteConfig config_;
  std::vector<double> users_;      // users x dims
  std::vector<double> playlists_;  // playlists x dims
  std::vector<double> bias_;       // per playlist
  std::vector<std::uint32_t> segment_;
  std::vector<double> optimal_;
  double mean_optimal_ = 0.0;
  double mean_probability_ = 0.0;
};

/// The `k` largest keys' indices into `out` (k = out.size() <= keys.size()), best first. Ties go
/// to the lower index. O(n k) worst case, O(n) for the usual carousel sizes.
void top_k(std::span<const double> keys, std::span<std::uint32_t> out) noexcept;

}  // namespace hexwire::sim::cases::spotify
