// Rejection-inversion Zipf sampling and the Zipf-skewed channel membership assignment.
// The sampler inverts the integral of the continuous density x^-s over [k - 1/2, k + 1/2] and
// accepts with a cheap squeeze test, so it needs neither a table nor O(n) set-up.
#include "sim/zipf.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace hexwire::sim {
namespace {

// log1p(x)/x, stable near 0.
double log1p_over_x(double x) noexcept {
  return std::abs(x) > 1e-8 ? std::log1p(x) / x : 1.0 - x * (0.5 - x * (1.0 / 3.0 - 0.25 * x));
}

// expm1(x)/x, stable near 0.
double expm1_over_x(double x) noexcept {
  return std::abs(x) > 1e-8 ? std::expm1(x) / x
                            : 1.0 + x * 0.5 * (1.0 + x / 3.0 * (1.0 + 0.25 * x));
}

}  // namespace

ZipfSampler::ZipfSampler(std::uint64_t n, double s) : n_(n), s_(s) {
  if (n == 0) {
    throw std::invalid_argument("Zipf: the number of elements must be at least 1");
  }
  if (!(s >= 0.0) || !std::isfinite(s)) {
    throw std::invalid_argument("Zipf: the exponent s must be a finite number >= 0");
  }
  h_integral_x1_ = h_integral(1.5) - 1.0;
  h_integral_n_ = h_integral(static_cast<double>(n) + 0.5);
  squeeze_ = 2.0 - h_integral_inverse(h_integral(2.5) - h(2.0));
}

// h(x) = x^-s, the unnormalised density.
double ZipfSampler::h(double x) const noexcept {
  return std::exp(-s_ * std::log(x));
}

// H(x) = integral of h: (x^(1-s) - 1) / (1 - s), or log(x) when s == 1, written stably.
double ZipfSampler::h_integral(double x) const noexcept {
  const double log_x = std::log(x);
  return expm1_over_x((1.0 - s_) * log_x) * log_x;
}

double ZipfSampler::h_integral_inverse(double x) const noexcept {
  double t = x * (1.0 - s_);
  if (t < -1.0) {
    t = -1.0;  // rounding guard: the true value is >= -1
  }
  return std::exp(log1p_over_x(t) * x);
}

std::uint64_t ZipfSampler::sample(Rng& rng) const noexcept {
  while (true) {
    const double u = h_integral_n_ + rng.uniform01() * (h_integral_x1_ - h_integral_n_);
    const double x = h_integral_inverse(u);
    double k = std::floor(x + 0.5);
    if (k < 1.0) {
      k = 1.0;
    } else if (k > static_cast<double>(n_)) {
      k = static_cast<double>(n_);
    }
    if (k - x <= squeeze_ || u >= h_integral(k + 0.5) - h(k)) {
      return static_cast<std::uint64_t>(k);
    }
  }
}

double ZipfSampler::probability(std::uint64_t k) const {
  if (k < 1 || k > n_) {
    return 0.0;
  }
  if (normaliser_ == 0.0) {
    double sum = 0.0;
    for (std::uint64_t i = n_; i >= 1; --i) {  // smallest terms first for accuracy
      sum += h(static_cast<double>(i));
    }
    normaliser_ = sum;
  }
  return h(static_cast<double>(k)) / normaliser_;
}

ChannelMembership::ChannelMembership(std::vector<std::uint32_t> user_offsets,
                                     std::vector<std::uint32_t> channels,
                                     std::uint32_t channel_count)
    : user_offsets_(std::move(user_offsets)),
      channels_(std::move(channels)),
      channel_sizes_(channel_count, 0) {
  for (const std::uint32_t c : channels_) {
    ++channel_sizes_[c];
  }
}

ChannelMembership assign_channel_memberships(std::uint32_t users, std::uint32_t channels,
                                             std::uint32_t per_user, double s, std::uint64_t seed) {
  if (users == 0 || channels == 0) {
    throw std::invalid_argument("channel assignment needs at least one user and one channel");
  }
  const ZipfSampler zipf(channels, s);
  Rng rng(derive_seed(seed, 0x7a697066));  // "zipf"
  const std::uint32_t want = std::min(per_user, channels);

  std::vector<std::vector<std::uint32_t>> rows(users);
  std::vector<std::uint32_t> sizes(channels, 0);
  for (std::uint32_t u = 0; u < users; ++u) {
    auto& row = rows[u];
    row.reserve(want + 1);
    while (row.size() < want) {
      // Distinct draws by rejection; with a steep s and want close to channels the top ranks keep
      // repeating, so after a bounded number of tries fall back to a uniform free channel.
      std::uint32_t c = 0;
      bool found = false;
      for (int attempt = 0; attempt < 64 && !found; ++attempt) {
        c = static_cast<std::uint32_t>(zipf.sample(rng) - 1);
        found = std::find(row.begin(), row.end(), c) == row.end();
      }
      while (!found) {
        c = static_cast<std::uint32_t>(rng.below(channels));
        found = std::find(row.begin(), row.end(), c) == row.end();
      }
      row.push_back(c);
      ++sizes[c];
    }
  }
  for (std::uint32_t c = 0; c < channels; ++c) {
    if (sizes[c] == 0) {
      auto& row = rows[rng.below(users)];
      if (std::find(row.begin(), row.end(), c) == row.end()) {
        row.push_back(c);
        ++sizes[c];
      }
    }
  }

  std::vector<std::uint32_t> offsets;
  offsets.reserve(std::size_t{users} + 1);
  std::vector<std::uint32_t> flat;
  offsets.push_back(0);
  for (auto& row : rows) {
    std::sort(row.begin(), row.end());
    flat.insert(flat.end(), row.begin(), row.end());
    offsets.push_back(static_cast<std::uint32_t>(flat.size()));
  }
  return ChannelMembership(std::move(offsets), std::move(flat), channels);
}

}  // namespace hexwire::sim
