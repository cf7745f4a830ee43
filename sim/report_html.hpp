// HTML reports: one self-contained page (uPlot and the report script inlined, nothing fetched)
// drawn from one or more hexwire-sim JSON reports, which stay the source of truth. Used by
// `hexwire-sim ... --html FILE` and `hexwire-sim report a.json [b.json] --html out.html`.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace hexwire::sim {

struct ReportInput {
  std::string label;  // shown in legends: the file name, or "this run"
  std::string json;   // a whole JSON report (format_json_report)
};

/// Empty when `json` is a JSON object whose "schema" is "hexwire-sim-report/<n>"; otherwise what
/// is wrong with it, for the user.
[[nodiscard]] std::string check_report_json(std::string_view json);

/// The page. Each report is embedded as data; the page's script draws throughput, latency
/// percentiles over time, the latency distribution and CDF, errors over time, the verification
/// summary and the settings, one series per report when there are several.
[[nodiscard]] std::string render_html_report(const std::vector<ReportInput>& runs);

}  // namespace hexwire::sim
