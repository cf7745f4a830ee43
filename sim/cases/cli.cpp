// hexwire-sim <case> <experiment>: flags from the experiment's knobs, validation, the run, and
// the outputs (table, --report JSON, --csv, --events).
#include "sim/cases/cli.hpp"

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <chrono>
#include <exception>
#include <fstream>
#include <map>
#include <memory>
#include <optional>

#include "sim/cases/catalog.hpp"
#include "sim/cases/latency.hpp"
#include "sim/cases/live_network.hpp"
#include "sim/cases/report.hpp"
#include "sim/cases/virtual_network.hpp"

namespace hexwire::sim::cases {
namespace {

struct CommonFlags {
  std::uint64_t seed = 1;
  bool check = false;
  std::string report_file;
  std::string csv_file;
  std::string events_file;
  std::string latency;
  std::vector<std::string> fail;
  bool live = false;
  std::string url;
  std::string token;
};

/// What the flags resolved to for a networked experiment.
struct NetworkPlan {
  LatencyDistribution latency = LatencyDistribution::constant(0);
  std::vector<FaultSpec> faults;
};

std::string experiment_list_text(const CaseSpec& spec) {
  std::string text;
  for (const ExperimentSpec& e : spec.experiments) {
    fmt::format_to(std::back_inserter(text), "  {:<14} {}\n", e.name, e.summary);
  }
  return text;
}

std::string case_help(const CaseSpec& spec) {
  return fmt::format(
      "hexwire-sim {}: {}\n\nUsage: hexwire-sim {} <experiment> [flags]\n\nExperiments:\n{}\n"
      "Each prints measured figures against their references; --check makes a miss exit 4.\n"
      "hexwire-sim {} <experiment> --help lists the experiment's flags. Background: {}\n",
      spec.name, spec.summary, spec.name, experiment_list_text(spec), spec.name, spec.docs);
}

constexpr std::string_view kCommonFooter = R"(Common flags:
  --seed N        seeds every random stream of the run (same seed, same figures)
  --check         exit 4 when a judged figure is outside its tolerance (0 otherwise)
  --report FILE   JSON: settings and one object per figure (name, measured, reference,
                  tolerance, compare, ok, unit, source)
  --csv FILE      the experiment's series (the data behind its plot), one row per line
  --events FILE   the progress events (one JSON object per line; docs/cases/README.md)
  --url URL       also publish the progress events to sim:<case> on a running engine
                  (ws://HOST:PORT; the engine needs --anonymous, or pass --token JWT)
Exit status: 0 done, 1 the run failed, 2 bad flags, 4 --check and a figure missed.)";

constexpr std::string_view kNetworkFooter = R"(
Network flags (this experiment's nodes exchange messages):
  --latency DIST  one-way latency of every link: constant:2ms, exponential:1ms (mean),
                  lognormal:1ms,0.6 (median, sigma) or empirical:0.4ms,0.5ms,7ms
  --fail SPEC     inject a fault; repeatable: crash:n2@10s+30s (restart, keeps its disk),
                  wipe:n2@10s+30s (comes back empty), partition:n0..2|n3..7@20s+10s,
                  slow:n4*10@0s (10x latency); without +DURATION it lasts to the end
  --live          run on the engine at --url instead of the simulated network: each node is a
                  /ws connection, a message to node B is a pub on sim:<case>:<B>, time and
                  latencies are real (so --duration is wall-clock time))";

void define_flags(CLI::App& app, const CaseSpec& c, const ExperimentSpec& e, CommonFlags& common,
                  std::map<std::string, std::string>& raw) {
  app.name(fmt::format("hexwire-sim {} {}", c.name, e.name));
  app.description(fmt::format("{}\n\n{}", e.summary, e.details));
  std::string footer = std::string(kCommonFooter);
  if (e.networked) {
    footer += kNetworkFooter;
  }
  if (!e.example.empty()) {
    footer += fmt::format("\n\nExample:\n  hexwire-sim {} {} {}", c.name, e.name, e.example);
  }
  footer += fmt::format("\nDerivations and plots: {}", c.docs);
  app.footer(footer);
  app.get_formatter()->column_width(30);
  for (const ParamSpec& p : e.params) {
    app.add_option("--" + p.name, raw[p.name], fmt::format("{} (default {})", p.help, p.default_value))
        ->check(CLI::Validator([&p](std::string& value) { return p.check(value); },
                               p.kind == ParamKind::kChoice ? "CHOICE" : "VALUE"));
  }
  app.add_option("--seed", common.seed, "Seed of every random stream (default 1)");
  app.add_flag("--check", common.check, "Exit 4 when a judged figure misses its reference");
  app.add_option("--report", common.report_file, "Write the JSON report here");
  app.add_option("--csv", common.csv_file, "Write the series (plot data) here");
  app.add_option("--events", common.events_file, "Write the progress events here, one per line");
  app.add_option("--latency", common.latency, "Link latency distribution (networked experiments)");
  app.add_option("--fail", common.fail, "Fault to inject (networked experiments; repeatable)");
  app.add_flag("--live", common.live, "Run on a real engine (--url) instead of the simulated network");
  app.add_option("--url", common.url, "Engine to publish progress to (and to run on with --live)");
  app.add_option("--token", common.token, "JWT to authenticate with (default: anonymous users)");
}

/// Checks the flags that depend on the experiment; returns the network plan or an error.
std::optional<NetworkPlan> plan_network(const ExperimentSpec& e, const CommonFlags& common,
                                        std::string& error) {
  NetworkPlan plan;
  if (common.live && common.url.empty()) {
    error = "--live needs --url ws://HOST:PORT of a running engine (started with --anonymous, or "
            "pass --token)";
    return std::nullopt;
  }
  if (!common.token.empty() && common.url.empty()) {
    error = "--token is for the engine at --url; give --url too";
    return std::nullopt;
  }
  if (!common.url.empty() && common.url.rfind("ws://", 0) != 0) {
    error = fmt::format("--url {}: must start with ws:// (e.g. ws://127.0.0.1:8080)", common.url);
    return std::nullopt;
  }
  if (common.live && !e.networked) {
    error = fmt::format("{} is a computation without messages between nodes, so it cannot run "
                        "--live; --url alone publishes its progress",
                        e.name);
    return std::nullopt;
  }
  if (common.live && !common.latency.empty()) {
    error = "--latency sets the simulated links; with --live the latencies are the engine's";
    return std::nullopt;
  }
  if (!e.networked && (!common.latency.empty() || !common.fail.empty())) {
    error = fmt::format("{} is a computation without messages between nodes: --latency and --fail "
                        "do not apply to it",
                        e.name);
    return std::nullopt;
  }
  std::optional<LatencyDistribution> latency = LatencyDistribution::parse(
      common.latency.empty() ? e.default_latency : common.latency, error);
  if (!latency) {
    error = "--latency " + error;
    return std::nullopt;
  }
  plan.latency = std::move(*latency);
  for (const std::string& text : common.fail) {
    std::optional<FaultSpec> spec = parse_fault(text, error);
    if (!spec) {
      return std::nullopt;
    }
    plan.faults.push_back(std::move(*spec));
  }
  return plan;
}

bool write_file(const std::string& path, const std::string& text, std::FILE* err) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << text;
  if (!file.good()) {
    std::fprintf(err, "error: cannot write '%s'\n", path.c_str());
    return false;
  }
  return true;
}

std::string make_run_id(const CaseSpec& c, const ExperimentSpec& e, std::uint64_t seed) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  return fmt::format("{}-{}-{}-{}", c.name, e.name, seed, ms);
}

/// Live-mode figures: how the engine carried the model's messages.
void add_live_figures(RunContext& context, const LiveNetwork& network) {
  const LiveLinkStats& stats = network.link_stats();
  const core::Histogram& latency = network.message_latency();
  if (!stats.first_error.empty()) {
    context.note("first publish error from the engine: " + stats.first_error);
  }
  context.figure(Figure::info("live_messages_delivered", static_cast<double>(network.counters().delivered)));
  context.figure(Figure::info("live_message_p50_ms", static_cast<double>(latency.percentile(50)) / 1e6, "ms"));
  context.figure(Figure::info("live_message_p99_ms", static_cast<double>(latency.percentile(99)) / 1e6, "ms"));
  context.figure(Figure::within("live_publish_errors", static_cast<double>(stats.errors), 0.0, 0.0,
                                "every message must pass the engine (rate limits, channel rules)"));
}

int run_experiment(const CaseSpec& c, const ExperimentSpec& e, const Params& params,
                   const CommonFlags& common, const NetworkPlan& plan, std::FILE* out,
                   std::FILE* err) {
  const RngStreams rng(common.seed);
  ProgressFanout progress;
  std::unique_ptr<FileProgressSink> events_file;
  std::unique_ptr<StandaloneProgressSink> events_live;
  RunIdentity identity{c.name, e.name, make_run_id(c, e, common.seed),
                       common.live ? "live" : "virtual", common.seed};
  try {
    std::unique_ptr<Network> network;
    LiveNetwork* live = nullptr;
    if (common.live) {
      auto owned = std::make_unique<LiveNetwork>(common.url, common.token, c.name);
      live = owned.get();
      progress.add(live->progress());
      network = std::move(owned);
    } else {
      network = std::make_unique<VirtualNetwork>(plan.latency, rng.stream("network"));
      if (!common.url.empty()) {
        events_live = std::make_unique<StandaloneProgressSink>(common.url, common.token, c.name);
        progress.add(*events_live);
      }
    }
    if (!common.events_file.empty()) {
      events_file = std::make_unique<FileProgressSink>(common.events_file);
      progress.add(*events_file);
    }
    RunContext context(params, rng, *network, progress, identity, plan.latency);
    context.set_fault_plan(plan.faults);
    try {
      e.run(context);
    } catch (...) {
      if (live != nullptr) {
        live->end_run();
      }
      throw;
    }
    if (live != nullptr) {
      live->end_run();  // the models are gone; closing the link must not reach them
      add_live_figures(context, *live);
    }
    RunSummary summary{identity, params.settings(), context.wall_seconds(),
                       to_seconds(network->now()), &context.outcome()};
    progress.publish(encode_end_event(identity, context.outcome().ok(),
                                      context.outcome().figures.size(),
                                      context.outcome().misses(), summary.wall_s, summary.sim_s));
    progress.close();
    std::fputs(format_case_table(summary).c_str(), out);
    if ((!common.report_file.empty() &&
         !write_file(common.report_file, format_case_json(summary), err)) ||
        (!common.csv_file.empty() &&
         !write_file(common.csv_file, format_case_csv(context.outcome().series), err))) {
      return kExitFailed;
    }
    return common.check && !context.outcome().ok() ? kExitMissed : kExitOk;
  } catch (const UsageError& e) {
    std::fprintf(err, "error: %s\n", e.what());
    return kExitUsage;
  } catch (const std::exception& e) {
    std::fprintf(err, "error: %s\n", e.what());
    return kExitFailed;
  }
}

}  // namespace

bool is_case_name(std::string_view word) noexcept {
  return find_case(word) != nullptr;
}

std::string case_list_text() {
  std::string text;
  for (const CaseSpec& c : case_catalog()) {
    fmt::format_to(std::back_inserter(text), "  {:<8} {}\n", c.name, c.summary);
  }
  return text;
}

int run_case_command(int argc, const char* const* argv, std::FILE* out, std::FILE* err) {
  const CaseSpec* c = argc > 1 ? find_case(argv[1]) : nullptr;
  if (c == nullptr) {
    std::fprintf(err, "error: not a case study: %s\nCase studies:\n%s", argc > 1 ? argv[1] : "",
                 case_list_text().c_str());
    return kExitUsage;
  }
  const std::string_view second = argc > 2 ? argv[2] : "";
  if (second == "--help" || second == "-h") {
    std::fputs(case_help(*c).c_str(), out);
    return kExitOk;
  }
  const ExperimentSpec* e = c->find(second);
  if (e == nullptr) {
    std::fprintf(err, "error: %s: hexwire-sim %s needs an experiment, one of:\n%s",
                 second.empty() ? "missing experiment" : fmt::format("no experiment '{}'", second).c_str(),
                 c->name.c_str(), experiment_list_text(*c).c_str());
    return kExitUsage;
  }
  CLI::App app;
  CommonFlags common;
  std::map<std::string, std::string> raw;
  define_flags(app, *c, *e, common, raw);
  std::vector<std::string> args;
  for (int i = argc - 1; i >= 3; --i) {
    args.emplace_back(argv[i]);
  }
  try {
    app.parse(args);
  } catch (const CLI::CallForHelp&) {
    std::fputs(app.help().c_str(), out);
    return kExitOk;
  } catch (const CLI::ParseError& error) {
    std::fprintf(err, "error: %s\nRun 'hexwire-sim %s %s --help' for the flags.\n", error.what(),
                 c->name.c_str(), e->name.c_str());
    return kExitUsage;
  }
  Params params;
  for (const ParamSpec& p : e->params) {
    const bool given = app.count("--" + p.name) > 0;
    params.set(p, given ? raw[p.name] : p.default_value);
    if (given) {
      params.mark_given(p.name);
    }
  }
  std::string error;
  const std::optional<NetworkPlan> plan = plan_network(*e, common, error);
  if (!plan) {
    std::fprintf(err, "error: %s\nRun 'hexwire-sim %s %s --help' for the flags.\n", error.c_str(),
                 c->name.c_str(), e->name.c_str());
    return kExitUsage;
  }
  return run_experiment(*c, *e, params, common, *plan, out, err);
}

}  // namespace hexwire::sim::cases
