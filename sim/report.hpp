// Everything hexwire-sim prints: the once-a-second progress line, the final table, the JSON report
// (--report FILE) and the per-second CSV (--csv FILE). All functions build strings, so they are
// testable and the caller decides where the text goes. Latencies come from the full histograms of
// LatencyRecorder (never averages of percentiles); the JSON schema is documented in
// docs/simulator.md and versioned by its "schema" field.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/histogram.hpp"
#include "sim/latency_recorder.hpp"
#include "sim/rides_verifier.hpp"
#include "sim/verifier.hpp"

namespace hexwire::sim {

inline constexpr std::string_view kReportSchema = "hexwire-sim-report/1";

/// Percentiles of one histogram, in nanoseconds (all 0 when count is 0).
struct LatencySummary {
  std::uint64_t count = 0;
  std::uint64_t min_ns = 0;
  double mean_ns = 0.0;
  std::uint64_t p50_ns = 0;
  std::uint64_t p90_ns = 0;
  std::uint64_t p99_ns = 0;
  std::uint64_t p999_ns = 0;
  std::uint64_t max_ns = 0;
};
LatencySummary summarize(const core::Histogram& histogram);

/// One second of the run, reduced to what the progress line, the CSV and the JSON show.
struct IntervalRow {
  std::uint64_t second = 0;
  std::uint64_t connections_open = 0;  // at the end of the second
  std::array<std::uint64_t, kCounterCount> counters{};
  std::array<std::uint64_t, kErrorKindCount> errors{};
  std::array<LatencySummary, kLatencyKindCount> latency{};

  [[nodiscard]] std::uint64_t counter(Counter c) const noexcept {
    return counters[static_cast<std::size_t>(c)];
  }
  [[nodiscard]] std::uint64_t error_total() const noexcept;
};

/// Turns the aggregator's per-second samples into rows, keeping the running connection count.
class IntervalSummarizer {
 public:
  IntervalRow add(const IntervalSample& sample);
  [[nodiscard]] std::uint64_t connections_open() const noexcept { return open_; }

 private:
  std::uint64_t open_ = 0;
};

/// "[  12/60 s] conns 9998/10000 | sent 50.1k/s recv 2.40M/s | rtt p50 212us p99 1.31ms | errors 0"
/// Shows every latency kind that has samples in that second; errors are broken down by kind.
std::string format_progress_line(const IntervalRow& row, double total_s,
                                 std::uint64_t connections_target);

/// What the end-of-run outputs describe.
struct RunReport {
  std::string scenario;
  std::string target;   // URL, or "in-process"
  std::string arrival;  // "poisson" or "constant"
  std::uint64_t seed = 0;
  double planned_duration_s = 0.0;
  double measured_duration_s = 0.0;  // from the first scheduled send to the end of the drain
  std::vector<std::pair<std::string, std::string>> settings;  // flag name -> value, as run
  /// With several --url: (URL, connections opened to it), in --url order; empty otherwise.
  std::vector<std::pair<std::string, std::uint64_t>> connections_per_url;
  IntervalSample totals;
  std::vector<IntervalRow> intervals;
  std::optional<VerificationSummary> verification;             // chat or echo, with --verify
  std::optional<RidesVerificationSummary> rides_verification;  // rides or mixed, with --verify
  /// The scenarios' counts printed under the final table ("chat subs subscribed after a retry"),
  /// by name.
  std::vector<std::pair<std::string, std::uint64_t>> facts;

  /// Exit status of a run that got this far: 0, or kVerifyFailedExitCode when a verification
  /// found an anomaly.
  [[nodiscard]] int verification_exit_code() const noexcept;
};

/// Throughput, p50/p90/p99/p99.9/max for each latency that has samples, errors by kind, and the
/// verification verdict. Multi-line, ends with a newline.
std::string format_final_table(const RunReport& report);

/// The JSON report (one object, pretty-printed, ends with a newline).
std::string format_json_report(const RunReport& report);

/// {"<kind>": {"buckets": [[lower_us, upper_us, count], ...]}, ...}: every non-empty bucket of
/// each kind's full histogram (1% wide), for distributions and CDFs (HTML reports).
std::string latency_histograms_json(const IntervalSample& totals);

/// The CSV: one header line, then one line per second. Columns are fixed (every kind, counter and
/// error kind, zeros when nothing happened) so files from different scenarios line up.
std::string csv_header();
std::string csv_row(const IntervalRow& row);

/// Human-friendly units: "850ns", "212us", "1.31ms", "2.50s"; "950/s", "50.1k/s", "2.40M/s".
std::string format_latency(std::uint64_t ns);
std::string format_rate(double per_second);
/// JSON string literal with quotes and escapes.
std::string json_quote(std::string_view text);

}  // namespace hexwire::sim
