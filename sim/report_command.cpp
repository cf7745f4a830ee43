// The `report` subcommand of hexwire-sim (see report_command.hpp).
#include "sim/report_command.hpp"

#include <CLI/CLI.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "sim/report_html.hpp"

namespace hexwire::sim {

namespace {

constexpr std::size_t kMaxRuns = 8;

bool read_file(const std::string& path, std::string& content) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return false;
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  content = std::move(buffer).str();
  return static_cast<bool>(in) || in.eof();
}

}  // namespace

int run_report_command(int argc, char** argv, std::FILE* out, std::FILE* err) {
  CLI::App app{"Draw saved hexwire-sim JSON reports (--report FILE) as one self-contained HTML "
               "page; several reports are compared on the same charts",
               "hexwire-sim report"};
  std::vector<std::string> inputs;
  std::string html;
  app.add_option("reports", inputs, "JSON reports written by hexwire-sim --report (1 to 8)")
      ->required()
      ->expected(1, static_cast<int>(kMaxRuns));
  app.add_option("--html", html, "HTML file to write")->required();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    std::ostringstream text;
    const int code = app.exit(e, text, text);
    std::fputs(text.str().c_str(), code == 0 ? out : err);
    return code == 0 ? 0 : 2;
  }
  std::vector<ReportInput> runs;
  for (const std::string& path : inputs) {
    ReportInput run;
    run.label = std::filesystem::path(path).filename().string();
    if (!read_file(path, run.json)) {
      std::fprintf(err, "hexwire-sim report: cannot read %s\n", path.c_str());
      return 1;
    }
    if (const std::string problem = check_report_json(run.json); !problem.empty()) {
      std::fprintf(err, "hexwire-sim report: %s: %s\n", path.c_str(), problem.c_str());
      return 2;
    }
    runs.push_back(std::move(run));
  }
  std::ofstream file(html, std::ios::binary);
  file << render_html_report(runs);
  file.close();
  if (!file) {
    std::fprintf(err, "hexwire-sim report: cannot write %s\n", html.c_str());
    return 1;
  }
  std::fprintf(out, "hexwire-sim report: %zu report(s) drawn into %s\n", runs.size(), html.c_str());
  return 0;
}

}  // namespace hexwire::sim
