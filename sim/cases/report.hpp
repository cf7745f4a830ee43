// The end-of-run outputs of a case experiment: the terminal table (figure, measured, reference,
// tolerance, verdict), the --report JSON and the --csv series. Strings only: the command line
// decides where they go.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "sim/cases/figures.hpp"
#include "sim/cases/progress.hpp"

namespace hexwire::sim::cases {

inline constexpr std::string_view kCaseReportSchema = "hexwire-case-report/1";

struct RunSummary {
  RunIdentity identity;
  std::vector<std::pair<std::string, std::string>> settings;  // knob -> value, as run
  double wall_s = 0.0;
  double sim_s = 0.0;
  const Outcome* outcome = nullptr;
};

/// Header line, notes, the table and the verdict line ("ok: 4 figures" / "MISSED 1 of 4").
std::string format_case_table(const RunSummary& summary);
/// {"schema":..,"case":..,"experiment":..,"mode":..,"seed":..,"settings":{..},
///  "figures":[{"name","measured","reference","tolerance","compare","ok","unit","source"}],
///  "notes":[..],"ok":..,"wall_s":..,"sim_s":..}
std::string format_case_json(const RunSummary& summary);
/// Header of column names, then one line per row (numbers with up to 9 significant digits).
std::string format_case_csv(const Series& series);
/// "1.163", "2.73e-15", "58.3%"-free plain numbers for the table.
std::string format_figure_value(double value);

}  // namespace hexwire::sim::cases
