// lambda keepalive: cold starts against memory kept warm, for fixed keep-alive windows and the
// hybrid histogram policy (ATC'20), over periodic, Poisson, bursty and Azure-like traces.
// docs/cases/lambda.md#keepalive.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include "sim/cases/lambda/keepalive_policy.hpp"
#include "sim/cases/lambda/lambda_case.hpp"
#include "sim/cases/lambda/traces.hpp"
#include "sim/cases/stats.hpp"

namespace hexwire::sim::cases::lambda {
namespace {

struct KeepaliveConfig {
  PolicySpec policy;
  TraceSpec trace;
  std::uint32_t functions = 20;
  SimTime duration = 7 * kDay;
  SimTime warmup = kDay;
  SimTime exec = 100 * kMillisecond;
  double memory_gb = 0.25;
  HybridSettings hybrid;
};

struct Totals {
  std::uint64_t invocations = 0, cold = 0, trained = 0, trained_cold = 0;
  double wasted_s = 0;
  double trained_wasted_s = 0;  // the part after the warm-up
};

/// One function: loaded or not, when its current execution ends, its pending load/unload timer.
struct Function {
  std::unique_ptr<InvocationSource> source;
  std::unique_ptr<IdleHistogram> idle;
  bool loaded = false;
  SimTime loaded_since = 0;
  SimTime exec_end = -1;
  TimerId timer = 0;
  std::uint64_t invocations = 0, cold = 0;
};

class KeepaliveModel {
 public:
  KeepaliveModel(const KeepaliveConfig& cfg, Network& net, const RngStreams& rng,
                 std::string* mix_summary)
      : cfg_(cfg), net_(net), rng_(rng.stream("keepalive")) {
    Rng trace_rng = rng.stream("keepalive-trace");
    auto sources = make_sources(cfg.trace, cfg.functions, trace_rng, mix_summary);
    for (auto& source : sources) {
      Function f;
      f.source = std::move(source);
      f.idle = std::make_unique<IdleHistogram>(cfg_.hybrid);
      functions_.push_back(std::move(f));
    }
  }

  void start() {
    for (std::size_t i = 0; i < functions_.size(); ++i) {
      // Each function starts at a random phase of its first gap.
      const SimTime first = static_cast<SimTime>(
          rng_.uniform01() * static_cast<double>(functions_[i].source->next_gap(rng_)));
      net_.after(kNoNode, first, [this, i] { invoke(i); });
    }
  }

  [[nodiscard]] const Totals& totals() const noexcept { return totals_; }
  [[nodiscard]] std::size_t loaded_count() const {
    return static_cast<std::size_t>(std::count_if(functions_.begin(), functions_.end(),
                                                  [](const Function& f) { return f.loaded; }));
  }
  [[nodiscard]] std::vector<double> cold_share_per_function() const {
    std::vector<double> shares;
    for (const Function& f : functions_) {
      if (f.invocations > 0) {
        shares.push_back(static_cast<double>(f.cold) / static_cast<double>(f.invocations));
      }
    }
    return shares;
  }
  /// Memory held but idle up to now (loaded functions are counted to now).
  [[nodiscard]] double wasted_gb_s() const {
    double seconds = totals_.wasted_s;
    for (const Function& f : functions_) {
      if (f.loaded && net_.now() > f.loaded_since) {
        seconds += to_seconds(net_.now() - f.loaded_since);
      }
    }
    return seconds * cfg_.memory_gb;
  }

 private:
  void invoke(std::size_t i) {
    Function& f = functions_[i];
    const SimTime now = net_.now();
    if (now >= cfg_.duration) {
      return;
    }
    bool cold = true;
    if (now < f.exec_end) {
      // Still running: this call needs a second instance, which starts cold.
    } else {
      if (f.exec_end >= 0) {
        f.idle->record(now - f.exec_end);
      }
      if (f.loaded) {
        cold = false;
        add_waste(f.loaded_since, now);
      }
      net_.cancel(f.timer);
      f.loaded = true;  // loaded (cold or warm) while it runs; running time is not waste
      f.exec_end = now + cfg_.exec;
      net_.after(kNoNode, cfg_.exec, [this, i] { finished(i); });
    }
    ++f.invocations;
    ++totals_.invocations;
    f.cold += cold ? 1 : 0;
    totals_.cold += cold ? 1 : 0;
    if (now >= cfg_.warmup) {
      ++totals_.trained;
      totals_.trained_cold += cold ? 1 : 0;
    }
    net_.after(kNoNode, f.source->next_gap(rng_), [this, i] { invoke(i); });
  }

  void finished(std::size_t i) {
    Function& f = functions_[i];
    const KeepWindow w =
        cfg_.policy.hybrid ? f.idle->window() : KeepWindow{0, cfg_.policy.fixed};
    if (w.prewarm > 0) {
      f.loaded = false;  // unloaded now, loaded again ahead of the expected next call
      f.timer = net_.after(kNoNode, w.prewarm, [this, i, keep = w.keepalive] {
        Function& g = functions_[i];
        g.loaded = true;
        g.loaded_since = net_.now();
        g.timer = net_.after(kNoNode, keep, [this, i] { unload(i); });
      });
    } else {
      f.loaded_since = net_.now();
      f.timer = net_.after(kNoNode, w.keepalive, [this, i] { unload(i); });
    }
  }

  void unload(std::size_t i) {
    Function& f = functions_[i];
    if (f.loaded) {
      add_waste(f.loaded_since, net_.now());
      f.loaded = false;
    }
  }

  void add_waste(SimTime from, SimTime to) {
    totals_.wasted_s += to_seconds(to - from);
    totals_.trained_wasted_s += to_seconds(to - std::max(from, std::min(to, cfg_.warmup)));
  }

  KeepaliveConfig cfg_;
  Network& net_;
  Rng rng_;
  std::vector<Function> functions_;
  Totals totals_;
};

/// What the trained policy does to one idle time: cold or not, and idle memory-seconds.
struct Expected {
  double cold;     // per invocation
  double waste_s;  // idle loaded seconds per invocation
};

/// Derived references for traces with a closed form (periodic, Poisson); nullopt otherwise.
std::optional<Expected> expected_trained(const KeepaliveConfig& c, const InvocationSource& source) {
  const double exec = to_seconds(c.exec);
  const double range = to_seconds(c.hybrid.range);
  if (source.is_periodic()) {
    const double idle = to_seconds(source.period()) - exec;
    double pre = 0, end = to_seconds(c.policy.fixed);
    if (c.policy.hybrid) {
      if (idle >= range) {
        pre = 0.85 * idle;  // the predictor sees the same idle time every time
        end = 1.15 * idle;
      } else {
        const KeepWindow w = IdleHistogram::window_for(c.hybrid, idle, idle);
        pre = to_seconds(w.prewarm);
        end = pre + to_seconds(w.keepalive);
      }
    }
    const bool warm = idle >= pre && idle <= end;
    return Expected{warm ? 0.0 : 1.0, std::max(0.0, std::min(idle, end) - pre)};
  }
  const double r = source.poisson_rate_per_s();
  if (r <= 0) {
    return std::nullopt;
  }
  // A call during the previous execution needs a second instance (cold); otherwise the idle time
  // is exponential (memoryless) and cold means outside [pre, end].
  const double busy = 1.0 - std::exp(-r * exec);
  double pre = 0, end = to_seconds(c.policy.fixed);
  if (c.policy.hybrid) {
    const double in_range = 1.0 - std::exp(-r * range);
    if (1.0 - in_range > c.hybrid.out_of_range_share) {
      return std::nullopt;  // the predictor's behaviour has no simple closed form
    }
    // The expected histogram must look informative (bin-count CV over the threshold).
    const double bin = to_seconds(c.hybrid.bin);
    const auto bins = static_cast<std::size_t>(range / bin);
    double mean = in_range / bins, squares = 0;
    for (std::size_t b = 0; b < bins; ++b) {
      const double p = std::exp(-r * b * bin) - std::exp(-r * (b + 1) * bin);
      squares += (p - mean) * (p - mean);
    }
    if (std::sqrt(squares / bins) / mean < c.hybrid.cv_threshold) {
      pre = 0;
      end = range;
    } else {
      const auto quantile = [&](double p) { return -std::log(1.0 - p * in_range) / r; };
      const KeepWindow w = IdleHistogram::window_for(c.hybrid, quantile(c.hybrid.head),
                                                     quantile(c.hybrid.tail));
      pre = to_seconds(w.prewarm);
      end = pre + to_seconds(w.keepalive);
    }
  }
  const double outside = (1.0 - std::exp(-r * pre)) + std::exp(-r * end);
  const double waste = (std::exp(-r * pre) - std::exp(-r * end)) / r;
  return Expected{busy + (1.0 - busy) * outside, (1.0 - busy) * waste};
}

KeepaliveConfig config_from(const Params& p) {
  KeepaliveConfig c;
  std::string error;
  const auto policy = parse_policy(p.text("policy"), error);
  const auto trace = parse_trace(p.text("trace"), error);
  if (!policy || !trace) {
    throw UsageError(error);
  }
  c.policy = *policy;
  c.trace = *trace;
  c.functions = static_cast<std::uint32_t>(p.integer("functions"));
  c.duration = p.duration("duration");
  c.warmup = p.duration("warmup");
  c.exec = p.duration("exec");
  c.memory_gb = p.number("memory-mb") / 1024.0;
  c.hybrid.min_samples = static_cast<std::uint32_t>(p.integer("min-samples"));
  if (c.warmup >= c.duration) {
    throw UsageError("--warmup must be shorter than --duration (nothing would count as trained)");
  }
  return c;
}

void run_keepalive(RunContext& ctx) {
  const KeepaliveConfig c = config_from(ctx.params());
  std::string mix;
  KeepaliveModel model(c, ctx.network(), ctx.rng(), &mix);
  ctx.begin({"t_h", "cold_share_last_hour", "invocations_last_hour", "loaded_functions",
             "wasted_gb_s"},
            PlotHint{fmt::format("{} on {}: cold starts per hour", c.policy.text, c.trace.text),
                     "t_h", {"cold_share_last_hour"}, false});
  if (!mix.empty()) {
    ctx.note(mix);
  }
  model.start();
  Totals last;
  for (SimTime t = kHour; t <= c.duration; t += kHour) {
    ctx.network().run_until(t);
    const Totals& now = model.totals();
    const auto calls = static_cast<double>(now.invocations - last.invocations);
    ctx.sample({to_seconds(t) / 3600.0, calls > 0 ? (now.cold - last.cold) / calls : 0.0, calls,
                static_cast<double>(model.loaded_count()), model.wasted_gb_s()});
    last = now;
  }
  const Totals& t = model.totals();
  const double trained = std::max<double>(t.trained, 1.0);
  const double cold = t.trained_cold / trained;
  const double waste = t.trained_wasted_s * c.memory_gb / trained;
  ctx.figure(Figure::info("cold_share_all", static_cast<double>(t.cold) / std::max<double>(t.invocations, 1.0)));
  Rng probe_rng = ctx.rng().stream("keepalive-trace");
  std::vector<std::unique_ptr<InvocationSource>> sources = make_sources(c.trace, 1, probe_rng, nullptr);
  const std::optional<Expected> expected =
      c.trace.kind == TraceSpec::Kind::kPeriodic || c.trace.kind == TraceSpec::Kind::kPoisson
          ? expected_trained(c, *sources.front())
          : std::nullopt;
  if (expected) {
    const double noise = 4.0 * std::sqrt(std::max(expected->cold * (1 - expected->cold), 1e-4) / trained);
    ctx.figure(Figure::within("cold_share_trained", cold, expected->cold, 0.005 + noise,
                              "derived: idle-time distribution vs the keep window "
                              "(docs/cases/lambda.md#keepalive)"));
    const double spread = c.trace.kind == TraceSpec::Kind::kPoisson
                              ? 4.0 * c.memory_gb / sources.front()->poisson_rate_per_s() / std::sqrt(trained)
                              : 0.0;
    ctx.figure(Figure::within("wasted_gb_s_per_call", waste, expected->waste_s * c.memory_gb,
                              0.02 * expected->waste_s * c.memory_gb + spread + 1e-9,
                              "derived: expected idle loaded time per call", "GB*s"));
  } else {
    ctx.figure(Figure::info("cold_share_trained", cold));
    ctx.figure(Figure::info("wasted_gb_s_per_call", waste, "GB*s"));
  }
  ctx.figure(Figure::info("wasted_gb_s", model.wasted_gb_s(), "GB*s"));
  ctx.figure(Figure::info("p75_function_cold_share", sample_quantile(model.cold_share_per_function(), 0.75)));
  ctx.figure(Figure::info("invocations", static_cast<double>(t.invocations)));
}

}  // namespace

ExperimentSpec keepalive_experiment() {
  ExperimentSpec e;
  e.name = "keepalive";
  e.summary = "cold starts and idle memory: fixed keep-alive against the hybrid histogram policy";
  e.details =
      "--functions functions invoked by --trace for --duration (each call runs --exec). After each "
      "call the policy decides when to load the function again and for how long: fixed:K keeps it "
      "K; hybrid (Shahrad et al., ATC'20) learns each function's idle times (1-minute bins over 4 "
      "hours) and pre-warms at the 5th percentile, keeping it to the 99th, with fallbacks for too "
      "few samples (keep it the whole range) and for idle times beyond the range (predict the next "
      "one). A call that finds the function unloaded is a cold start; loaded time without a call is "
      "wasted memory (--memory-mb). Figures after --warmup ('trained'): a 60-minute periodic "
      "function is 100% cold under fixed:10m and about 0% under hybrid. Periodic and Poisson traces "
      "have derived references; bursty and azure are reported.";
  e.example = "--policy hybrid --trace periodic:60m --check";
  e.params = {
      ParamSpec::text("policy", "hybrid",
                      [](std::string_view v) { std::string error; return parse_policy(v, error) ? std::string() : error; },
                      "fixed:DURATION or hybrid"),
      ParamSpec::text("trace", "periodic:60m",
                      [](std::string_view v) { std::string error; return parse_trace(v, error) ? std::string() : error; },
                      "periodic:PERIOD, poisson:RATE (2/h, 0.5/m), bursty[:SIZE,GAP] or azure"),
      ParamSpec::integer("functions", 20, 1, 100'000, "Functions (azure: the size of the mix)"),
      ParamSpec::duration("duration", "7d", 60, 365 * 86400, "Length of the trace"),
      ParamSpec::duration("warmup", "1d", 0, 365 * 86400, "Calls before this are not 'trained'"),
      ParamSpec::duration("exec", "100ms", 0.001, 3600, "Execution time of a call"),
      ParamSpec::number("memory-mb", 256, 1, 1e6, "Memory of a loaded function"),
      ParamSpec::integer("min-samples", 10, 1, 100'000, "hybrid: idle times needed before trusting the histogram"),
  };
  e.run = run_keepalive;
  return e;
}

}  // namespace hexwire::sim::cases::lambda
