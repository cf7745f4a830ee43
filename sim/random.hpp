// Seeded pseudo-random numbers for the simulator: xoshiro256** seeded through splitmix64, plus the
// few distributions the workload models need, written out here so that a seed gives the same run on
// every compiler and standard library (std::*_distribution results are implementation-defined).
#pragma once

#include <cmath>
#include <cstdint>

namespace hexwire::sim {

/// splitmix64 step: good for deriving independent seeds from one user seed.
inline std::uint64_t splitmix64(std::uint64_t& state) noexcept {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/// Seed for sub-stream `stream` of a run seeded with `seed` (e.g. one per connection or driver).
inline std::uint64_t derive_seed(std::uint64_t seed, std::uint64_t stream) noexcept {
  std::uint64_t state = seed ^ (stream * 0xD1B54A32D192ED03ull);
  splitmix64(state);
  return splitmix64(state);
}

/// xoshiro256**: fast, 256-bit state, passes BigCrush. Not for cryptography.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) noexcept {
    std::uint64_t state = seed;
    for (auto& word : s_) {
      word = splitmix64(state);
    }
  }

  std::uint64_t next_u64() noexcept {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  /// Uniform in [0, 1) with 53 random bits.
  double uniform01() noexcept { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

  /// Uniform in (0, 1]: safe to take the logarithm of.
  double uniform_open0() noexcept { return 1.0 - uniform01(); }

  double uniform(double lo, double hi) noexcept { return lo + (hi - lo) * uniform01(); }

  /// Uniform integer in [0, n); n > 0. Lemire's multiply-shift (bias below 2^-64 * n, negligible).
  std::uint64_t below(std::uint64_t n) noexcept {
    return static_cast<std::uint64_t>((static_cast<unsigned __int128>(next_u64()) * n) >> 64);
  }

  bool chance(double p) noexcept { return uniform01() < p; }

  /// Exponential with the given mean (inverse transform).
  double exponential(double mean) noexcept { return -mean * std::log(uniform_open0()); }

  /// Standard normal (Box-Muller; one of the pair is discarded to keep the state small).
  double normal() noexcept {
    const double u1 = uniform_open0();
    const double u2 = uniform01();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) noexcept { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4];
};

}  // namespace hexwire::sim
