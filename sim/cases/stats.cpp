// Numerics for the case models: confidence z, incomplete gamma, Simpson integration, quantiles.
#include "sim/cases/stats.hpp"

#include <algorithm>
#include <limits>

#include "sim/cases/latency.hpp"

namespace hexwire::sim::cases {

double z_for_confidence(double level) noexcept {
  return inverse_normal_cdf(0.5 + level / 2.0);
}

double regularized_gamma_p(double a, double x) noexcept {
  if (x <= 0.0) {
    return 0.0;
  }
  const double log_prefactor = a * std::log(x) - x - std::lgamma(a);
  if (x < a + 1.0) {
    double term = 1.0 / a;
    double sum = term;
    for (int n = 1; n < 100000; ++n) {
      term *= x / (a + n);
      sum += term;
      if (std::fabs(term) < std::fabs(sum) * 1e-16) {
        break;
      }
    }
    return std::min(1.0, sum * std::exp(log_prefactor));
  }
  // Continued fraction for Q(a, x) (modified Lentz).
  constexpr double kTiny = 1e-300;
  double b = x + 1.0 - a;
  double c = 1.0 / kTiny;
  double d = 1.0 / b;
  double h = d;
  for (int i = 1; i < 100000; ++i) {
    const double an = -i * (i - a);
    b += 2.0;
    d = an * d + b;
    d = std::fabs(d) < kTiny ? kTiny : d;
    c = b + an / c;
    c = std::fabs(c) < kTiny ? kTiny : c;
    d = 1.0 / d;
    const double delta = d * c;
    h *= delta;
    if (std::fabs(delta - 1.0) < 1e-16) {
      break;
    }
  }
  return std::max(0.0, 1.0 - std::exp(log_prefactor) * h);
}

double expected_max_gamma(std::uint32_t n, double shape) {
  // Past shape + 12 sd + 40 the tail 1 - P^n is below 1e-20 for any n we use.
  const double upper = shape + 12.0 * std::sqrt(shape) + 40.0;
  const auto tail = [n, shape](double x) {
    const double p = regularized_gamma_p(shape, x);
    // 1 - p^n without cancellation when p is close to 1.
    return -std::expm1(static_cast<double>(n) * std::log1p(-(1.0 - p)));
  };
  return integrate(tail, 0.0, upper, 20000);
}

double integrate(const std::function<double(double)>& f, double a, double b, int intervals) {
  if (intervals % 2 != 0) {
    ++intervals;
  }
  const double h = (b - a) / intervals;
  double sum = f(a) + f(b);
  for (int i = 1; i < intervals; ++i) {
    sum += (i % 2 == 1 ? 4.0 : 2.0) * f(a + i * h);
  }
  return sum * h / 3.0;
}

double sample_quantile(std::vector<double> values, double p) {
  if (values.empty()) {
    return std::numeric_limits<double>::quiet_NaN();
  }
  std::sort(values.begin(), values.end());
  const double position = std::clamp(p, 0.0, 1.0) * static_cast<double>(values.size() - 1);
  const auto index = static_cast<std::size_t>(position);
  const std::size_t next = std::min(index + 1, values.size() - 1);
  return values[index] + (position - static_cast<double>(index)) * (values[next] - values[index]);
}

}  // namespace hexwire::sim::cases
