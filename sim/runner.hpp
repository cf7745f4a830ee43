// hexwire-sim's run: picks the target (an engine started in this process, or --url), lays out the
// timeline (ramp-up, measured load, drain), runs one worker thread per --threads (each its own
// core::Reactor and ClientPool with the scenario's parts), prints a progress line per second, and
// at the end the final table, the JSON report and the CSV. Returns the process exit status.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

#include "sim/options.hpp"

namespace hexwire::sim {

/// Exit status: 0 ok; 1 the run could not start or no connection opened; 3 (kVerifyFailedExitCode)
/// --verify found lost, duplicated, reordered or unmatched messages.
int run_simulation(const SimOptions& options, std::FILE* progress, std::FILE* out);

/// Splits "ws://host:port/anything" into host and port (default 80). Throws std::invalid_argument.
void parse_ws_url(const std::string& url, std::string& host, std::uint16_t& port);

/// Raises the open-file limit to the hard limit; returns the resulting soft limit.
unsigned long raise_open_file_limit() noexcept;

}  // namespace hexwire::sim
