// The command line of the case-study simulators: hexwire-sim <case> <experiment> [flags].
// Builds each experiment's flags from its declared knobs plus the common ones (--seed, --check,
// --report, --csv, --events, and for networked experiments --latency and --fail), validates them
// (a clear error and exit status 2, as hexwire-sim does), runs the experiment, prints the figure
// table and writes the requested files.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

namespace hexwire::sim::cases {

/// Exit statuses of a case command.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;   // the run could not start or broke off
inline constexpr int kExitUsage = 2;    // bad flags or knob combination
inline constexpr int kExitMissed = 4;   // --check and a figure outside its tolerance

/// True when `word` names a case (the first argument of hexwire-sim selects this command).
[[nodiscard]] bool is_case_name(std::string_view word) noexcept;

/// Runs "hexwire-sim <case> ...": argv[0] is the program, argv[1] the case name (is_case_name).
/// The table and help go to `out`, errors to `err`. Returns the exit status.
int run_case_command(int argc, const char* const* argv, std::FILE* out, std::FILE* err);

/// One line per case ("  dynamo   DynamoDB: ...") for hexwire-sim's own --help.
[[nodiscard]] std::string case_list_text();

}  // namespace hexwire::sim::cases
