// Terminal table, JSON report and CSV of a case experiment.
#include "sim/cases/report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <iterator>

#include "core/json_string.hpp"

namespace hexwire::sim::cases {
namespace {

std::string reference_cell(const Figure& f) {
  if (!f.reference || f.compare == Compare::kInfo) {
    return "-";
  }
  const std::string value = format_figure_value(*f.reference);
  switch (f.compare) {
    case Compare::kAtMost:
      return "<= " + value;
    case Compare::kAtLeast:
      return ">= " + value;
    default:
      return value;
  }
}

std::string tolerance_cell(const Figure& f) {
  if (!f.reference || f.compare == Compare::kInfo || f.tolerance == 0.0) {
    return f.compare == Compare::kWithin && f.reference ? "exact" : "-";
  }
  return "+-" + format_figure_value(f.tolerance);
}

std::string verdict_cell(const Figure& f) {
  if (f.compare == Compare::kInfo || !f.reference) {
    return "info";
  }
  return f.ok() ? "ok" : "MISS";
}

}  // namespace

std::string format_figure_value(double value) {
  if (!std::isfinite(value)) {
    return std::isnan(value) ? "n/a" : (value > 0 ? "inf" : "-inf");
  }
  if (value == std::floor(value) && std::fabs(value) < 1e9) {
    return fmt::format("{}", static_cast<std::int64_t>(value));
  }
  const double magnitude = std::fabs(value);
  if (magnitude != 0.0 && (magnitude < 1e-3 || magnitude >= 1e7)) {
    return fmt::format("{:.3e}", value);
  }
  return fmt::format("{:.4g}", value);
}

std::string format_case_table(const RunSummary& s) {
  std::string out;
  const RunIdentity& run = s.identity;
  fmt::format_to(std::back_inserter(out), "{} {} ({}, seed {}):", run.case_name, run.experiment,
                 run.mode, run.seed);
  for (const auto& [name, value] : s.settings) {
    fmt::format_to(std::back_inserter(out), " {}={}", name, value);
  }
  out.push_back('\n');
  for (const std::string& note : s.outcome->notes) {
    fmt::format_to(std::back_inserter(out), "  {}\n", note);
  }
  std::size_t name_width = 6;
  for (const Figure& f : s.outcome->figures) {
    name_width = std::max(name_width, f.name.size());
  }
  fmt::format_to(std::back_inserter(out), "  {:<{}}  {:>12}  {:>12}  {:>11}  {}\n", "figure",
                 name_width, "measured", "reference", "tolerance", "verdict");
  for (const Figure& f : s.outcome->figures) {
    const std::string measured =
        format_figure_value(f.measured) + (f.unit.empty() ? "" : " " + f.unit);
    fmt::format_to(std::back_inserter(out), "  {:<{}}  {:>12}  {:>12}  {:>11}  {}\n", f.name,
                   name_width, measured, reference_cell(f), tolerance_cell(f), verdict_cell(f));
  }
  std::vector<std::string> sources;
  for (const Figure& f : s.outcome->figures) {
    if (!f.source.empty() && std::find(sources.begin(), sources.end(), f.source) == sources.end()) {
      sources.push_back(f.source);
    }
  }
  for (const std::string& source : sources) {
    std::string names;
    for (const Figure& f : s.outcome->figures) {
      if (f.source == source) {
        names += (names.empty() ? "" : ", ") + f.name;
      }
    }
    fmt::format_to(std::back_inserter(out), "  reference of {}: {}\n", names, source);
  }
  const std::size_t misses = s.outcome->misses();
  if (misses == 0) {
    fmt::format_to(std::back_inserter(out), "ok: every judged figure is within its tolerance");
  } else {
    fmt::format_to(std::back_inserter(out), "MISSED: {} of {} figures outside their tolerance",
                   misses, s.outcome->figures.size());
  }
  fmt::format_to(std::back_inserter(out), " ({:.2f} s wall, {} simulated)\n", s.wall_s,
                 s.sim_s > 0 ? fmt::format("{:.4g} s", s.sim_s) : std::string("nothing"));
  return out;
}

std::string format_case_json(const RunSummary& s) {
  const RunIdentity& run = s.identity;
  std::string out = "{\n  \"schema\": ";
  core::append_json_string(out, kCaseReportSchema);
  out += ",\n  \"case\": ";
  core::append_json_string(out, run.case_name);
  out += ",\n  \"experiment\": ";
  core::append_json_string(out, run.experiment);
  out += ",\n  \"run\": ";
  core::append_json_string(out, run.run_id);
  out += ",\n  \"mode\": ";
  core::append_json_string(out, run.mode);
  fmt::format_to(std::back_inserter(out), ",\n  \"seed\": {},\n  \"settings\": {{", run.seed);
  for (std::size_t i = 0; i < s.settings.size(); ++i) {
    out += i == 0 ? "" : ", ";
    core::append_json_string(out, s.settings[i].first);
    out += ": ";
    core::append_json_string(out, s.settings[i].second);
  }
  out += "},\n  \"figures\": [";
  for (std::size_t i = 0; i < s.outcome->figures.size(); ++i) {
    const Figure& f = s.outcome->figures[i];
    out += i == 0 ? "\n    {" : ",\n    {";
    append_figure_fields(out, f);
    out.push_back('}');
  }
  out += s.outcome->figures.empty() ? "],\n  \"notes\": [" : "\n  ],\n  \"notes\": [";
  for (std::size_t i = 0; i < s.outcome->notes.size(); ++i) {
    out += i == 0 ? "" : ", ";
    core::append_json_string(out, s.outcome->notes[i]);
  }
  fmt::format_to(std::back_inserter(out), "],\n  \"ok\": {},\n  \"misses\": {},\n  \"wall_s\": ",
                 s.outcome->ok() ? "true" : "false", s.outcome->misses());
  append_json_number(out, s.wall_s);
  out += ",\n  \"sim_s\": ";
  append_json_number(out, s.sim_s);
  out += "\n}\n";
  return out;
}

std::string format_case_csv(const Series& series) {
  std::string out;
  for (std::size_t i = 0; i < series.columns.size(); ++i) {
    out += (i == 0 ? "" : ",") + series.columns[i];
  }
  out.push_back('\n');
  for (const std::vector<double>& row : series.rows) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (i > 0) {
        out.push_back(',');
      }
      if (std::isfinite(row[i])) {
        fmt::format_to(std::back_inserter(out), "{:.9g}", row[i]);
      }
    }
    out.push_back('\n');
  }
  return out;
}

}  // namespace hexwire::sim::cases
