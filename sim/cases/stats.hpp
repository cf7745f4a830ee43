// Small numerics the case models share: running mean and standard error, confidence intervals,
// the regularized incomplete gamma function, integration, and percentiles of a sample. Written out
// here (not taken from a library) so that results are the same everywhere and easy to audit.
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <vector>

namespace hexwire::sim::cases {

/// Welford's running mean and variance.
class RunningStats {
 public:
  void add(double x) noexcept {
    ++n_;
    const double delta = x - mean_;
    mean_ += delta / static_cast<double>(n_);
    m2_ += delta * (x - mean_);
  }
  [[nodiscard]] std::uint64_t count() const noexcept { return n_; }
  [[nodiscard]] double mean() const noexcept { return mean_; }
  /// Sample variance (n - 1 in the denominator); 0 with fewer than two values.
  [[nodiscard]] double variance() const noexcept {
    return n_ < 2 ? 0.0 : m2_ / static_cast<double>(n_ - 1);
  }
  [[nodiscard]] double stddev() const noexcept { return std::sqrt(variance()); }
  /// Standard error of the mean.
  [[nodiscard]] double standard_error() const noexcept {
    return n_ == 0 ? 0.0 : stddev() / std::sqrt(static_cast<double>(n_));
  }

 private:
  std::uint64_t n_ = 0;
  double mean_ = 0.0;
  double m2_ = 0.0;
};

/// z for a two-sided confidence level (0.95 -> 1.96).
[[nodiscard]] double z_for_confidence(double level) noexcept;

/// Regularized lower incomplete gamma P(a, x) = gamma(a, x) / Gamma(a), a > 0, x >= 0
/// (series below a + 1, Lentz's continued fraction above; relative error ~1e-14).
[[nodiscard]] double regularized_gamma_p(double a, double x) noexcept;

/// E[max of n independent Gamma(shape, 1)] by integrating 1 - P(shape, x)^n over x.
[[nodiscard]] double expected_max_gamma(std::uint32_t n, double shape);

/// Composite Simpson's rule of f over [a, b] with `intervals` (even) pieces.
[[nodiscard]] double integrate(const std::function<double(double)>& f, double a, double b,
                               int intervals);

/// The p-quantile (0..1) of `values` by linear interpolation between order statistics; sorts a
/// copy. NaN for an empty input.
[[nodiscard]] double sample_quantile(std::vector<double> values, double p);

}  // namespace hexwire::sim::cases
