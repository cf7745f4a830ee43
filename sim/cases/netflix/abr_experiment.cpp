// netflix abr: buffer-based bitrate adaptation (BBA-0, SIGCOMM 2014) against rate-based, each
// session played over the same synthetic bandwidth trace: rebuffer ratio and mean bitrate.
// docs/cases/netflix.md#abr.
#include <fmt/format.h>

#include <algorithm>

#include "sim/cases/netflix/abr.hpp"
#include "sim/cases/netflix/netflix_case.hpp"

namespace hexwire::sim::cases::netflix {
namespace {

constexpr const char* kPaper =
    "Huang et al., SIGCOMM 2014: BBA rebuffers 10-20% less than rate-based adaptation at a similar "
    "video rate";

struct AbrConfig {
  PlayerConfig player;
  TraceSpec trace;
  std::uint32_t traces = 100;
};

AbrConfig config_from(const Params& p) {
  AbrConfig c;
  c.traces = static_cast<std::uint32_t>(p.integer("traces"));
  c.player.video_s = to_seconds(p.duration("video"));
  c.player.segment_s = to_seconds(p.duration("segment"));
  c.player.buffer_max_s = to_seconds(p.duration("buffer"));
  c.player.startup_s = to_seconds(p.duration("startup"));
  c.player.reservoir_s = to_seconds(p.duration("reservoir"));
  c.player.cushion_s = to_seconds(p.duration("cushion"));
  c.player.history = static_cast<std::uint32_t>(p.integer("history"));
  c.player.safety = p.number("safety");
  c.trace.mean_kbps = p.number("mean-kbps");
  c.trace.level_sigma = p.number("level-sigma");
  c.trace.hold_s = to_seconds(p.duration("hold"));
  c.trace.noise_sigma = p.number("noise-sigma");
  c.trace.outage_per_min = p.number("outages-per-min");
  c.trace.outage_s = to_seconds(p.duration("outage"));
  c.trace.outage_share = p.number("outage-share");
  if (c.player.buffer_max_s < 2 * c.player.segment_s) {
    throw UsageError("--buffer must hold at least two --segment");
  }
  if (c.player.reservoir_s + c.player.cushion_s > c.player.buffer_max_s) {
    throw UsageError("--reservoir + --cushion must fit in --buffer (the rate map ends inside it)");
  }
  return c;
}

struct Totals {
  double play_s = 0, rebuffer_s = 0, kbps_sum = 0, switches = 0;
  std::uint64_t sessions = 0, sessions_with_rebuffer = 0;
  void add(const SessionResult& r) {
    play_s += r.play_s;
    rebuffer_s += r.rebuffer_s;
    kbps_sum += r.mean_kbps;
    switches += r.switches;
    ++sessions;
    sessions_with_rebuffer += r.rebuffers > 0 ? 1 : 0;
  }
  [[nodiscard]] double ratio() const { return play_s + rebuffer_s > 0 ? rebuffer_s / (play_s + rebuffer_s) : 0; }
  [[nodiscard]] double kbps() const { return sessions > 0 ? kbps_sum / static_cast<double>(sessions) : 0; }
};

void report(RunContext& ctx, const std::string& name, const Totals& t) {
  ctx.figure(Figure::info("rebuffer_ratio_" + name, t.ratio()));
  ctx.figure(Figure::info("mean_kbps_" + name, t.kbps(), "kbit/s"));
  ctx.figure(Figure::info("sessions_with_rebuffer_" + name, static_cast<double>(t.sessions_with_rebuffer)));
  ctx.figure(Figure::info("switches_per_session_" + name, t.switches / std::max<double>(1, static_cast<double>(t.sessions))));
}

void run_abr(RunContext& ctx) {
  const AbrConfig c = config_from(ctx.params());
  const std::string& algo = ctx.params().text("algo");
  const bool bba = algo != "rate", rate = algo != "bba";
  std::vector<std::string> columns{"trace", "trace_mean_kbps"};
  for (const char* name : {"bba", "rate"}) {
    if (std::string_view(name) == "bba" ? bba : rate) {
      columns.push_back(fmt::format("{}_rebuffer_ratio", name));
      columns.push_back(fmt::format("{}_mean_kbps", name));
    }
  }
  ctx.begin(columns, PlotHint{"rebuffer ratio per trace", "trace",
                              {bba ? "bba_rebuffer_ratio" : "rate_rebuffer_ratio"}, false});
  ctx.note(fmt::format("{} traces of {} s: mean {} kbit/s, levels sigma {} holding {} s, {} outages a "
                       "minute of {} s at {}; buffer {} s, BBA reservoir {} s + cushion {} s",
                       c.traces, c.player.video_s, c.trace.mean_kbps, c.trace.level_sigma, c.trace.hold_s,
                       c.trace.outage_per_min, c.trace.outage_s, c.trace.outage_share,
                       c.player.buffer_max_s, c.player.reservoir_s, c.player.cushion_s));
  Totals tb, tr;
  for (std::uint32_t i = 0; i < c.traces; ++i) {
    Rng rng = ctx.rng().stream("abr-trace", i);
    // Long enough for the slowest session: every segment at the lowest rate during outages.
    const BandwidthTrace trace = make_trace(c.trace, 4 * c.player.video_s + 600, rng);
    std::vector<double> row{static_cast<double>(i), trace.mean()};
    if (bba) {
      const SessionResult r = play(c.player, AbrAlgorithm::kBuffer, trace);
      tb.add(r);
      row.push_back(r.rebuffer_ratio());
      row.push_back(r.mean_kbps);
    }
    if (rate) {
      const SessionResult r = play(c.player, AbrAlgorithm::kRate, trace);
      tr.add(r);
      row.push_back(r.rebuffer_ratio());
      row.push_back(r.mean_kbps);
    }
    ctx.sample(std::move(row));
  }
  if (bba) {
    report(ctx, "bba", tb);
  }
  if (rate) {
    report(ctx, "rate", tr);
  }
  if (bba && rate) {
    const double reduction = tr.ratio() > 0 ? 1.0 - tb.ratio() / tr.ratio() : 0.0;
    // The paper's baseline was Netflix's production algorithm, which also watched the buffer; the
    // rate-based player here does not, so the cut may exceed 20%: judged as at least 10%.
    ctx.figure(Figure::at_least("bba_rebuffer_reduction", reduction, 0.10, kPaper));
    ctx.figure(Figure::within("bba_bitrate_ratio", tb.kbps() / std::max(tr.kbps(), 1e-9), 1.0, 0.1, kPaper));
  }
}

}  // namespace

ExperimentSpec abr_experiment() {
  ExperimentSpec e;
  e.name = "abr";
  e.summary = "adaptive bitrate: buffer-based (BBA) against rate-based, rebuffers and bitrate";
  e.details =
      "Each of --traces sessions plays --video of video in --segment segments over a synthetic "
      "bandwidth trace (a log-normal level around --mean-kbps that holds for an exponential --hold, "
      "per-second jitter, and outages at --outage-share of the level, --outages-per-min a minute "
      "lasting --outage on average). The player downloads one segment at a time into a --buffer; "
      "bba (BBA-0, Huang et al., SIGCOMM 2014) picks the bitrate from the buffer level alone: the "
      "lowest rate up to --reservoir, rising linearly over --cushion to the highest, with "
      "hysteresis; rate picks the highest rate under --safety x the harmonic mean of the last "
      "--history segments' throughputs. Reports rebuffer ratio (stall time / (play + stall)) and "
      "mean bitrate; compare (the default) plays both over the same traces: BBA rebuffers 10-20% "
      "less at a similar bitrate.";
  e.example = "--check";
  e.params = {
      ParamSpec::choice("algo", "compare", {"compare", "bba", "rate"}, "Bitrate choice: buffer-based, rate-based, or both"),
      ParamSpec::integer("traces", 100, 1, 100'000, "Sessions, each over its own trace"),
      ParamSpec::duration("video", "10m", 10, 86400, "Video length of a session"),
      ParamSpec::duration("segment", "4s", 0.1, 60, "Segment length"),
      ParamSpec::duration("buffer", "120s", 1, 3600, "Player buffer"),
      ParamSpec::duration("startup", "4s", 0, 600, "Buffered video before playback starts"),
      ParamSpec::duration("reservoir", "20s", 0, 3600, "BBA: buffer kept at the lowest rate"),
      ParamSpec::duration("cushion", "80s", 0.1, 3600, "BBA: buffer over which the rate map rises to the highest rate"),
      ParamSpec::integer("history", 5, 1, 1000, "rate: segments in the throughput estimate (harmonic mean)"),
      ParamSpec::number("safety", 0.9, 0.01, 2, "rate: share of the estimate it may spend"),
      ParamSpec::number("mean-kbps", 3000, 10, 1e7, "Traces: mean bandwidth (kbit/s)"),
      ParamSpec::number("level-sigma", 0.6, 0, 5, "Traces: spread of the levels (sigma of ln)"),
      ParamSpec::duration("hold", "30s", 1, 86400, "Traces: mean time a level holds"),
      ParamSpec::number("noise-sigma", 0.25, 0, 5, "Traces: per-second jitter (sigma of ln)"),
      ParamSpec::number("outages-per-min", 0.5, 0, 60, "Traces: outages a minute"),
      ParamSpec::duration("outage", "30s", 0.1, 3600, "Traces: mean outage length"),
      ParamSpec::number("outage-share", 0.02, 0, 1, "Traces: bandwidth during an outage, share of the level"),
  };
  e.run = run_abr;
  return e;
}

}  // namespace hexwire::sim::cases::netflix
