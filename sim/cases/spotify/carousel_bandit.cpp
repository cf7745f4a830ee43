// Carousel bandits: Beta sampling, the three learning policies (and a random baseline), the
// cascade rule for what counts as displayed, and batched feedback.
#include "sim/cases/spotify/carousel_bandit.hpp"

#include <algorithm>
#include <cmath>

#include "sim/cases/spotify/taste_model.hpp"

namespace hexwire::sim::cases::spotify {
namespace {

// Integer shapes up to this use the product of uniforms (cheaper than a normal and a test).
constexpr double kSmallIntegerShape = 8.0;

}  // namespace

double BetaSampler::normal() noexcept {
  if (has_spare_) {
    has_spare_ = false;
    return spare_;
  }
  const double radius = std::sqrt(-2.0 * std::log(rng_.uniform_open0()));
  const double angle = 6.283185307179586 * rng_.uniform01();
  spare_ = radius * std::sin(angle);
  has_spare_ = true;
  return radius * std::cos(angle);
}

double BetaSampler::gamma(double shape) noexcept {
  if (shape < 1.0) {
    return gamma(shape + 1.0) * std::pow(rng_.uniform_open0(), 1.0 / shape);
  }
  if (shape <= kSmallIntegerShape && shape == std::floor(shape)) {
    // Sum of `shape` unit exponentials.
    double product = rng_.uniform_open0();
    for (int i = 1; i < static_cast<int>(shape); ++i) {
      product *= rng_.uniform_open0();
    }
    return -std::log(product);
  }
  const double d = shape - 1.0 / 3.0;
  const double c = 1.0 / std::sqrt(9.0 * d);
  for (;;) {
    const double x = normal();
    double v = 1.0 + c * x;
    if (v <= 0.0) {
      continue;
    }
    v = v * v * v;
    const double u = rng_.uniform_open0();
    const double x2 = x * x;
    if (u < 1.0 - 0.0331 * x2 * x2 || std::log(u) < 0.5 * x2 + d * (1.0 - v + std::log(v))) {
      return d * v;
    }
  }
}

double BetaSampler::beta(double a, double b) noexcept {
  if (a == 1.0) {
    // P(X <= x) = 1 - (1 - x)^b: x = 1 - U^(1/b), written to keep precision when b is large.
    return -std::expm1(std::log(rng_.uniform_open0()) / b);
  }
  if (b == 1.0) {
    return std::pow(rng_.uniform_open0(), 1.0 / a);
  }
  const double x = gamma(a);
  const double y = gamma(b);
  return x / (x + y);
}

std::string_view to_string(PolicyKind kind) noexcept {
  switch (kind) {
    case PolicyKind::kRandom: return "random";
    case PolicyKind::kEpsilonGreedy: return "epsilon";
    case PolicyKind::kExploreThenCommit: return "etc";
    case PolicyKind::kThompson: return "ts";
  }
  return "?";
}

std::uint32_t cards_seen(const BanditConfig& config, int streamed) noexcept {
  if (!config.cascade) {
    return config.slots;
  }
  if (streamed >= 0) {
    return static_cast<std::uint32_t>(streamed) + 1;
  }
  return config.unstreamed_all_seen ? config.slots : std::min(config.visible, config.slots);
}

CarouselBandit::CarouselBandit(const BanditConfig& config, Rng rng)
    : config_(config),
      displays_(static_cast<std::size_t>(config.segments) * config.playlists, 0.0),
      streams_(displays_.size(), 0.0),
      sampler_(rng),
      keys_(config.playlists, 0.0),
      rankings_(config.segments) {}

void CarouselBandit::reset() {
  std::fill(displays_.begin(), displays_.end(), 0.0);
  std::fill(streams_.begin(), streams_.end(), 0.0);
  pending_.clear();
  pending_cards_.clear();
  for (Ranking& r : rankings_) {
    r.valid = false;
  }
}

void CarouselBandit::random_carousel(std::span<std::uint32_t> out) {
  // `slots` distinct playlists, uniformly: draw and reject repeats (slots << playlists).
  Rng& rng = sampler_.rng();
  for (std::size_t i = 0; i < out.size(); ++i) {
    std::uint32_t pick = 0;
    do {
      pick = static_cast<std::uint32_t>(rng.below(config_.playlists));
    } while (std::find(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(i), pick) !=
             out.begin() + static_cast<std::ptrdiff_t>(i));
    out[i] = pick;
  }
}

double CarouselBandit::greedy_key(std::uint32_t segment, std::uint32_t playlist) const noexcept {
  const double shown = displays_[index(segment, playlist)];
  const double streamed = streams_[index(segment, playlist)];
  if (config_.kind == PolicyKind::kExploreThenCommit) {
    // Least-shown first until every playlist has etc_min displays; then the best mean.
    const double remaining = std::max(0.0, config_.etc_min - shown);
    return 2.0 * remaining + (shown > 0 ? streamed / shown : 0.0);
  }
  // epsilon-greedy: never shown counts as 1 (optimistic), so that greedy tries every playlist.
  return shown > 0 ? streamed / shown : 1.0;
}

const CarouselBandit::Ranking& CarouselBandit::ranking(std::uint32_t segment) {
  Ranking& r = rankings_[segment];
  if (!r.valid) {
    r.keys.resize(config_.playlists);
    r.order.resize(config_.playlists);
    for (std::uint32_t i = 0; i < config_.playlists; ++i) {
      r.keys[i] = greedy_key(segment, i);
      r.order[i] = i;
    }
    std::stable_sort(r.order.begin(), r.order.end(),
                     [&](std::uint32_t a, std::uint32_t b) { return r.keys[a] > r.keys[b]; });
    r.valid = true;
  }
  return r;
}

void CarouselBandit::greedy_carousel(std::uint32_t segment, std::span<std::uint32_t> out) {
  const Ranking& r = ranking(segment);
  const std::size_t k = out.size();
  // Everything scoring above the k-th key is in; the k-th key's ties share the remaining slots
  // uniformly at random.
  const double last = r.keys[r.order[k - 1]];
  std::size_t tie_begin = k - 1;
  while (tie_begin > 0 && r.keys[r.order[tie_begin - 1]] == last) {
    --tie_begin;
  }
  std::size_t tie_end = k;
  while (tie_end < r.order.size() && r.keys[r.order[tie_end]] == last) {
    ++tie_end;
  }
  std::copy(r.order.begin(), r.order.begin() + static_cast<std::ptrdiff_t>(tie_begin), out.begin());
  Rng& rng = sampler_.rng();
  const std::size_t group = tie_end - tie_begin;
  for (std::size_t i = tie_begin; i < k; ++i) {
    std::uint32_t pick = 0;
    do {
      pick = r.order[tie_begin + rng.below(group)];
    } while (std::find(out.begin() + static_cast<std::ptrdiff_t>(tie_begin),
                       out.begin() + static_cast<std::ptrdiff_t>(i), pick) !=
             out.begin() + static_cast<std::ptrdiff_t>(i));
    out[i] = pick;
  }
}

void CarouselBandit::thompson_carousel(std::uint32_t segment, std::span<std::uint32_t> out) {
  const std::size_t base = index(segment, 0);
  for (std::uint32_t i = 0; i < config_.playlists; ++i) {
    const double streamed = streams_[base + i];
    keys_[i] = sampler_.beta(config_.prior_alpha + streamed,
                             config_.prior_beta + displays_[base + i] - streamed);
  }
  top_k(keys_, out);
}

void CarouselBandit::recommend(std::uint32_t segment, std::span<std::uint32_t> out) {
  Rng& rng = sampler_.rng();
  if (config_.kind == PolicyKind::kRandom ||
      (config_.kind == PolicyKind::kEpsilonGreedy && rng.chance(config_.epsilon))) {
    random_carousel(out);
  } else if (config_.kind == PolicyKind::kThompson) {
    thompson_carousel(segment, out);
  } else {
    greedy_carousel(segment, out);
  }
  // Fisher-Yates over the visible cards.
  const std::size_t visible = std::min<std::size_t>(config_.visible, out.size());
  for (std::size_t i = visible; i > 1; --i) {
    std::swap(out[i - 1], out[rng.below(i)]);
  }
}

void CarouselBandit::record(std::uint32_t segment, std::span<const std::uint32_t> carousel,
                            int streamed) {
  pending_.push_back(Outcome{segment, streamed, pending_cards_.size()});
  pending_cards_.insert(pending_cards_.end(), carousel.begin(), carousel.end());
}

void CarouselBandit::apply_feedback() {
  for (const Outcome& o : pending_) {
    const std::uint32_t seen = std::min(cards_seen(config_, o.streamed), config_.slots);
    for (std::uint32_t position = 0; position < seen; ++position) {
      const std::size_t at = index(o.segment, pending_cards_[o.first + position]);
      displays_[at] += 1.0;
      streams_[at] += static_cast<int>(position) == o.streamed ? 1.0 : 0.0;
    }
  }
  pending_.clear();
  pending_cards_.clear();
  for (Ranking& r : rankings_) {
    r.valid = false;
  }
}

}  // namespace hexwire::sim::cases::spotify
