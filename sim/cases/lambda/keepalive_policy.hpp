// Keep-alive policies for function instances. After each execution a policy says how long to wait
// before loading the function again (pre-warm) and how long to keep it loaded then (keep-alive).
//   fixed:K  load it right away and keep it K (Lambda's and OpenWhisk's fixed window).
//   hybrid   the hybrid histogram policy of Shahrad et al. (ATC'20 §4.2): a per-function histogram
//            of idle times in 1-minute bins over a 4-hour range; pre-warm at the 5th percentile
//            (minus a 10% margin) and keep alive to the 99th (plus 10%). Fallbacks: with fewer than
//            --min-samples idle times, or a flat histogram (bin-count CV below 2), keep the
//            function the whole range; when most idle times fall beyond the range, predict the next
//            one as the mean of the last five such (the paper uses ARIMA here) and cover 85%-115%.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/cases/event_loop.hpp"

namespace hexwire::sim::cases::lambda {

struct KeepWindow {
  SimTime prewarm = 0;    // after the execution ends: unloaded this long (0: stays loaded)
  SimTime keepalive = 0;  // then loaded this long
  enum class Source : std::uint8_t { kFixed, kHistogram, kFallback, kPredicted } source = Source::kFixed;
};

struct HybridSettings {
  SimTime bin = kMinute;
  SimTime range = 4 * kHour;
  double head = 0.05;
  double tail = 0.99;
  double margin = 0.10;
  std::uint32_t min_samples = 10;
  double cv_threshold = 2.0;
  double out_of_range_share = 0.5;
};

/// One function's idle-time history and the window it implies.
class IdleHistogram {
 public:
  explicit IdleHistogram(const HybridSettings& settings);
  void record(SimTime idle);
  [[nodiscard]] KeepWindow window() const;
  /// The window the policy would choose for idle-time quantiles `head_s` and `tail_s` (seconds)
  /// once trained on a histogram (no fallback): used for derived references.
  [[nodiscard]] static KeepWindow window_for(const HybridSettings& s, double head_s, double tail_s);

 private:
  [[nodiscard]] std::uint32_t percentile_bin(double p) const;
  [[nodiscard]] double bin_cv() const;

  const HybridSettings* settings_;
  std::vector<std::uint32_t> bins_;
  std::uint32_t in_range_ = 0;
  std::uint32_t out_of_range_ = 0;
  std::deque<SimTime> recent_out_of_range_;
};

struct PolicySpec {
  bool hybrid = false;
  SimTime fixed = 10 * kMinute;
  std::string text;
};

/// "fixed:10m" (any duration) or "hybrid"; nullopt with `error` set.
std::optional<PolicySpec> parse_policy(std::string_view text, std::string& error);

}  // namespace hexwire::sim::cases::lambda
