// Trace text and the arrival processes behind it.
#include "sim/cases/lambda/traces.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>

#include "sim/cases/latency.hpp"

namespace hexwire::sim::cases::lambda {
namespace {

class Periodic final : public InvocationSource {
 public:
  explicit Periodic(SimTime period) : period_(period) {}
  SimTime next_gap(Rng& /*rng*/) override { return period_; }
  [[nodiscard]] bool is_periodic() const noexcept override { return true; }
  [[nodiscard]] SimTime period() const noexcept override { return period_; }

 private:
  SimTime period_;
};

class Poisson final : public InvocationSource {
 public:
  explicit Poisson(double rate_per_s) : rate_(rate_per_s) {}
  SimTime next_gap(Rng& rng) override {
    return static_cast<SimTime>(rng.exponential(1.0 / rate_) * kSecond);
  }
  [[nodiscard]] double poisson_rate_per_s() const noexcept override { return rate_; }

 private:
  double rate_;
};

/// Bursts of geometric size (mean `size`), calls 1-10 s apart, separated by exponential gaps.
class Bursty final : public InvocationSource {
 public:
  Bursty(double size, SimTime gap) : size_(size), gap_(gap) {}
  SimTime next_gap(Rng& rng) override {
    if (left_ > 0) {
      --left_;
      return static_cast<SimTime>(rng.uniform(1.0, 10.0) * kSecond);
    }
    // A new burst: its size is geometric with mean size_ (at least one call).
    left_ = static_cast<std::uint32_t>(std::floor(std::log(rng.uniform_open0()) /
                                                  std::log(1.0 - 1.0 / std::max(size_, 1.0001))));
    return static_cast<SimTime>(rng.exponential(static_cast<double>(gap_)));
  }

 private:
  double size_;
  SimTime gap_;
  std::uint32_t left_ = 0;
};

std::optional<double> parse_rate(std::string_view text) {
  const std::size_t slash = text.find('/');
  const std::string_view number = text.substr(0, slash);
  double value = 0;
  const auto [end, error] = std::from_chars(number.data(), number.data() + number.size(), value);
  if (number.empty() || error != std::errc{} || end != number.data() + number.size() ||
      !(value > 0) || !std::isfinite(value)) {
    return std::nullopt;
  }
  const std::string_view unit = slash == std::string_view::npos ? "m" : text.substr(slash + 1);
  const std::optional<SimTime> per = parse_duration(std::string("1") + std::string(unit));
  if (!per || *per <= 0) {
    return std::nullopt;
  }
  return value / to_seconds(*per);
}

}  // namespace

std::optional<TraceSpec> parse_trace(std::string_view text, std::string& error) {
  TraceSpec spec;
  spec.text = std::string(text);
  const std::size_t colon = text.find(':');
  const std::string_view kind = text.substr(0, colon);
  const std::string_view arg = colon == std::string_view::npos ? "" : text.substr(colon + 1);
  if (kind == "periodic") {
    spec.kind = TraceSpec::Kind::kPeriodic;
    const std::optional<SimTime> period = parse_duration(arg, "m");
    if (period && *period >= kSecond) {
      spec.period = *period;
      return spec;
    }
  } else if (kind == "poisson") {
    spec.kind = TraceSpec::Kind::kPoisson;
    const std::optional<double> rate = parse_rate(arg);
    if (rate && *rate <= 100.0) {
      spec.rate_per_s = *rate;
      return spec;
    }
  } else if (kind == "bursty") {
    spec.kind = TraceSpec::Kind::kBursty;
    if (arg.empty()) {
      return spec;
    }
    const std::size_t comma = arg.find(',');
    const std::string size_text(arg.substr(0, comma));
    char* end = nullptr;
    const double size = std::strtod(size_text.c_str(), &end);
    const std::optional<SimTime> gap =
        comma == std::string_view::npos ? std::nullopt : parse_duration(arg.substr(comma + 1), "m");
    if (!size_text.empty() && *end == '\0' && size >= 1 && size <= 10'000 && gap &&
        *gap >= kMinute) {
      spec.burst_size = size;
      spec.burst_gap = *gap;
      return spec;
    }
  } else if (kind == "azure" && arg.empty()) {
    spec.kind = TraceSpec::Kind::kAzure;
    return spec;
  }
  error = fmt::format("--trace {}: use periodic:PERIOD (periodic:60m, at least 1s), "
                      "poisson:RATE (poisson:2/h, poisson:0.5 = per minute, at most 100/s), "
                      "bursty or bursty:SIZE,GAP (bursty:10,2h) or azure",
                      text);
  return std::nullopt;
}

std::vector<std::unique_ptr<InvocationSource>> make_sources(const TraceSpec& spec,
                                                            std::uint32_t functions, Rng& rng,
                                                            std::string* mix_summary) {
  std::vector<std::unique_ptr<InvocationSource>> sources;
  std::uint32_t timers = 0, bursty = 0, at_most_hourly = 0, at_most_minutely = 0;
  for (std::uint32_t f = 0; f < functions; ++f) {
    switch (spec.kind) {
      case TraceSpec::Kind::kPeriodic:
        sources.push_back(std::make_unique<Periodic>(spec.period));
        break;
      case TraceSpec::Kind::kPoisson:
        sources.push_back(std::make_unique<Poisson>(spec.rate_per_s));
        break;
      case TraceSpec::Kind::kBursty:
        sources.push_back(std::make_unique<Bursty>(spec.burst_size, spec.burst_gap));
        break;
      case TraceSpec::Kind::kAzure: {
        // Mean invocations per hour, log-uniform over [10^-2.22, 10^2.72] (about once a week to
        // once every 7 s): the span that puts 45% of functions at or below one an hour and 81% at
        // or below one a minute, as in the Azure trace. Then a trigger kind.
        const double per_hour = std::pow(10.0, rng.uniform(-2.22, 2.72));
        at_most_hourly += per_hour <= 1.0 ? 1 : 0;
        at_most_minutely += per_hour <= 60.0 ? 1 : 0;
        const double kind = rng.uniform01();
        if (kind < 0.3) {
          ++timers;
          // Timer triggers use round periods.
          static constexpr SimTime kPeriods[] = {kMinute, 5 * kMinute, 10 * kMinute, 15 * kMinute,
                                                 30 * kMinute, kHour, 2 * kHour, 6 * kHour,
                                                 12 * kHour, kDay};
          SimTime period = kPeriods[0];
          for (const SimTime p : kPeriods) {
            if (static_cast<double>(p) <= static_cast<double>(kHour) / per_hour) {
              period = p;
            }
          }
          sources.push_back(std::make_unique<Periodic>(period));
        } else if (kind < 0.75) {
          sources.push_back(std::make_unique<Poisson>(per_hour / 3600.0));
        } else {
          ++bursty;
          const double size = rng.uniform(3.0, 30.0);
          const auto gap = static_cast<SimTime>(size / per_hour * static_cast<double>(kHour));
          sources.push_back(std::make_unique<Bursty>(size, std::max<SimTime>(gap, kMinute)));
        }
        break;
      }
    }
  }
  if (mix_summary != nullptr && spec.kind == TraceSpec::Kind::kAzure) {
    *mix_summary = fmt::format(
        "azure mix: {} functions, {:.0f}% invoked at most hourly, {:.0f}% at most once a minute, "
        "{:.0f}% timers, {:.0f}% bursty (ATC'20: 45%, 81%)",
        functions, 100.0 * at_most_hourly / functions, 100.0 * at_most_minutely / functions,
        100.0 * timers / functions, 100.0 * bursty / functions);
  }
  return sources;
}

}  // namespace hexwire::sim::cases::lambda
