// The hybrid histogram policy's window arithmetic and the policy text.
#include "sim/cases/lambda/keepalive_policy.hpp"

#include <fmt/format.h>

#include <cmath>
#include <numeric>

#include "sim/cases/latency.hpp"

namespace hexwire::sim::cases::lambda {

IdleHistogram::IdleHistogram(const HybridSettings& settings)
    : settings_(&settings), bins_(static_cast<std::size_t>(settings.range / settings.bin), 0) {}

void IdleHistogram::record(SimTime idle) {
  const auto bin = static_cast<std::size_t>(idle / settings_->bin);
  if (bin < bins_.size()) {
    ++bins_[bin];
    ++in_range_;
    return;
  }
  ++out_of_range_;
  recent_out_of_range_.push_back(idle);
  if (recent_out_of_range_.size() > 5) {
    recent_out_of_range_.pop_front();
  }
}

std::uint32_t IdleHistogram::percentile_bin(double p) const {
  const double target = p * in_range_;
  std::uint64_t seen = 0;
  for (std::size_t b = 0; b < bins_.size(); ++b) {
    seen += bins_[b];
    if (static_cast<double>(seen) >= target && seen > 0) {
      return static_cast<std::uint32_t>(b);
    }
  }
  return static_cast<std::uint32_t>(bins_.size() - 1);
}

double IdleHistogram::bin_cv() const {
  const double n = static_cast<double>(bins_.size());
  const double mean = static_cast<double>(in_range_) / n;
  double squares = 0;
  for (const std::uint32_t c : bins_) {
    squares += (c - mean) * (c - mean);
  }
  return mean > 0 ? std::sqrt(squares / n) / mean : 0.0;
}

KeepWindow IdleHistogram::window_for(const HybridSettings& s, double head_s, double tail_s) {
  const double bin_s = to_seconds(s.bin);
  const double head_bin = std::floor(head_s / bin_s);
  const double tail_bin = std::min(std::floor(tail_s / bin_s), to_seconds(s.range) / bin_s - 1);
  const double prewarm_s = head_bin * bin_s * (1.0 - s.margin);
  const double end_s = (tail_bin + 1) * bin_s * (1.0 + s.margin);
  return KeepWindow{from_seconds(prewarm_s), from_seconds(end_s - prewarm_s),
                    KeepWindow::Source::kHistogram};
}

KeepWindow IdleHistogram::window() const {
  const std::uint32_t samples = in_range_ + out_of_range_;
  const double outside = samples ? static_cast<double>(out_of_range_) / samples : 0.0;
  if (recent_out_of_range_.size() >= 3 && outside > settings_->out_of_range_share) {
    const double predicted = std::accumulate(recent_out_of_range_.begin(),
                                             recent_out_of_range_.end(), 0.0) /
                             static_cast<double>(recent_out_of_range_.size());
    return KeepWindow{static_cast<SimTime>(0.85 * predicted),
                      static_cast<SimTime>(0.30 * predicted), KeepWindow::Source::kPredicted};
  }
  if (samples < settings_->min_samples || bin_cv() < settings_->cv_threshold) {
    return KeepWindow{0, settings_->range, KeepWindow::Source::kFallback};
  }
  const double bin_s = to_seconds(settings_->bin);
  return window_for(*settings_, percentile_bin(settings_->head) * bin_s,
                    percentile_bin(settings_->tail) * bin_s);
}

std::optional<PolicySpec> parse_policy(std::string_view text, std::string& error) {
  PolicySpec spec;
  spec.text = std::string(text);
  if (text == "hybrid") {
    spec.hybrid = true;
    return spec;
  }
  if (text.rfind("fixed:", 0) == 0) {
    const std::optional<SimTime> keep = parse_duration(text.substr(6), "m");
    if (keep) {
      spec.fixed = *keep;
      return spec;
    }
  }
  error = fmt::format("--policy {}: use fixed:DURATION (fixed:10m, fixed:20m; a bare number is "
                      "minutes) or hybrid",
                      text);
  return std::nullopt;
}

}  // namespace hexwire::sim::cases::lambda
