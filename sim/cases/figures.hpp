// What an experiment reports: figures (a measured value against a reference, with a tolerance and
// a verdict), the time series behind its plot (--csv), and notes. Formatting for the terminal table
// and the --report JSON lives in report.hpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hexwire::sim::cases {

/// How a figure is judged against its reference.
enum class Compare : std::uint8_t {
  kWithin,   // |measured - reference| <= tolerance
  kAtMost,   // measured <= reference + tolerance
  kAtLeast,  // measured >= reference - tolerance
  kInfo,     // reported, not judged (no reference): always ok
};

std::string_view to_string(Compare compare) noexcept;

struct Figure {
  std::string name;  // snake_case, stable: scripts and the dashboard key on it
  double measured = 0.0;
  std::optional<double> reference;
  double tolerance = 0.0;  // absolute, in the figure's unit
  Compare compare = Compare::kInfo;
  std::string unit;    // "", "s", "ms", "GB*s", "1/object-year"...
  std::string source;  // where the reference comes from: "SOSP'07 §6.3", "derived (docs/cases/s3.md)"

  [[nodiscard]] bool ok() const noexcept;

  /// |measured - reference| <= tolerance.
  static Figure within(std::string name, double measured, double reference, double tolerance,
                       std::string source, std::string unit = {});
  /// |measured - reference| <= relative * |reference|.
  static Figure within_relative(std::string name, double measured, double reference,
                                double relative, std::string source, std::string unit = {});
  static Figure at_most(std::string name, double measured, double bound, std::string source,
                        std::string unit = {});
  static Figure at_least(std::string name, double measured, double bound, std::string source,
                         std::string unit = {});
  static Figure info(std::string name, double measured, std::string unit = {});
};

/// Column-named rows of numbers: the experiment's time series or sweep.
struct Series {
  std::vector<std::string> columns;
  std::vector<std::vector<double>> rows;
};

/// Everything one experiment run produced.
struct Outcome {
  std::vector<Figure> figures;
  std::vector<std::string> notes;  // one line each, printed above the table
  Series series;

  /// True when every judged figure is within its tolerance.
  [[nodiscard]] bool ok() const noexcept;
  [[nodiscard]] std::size_t misses() const noexcept;
};

}  // namespace hexwire::sim::cases
