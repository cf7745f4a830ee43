// Zipf-distributed choices for skewed workloads: a few channels are huge and most are small, as in
// real chat systems. ZipfSampler draws ranks in O(1) with rejection-inversion (Hormann & Derflinger
// 1996), no table, so N may be in the millions. assign_channel_memberships builds the chat
// scenario's user -> channels map from it, deterministically for a seed.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "sim/random.hpp"

namespace hexwire::sim {

/// P(rank = k) = k^-s / H(n, s) for k in [1, n]. s >= 0 (s = 0 is uniform); n >= 1.
class ZipfSampler {
 public:
  /// Throws std::invalid_argument if n == 0 or s is negative or not finite.
  ZipfSampler(std::uint64_t n, double s);

  /// A rank in [1, n]; 1 is the most likely. Expected < 1.1 uniform draws per sample.
  std::uint64_t sample(Rng& rng) const noexcept;

  /// Exact probability of rank k (O(n) the first time: computes the normaliser).
  [[nodiscard]] double probability(std::uint64_t k) const;

  [[nodiscard]] std::uint64_t n() const noexcept { return n_; }
  [[nodiscard]] double s() const noexcept { return s_; }

 private:
  [[nodiscard]] double h(double x) const noexcept;
  [[nodiscard]] double h_integral(double x) const noexcept;
  [[nodiscard]] double h_integral_inverse(double x) const noexcept;

  std::uint64_t n_;
  double s_;
  double h_integral_x1_;
  double h_integral_n_;
  double squeeze_;
  mutable double normaliser_ = 0.0;  // H(n, s), computed on first probability() call
};

/// Which channels each user belongs to, in compressed rows: channels_of(u) is a sorted span.
/// Channel c's popularity rank is c + 1 (channel 0 is the biggest).
class ChannelMembership {
 public:
  ChannelMembership() = default;
  ChannelMembership(std::vector<std::uint32_t> user_offsets, std::vector<std::uint32_t> channels,
                    std::uint32_t channel_count);

  [[nodiscard]] std::uint32_t user_count() const noexcept {
    return user_offsets_.empty() ? 0 : static_cast<std::uint32_t>(user_offsets_.size() - 1);
  }
  [[nodiscard]] std::uint32_t channel_count() const noexcept {
    return static_cast<std::uint32_t>(channel_sizes_.size());
  }
  [[nodiscard]] std::span<const std::uint32_t> channels_of(std::uint32_t user) const noexcept {
    return {channels_.data() + user_offsets_[user], channels_.data() + user_offsets_[user + 1]};
  }
  [[nodiscard]] std::uint32_t size_of(std::uint32_t channel) const noexcept {
    return channel_sizes_[channel];
  }
  [[nodiscard]] std::span<const std::uint32_t> channel_sizes() const noexcept {
    return channel_sizes_;
  }
  [[nodiscard]] std::uint64_t total_memberships() const noexcept { return channels_.size(); }

 private:
  std::vector<std::uint32_t> user_offsets_;  // user_count + 1 entries
  std::vector<std::uint32_t> channels_;
  std::vector<std::uint32_t> channel_sizes_;
};

/// Each of `users` joins min(per_user, channels) distinct channels drawn by Zipf(s) over channel
/// rank, so channel sizes fall off like rank^-s. Afterwards every channel left empty gets one
/// uniformly chosen member, so every channel has a publisher and a listener to exercise. Same
/// seed, same result. Throws std::invalid_argument on zero users/channels or bad s.
ChannelMembership assign_channel_memberships(std::uint32_t users, std::uint32_t channels,
                                             std::uint32_t per_user, double s, std::uint64_t seed);

}  // namespace hexwire::sim
