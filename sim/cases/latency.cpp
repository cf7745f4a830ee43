// Duration text, latency distributions and the inverse normal CDF they need for quantiles.
#include "sim/cases/latency.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>

namespace hexwire::sim::cases {
namespace {

struct Unit {
  std::string_view name;
  SimTime ns;
};
constexpr Unit kUnits[] = {{"ns", 1},          {"us", kMicrosecond}, {"ms", kMillisecond},
                           {"s", kSecond},     {"m", kMinute},       {"h", kHour},
                           {"d", kDay}};

std::optional<SimTime> unit_ns(std::string_view name) {
  for (const Unit& unit : kUnits) {
    if (unit.name == name) {
      return unit.ns;
    }
  }
  return std::nullopt;
}

std::optional<double> parse_number(std::string_view text) {
  double value = 0.0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = text.find(separator, start);
    parts.push_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) {
      return parts;
    }
    start = end + 1;
  }
}

}  // namespace

std::optional<SimTime> parse_duration(std::string_view text, std::string_view default_unit) {
  std::size_t digits = text.size();
  while (digits > 0 && std::isalpha(static_cast<unsigned char>(text[digits - 1]))) {
    --digits;
  }
  const std::optional<double> number = parse_number(text.substr(0, digits));
  const std::string_view unit_text = digits == text.size() ? default_unit : text.substr(digits);
  const std::optional<SimTime> unit = unit_ns(unit_text);
  if (!number || !unit || *number < 0.0 || *number * static_cast<double>(*unit) > 9.0e18) {
    return std::nullopt;
  }
  return static_cast<SimTime>(std::llround(*number * static_cast<double>(*unit)));
}

std::string format_duration(SimTime t) {
  const double v = static_cast<double>(t);
  if (t < kMicrosecond) {
    return fmt::format("{}ns", t);
  }
  if (t < kMillisecond) {
    return fmt::format("{:.3g}us", v / 1e3);
  }
  if (t < kSecond) {
    return fmt::format("{:.3g}ms", v / 1e6);
  }
  if (t < kMinute) {
    return fmt::format("{:.3g}s", v / 1e9);
  }
  if (t < kHour) {
    return fmt::format("{:.3g}m", v / static_cast<double>(kMinute));
  }
  if (t < kDay) {
    return fmt::format("{:.3g}h", v / static_cast<double>(kHour));
  }
  return fmt::format("{:.3g}d", v / static_cast<double>(kDay));
}

LatencyDistribution LatencyDistribution::constant(SimTime value) {
  LatencyDistribution d;
  d.kind_ = Kind::kConstant;
  d.a_ = static_cast<double>(value);
  return d;
}

LatencyDistribution LatencyDistribution::exponential(SimTime mean) {
  LatencyDistribution d;
  d.kind_ = Kind::kExponential;
  d.a_ = static_cast<double>(mean);
  return d;
}

LatencyDistribution LatencyDistribution::log_normal(SimTime median, double sigma) {
  LatencyDistribution d;
  d.kind_ = Kind::kLogNormal;
  d.a_ = std::log(static_cast<double>(std::max<SimTime>(median, 1)));
  d.b_ = sigma;
  return d;
}

LatencyDistribution LatencyDistribution::empirical(std::vector<SimTime> samples) {
  LatencyDistribution d;
  d.kind_ = Kind::kEmpirical;
  std::sort(samples.begin(), samples.end());
  d.samples_ = std::move(samples);
  return d;
}

std::optional<LatencyDistribution> LatencyDistribution::parse(std::string_view text,
                                                              std::string& error) {
  const std::size_t colon = text.find(':');
  const std::string_view kind = text.substr(0, colon);
  const std::string_view args = colon == std::string_view::npos ? "" : text.substr(colon + 1);
  const std::vector<std::string_view> parts = split(args, ',');
  const auto duration = [&](std::string_view part) { return parse_duration(part, "ms"); };
  if (kind == "constant" && parts.size() == 1 && duration(parts[0])) {
    return constant(*duration(parts[0]));
  }
  if (kind == "exponential" && parts.size() == 1 && duration(parts[0]) && *duration(parts[0]) > 0) {
    return exponential(*duration(parts[0]));
  }
  if (kind == "lognormal" && parts.size() == 2 && duration(parts[0]) && *duration(parts[0]) > 0) {
    const std::optional<double> sigma = parse_number(parts[1]);
    if (sigma && *sigma >= 0.0 && *sigma <= 5.0) {
      return log_normal(*duration(parts[0]), *sigma);
    }
  }
  if (kind == "empirical" && !args.empty()) {
    std::vector<SimTime> samples;
    for (const std::string_view part : parts) {
      if (!duration(part)) {
        error = fmt::format("'{}' in '{}' is not a duration such as 0.5ms", part, text);
        return std::nullopt;
      }
      samples.push_back(*duration(part));
    }
    return empirical(std::move(samples));
  }
  error = fmt::format(
      "'{}' is not a latency distribution; use constant:2ms, exponential:1ms (mean), "
      "lognormal:1ms,0.6 (median, sigma 0..5) or empirical:0.4ms,0.5ms,7ms (samples)",
      text);
  return std::nullopt;
}

SimTime LatencyDistribution::sample(Rng& rng) const noexcept {
  switch (kind_) {
    case Kind::kConstant:
      return static_cast<SimTime>(a_);
    case Kind::kExponential:
      return static_cast<SimTime>(rng.exponential(a_));
    case Kind::kLogNormal:
      return static_cast<SimTime>(std::exp(a_ + b_ * rng.normal()));
    case Kind::kEmpirical: {
      if (samples_.size() == 1) {
        return samples_[0];
      }
      const double position = rng.uniform01() * static_cast<double>(samples_.size() - 1);
      const auto index = static_cast<std::size_t>(position);
      const double fraction = position - static_cast<double>(index);
      const double low = static_cast<double>(samples_[index]);
      const double high = static_cast<double>(samples_[std::min(index + 1, samples_.size() - 1)]);
      return static_cast<SimTime>(low + fraction * (high - low));
    }
  }
  return 0;
}

double LatencyDistribution::mean() const noexcept {
  switch (kind_) {
    case Kind::kConstant:
    case Kind::kExponential:
      return a_;
    case Kind::kLogNormal:
      return std::exp(a_ + b_ * b_ / 2.0);
    case Kind::kEmpirical: {
      // The mean of the piecewise-linear interpolation: trapezoids between neighbours.
      if (samples_.size() == 1) {
        return static_cast<double>(samples_[0]);
      }
      double sum = 0.0;
      for (std::size_t i = 0; i + 1 < samples_.size(); ++i) {
        sum += (static_cast<double>(samples_[i]) + static_cast<double>(samples_[i + 1])) / 2.0;
      }
      return sum / static_cast<double>(samples_.size() - 1);
    }
  }
  return 0.0;
}

double LatencyDistribution::quantile(double p) const noexcept {
  p = std::clamp(p, 0.0, 1.0);
  switch (kind_) {
    case Kind::kConstant:
      return a_;
    case Kind::kExponential:
      return p >= 1.0 ? INFINITY : -a_ * std::log1p(-p);
    case Kind::kLogNormal:
      if (p <= 0.0 || p >= 1.0) {
        return p <= 0.0 ? 0.0 : INFINITY;
      }
      return std::exp(a_ + b_ * inverse_normal_cdf(p));
    case Kind::kEmpirical: {
      const double position = p * static_cast<double>(samples_.size() - 1);
      const auto index = static_cast<std::size_t>(position);
      const std::size_t next = std::min(index + 1, samples_.size() - 1);
      const double fraction = position - static_cast<double>(index);
      return static_cast<double>(samples_[index]) +
             fraction * static_cast<double>(samples_[next] - samples_[index]);
    }
  }
  return 0.0;
}

std::string LatencyDistribution::describe() const {
  switch (kind_) {
    case Kind::kConstant:
      return "constant:" + format_duration(static_cast<SimTime>(a_));
    case Kind::kExponential:
      return "exponential:" + format_duration(static_cast<SimTime>(a_));
    case Kind::kLogNormal:
      return fmt::format("lognormal:{},{}", format_duration(std::llround(std::exp(a_))), b_);
    case Kind::kEmpirical: {
      std::string text = "empirical:";
      for (std::size_t i = 0; i < samples_.size(); ++i) {
        text += (i == 0 ? "" : ",") + format_duration(samples_[i]);
      }
      return text;
    }
  }
  return {};
}

double inverse_normal_cdf(double p) noexcept {
  static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                                 -2.759285104469687e+02, 1.383577518672690e+02,
                                 -3.066479806614716e+01, 2.506628277459239e+00};
  static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                                 -1.556989798598866e+02, 6.680131188771972e+01,
                                 -1.328068155288572e+01};
  static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                                 -2.400758277161838e+00, -2.549732539343734e+00,
                                 4.374664141464968e+00,  2.938163982698783e+00};
  static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
                                 2.445134137142996e+00, 3.754408661907416e+00};
  constexpr double kLow = 0.02425;
  double x = 0.0;
  if (p < kLow || p > 1.0 - kLow) {
    const double q = std::sqrt(-2.0 * std::log(p < kLow ? p : 1.0 - p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0);
    if (p > 1.0 - kLow) {
      x = -x;
    }
  } else {
    const double q = p - 0.5;
    const double r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1.0);
  }
  // One Halley step against the exact CDF brings the error to machine precision.
  const double e = 0.5 * std::erfc(-x / std::sqrt(2.0)) - p;
  const double u = e * std::sqrt(2.0 * M_PI) * std::exp(x * x / 2.0);
  return x - u / (1.0 + x * u / 2.0);
}

}  // namespace hexwire::sim::cases
