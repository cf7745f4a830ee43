// The full latency histograms of a run as JSON (the report's "latency_histograms_us"): every
// non-empty bucket of core::Histogram with its bounds in microseconds, so a reader can draw the
// distribution and the CDF, or recompute any percentile, without the simulator.
#include <fmt/format.h>

#include "sim/report.hpp"

namespace hexwire::sim {

std::string latency_histograms_json(const IntervalSample& totals) {
  std::string out = "{";
  bool first_kind = true;
  for (std::size_t i = 0; i < kLatencyKindCount; ++i) {
    const core::Histogram& h = totals.latency[i];
    if (h.count() == 0) {
      continue;
    }
    out += fmt::format("{}\n    \"{}\": {{\"buckets\": [", first_kind ? "" : ",",
                       to_string(static_cast<LatencyKind>(i)));
    first_kind = false;
    bool first_bucket = true;
    h.for_each_bucket([&](std::uint64_t upper, std::uint64_t count) {
      const std::uint64_t lower = core::Histogram::bucket_lower(core::Histogram::bucket_index(upper));
      out += fmt::format("{}[{:.3f}, {:.3f}, {}]", first_bucket ? "" : ", ",
                         static_cast<double>(lower) / 1e3, static_cast<double>(upper) / 1e3, count);
      first_bucket = false;
    });
    out += "]}";
  }
  out += first_kind ? "}" : "\n  }";
  return out;
}

}  // namespace hexwire::sim
