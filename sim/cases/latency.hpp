// Latency distributions for simulated links and service times: constant, exponential, log-normal
// and empirical (samples, drawn with linear interpolation between order statistics). Written as
// text on the command line: "constant:2ms", "exponential:1ms" (mean), "lognormal:1ms,0.6" (median,
// sigma of the underlying normal), "empirical:0.4ms,0.5ms,0.9ms,7ms" (observed samples).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/cases/event_loop.hpp"
#include "sim/random.hpp"

namespace hexwire::sim::cases {

/// A duration with a unit: "125ms", "5us", "1.5s", "10m", "4h", "7d", "300ns". A plain number takes
/// `default_unit` (one of ns, us, ms, s, m, h, d). Nullopt for anything else, or a negative value.
std::optional<SimTime> parse_duration(std::string_view text, std::string_view default_unit = "s");
/// "850ns", "212us", "1.31ms", "2.50s", "10m", "4h": for tables and help text.
std::string format_duration(SimTime t);

class LatencyDistribution {
 public:
  enum class Kind { kConstant, kExponential, kLogNormal, kEmpirical };

  static LatencyDistribution constant(SimTime value);
  static LatencyDistribution exponential(SimTime mean);
  /// exp(N(ln median, sigma^2)): median `median`, mean median * exp(sigma^2 / 2).
  static LatencyDistribution log_normal(SimTime median, double sigma);
  /// Draws uniformly along the sorted samples, interpolating linearly between neighbours.
  /// `samples` must not be empty.
  static LatencyDistribution empirical(std::vector<SimTime> samples);

  /// Parses the text forms above; on failure returns nullopt and sets `error` to the reason.
  static std::optional<LatencyDistribution> parse(std::string_view text, std::string& error);

  /// One draw, never negative.
  [[nodiscard]] SimTime sample(Rng& rng) const noexcept;
  /// The distribution's mean (exact, not estimated).
  [[nodiscard]] double mean() const noexcept;
  /// The p-quantile, p in [0, 1] (exact; for log-normal via the inverse normal CDF).
  [[nodiscard]] double quantile(double p) const noexcept;
  [[nodiscard]] Kind kind() const noexcept { return kind_; }
  /// The text form it was made from (or that would make it).
  [[nodiscard]] std::string describe() const;

 private:
  Kind kind_ = Kind::kConstant;
  double a_ = 0.0;  // constant value, exponential mean, log-normal ln(median)
  double b_ = 0.0;  // log-normal sigma
  std::vector<SimTime> samples_;  // empirical, sorted
};

/// The inverse of the standard normal CDF (Acklam's rational approximation refined by one Halley
/// step; relative error below 1e-15). p in (0, 1).
double inverse_normal_cdf(double p) noexcept;

}  // namespace hexwire::sim::cases
