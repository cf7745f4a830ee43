// `hexwire-sim report a.json [b.json ...] --html out.html`: draws saved JSON reports (one run, or
// several compared on one page) into a self-contained HTML file.
#pragma once

#include <cstdio>

namespace hexwire::sim {

/// argv[0] is "report". Exit status: 0 written, 1 cannot read or write a file, 2 bad usage or a
/// file that is not a hexwire-sim report (the message names the file and the reason).
int run_report_command(int argc, char** argv, std::FILE* out, std::FILE* err);

}  // namespace hexwire::sim
