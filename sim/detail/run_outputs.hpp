// The parts of a run shared by one process (runner.cpp) and a --processes parent
// (process_runner.cpp): the timeline, the per-second progress/CSV rows, and the end-of-run
// outputs (final table, facts, JSON/CSV/HTML files, exit status). Private to sim/.
#pragma once

#include <cstdint>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sim/latency_recorder.hpp"
#include "sim/options.hpp"
#include "sim/report.hpp"
#include "sim/scenario.hpp"

namespace hexwire::sim::detail {

/// Ramp-up from `run_start_ns`, one second to settle, the measured load, then the drain.
RunTimeline make_timeline(const SimOptions& options, std::uint64_t run_start_ns);

/// Turns finished seconds into rows: a progress line each (when `progress` is set) and CSV text.
class IntervalPrinter {
 public:
  IntervalPrinter(const SimOptions& options, std::FILE* progress, const RunTimeline& timeline);
  void emit(const std::vector<IntervalSample>& samples);
  [[nodiscard]] const std::vector<IntervalRow>& rows() const noexcept { return rows_; }
  [[nodiscard]] const std::string& csv() const noexcept { return csv_; }

 private:
  const SimOptions& options_;
  std::FILE* progress_;
  double total_s_;
  IntervalSummarizer summarizer_;
  std::vector<IntervalRow> rows_;
  std::string csv_;
};

/// What the end-of-run outputs are made of.
struct RunOutcome {
  std::string target;  // URL, or "in-process"
  RunTimeline timeline;
  IntervalSample totals;
  std::vector<IntervalRow> rows;
  std::string csv;
  std::map<std::string, std::uint64_t> facts;
  std::uint64_t last_receive_ns = 0;  // monotonic time of the last message received (0: none)
  std::string peak_memory;            // the "process peak memory" line's value
  std::string first_connect_failure;
  std::optional<VerificationSummary> verification;
  std::optional<RidesVerificationSummary> rides_verification;
};

/// Prints the final table, facts, peak memory and connect-failure hint on `out`, writes the
/// --report/--csv/--html files, and returns the exit status (1 when nothing connected or a file
/// cannot be written, 3 when verification failed, else 0).
int write_outputs(const SimOptions& options, const RunOutcome& outcome, std::FILE* out);

/// This process's peak resident memory (VmHWM) in KiB, 0 if unreadable.
std::uint64_t peak_rss_kib();

}  // namespace hexwire::sim::detail
