// netflix breaker: Hystrix's circuit breaker at its defaults against a dependency that fails from
// --fail-from to --heal-at: when it opens, when its half-open trials go out, when it closes, the
// fallbacks served meanwhile, and the calls that reached the failing dependency with and without
// it; plus bulkhead isolation (a second, healthy dependency on its own pool or a shared one).
// docs/cases/netflix.md#breaker.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <memory>
#include <optional>

#include "sim/cases/netflix/breaker_model.hpp"
#include "sim/cases/netflix/netflix_case.hpp"

namespace hexwire::sim::cases::netflix {
namespace {

constexpr const char* kDerived = "derived: arrivals x Hystrix's rules (docs/cases/netflix.md#breaker)";

BreakerModelConfig config_from(const Params& p) {
  BreakerModelConfig c;
  c.breaker.window = p.duration("window");
  c.breaker.buckets = static_cast<std::uint32_t>(p.integer("buckets"));
  c.breaker.volume_threshold = static_cast<std::uint32_t>(p.integer("volume"));
  c.breaker.error_threshold_pct = p.number("error-pct");
  c.breaker.sleep_window = p.duration("sleep");
  c.breaker.snapshot_interval = p.duration("snapshot");
  c.shared_pool = p.text("isolation") == "shared";
  c.threads = static_cast<std::uint32_t>(p.integer("threads"));
  c.timeout = p.duration("timeout");
  c.rate = {p.number("rate"), p.number("healthy-rate")};
  c.fail_from = p.duration("fail-from");
  c.heal_at = p.duration("heal-at");
  c.duration = p.duration("duration");
  c.failure = p.text("failure") == "hang" ? FailureMode::kHang : FailureMode::kError;
  std::string error;
  const auto service = LatencyDistribution::parse(p.text("service"), error);
  if (!service) {
    throw UsageError("--service: " + error);
  }
  c.service = *service;
  if (c.breaker.window % c.breaker.buckets != 0) {
    throw UsageError("--window must be a whole number of --buckets (Hystrix requires it)");
  }
  if (c.heal_at < c.fail_from) {
    throw UsageError("--heal-at must not be before --fail-from");
  }
  return c;
}

/// What the breaker should do, derived from the arrival times alone (error mode: every call of
/// the failing period ends `d` seconds after it arrives, with an error).
struct Timeline {
  std::optional<double> opened;
  std::vector<double> trials;
  std::optional<double> closed;
};

/// Integers i >= 0 with lo <= i / rate < hi.
double arrivals_in(double rate, double lo, double hi) {
  if (hi <= lo) {
    return 0;
  }
  const double first = std::ceil(std::max(lo, 0.0) * rate - 1e-9);
  const double end = std::ceil(std::max(hi, 0.0) * rate - 1e-9);
  return std::max(0.0, end - first);
}

Timeline expected_timeline(const BreakerModelConfig& c, double d) {
  const double rate = c.rate[kFlaky];
  const double t0 = to_seconds(c.fail_from), t1 = to_seconds(c.heal_at), end = to_seconds(c.duration);
  const double width = to_seconds(c.breaker.window) / c.breaker.buckets;
  const double interval = to_seconds(c.breaker.snapshot_interval);
  Timeline out;
  double snapshot = -1e18;
  double i = 0;
  for (double t = 0; t < end; t = ++i / rate) {
    if (t - snapshot < interval - 1e-12) {
      continue;
    }
    snapshot = t;
    // Outcomes recorded in the window's buckets up to now: arrivals in [lo - d, t - d].
    const double lo = (std::floor(t / width + 1e-9) - c.breaker.buckets + 1) * width;
    const double total = arrivals_in(rate, lo - d, t - d + 1e-9);
    const double errors = arrivals_in(rate, std::max(lo - d, t0), std::min(t - d + 1e-9, t1));
    if (total >= c.breaker.volume_threshold && total > 0 &&
        100.0 * errors / total >= c.breaker.error_threshold_pct) {
      out.opened = t;
      break;
    }
  }
  if (!out.opened) {
    return out;
  }
  double open_since = *out.opened;
  for (;;) {
    const double trial = std::ceil((open_since + to_seconds(c.breaker.sleep_window)) * rate - 1e-9) / rate;
    if (trial >= end) {
      break;
    }
    out.trials.push_back(trial);
    if (trial >= t1) {
      out.closed = trial + d;
      break;
    }
    open_since = trial + d;
  }
  return out;
}

struct Run {
  std::string name;  // "on" or "off"
  std::unique_ptr<Network> side;
  Network* net = nullptr;
  std::unique_ptr<BreakerModel> model;
};

Run make_run(RunContext& ctx, BreakerModelConfig c, bool breaker_on, bool side) {
  Run r;
  r.name = breaker_on ? "on" : "off";
  c.breaker_on = breaker_on;
  if (side) {
    r.side = ctx.make_side_network("breaker-off");
  }
  r.net = side ? r.side.get() : &ctx.network();
  r.model = std::make_unique<BreakerModel>(c, *r.net, ctx.rng().stream("service", breaker_on ? 0 : 1));
  if (side) {
    ctx.open_network(*r.net);
  } else {
    ctx.open_network();
  }
  return r;
}

double state_value(BreakerState s) {
  return s == BreakerState::kClosed ? 0.0 : s == BreakerState::kOpen ? 1.0 : 0.5;
}

/// A derived value that depends on the spread of `d`: the range over its 5th, 50th and 95th
/// percentiles, widened by `slack`.
struct Band {
  double lo = 1e300, hi = -1e300;
  void add(double x) { lo = std::min(lo, x); hi = std::max(hi, x); }
  [[nodiscard]] double mid() const { return (lo + hi) / 2; }
  [[nodiscard]] double half() const { return (hi - lo) / 2; }
};

void report_timeline(RunContext& ctx, const BreakerModelConfig& c, const BreakerModel& m,
                     const std::array<double, 3>& ds) {
  const CircuitBreaker& b = m.flaky_breaker();
  const double rate = c.rate[kFlaky];
  const auto seconds_or = [](const std::vector<SimTime>& v, std::size_t k) {
    return k < v.size() ? to_seconds(v[k]) : -1.0;
  };
  if (c.failure == FailureMode::kHang) {
    // Timeouts and pool rejections open it; their timing depends on the pool: reported only.
    ctx.figure(Figure::info("breaker_opened_s", seconds_or(b.opened_at(), 0), "s"));
    for (std::size_t k = 0; k < b.trials_at().size(); ++k) {
      ctx.figure(Figure::info(fmt::format("breaker_trial_{}_s", k + 1), to_seconds(b.trials_at()[k]), "s"));
    }
    ctx.figure(Figure::info("breaker_closed_s", seconds_or(b.closed_at(), 0), "s"));
    return;
  }
  std::vector<Timeline> timelines;
  for (const double d : ds) {
    timelines.push_back(expected_timeline(c, d));
  }
  const Timeline& t = timelines[1];
  // One arrival interval; live, also the timers' lateness on a real clock.
  const double slack = 1.0 / rate + (ctx.live() ? 0.05 : 0.01);
  if (!t.opened) {
    ctx.figure(Figure::within("breaker_opens", static_cast<double>(b.opened_at().size()), 0, 0, kDerived));
    return;
  }
  Band opened, trials, closed, reached;
  std::vector<Band> trial(t.trials.size());
  for (const Timeline& x : timelines) {
    opened.add(x.opened.value_or(-1));
    trials.add(static_cast<double>(x.trials.size()));
    closed.add(x.closed.value_or(-1));
    for (std::size_t k = 0; k < trial.size(); ++k) {
      trial[k].add(k < x.trials.size() ? x.trials[k] : -1);
    }
    // Calls of the failing period that reached the dependency: those before it opened, and the
    // failed trials.
    reached.add(arrivals_in(rate, to_seconds(c.fail_from), x.opened.value_or(0)) +
                static_cast<double>(std::count_if(x.trials.begin(), x.trials.end(),
                                                  [&](double y) { return y < to_seconds(c.heal_at); })));
  }
  ctx.figure(Figure::within("breaker_opened_s", seconds_or(b.opened_at(), 0), opened.mid(),
                            opened.half() + slack, kDerived, "s"));
  ctx.figure(Figure::within("breaker_trials", static_cast<double>(b.trials_at().size()), trials.mid(),
                            trials.half(), kDerived));
  for (std::size_t k = 0; k < trial.size(); ++k) {
    ctx.figure(Figure::within(fmt::format("breaker_trial_{}_s", k + 1), seconds_or(b.trials_at(), k),
                              trial[k].mid(), trial[k].half() + slack * static_cast<double>(k + 2),
                              kDerived, "s"));
  }
  if (t.closed) {
    ctx.figure(Figure::within("breaker_closed_s", seconds_or(b.closed_at(), 0), closed.mid(),
                              closed.half() + slack * static_cast<double>(t.trials.size() + 1), kDerived, "s"));
  }
  ctx.figure(Figure::within("reached_failing_with_breaker", static_cast<double>(m.counts(kFlaky).reached_failing),
                            reached.mid(), reached.half() + rate * slack + 1, kDerived, "calls"));
  // Every call from the failure's start to the successful trial ends in the fallback (failed
  // before the breaker opened, short-circuited, or a failed trial); the successful trial does not.
  if (t.closed) {
    Band fallbacks;
    for (const Timeline& x : timelines) {
      fallbacks.add(arrivals_in(rate, to_seconds(c.fail_from), x.trials.back()));
    }
    ctx.figure(Figure::within("fallbacks_served_on", static_cast<double>(m.counts(kFlaky).fallbacks),
                              fallbacks.mid(), fallbacks.half() + 2 + rate * slack, kDerived, "calls"));
  }
}

void report_healthy(RunContext& ctx, const BreakerModelConfig& c, const Run& r) {
  const DependencyCounts& h = r.model->counts(kHealthy);
  if (h.requests_failing == 0) {
    return;
  }
  const double share = static_cast<double>(h.succeeded_failing) / static_cast<double>(h.requests_failing);
  const std::string name = "healthy_success_share_" + r.name;
  if (!c.shared_pool) {
    ctx.figure(Figure::at_least(name, share, 0.99,
                                "bulkhead: the healthy dependency has its own pool, untouched by the failing one"));
  } else if (c.failure == FailureMode::kHang && r.name == "off") {
    const double bound = c.threads / (to_seconds(c.timeout) * c.rate[kFlaky]);
    ctx.figure(Figure::at_most(name, share, std::min(1.0, bound),
                               "derived: hung calls hold the shared pool; the healthy stream gets at most "
                               "the threads freed by timeouts, threads / (timeout x rate)"));
  } else {
    ctx.figure(Figure::info(name, share));
  }
}

void run_breaker(RunContext& ctx) {
  const BreakerModelConfig c = config_from(ctx.params());
  const std::string& mode = ctx.params().text("breaker");
  if (mode == "compare" && ctx.live()) {
    throw UsageError("--breaker compare runs both side by side in virtual time; with --live pick "
                     "--breaker on or --breaker off");
  }
  std::vector<Run> runs;
  if (mode != "off") {
    runs.push_back(make_run(ctx, c, true, false));
  }
  if (mode != "on") {
    runs.push_back(make_run(ctx, c, false, mode == "compare"));
  }
  std::vector<std::string> columns{"t_s"};
  for (const Run& r : runs) {
    if (r.name == "on") {
      columns.emplace_back("on_state");  // 0 closed, 0.5 half-open, 1 open
    }
    for (const char* what : {"flaky_calls_per_s", "fallbacks_per_s", "healthy_ok_per_s"}) {
      columns.push_back(fmt::format("{}_{}", r.name, what));
    }
  }
  ctx.begin(columns, PlotHint{"calls reaching the failing dependency, with and without the breaker",
                              "t_s", {runs.front().name + "_flaky_calls_per_s"}, false});
  ctx.note(fmt::format("flaky: {}/s, failing {} from {} s to {} s; healthy: {}/s; {} pool{} of {} threads; "
                       "breaker window {} s in {} buckets, volume {}, {}% errors, sleep {} s",
                       c.rate[kFlaky], c.failure == FailureMode::kHang ? "(no reply)" : "(errors)",
                       to_seconds(c.fail_from), to_seconds(c.heal_at), c.rate[kHealthy],
                       c.shared_pool ? "one shared" : "a", c.shared_pool ? "" : " each", c.threads,
                       to_seconds(c.breaker.window), c.breaker.buckets, c.breaker.volume_threshold,
                       c.breaker.error_threshold_pct, to_seconds(c.breaker.sleep_window)));
  for (Run& r : runs) {
    r.model->start();
  }
  const SimTime step = 100 * kMillisecond;
  std::vector<DependencyCounts> last(runs.size() * 2);
  for (SimTime t = step; t <= c.duration + c.timeout + step; t += step) {
    std::vector<double> row{to_seconds(t)};
    for (std::size_t i = 0; i < runs.size(); ++i) {
      Run& r = runs[i];
      if (!r.net->run_until(t)) {
        throw std::runtime_error("the network stopped before the end of the run");
      }
      const DependencyCounts& f = r.model->counts(kFlaky);
      const DependencyCounts& h = r.model->counts(kHealthy);
      const double per_s = 1.0 / to_seconds(step);
      if (r.name == "on") {
        row.push_back(state_value(r.model->flaky_breaker().state()));
      }
      row.push_back(static_cast<double>(f.reached - last[2 * i].reached) * per_s);
      row.push_back(static_cast<double>(f.fallbacks - last[2 * i].fallbacks) * per_s);
      row.push_back(static_cast<double>(h.succeeded - last[2 * i + 1].succeeded) * per_s);
      last[2 * i] = f;
      last[2 * i + 1] = h;
    }
    ctx.sample(std::move(row));
  }
  // d: from a call's arrival to its recorded error: two links and the service time, at their 5th,
  // 50th and 95th percentiles (live: the engine's links are well under a millisecond).
  std::array<double, 3> ds{};
  for (std::size_t i = 0; i < ds.size(); ++i) {
    const double p = i == 0 ? 0.05 : i == 1 ? 0.5 : 0.95;
    const double links = ctx.live() ? 0.0 : 2.0 * ctx.link_latency().quantile(p) / 1e9;
    ds[i] = links + c.service.quantile(p) / 1e9;
  }
  for (const Run& r : runs) {
    const DependencyCounts& f = r.model->counts(kFlaky);
    if (r.name == "on") {
      report_timeline(ctx, c, *r.model, ds);
      ctx.figure(Figure::info("short_circuited", static_cast<double>(f.short_circuited)));
    } else {
      const double period = to_seconds(std::min(c.heal_at, c.duration) - std::min(c.fail_from, c.duration));
      const double expected = c.failure == FailureMode::kError
                                  ? arrivals_in(c.rate[kFlaky], to_seconds(c.fail_from), to_seconds(c.fail_from) + period)
                                  : std::min(c.rate[kFlaky], c.threads / to_seconds(c.timeout)) * period;
      ctx.figure(Figure::within("reached_failing_without_breaker", static_cast<double>(f.reached_failing),
                                expected, c.failure == FailureMode::kError ? 1.0 : 0.05 * expected + c.threads,
                                c.failure == FailureMode::kError
                                    ? "derived: every request of the failing period calls it"
                                    : "derived: the pool lets threads / timeout calls a second through",
                                "calls"));
      ctx.figure(Figure::info("fallbacks_served_off", static_cast<double>(f.fallbacks)));
    }
    report_healthy(ctx, c, r);
  }
  if (runs.size() == 2) {
    const double on = static_cast<double>(runs[0].model->counts(kFlaky).reached_failing);
    const double off = static_cast<double>(runs[1].model->counts(kFlaky).reached_failing);
    ctx.figure(Figure::info("reached_failing_reduction", off > 0 ? 1.0 - on / off : 0.0));
  }
}

}  // namespace

ExperimentSpec breaker_experiment() {
  ExperimentSpec e;
  e.name = "breaker";
  e.summary = "Hystrix circuit breaker and bulkheads against a failing dependency";
  e.details =
      "The api node calls two dependencies (nodes flaky and healthy) at --rate and --healthy-rate "
      "requests a second, each call through a Hystrix command: a circuit breaker (a --window of "
      "--buckets, opening at --volume requests and --error-pct errors in a health snapshot at most "
      "--snapshot old, sleeping --sleep, then one half-open trial), a pool of --threads per "
      "dependency (--isolation bulkhead) or one for both (shared), a --timeout, and a fallback for "
      "every call that fails, times out, is rejected or short-circuited. flaky fails from "
      "--fail-from to --heal-at: with errors, or (--failure hang) by not answering. At Hystrix's "
      "defaults the breaker opens at about 0.5 s, its trials go out at about 5.5, 10.5 and 15.5 s "
      "and it closes at about 15.5 s. --breaker compare runs it with and without the breaker and "
      "reports the calls that reached the failing dependency in each.";
  e.example = "--check";
  e.networked = true;
  e.default_latency = "lognormal:0.5ms,0.5";
  e.params = {
      ParamSpec::number("rate", 50, 0.1, 100'000, "Requests a second to the failing dependency"),
      ParamSpec::duration("fail-from", "0s", 0, 86400, "When the dependency starts failing"),
      ParamSpec::duration("heal-at", "12s", 0, 86400, "When it works again"),
      ParamSpec::duration("duration", "20s", 1, 86400, "Length of the run"),
      ParamSpec::choice("breaker", "compare", {"compare", "on", "off"}, "With the breaker, without, or both side by side"),
      ParamSpec::choice("failure", "error", {"error", "hang"}, "How the dependency fails: error replies, or none (timeouts)"),
      ParamSpec::choice("isolation", "bulkhead", {"bulkhead", "shared"}, "A thread pool per dependency, or one for both"),
      ParamSpec::number("healthy-rate", 50, 0, 100'000, "Requests a second to the healthy dependency"),
      ParamSpec::integer("threads", 10, 1, 100'000, "Threads per pool (Hystrix coreSize)"),
      ParamSpec::duration("timeout", "1000ms", 0.001, 3600, "Command timeout (execution.isolation.thread.timeoutInMilliseconds)"),
      ParamSpec::duration("window", "10s", 0.01, 86400, "Rolling statistical window (metrics.rollingStats.timeInMilliseconds)"),
      ParamSpec::integer("buckets", 10, 1, 10'000, "Buckets of the window (metrics.rollingStats.numBuckets)"),
      ParamSpec::integer("volume", 20, 1, 1'000'000, "Requests in the window before the breaker may open (requestVolumeThreshold)"),
      ParamSpec::number("error-pct", 50, 0, 100, "Error percentage that opens it (errorThresholdPercentage)"),
      ParamSpec::duration("sleep", "5s", 0.001, 86400, "Open time before a half-open trial (sleepWindowInMilliseconds)"),
      ParamSpec::duration("snapshot", "500ms", 0, 3600, "Health snapshot interval (metrics.healthSnapshot.intervalInMilliseconds)"),
      ParamSpec::distribution("service", "lognormal:20ms,0.5", "Service time of a dependency call"),
  };
  e.run = run_breaker;
  return e;
}

}  // namespace hexwire::sim::cases::netflix
