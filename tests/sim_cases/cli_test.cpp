// The case command line end to end in this process: help, usage errors (exit 2), the table, the
// JSON report (parsed with simdjson), the CSV, progress events, and --check turning a miss into 4.
#include <simdjson.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "sim/cases/cli.hpp"

namespace cases = hexwire::sim::cases;

namespace {

struct CommandResult {
  int status = -1;
  std::string out;
  std::string err;
};

std::string slurp(std::FILE* file) {
  std::rewind(file);
  std::string text;
  char buffer[4096];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, file)) > 0) {
    text.append(buffer, n);
  }
  return text;
}

CommandResult run(std::vector<std::string> args) {
  args.insert(args.begin(), "hexwire-sim");
  std::vector<const char*> argv;
  for (const std::string& a : args) {
    argv.push_back(a.c_str());
  }
  std::FILE* out = std::tmpfile();
  std::FILE* err = std::tmpfile();
  CommandResult r;
  r.status = cases::run_case_command(static_cast<int>(argv.size()), argv.data(), out, err);
  r.out = slurp(out);
  r.err = slurp(err);
  std::fclose(out);
  std::fclose(err);
  return r;
}

std::string temp_path(const std::string& suffix) {
  return "/tmp/hexwire_cases_cli_" + std::to_string(::getpid()) + suffix;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

TEST_CASE("case help lists the experiments, experiment help lists its knobs and common flags") {
  CHECK(cases::is_case_name("dynamo"));
  CHECK_FALSE(cases::is_case_name("chat"));
  const CommandResult c = run({"dynamo", "--help"});
  CHECK(c.status == 0);
  CHECK(c.out.find("ring") != std::string::npos);
  const CommandResult e = run({"dynamo", "ring", "--help"});
  CHECK(e.status == 0);
  CHECK(e.out.find("--vnodes") != std::string::npos);
  CHECK(e.out.find("--check") != std::string::npos);
  CHECK(e.out.find("docs/cases/dynamo.md") != std::string::npos);
}

TEST_CASE("usage errors exit 2 with a message that says what to fix") {
  const CommandResult missing = run({"dynamo"});
  CHECK(missing.status == 2);
  CHECK(missing.err.find("needs an experiment") != std::string::npos);
  const CommandResult unknown = run({"dynamo", "teleport"});
  CHECK(unknown.status == 2);
  CHECK(unknown.err.find("no experiment 'teleport'") != std::string::npos);
  const CommandResult range = run({"dynamo", "ring", "--vnodes", "0"});
  CHECK(range.status == 2);
  CHECK(range.err.find("--vnodes 0: must be from 1 to 100000") != std::string::npos);
  const CommandResult word = run({"dynamo", "ring", "--nodes", "ten"});
  CHECK(word.status == 2);
  CHECK(word.err.find("not a whole number") != std::string::npos);
  const CommandResult stray = run({"dynamo", "ring", "--policy", "gac"});
  CHECK(stray.status == 2);
  const CommandResult fail = run({"dynamo", "ring", "--fail", "crash:n1@1s"});
  CHECK(fail.status == 2);
  CHECK(fail.err.find("do not apply") != std::string::npos);
}

TEST_CASE("a run prints the table and writes a JSON report, the CSV and progress events") {
  const std::string report = temp_path(".json");
  const std::string csv = temp_path(".csv");
  const std::string events = temp_path(".events");
  const CommandResult r = run({"dynamo", "ring", "--trials", "50", "--keys", "20000", "--report",
                               report, "--csv", csv, "--events", events, "--check"});
  INFO(r.out << r.err);
  CHECK(r.status == 0);
  CHECK(r.out.find("max_over_mean") != std::string::npos);
  CHECK(r.out.find("ok: every judged figure") != std::string::npos);

  simdjson::dom::parser parser;
  const simdjson::dom::element doc = parser.parse(read_file(report));
  CHECK(std::string_view(doc["case"]) == "dynamo");
  CHECK(std::string_view(doc["experiment"]) == "ring");
  CHECK(bool(doc["ok"]));
  CHECK(std::string_view(doc["settings"]["trials"]) == "50");
  bool saw_max = false;
  for (const simdjson::dom::element figure : doc["figures"].get_array()) {
    CHECK((figure["measured"].is_double() || figure["measured"].is_int64()));
    CHECK(bool(figure["ok"]));
    if (std::string_view(figure["name"]) == "max_over_mean") {
      saw_max = true;
      CHECK(double(figure["reference"]) == Approx(1.158).epsilon(0.01));
      CHECK(double(figure["tolerance"]) > 0.0);
    }
  }
  CHECK(saw_max);

  const std::string series = read_file(csv);
  CHECK(series.rfind("trials,max_over_mean,cv,moved_on_join,moved_on_leave\n", 0) == 0);
  CHECK(std::count(series.begin(), series.end(), '\n') == 51);

  std::istringstream lines(read_file(events));
  std::string line;
  std::vector<std::string> types;
  while (std::getline(lines, line)) {
    const simdjson::dom::element event = parser.parse(line);
    types.emplace_back(std::string_view(event["type"]));
    CHECK(std::string_view(event["case"]) == "dynamo");
  }
  REQUIRE(types.size() > 3);
  CHECK(types.front() == "start");
  CHECK(types.back() == "end");
  CHECK(std::count(types.begin(), types.end(), "sample") == 50);
  std::remove(report.c_str());
  std::remove(csv.c_str());
  std::remove(events.c_str());
}

TEST_CASE("a missed figure exits 4 with --check and 0 without it") {
  // 100 keys over 10 nodes: key-sampling noise dwarfs the ring's own spread at 1000 tokens, so the
  // busiest node is far above the reference for a continuous keyspace.
  const std::vector<std::string> args{"dynamo", "ring", "--keys", "100", "--vnodes", "1000",
                                      "--trials", "20"};
  CommandResult plain = run(args);
  CHECK(plain.status == 0);
  CHECK(plain.out.find("MISS") != std::string::npos);
  std::vector<std::string> checked = args;
  checked.push_back("--check");
  CHECK(run(checked).status == 4);
}

TEST_CASE("the same seed gives the same figures, another seed does not") {
  const std::vector<std::string> args{"dynamo", "ring", "--trials", "20", "--keys", "5000"};
  std::vector<std::string> seed2 = args;
  seed2.insert(seed2.end(), {"--seed", "2"});
  // The figure lines only: the header names the seed and the last line the wall time.
  const auto figures = [](const std::string& text) {
    const std::size_t begin = text.find("\n  max_over_mean");
    return text.substr(begin, text.find("reference of") - begin);
  };
  CHECK(figures(run(args).out) == figures(run(args).out));
  CHECK(figures(run(args).out) != figures(run(seed2).out));
}

TEST_CASE("live flags: what is missing or does not apply is a usage error") {
  const CommandResult no_url = run({"dynamo", "quorum", "--live"});
  CHECK(no_url.status == 2);
  CHECK(no_url.err.find("--live needs --url") != std::string::npos);
  const CommandResult computation = run({"dynamo", "ring", "--live", "--url", "ws://127.0.0.1:1"});
  CHECK(computation.status == 2);
  CHECK(computation.err.find("cannot run --live") != std::string::npos);
  const CommandResult scheme = run({"s3", "consistency", "--url", "http://127.0.0.1:8080"});
  CHECK(scheme.status == 2);
  CHECK(scheme.err.find("must start with ws://") != std::string::npos);
  const CommandResult token = run({"lambda", "boot", "--token", "abc"});
  CHECK(token.status == 2);
  const CommandResult latency =
      run({"lambda", "boot", "--live", "--url", "ws://127.0.0.1:1", "--latency", "constant:1ms"});
  CHECK(latency.status == 2);
}

TEST_CASE("an engine that is not there: exit 1 and a message naming the URL") {
  // Port 1 on loopback: nothing listens there, the connection is refused at once.
  const CommandResult r = run({"dynamo", "ring", "--trials", "5", "--url", "ws://127.0.0.1:1"});
  CHECK(r.status == 1);
  CHECK(r.err.find("ws://127.0.0.1:1") != std::string::npos);
}
