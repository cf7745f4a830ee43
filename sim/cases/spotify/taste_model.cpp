// The hidden preference model: embeddings drawn once per run, stream probabilities, and each
// user's optimal carousel reward (computed once, over the whole catalogue).
#include "sim/cases/spotify/taste_model.hpp"

#include <algorithm>
#include <cmath>

namespace hexwire::sim::cases::spotify {
namespace {

double sigmoid(double x) noexcept { return 1.0 / (1.0 + std::exp(-x)); }

}  // namespace

TasteModel::TasteModel(const TasteConfig& config, Rng rng) : config_(config) {
  const std::uint32_t d = config.dims;
  // theta_i ~ N(0, I / d), so <x_u, theta_i> has a spread that does not grow with d.
  const double theta_scale = 1.0 / std::sqrt(static_cast<double>(d));
  playlists_.resize(static_cast<std::size_t>(config.playlists) * d);
  for (double& v : playlists_) {
    v = rng.normal() * theta_scale;
  }
  bias_.resize(config.playlists);
  for (double& b : bias_) {
    b = config.base_logit + config.bias_spread * rng.normal();
  }
  std::vector<double> centroids(static_cast<std::size_t>(config.segments) * d);
  for (double& v : centroids) {
    v = config.centroid_spread * rng.normal();
  }
  users_.resize(static_cast<std::size_t>(config.users) * d);
  segment_.resize(config.users);
  for (std::uint32_t u = 0; u < config.users; ++u) {
    segment_[u] = static_cast<std::uint32_t>(rng.below(config.segments));
    for (std::uint32_t k = 0; k < d; ++k) {
      users_[static_cast<std::size_t>(u) * d + k] =
          centroids[static_cast<std::size_t>(segment_[u]) * d + k] + config.user_spread * rng.normal();
    }
  }
  compute_optima();
}

double TasteModel::logit(std::uint32_t user, std::uint32_t playlist) const noexcept {
  const std::uint32_t d = config_.dims;
  const double* x = &users_[static_cast<std::size_t>(user) * d];
  const double* theta = &playlists_[static_cast<std::size_t>(playlist) * d];
  double sum = bias_[playlist];
  for (std::uint32_t k = 0; k < d; ++k) {
    sum += x[k] * theta[k];
  }
  return sum;
}

double TasteModel::stream_probability(std::uint32_t user, std::uint32_t playlist) const noexcept {
  return sigmoid(logit(user, playlist));
}

double TasteModel::expected_reward(std::uint32_t user,
                                   std::span<const std::uint32_t> carousel) const noexcept {
  double reached = 1.0;  // P(the user looks at this card)
  double streamed = 0.0;
  for (std::size_t position = 0; position < carousel.size(); ++position) {
    if (position >= config_.visible) {
      reached *= config_.swipe;
    }
    const double p = stream_probability(user, carousel[position]);
    streamed += reached * p;
    reached *= 1.0 - p;
  }
  return streamed;
}

void TasteModel::compute_optima() {
  std::vector<double> logits(config_.playlists);
  std::vector<std::uint32_t> best(std::min(config_.slots, config_.playlists));
  optimal_.resize(config_.users);
  double optimal_sum = 0.0, probability_sum = 0.0;
  for (std::uint32_t u = 0; u < config_.users; ++u) {
    for (std::uint32_t i = 0; i < config_.playlists; ++i) {
      logits[i] = logit(u, i);
    }
    // The best carousel is the `slots` most likely playlists, most likely first (swapping two
    // neighbours out of that order never raises the stream probability).
    top_k(logits, best);
    optimal_[u] = expected_reward(u, best);
    optimal_sum += optimal_[u];
    // A sample of playlists is enough for the mean probability (it is only reported).
    probability_sum += sigmoid(logits[u % config_.playlists]);
  }
  mean_optimal_ = optimal_sum / config_.users;
  mean_probability_ = probability_sum / config_.users;
}

void top_k(std::span<const double> keys, std::span<std::uint32_t> out) noexcept {
  const std::size_t k = std::min(out.size(), keys.size());
  if (k == 0) {
    return;
  }
  // out[0..filled) holds the best so far, sorted descending; a key enters only when it beats the
  // current k-th, which after the first few hundred keys is rare.
  std::size_t filled = 0;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const double key = keys[i];
    if (filled == k && key <= keys[out[k - 1]]) {
      continue;
    }
    std::size_t at = filled < k ? filled++ : k - 1;
    while (at > 0 && keys[out[at - 1]] < key) {
      out[at] = out[at - 1];
      --at;
    }
    out[at] = static_cast<std::uint32_t>(i);
  }
}

}  // namespace hexwire::sim::cases::spotify
