// primevideo cost: the stream-quality monitor of the 2023 Prime Video blog, distributed
// (Step Functions + Lambda + S3 per frame) against the monolith (one process per instance, frames
// in memory): the bill per stream-hour item by item, counted from the operations the models
// perform, and the throughput ceiling the account's transition rate sets on the distributed
// design. docs/cases/primevideo.md#cost.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <optional>

#include "sim/cases/primevideo/monitor_models.hpp"
#include "sim/cases/primevideo/primevideo_case.hpp"

namespace hexwire::sim::cases::primevideo {
namespace {

constexpr const char* kDerivedBill = "derived: operations x list prices (docs/cases/primevideo.md#cost)";
constexpr const char* kDerivedCeiling =
    "derived: transition limit / transitions per stream-second; the blog: a hard scaling limit at "
    "about 5% of the expected load";
constexpr const char* kBlogCut =
    "Prime Video Tech blog (2023): moving to a monolith cut infrastructure cost by over 90%";

CostConfig config_from(const Params& p) {
  CostConfig c;
  c.streams = static_cast<std::uint64_t>(p.integer("streams"));
  c.detectors = static_cast<std::uint32_t>(p.integer("detectors"));
  c.frames_per_s = p.number("frames-per-s");
  c.chunk_s = to_seconds(p.duration("chunk"));
  c.convert_cpu_s = to_seconds(p.duration("convert-cpu"));
  c.detect_cpu_s = to_seconds(p.duration("detect-cpu"));
  c.lambda_gb = p.number("lambda-gb");
  c.transition_limit = p.number("transition-limit");
  c.vcpus_per_instance = p.number("instance-vcpus");
  c.utilization = p.number("utilization");
  c.prices.transition = p.number("price-transition");
  c.prices.s3_put = p.number("price-put");
  c.prices.s3_get = p.number("price-get");
  c.prices.lambda_gb_s = p.number("price-gb-s");
  c.prices.lambda_request = p.number("price-request");
  c.prices.vcpu_hour = p.number("price-vcpu-hour");
  const double frames = c.frames_per_s * c.chunk_s;
  if (std::abs(frames - std::round(frames)) > 1e-9 || frames < 1) {
    throw UsageError(fmt::format("--frames-per-s x --chunk must be a whole number of frames, at "
                                 "least 1 (got {})", frames));
  }
  if (c.cpu_per_stream_s() > c.vcpus_per_instance * c.utilization) {
    throw UsageError("one stream needs more CPU than an instance offers at --utilization: raise "
                     "--instance-vcpus or lower --convert-cpu/--detect-cpu");
  }
  return c;
}

/// The bill so far, item by item, from what a run counted.
std::vector<CostItem> distributed_bill(const CostConfig& c, const MonitorCounts& n) {
  const Prices& p = c.prices;
  return {
      {"step_functions", static_cast<double>(n.transitions) * p.transition},
      {"s3_put", static_cast<double>(n.s3_puts) * p.s3_put},
      {"s3_get", static_cast<double>(n.s3_gets) * p.s3_get},
      {"lambda_compute", n.lambda_gb_s * p.lambda_gb_s},
      {"lambda_requests", static_cast<double>(n.lambda_invocations) * p.lambda_request},
  };
}

double monolith_bill(const CostConfig& c, std::uint64_t instances, SimTime elapsed) {
  return static_cast<double>(instances) * c.vcpus_per_instance * c.prices.vcpu_hour *
         to_seconds(elapsed) / 3600.0;
}

double stream_hours(const CostConfig& c, const MonitorCounts& n) {
  return static_cast<double>(n.chunks_completed) * c.chunk_s / 3600.0;
}

struct Run {
  std::string arch;
  std::unique_ptr<Network> side;  // the monolith's own network in compare mode
  Network* net = nullptr;
  std::unique_ptr<MonitorModel> model;
  DistributedMonitor* distributed = nullptr;
  MonolithMonitor* monolith = nullptr;
};

Run make_run(RunContext& ctx, const CostConfig& c, const std::string& arch, bool side) {
  Run r;
  r.arch = arch;
  if (side) {
    r.side = ctx.make_side_network(arch);
  }
  r.net = side ? r.side.get() : &ctx.network();
  if (arch == "distributed") {
    auto m = std::make_unique<DistributedMonitor>(c, *r.net);
    r.distributed = m.get();
    r.model = std::move(m);
  } else {
    auto m = std::make_unique<MonolithMonitor>(c, *r.net);
    r.monolith = m.get();
    r.model = std::move(m);
  }
  if (side) {
    ctx.open_network(*r.net);
  } else {
    ctx.open_network();
  }
  return r;
}

double usd_so_far(const CostConfig& c, const Run& r) {
  return r.distributed ? total(distributed_bill(c, r.model->counts()))
                       : monolith_bill(c, r.monolith->instances(), r.net->now());
}

void report_distributed(RunContext& ctx, const CostConfig& c, const Run& r, double window_s) {
  const MonitorCounts& n = r.model->counts();
  const double hours = stream_hours(c, n);
  const std::vector<CostItem> reference = distributed_cost(c);
  const std::vector<CostItem> bill = distributed_bill(c, n);
  for (std::size_t i = 0; i < bill.size(); ++i) {
    ctx.figure(Figure::within_relative("distributed_" + bill[i].name, bill[i].usd_per_stream_hour / hours,
                                       reference[i].usd_per_stream_hour, 0.01, kDerivedBill,
                                       "$/stream-h"));
  }
  ctx.figure(Figure::within_relative("distributed_usd_per_stream_hour", total(bill) / hours,
                                     total(reference), 0.01, kDerivedBill, "$/stream-h"));
  ctx.figure(Figure::within("transitions_per_chunk",
                            static_cast<double>(n.transitions) / static_cast<double>(n.chunks_completed),
                            c.transitions_per_chunk(), 1e-9,
                            "the workflow: convert, Parallel, one per detector, aggregate"));
  const double sustained = static_cast<double>(n.chunks_in_window) / window_s * c.chunk_s;
  const double ceiling = std::min(static_cast<double>(c.streams), distributed_ceiling_streams(c));
  // Live runs see real scheduling and few chunks: a wider band. Completions are whole chunks, so
  // the window's two edges add up to two chunks of counting granularity.
  const double band = ctx.live() ? 0.15 : 0.03;
  const double tolerance = band * ceiling + 2.0 * c.chunk_s / window_s;
  ctx.figure(Figure::within("distributed_streams_sustained", sustained, ceiling, tolerance,
                            kDerivedCeiling, "streams"));
  ctx.figure(Figure::within("distributed_share_of_target", sustained / static_cast<double>(c.streams),
                            ceiling / static_cast<double>(c.streams),
                            tolerance / static_cast<double>(c.streams) + 1e-6, kDerivedCeiling));
  ctx.figure(Figure::info("distributed_chunk_p50_s", r.model->counts().chunk_latency_ns.percentile(50) / 1e9, "s"));
  ctx.figure(Figure::info("distributed_chunk_p99_s", r.model->counts().chunk_latency_ns.percentile(99) / 1e9, "s"));
}

void report_monolith(RunContext& ctx, const CostConfig& c, const Run& r, SimTime billed,
                     double window_s) {
  const MonitorCounts& n = r.model->counts();
  const double hours = stream_hours(c, n);
  const std::vector<CostItem> reference = monolith_cost(c);
  const double instances = static_cast<double>(r.monolith->instances());
  ctx.figure(Figure::within_relative("monolith_usd_per_stream_hour",
                                     monolith_bill(c, r.monolith->instances(), billed) / hours,
                                     total(reference), 0.01, kDerivedBill, "$/stream-h"));
  ctx.figure(Figure::info("monolith_instances", instances));
  const double utilization = n.instance_busy_s / (instances * c.vcpus_per_instance * to_seconds(billed));
  const double expected = static_cast<double>(c.streams) * c.cpu_per_stream_s() / (instances * c.vcpus_per_instance);
  ctx.figure(Figure::within("monolith_cpu_utilization", utilization, expected, 0.02,
                            "derived: streams x CPU per stream-second / fleet vCPUs"));
  const double sustained = static_cast<double>(n.chunks_in_window) / window_s * c.chunk_s;
  ctx.figure(Figure::within("monolith_share_of_target", sustained / static_cast<double>(c.streams), 1.0, 0.02,
                            "sized for the target load: every chunk is checked"));
  ctx.figure(Figure::info("monolith_chunk_p99_s", n.chunk_latency_ns.percentile(99) / 1e9, "s"));
}

void run_cost(RunContext& ctx) {
  const CostConfig c = config_from(ctx.params());
  const std::string& arch = ctx.params().text("arch");
  if (arch == "compare" && ctx.live()) {
    throw UsageError("--arch compare runs both designs side by side in virtual time; with --live "
                     "pick --arch distributed or --arch monolith");
  }
  const SimTime duration = ctx.params().duration("duration");
  const SimTime warmup = std::min<SimTime>(2 * kSecond, duration / 4);
  std::vector<Run> runs;
  if (arch != "monolith") {
    runs.push_back(make_run(ctx, c, "distributed", false));
  }
  if (arch != "distributed") {
    runs.push_back(make_run(ctx, c, "monolith", arch == "compare"));
  }
  std::vector<std::string> columns{"t_s", "target_streams"};
  std::vector<std::string> plotted;
  for (const Run& r : runs) {
    for (const char* what : {"served_streams", "usd_per_stream_hour"}) {
      columns.push_back(r.arch + "_" + what);
    }
    plotted.push_back(r.arch + "_served_streams");
  }
  const bool distributed = runs.front().distributed != nullptr;
  if (distributed) {
    columns.push_back("distributed_waiting_chunks");
  }
  ctx.begin(columns, PlotHint{"streams checked per second against the target", "t_s", plotted, false});
  for (Run& r : runs) {
    r.model->start(duration, warmup);
  }
  ctx.note(fmt::format("{} streams, {} detectors, {} frames/s, a workflow per {} s chunk: {} "
                       "transitions per stream-second against a limit of {}/s",
                       c.streams, c.detectors, c.frames_per_s, c.chunk_s,
                       c.transitions_per_chunk() * c.chunks_per_stream_s(), c.transition_limit));
  // Arrivals stop at --duration; what is in flight then finishes (work already started is billed
  // and counted), what never started stays unserved.
  const SimTime drain = 5 * kSecond + static_cast<SimTime>(c.chunk_s * 2e9);
  for (SimTime t = kSecond; t <= duration + drain; t += kSecond) {
    std::vector<double> row{to_seconds(t), static_cast<double>(c.streams)};
    for (Run& r : runs) {
      if (!r.net->run_until(t)) {
        throw std::runtime_error("the network stopped before the end of the run");
      }
      const double served = static_cast<double>(r.model->take_completed_since_last()) * c.chunk_s;
      const double hours = stream_hours(c, r.model->counts());
      row.push_back(served);
      row.push_back(hours > 0 ? usd_so_far(c, r) / hours : 0.0);
    }
    if (distributed) {
      row.push_back(static_cast<double>(runs.front().distributed->not_started()));
    }
    ctx.sample(std::move(row));
  }
  const double window_s = to_seconds(duration - warmup);
  std::optional<double> distributed_total, monolith_total;
  for (const Run& r : runs) {
    const double hours = stream_hours(c, r.model->counts());
    if (r.distributed) {
      report_distributed(ctx, c, r, window_s);
      distributed_total = total(distributed_bill(c, r.model->counts())) / hours;
    } else {
      report_monolith(ctx, c, r, duration, window_s);
      monolith_total = monolith_bill(c, r.monolith->instances(), duration) / hours;
    }
  }
  if (distributed_total && monolith_total) {
    ctx.figure(Figure::at_least("monolith_cost_cut", 1.0 - *monolith_total / *distributed_total, 0.9,
                                kBlogCut));
  }
  if (runs.front().distributed) {
    ctx.figure(Figure::info("distributed_never_started",
                            static_cast<double>(runs.front().distributed->not_started())));
  }
}

}  // namespace

ExperimentSpec cost_experiment() {
  ExperimentSpec e;
  e.name = "cost";
  e.summary = "stream-quality monitor: distributed (Step Functions, Lambda, S3) vs monolith, cost and ceiling";
  e.details =
      "Every stream produces a chunk each --chunk. Distributed: the orchestrator (node "
      "orchestrator) runs one workflow per chunk, a state transition per state (convert, a "
      "Parallel state, one per detector, aggregate) paid per transition and admitted through the "
      "account's token bucket (--transition-limit a second); the converter Lambda writes the "
      "chunk's frames to S3 one PUT each, every detector Lambda (d0..) reads them back, one GET "
      "each. Monolith: instances m0.. run conversion and every detector in-process with frames in "
      "memory, a fleet sized for the target at --utilization. Reports the bill per stream-hour "
      "item by item (counted operations x list prices, all flags), the streams the distributed "
      "design sustains (transition limit / transitions per stream-second: about 5% of the target "
      "at the defaults, as the blog found) and the monolith's cost cut (over 90% in the blog).";
  e.example = "--arch compare --check";
  e.networked = true;
  e.default_latency = "lognormal:2ms,0.5";
  e.params = {
      ParamSpec::choice("arch", "compare", {"compare", "distributed", "monolith"},
                        "Design to run; compare runs both side by side"),
      ParamSpec::integer("streams", 17'000, 1, 10'000'000, "Concurrent streams to monitor (the target load)"),
      ParamSpec::duration("duration", "20s", 1, 86400, "Time during which streams produce chunks"),
      ParamSpec::integer("detectors", 3, 1, 64, "Defect detectors; each reads every frame"),
      ParamSpec::number("frames-per-s", 30, 0.001, 1000, "Frames extracted per second of stream"),
      ParamSpec::duration("chunk", "1s", 0.01, 3600, "Stream time per workflow (one chunk)"),
      ParamSpec::duration("convert-cpu", "200ms", 0, 3600, "CPU time to decode one chunk into frames"),
      ParamSpec::duration("detect-cpu", "100ms", 0, 3600, "CPU time of one detector on one chunk"),
      ParamSpec::number("lambda-gb", 2, 0.125, 10, "Memory of every Lambda function (GB)"),
      ParamSpec::number("transition-limit", 5000, 0.1, 1e9, "Account state transitions per second (Step Functions Standard, large regions)"),
      ParamSpec::number("instance-vcpus", 16, 1, 1024, "vCPUs of a monolith instance"),
      ParamSpec::number("utilization", 0.6, 0.01, 1, "Target CPU utilisation when sizing the monolith's fleet"),
      ParamSpec::number("price-transition", 0.000025, 0, 1, "USD per state transition ($0.025 per 1,000)"),
      ParamSpec::number("price-put", 0.000005, 0, 1, "USD per S3 PUT ($0.005 per 1,000, Tier 1)"),
      ParamSpec::number("price-get", 0.0000004, 0, 1, "USD per S3 GET ($0.0004 per 1,000, Tier 2)"),
      ParamSpec::number("price-gb-s", 0.0000166667, 0, 1, "USD per Lambda GB-second"),
      ParamSpec::number("price-request", 0.0000002, 0, 1, "USD per Lambda invocation ($0.20 per million)"),
      ParamSpec::number("price-vcpu-hour", 0.0425, 0, 100, "USD per vCPU-hour of an instance (c5 on demand)"),
  };
  e.run = run_cost;
  return e;
}

}  // namespace hexwire::sim::cases::primevideo
