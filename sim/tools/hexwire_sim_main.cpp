// hexwire-sim: simulated WebSocket client populations for load tests of the hexwire engine
// (echo, chat, rides, mixed), open-loop, with per-second progress, a final table, JSON/CSV reports
// and --verify. Usage: hexwire-sim [echo|chat|rides|mixed] [--url ws://HOST:PORT] [--duration S]
// [--connections N] [--verify] [--report FILE] [--html FILE] ... (hexwire-sim --help lists every
// flag). Case studies: hexwire-sim <case> <experiment> [flags] (sim/cases/, e.g. hexwire-sim dynamo
// ring). HTML from saved reports: hexwire-sim report a.json [b.json ...] --html out.html
#include <csignal>
#include <cstdio>
#include <string_view>

#include "sim/cases/cli.hpp"
#include "sim/options.hpp"
#include "sim/report_command.hpp"
#include "sim/runner.hpp"
#include "sim/tools/embedded_engine.hpp"

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  if (argc > 1 && hexwire::sim::cases::is_case_name(argv[1])) {
    return hexwire::sim::cases::run_case_command(argc, argv, stdout, stderr);
  }
  if (argc > 1 && std::string_view(argv[1]) == "report") {
    return hexwire::sim::run_report_command(argc - 1, argv + 1, stdout, stderr);
  }
  hexwire::sim::ParseOutcome parsed = hexwire::sim::parse_options(argc, argv);
  if (!parsed.options) {
    std::fputs(parsed.message.c_str(), parsed.exit_code == 0 ? stdout : stderr);
    return parsed.exit_code;
  }
  return hexwire::sim::run_simulation(*parsed.options, stderr, stdout,
                                      hexwire::sim::embedded_engine_factory());
}
