// spotify features: the recommendation call reads the user's features from a feature store with a
// deadline and falls back to stale cached features, then to defaults, when the store is late or
// down; without the fallback the call waits for the store up to the client's timeout. Runs both
// side by side (virtual) and reports the call's p99 and the fallback rate of each.
// docs/cases/spotify.md#features.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <optional>
#include <vector>

#include "sim/cases/spotify/features_model.hpp"
#include "sim/cases/spotify/spotify_case.hpp"

namespace hexwire::sim::cases::spotify {
namespace {

constexpr const char* kDerived = "derived: deadline, link and store latency distributions (docs/cases/spotify.md#features)";

FeaturesConfig config_from(const Params& p) {
  FeaturesConfig c;
  std::string error;
  c.store_latency = *LatencyDistribution::parse(p.text("store"), error);
  c.rate = p.number("rate");
  c.duration = p.duration("duration");
  c.users = static_cast<std::uint32_t>(p.integer("users"));
  c.deadline = p.duration("deadline");
  c.max_stale = p.duration("max-stale");
  c.timeout = p.duration("timeout");
  c.outage_start = p.duration("outage-at");
  c.outage_length = p.duration("outage-for");
  c.candidates = static_cast<std::uint32_t>(p.integer("candidates"));
  if (c.deadline >= c.timeout) {
    throw UsageError("--deadline must be shorter than --timeout (the fallback must answer before "
                     "the client gives up)");
  }
  if (c.outage_length > 0 && c.outage_start + c.outage_length > c.duration) {
    throw UsageError("--outage-at plus --outage-for must end within --duration");
  }
  return c;
}

struct Summary {
  std::vector<CallRecord> calls;
  double p50_ms = 0, p99_ms = 0, p999_ms = 0;
  double fallback = 0, stale = 0, defaults = 0, timed_out = 0;
  double rank_us = 0;
};

double ms_quantile(std::vector<double> values, double q) { return sample_quantile(std::move(values), q); }

Summary run_variant(RunContext& ctx, Network& net, FeaturesConfig c) {
  FeaturesModel model(c, net, ctx.rng());
  ctx.open_network(net);
  model.start();
  const SimTime limit = c.duration + c.timeout + 5 * kSecond;
  for (SimTime t = 100 * kMillisecond; t <= limit; t += 100 * kMillisecond) {
    if (!net.run_until(t)) {
      throw std::runtime_error("the network stopped before the end of the run");
    }
    if (t >= c.duration && model.done()) {
      break;
    }
  }
  Summary s;
  s.calls = model.calls();
  std::vector<double> latencies;
  double counts[4] = {0, 0, 0, 0};
  for (const CallRecord& r : s.calls) {
    latencies.push_back(static_cast<double>(r.latency) / 1e6);
    counts[static_cast<int>(r.source)] += 1;
  }
  const double n = std::max<double>(static_cast<double>(s.calls.size()), 1.0);
  s.p50_ms = ms_quantile(latencies, 0.5);
  s.p99_ms = ms_quantile(latencies, 0.99);
  s.p999_ms = ms_quantile(latencies, 0.999);
  s.stale = counts[1] / n;
  s.defaults = counts[2] / n;
  s.fallback = s.stale + s.defaults;
  s.timed_out = counts[3] / n;
  s.rank_us = model.rank_ns().mean() / 1e3;
  return s;
}

/// P(link + store + link > deadline), the share of reads that miss the deadline while the store
/// is up, and quantiles of the full call without a deadline: by sampling the distributions.
struct Reference {
  double late = 0;
  double p99_no_deadline_ms = 0;
};

Reference reference_for(RunContext& ctx, const FeaturesConfig& c) {
  Rng rng = ctx.rng().stream("features-reference");
  const LatencyDistribution& link = ctx.link_latency();
  constexpr int kSamples = 200'000;
  int late = 0;
  std::vector<double> calls;
  calls.reserve(kSamples);
  for (int i = 0; i < kSamples; ++i) {
    const SimTime read = link.sample(rng) + c.store_latency.sample(rng) + link.sample(rng);
    late += read > c.deadline ? 1 : 0;
    calls.push_back(static_cast<double>(link.sample(rng) + read + link.sample(rng)) / 1e6);
  }
  return Reference{static_cast<double>(late) / kSamples, sample_quantile(std::move(calls), 0.99)};
}

void variant_figures(RunContext& ctx, const std::string& prefix, const Summary& s) {
  ctx.figure(Figure::info(prefix + "p50_ms", s.p50_ms, "ms"));
  ctx.figure(Figure::info(prefix + "p999_ms", s.p999_ms, "ms"));
  ctx.figure(Figure::info(prefix + "stale_share", s.stale));
  ctx.figure(Figure::info(prefix + "default_share", s.defaults));
  ctx.figure(Figure::info(prefix + "rank_us", s.rank_us, "us"));
  ctx.figure(Figure::info(prefix + "calls", static_cast<double>(s.calls.size())));
}

/// Per second: the p99 of the calls that started in it and the share answered by a fallback.
std::vector<std::pair<double, double>> per_second(const Summary& s, SimTime duration) {
  const auto seconds = static_cast<std::size_t>(duration / kSecond);
  std::vector<std::vector<double>> latency(seconds);
  std::vector<double> fallbacks(seconds, 0.0);
  for (const CallRecord& r : s.calls) {
    const auto at = static_cast<std::size_t>(r.started / kSecond);
    if (at < seconds) {
      latency[at].push_back(static_cast<double>(r.latency) / 1e6);
      fallbacks[at] += (r.source == Source::kStale || r.source == Source::kDefault) ? 1.0 : 0.0;
    }
  }
  std::vector<std::pair<double, double>> rows;
  for (std::size_t i = 0; i < seconds; ++i) {
    const double n = static_cast<double>(latency[i].size());
    rows.emplace_back(n > 0 ? sample_quantile(latency[i], 0.99) : 0.0, n > 0 ? fallbacks[i] / n : 0.0);
  }
  return rows;
}

void run_features(RunContext& ctx) {
  FeaturesConfig c = config_from(ctx.params());
  const std::string mode = ctx.params().text("fallback");
  const bool compare = mode == "both" && !ctx.live();
  c.fallback = mode != "off";
  ctx.begin({"t_s", "p99_ms", "p99_no_fallback_ms", "fallback_share"},
            PlotHint{fmt::format("p99 of the recommendation call per second (store down {}s-{}s)",
                                 to_seconds(c.outage_start), to_seconds(c.outage_start + c.outage_length)),
                     "t_s", {"p99_ms", "p99_no_fallback_ms"}, true});
  std::optional<Summary> without;
  if (compare) {
    const std::unique_ptr<Network> side = ctx.make_side_network("no-fallback");
    FeaturesConfig off = c;
    off.fallback = false;
    without = run_variant(ctx, *side, off);
  }
  const Summary main = run_variant(ctx, ctx.network(), c);
  const auto rows = per_second(main, c.duration);
  const auto rows_off = without ? per_second(*without, c.duration) : rows;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    ctx.sample({static_cast<double>(i), rows[i].first, without ? rows_off[i].first : NAN, rows[i].second});
  }
  const double outage = to_seconds(c.outage_length) / to_seconds(c.duration);
  ctx.note(fmt::format("{} calls/s for {} s, store {} (down {:.0f}% of the time), deadline {}, "
                       "stale features kept {}, client timeout {}",
                       c.rate, to_seconds(c.duration), c.store_latency.describe(), outage * 100,
                       format_duration(c.deadline), format_duration(c.max_stale),
                       format_duration(c.timeout)));
  if (ctx.live()) {
    const std::string prefix = c.fallback ? "" : "no_fallback_";
    ctx.figure(Figure::info(prefix + "p99_ms", main.p99_ms, "ms"));
    ctx.figure(Figure::info(prefix + "fallback_share", main.fallback));
    ctx.figure(Figure::info(prefix + "timed_out_share", main.timed_out));
    variant_figures(ctx, prefix, main);
    return;
  }
  const Reference ref = reference_for(ctx, c);
  const double n = std::max<double>(static_cast<double>(main.calls.size()), 1.0);
  const LatencyDistribution& link = ctx.link_latency();
  if (c.fallback) {
    const double bound_ms = (static_cast<double>(c.deadline) + 2 * link.quantile(0.9999)) / 1e6 + 0.5;
    ctx.figure(Figure::at_most("p99_ms", main.p99_ms, bound_ms,
                               "derived: a call never waits past the deadline plus two links", "ms"));
    const double expected = (1.0 - outage) * ref.late + outage;
    const double spread = 4.0 * std::sqrt(std::max(expected * (1 - expected), 1e-4) / n) + 0.005;
    ctx.figure(Figure::within("fallback_share", main.fallback, expected, spread, kDerived));
    ctx.figure(Figure::within("timed_out_share", main.timed_out, 0.0, 0.0,
                              "with the fallback every call is answered before the timeout"));
    variant_figures(ctx, "", main);
  }
  const Summary* off = without ? &*without : (c.fallback ? nullptr : &main);
  if (off == nullptr) {
    return;
  }
  const double off_n = std::max<double>(static_cast<double>(off->calls.size()), 1.0);
  const double spread = 4.0 * std::sqrt(std::max(outage * (1 - outage), 1e-4) / off_n) + 0.005;
  ctx.figure(Figure::within("no_fallback_timed_out_share", off->timed_out, outage, spread,
                            "derived: every call while the store is down waits for the timeout"));
  if (outage > 0.012) {
    ctx.figure(Figure::within("no_fallback_p99_ms", off->p99_ms, to_seconds(c.timeout) * 1e3, 1.0,
                              "derived: over 1% of calls wait the whole timeout", "ms"));
  } else {
    ctx.figure(Figure::within_relative("no_fallback_p99_ms", off->p99_ms, ref.p99_no_deadline_ms, 0.1,
                                       kDerived, "ms"));
  }
  ctx.figure(Figure::within("no_fallback_fallback_share", off->fallback, 0.0, 0.0,
                            "without the fallback nothing is answered from the cache or defaults"));
  variant_figures(ctx, "no_fallback_", *off);
  if (without) {
    ctx.figure(Figure::info("p99_cut", off->p99_ms / std::max(main.p99_ms, 1e-9)));
  }
}

}  // namespace

ExperimentSpec features_experiment() {
  ExperimentSpec e;
  e.name = "features";
  e.summary = "feature store read with a deadline: stale or default features keep the call's p99 bounded";
  e.details =
      "Node client calls node recommender --rate times a second for users drawn from --users; the "
      "recommender reads the user's features from node store (answering after --store), ranks "
      "--candidates items with them (a real dot-product ranker; its time is part of the call) and "
      "answers the top 10. With the fallback the read has a --deadline: when the store is late, or "
      "down (from --outage-at for --outage-for), the recommender uses the user's cached features if "
      "fetched within --max-stale (stale), else default features. Without it the call waits for the "
      "store, and the client gives up after --timeout. --fallback both (the default) runs the two "
      "side by side. Judged: with the fallback p99 stays under the deadline plus two links and the "
      "fallback share is the share of late reads plus the outage's share of time; without it the "
      "outage's calls time out, which sets its p99.";
  e.example = "--deadline 15ms --outage-at 20s --outage-for 10s --check";
  e.networked = true;
  e.params = {
      ParamSpec::choice("fallback", "both", {"both", "on", "off"},
                        "Read with a deadline and fall back (on), wait for the store (off), or both side by side"),
      ParamSpec::number("rate", 200, 0.1, 100'000, "Recommendation calls per second (Poisson)"),
      ParamSpec::duration("duration", "60s", 1, 86400, "Time during which calls arrive"),
      ParamSpec::integer("users", 5'000, 1, 10'000'000, "Users (drawn uniformly per call)"),
      ParamSpec::distribution("store", "lognormal:4ms,0.8", "Feature store read latency"),
      ParamSpec::duration("deadline", "15ms", 0.0001, 60, "Deadline of the feature read (with the fallback)"),
      ParamSpec::duration("max-stale", "30s", 0, 86400, "Oldest cached features still used"),
      ParamSpec::duration("timeout", "1s", 0.001, 600, "The client gives up after this"),
      ParamSpec::duration("outage-at", "20s", 0, 86400, "The store goes down at"),
      ParamSpec::duration("outage-for", "10s", 0, 86400, "... for this long (0: never down)"),
      ParamSpec::integer("candidates", 500, 10, 100'000, "Items the ranker scores per call"),
  };
  e.run = run_features;
  return e;
}

}  // namespace hexwire::sim::cases::spotify
