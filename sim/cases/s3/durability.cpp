// Closed-form chain and importance-sampled Monte Carlo for erasure-coded and replicated objects.
#include "sim/cases/s3/durability.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>

#include "sim/cases/stats.hpp"

namespace hexwire::sim::cases::s3 {
namespace {

std::optional<std::uint32_t> parse_count(std::string_view text) {
  std::uint32_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc{} || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

}  // namespace

std::string Scheme::describe() const {
  return replication ? fmt::format("replica:{}", fragments()) : fmt::format("rs:{}+{}", data, parity);
}

std::optional<Scheme> parse_scheme(std::string_view text, std::string& error) {
  Scheme s;
  if (text.rfind("rs:", 0) == 0) {
    const std::string_view rest = text.substr(3);
    const std::size_t plus = rest.find('+');
    const auto k = parse_count(rest.substr(0, plus));
    const auto m = plus == std::string_view::npos ? std::nullopt : parse_count(rest.substr(plus + 1));
    if (k && m && *k >= 1 && *m >= 1 && *k + *m <= 64) {
      s.data = *k;
      s.parity = *m;
      return s;
    }
  } else if (text.rfind("replica:", 0) == 0) {
    const auto r = parse_count(text.substr(8));
    if (r && *r >= 2 && *r <= 16) {
      s.data = 1;
      s.parity = *r - 1;
      s.replication = true;
      return s;
    }
  }
  error = fmt::format("--scheme {}: use rs:K+M (K data and M parity fragments, K >= 1, M >= 1, "
                      "K + M <= 64) or replica:R (R copies, 2..16)",
                      text);
  return std::nullopt;
}

double DurabilityModel::failure_rate(std::uint32_t down) const noexcept {
  return static_cast<double>(scheme.fragments() - down) * failures_per_year;
}

double DurabilityModel::repair_rate(std::uint32_t down) const noexcept {
  if (down == 0) {
    return 0.0;
  }
  return repair == Repair::kSerial ? repairs_per_year : down * repairs_per_year;
}

double mean_time_to_loss_years(const DurabilityModel& model) {
  double total = 0.0;
  double previous = 0.0;
  for (std::uint32_t k = 0; k <= model.scheme.parity; ++k) {
    const double tau = (1.0 + model.repair_rate(k) * previous) / model.failure_rate(k);
    total += tau;
    previous = tau;
  }
  return total;
}

double approximate_loss_per_year(const DurabilityModel& model) {
  double rate = 1.0;
  for (std::uint32_t i = 0; i <= model.scheme.parity; ++i) {
    rate *= model.failure_rate(i);
    if (i > 0) {
      rate /= model.repair_rate(i);
    }
  }
  return rate;
}

MonteCarloEstimate monte_carlo_loss(const DurabilityModel& model, std::uint64_t paths,
                                    double bias, Rng& rng) {
  const std::uint32_t lost_state = model.scheme.parity + 1;
  RunningStats loss_weight;
  RunningStats excursion_years;
  MonteCarloEstimate estimate;
  for (std::uint64_t p = 0; p < paths; ++p) {
    std::uint32_t down = 1;
    double weight = 1.0;
    double time = 0.0;  // expected holding times along the path (true rates, unweighted use)
    while (down > 0 && down < lost_state) {
      const double up = model.failure_rate(down);
      const double back = model.repair_rate(down);
      const double p_fail = up / (up + back);
      time += 1.0 / (up + back);
      const double q = bias > 0.0 ? bias : p_fail;
      if (rng.uniform01() < q) {
        weight *= p_fail / q;
        ++down;
      } else {
        weight *= (1.0 - p_fail) / (1.0 - q);
        --down;
      }
    }
    const bool lost = down == lost_state;
    estimate.paths_lost += lost ? 1 : 0;
    loss_weight.add(lost ? weight : 0.0);
    // The excursion length is estimated under the biased measure too, with the same weights
    // (E_true[T] = E_biased[w T]); it only enters as a correction of order lambda_0 / mu.
    excursion_years.add(weight * time);
  }
  const double entry = model.failure_rate(0);
  const double denominator = 1.0 + entry * excursion_years.mean();
  estimate.paths = paths;
  estimate.loss_per_year = entry * loss_weight.mean() / denominator;
  estimate.standard_error = entry * loss_weight.standard_error() / denominator;
  return estimate;
}

}  // namespace hexwire::sim::cases::s3
