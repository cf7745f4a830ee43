// Each case once in live mode against an engine started by the test (in this process, on a free
// loopback port): the real hexwire-sim runs the experiment with --live --check, every simulated
// node a /ws connection; meanwhile this test subscribes to sim:<case> and must receive every
// progress event the run wrote to its --events file. Experiments that are computations (no --live)
// run with --url only and must deliver their progress events the same way.
#include <simdjson.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <system_error>

#include "sim/cases/live_link.hpp"
#include "sim/tools/embedded_engine.hpp"

extern char** environ;

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

struct LiveRun {
  int exit_code = -1;
  std::string output;
  std::string report;
  std::uint64_t events_written = 0;
  std::uint64_t events_received = 0;
};

/// Runs `hexwire-sim CASE ARGS --url ... --check` with --live (networked experiments) or without it
/// (computations, which only publish their progress to sim:<case>).
LiveRun run_live(const std::string& case_name, const std::string& args, bool live = true) {
  std::unique_ptr<hexwire::sim::EmbeddedEngine> engine;
  try {
    engine = std::make_unique<hexwire::sim::EmbeddedEngine>("127.0.0.1", 1);
  } catch (const std::system_error& e) {
    std::fprintf(stderr, "SKIPPED: engine cannot start: %s\n", e.what());
    std::exit(4);
  }
  const std::string url = "ws://127.0.0.1:" + std::to_string(engine->port());
  hexwire::sim::cases::LiveLink watcher(url, "");
  watcher.add("live-test-watcher", "sim:" + case_name);
  watcher.open_all(5'000'000'000);

  const std::string stem = "/tmp/hexwire_cases_live_" + std::to_string(::getpid()) + "_" + case_name;
  const std::string command = std::string("exec ") + HEXWIRE_SIM_PATH + " " + case_name + " " +
                              args + (live ? " --live" : "") + " --url " + url + " --check --report " + stem +
                              ".json --events " + stem + ".events > " + stem + ".log 2>&1";
  const char* argv[] = {"/bin/sh", "-c", command.c_str(), nullptr};
  pid_t child = 0;
  REQUIRE(posix_spawn(&child, "/bin/sh", nullptr, nullptr, const_cast<char**>(argv), environ) == 0);
  LiveRun run;
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (::waitpid(child, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(child, SIGKILL);
      ::waitpid(child, &status, 0);
      FAIL("hexwire-sim did not finish within 60 s");
    }
    watcher.pump(10'000'000);
  }
  // The last events may still be on their way to this subscriber.
  const auto settle = std::chrono::steady_clock::now() + std::chrono::milliseconds(500);
  while (std::chrono::steady_clock::now() < settle) {
    watcher.pump(10'000'000);
  }
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  run.output = read_file(stem + ".log");
  run.report = read_file(stem + ".json");
  const std::string events = read_file(stem + ".events");
  run.events_written = static_cast<std::uint64_t>(std::count(events.begin(), events.end(), '\n'));
  run.events_received = watcher.stats().received;
  for (const char* suffix : {".json", ".events", ".log"}) {
    std::remove((stem + suffix).c_str());
  }
  return run;
}

void check_live_report(const LiveRun& run) {
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  simdjson::dom::parser parser;
  const simdjson::dom::element doc = parser.parse(run.report);
  CHECK(std::string_view(doc["mode"]) == "live");
  CHECK(bool(doc["ok"]));
  double delivered = 0;
  for (const simdjson::dom::element figure : doc["figures"].get_array()) {
    if (std::string_view(figure["name"]) == "live_messages_delivered") {
      delivered = double(figure["measured"]);
    }
  }
  CHECK(delivered > 100);
  CHECK(run.events_written > 3);
  CHECK(run.events_received == run.events_written);
}

void check_progress_report(const LiveRun& run) {
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  simdjson::dom::parser parser;
  const simdjson::dom::element doc = parser.parse(run.report);
  CHECK(std::string_view(doc["mode"]) == "virtual");
  CHECK(bool(doc["ok"]));
  CHECK(run.events_written > 3);
  CHECK(run.events_received == run.events_written);
}

}  // namespace

TEST_CASE("live: dynamo quorum over the engine, with a node crash") {
  check_live_report(run_live("dynamo", "quorum --duration 4s --drain 2s --clients 5 --keys 100 "
                                       "--fail crash:n1@1s+1s"));
}

TEST_CASE("live: s3 consistency over the engine, witness on") {
  check_live_report(run_live("s3", "consistency --duration 3s --read-rate 100 --write-rate 20"));
}

TEST_CASE("live: lambda boot over the engine, a burst of 100") {
  check_live_report(run_live("lambda", "boot --duration 2s --burst 100 --rate 10"));
}

TEST_CASE("live: primevideo cost over the engine, distributed above its ceiling") {
  // 20 streams need 120 transitions a second; the budget is 60: the orchestrator serves 10.
  check_live_report(run_live("primevideo", "cost --arch distributed --streams 20 "
                                           "--transition-limit 60 --duration 4s"));
}

TEST_CASE("live: search tail over the engine, 8 shards with hedging") {
  // 17 connections (root + 2 replicas of 8 shards); every query is a publish to each shard.
  check_live_report(run_live("search", "tail --shards 8 --docs 2000 --queries 150 --rate 60 "
                                       "--slow-p 0.05 --slow-ms 200 --hedge p95"));
}

TEST_CASE("live: netflix breaker over the engine, the dependency failing then healing") {
  // Opens at 0.5 s, trials at about 2.5 and 4.5 s; heals at 4 s, so the second trial closes it.
  check_live_report(run_live("netflix", "breaker --breaker on --duration 6s --heal-at 4s --sleep 2s "
                                        "--rate 50 --healthy-rate 20"));
}

TEST_CASE("live: spotify bandits over the engine, 7 recommenders for 10 rounds") {
  check_live_report(run_live("spotify", "bandits --rounds 10 --visits 100 --round-time 300ms"));
}

TEST_CASE("live: airbnb search over the engine") {
  // 6 connections: the search service and 5 guests; every search and answer crosses the engine.
  check_live_report(run_live("airbnb", "search --guests 5 --searches 300 --rate 100"));
}

TEST_CASE("live: spotify features over the engine, the store down for 1 s") {
  check_live_report(run_live("spotify", "features --fallback on --duration 4s --rate 50 "
                                        "--outage-at 1s --outage-for 1s --deadline 30ms"));
}

TEST_CASE("live: netflix abr and cdn publish their progress to an engine") {
  check_progress_report(run_live("netflix", "abr --traces 20", false));
  check_progress_report(run_live("netflix", "cdn --days 3", false));
}
