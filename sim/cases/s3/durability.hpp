// Durability of an object stored as K data + M parity fragments (or R replicas, K = 1, M = R - 1)
// on independent drives that fail at rate lambda (the annual failure rate, per drive-year) and are
// repaired at rate mu = 1/MTTR. Data is lost when more than M fragments are down at once. Two
// computations of the loss rate per object-year: the birth-death Markov chain in closed form, and
// Monte Carlo with importance sampling (balanced failure biasing) and a confidence interval.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sim/random.hpp"

namespace hexwire::sim::cases::s3 {

struct Scheme {
  std::uint32_t data = 5;    // K (1 for replication)
  std::uint32_t parity = 4;  // M (R - 1 for replication)
  bool replication = false;

  [[nodiscard]] std::uint32_t fragments() const noexcept { return data + parity; }
  /// Stored bytes per byte of data: (K + M) / K.
  [[nodiscard]] double overhead() const noexcept {
    return static_cast<double>(fragments()) / data;
  }
  [[nodiscard]] std::string describe() const;
};

/// "rs:5+4" or "replica:3"; nullopt with `error` set otherwise.
std::optional<Scheme> parse_scheme(std::string_view text, std::string& error);

enum class Repair : std::uint8_t {
  kSerial,    // one fragment rebuilt at a time: rate mu whatever the number down
  kParallel,  // every missing fragment rebuilt at once: rate i * mu with i down
};

struct DurabilityModel {
  Scheme scheme;
  double failures_per_year = 0.02;  // lambda, per drive
  double repairs_per_year = 365.0;  // mu = 1 / MTTR
  Repair repair = Repair::kSerial;

  [[nodiscard]] double failure_rate(std::uint32_t down) const noexcept;  // state -> state + 1
  [[nodiscard]] double repair_rate(std::uint32_t down) const noexcept;   // state -> state - 1
};

/// Exact mean time to data loss (years) of the chain started with every fragment up:
/// sum over k = 0..M of tau_k, tau_k = (1 + mu_k tau_{k-1}) / lambda_k (time to first reach k+1
/// from k).
[[nodiscard]] double mean_time_to_loss_years(const DurabilityModel& model);
/// The rare-event approximation: prod_{i=0..M} lambda_i / prod_{i=1..M} mu_i losses per year.
[[nodiscard]] double approximate_loss_per_year(const DurabilityModel& model);

struct MonteCarloEstimate {
  double loss_per_year = 0.0;
  double standard_error = 0.0;  // of loss_per_year
  std::uint64_t paths = 0;
  std::uint64_t paths_lost = 0;  // paths that reached data loss (under the biased measure)
};

/// Simulates `paths` excursions that start with one fragment down and end back at zero or in
/// loss. With `bias` in (0, 1), each step picks a failure with probability `bias` and reweights by
/// the likelihood ratio (importance sampling); with bias 0 it samples the true chain (naive Monte
/// Carlo, which at these probabilities almost never sees a loss). The loss rate is
/// lambda_0 * P(loss in an excursion) / (1 + lambda_0 * E[excursion length]).
[[nodiscard]] MonteCarloEstimate monte_carlo_loss(const DurabilityModel& model,
                                                  std::uint64_t paths, double bias, Rng& rng);

}  // namespace hexwire::sim::cases::s3
