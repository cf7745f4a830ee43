// dynamo coordination: the same replication model with client-driven coordination (the client
// knows the ring and sends to a node of the key's top N) against server-driven (a load balancer
// picks any node, which forwards to a top-N node when it is not one). Dynamo's Table 2 (SOSP'07
// §6.4): client-driven cuts the 99.9th percentile from 68.9 to 30.4 ms for reads.
#include <fmt/format.h>

#include <array>

#include "sim/cases/dynamo/dynamo_case.hpp"
#include "sim/cases/dynamo/quorum_model.hpp"

namespace hexwire::sim::cases::dynamo {
namespace {

constexpr const char* kTable2 =
    "SOSP'07 Table 2: client-driven p99.9 30.4 ms vs server-driven 68.9 (reads), 68.5 (writes)";
constexpr std::array<double, 9> kPercentiles{50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99};

QuorumConfig config_from(const Params& p, Coordination mode) {
  QuorumConfig c;
  c.nodes = static_cast<std::uint32_t>(p.integer("nodes"));
  c.clients = static_cast<std::uint32_t>(p.integer("clients"));
  c.keys = static_cast<std::uint32_t>(p.integer("keys"));
  c.pause = p.duration("pause");
  c.duration = p.duration("duration");
  c.drain = 5 * kSecond;
  c.coordination = mode;
  std::string error;
  c.service = *LatencyDistribution::parse(p.text("service"), error);
  if (c.n > c.nodes) {
    throw UsageError(fmt::format("--nodes must be at least N = {}", c.n));
  }
  return c;
}

struct ModeResult {
  core::Histogram get;
  core::Histogram put;
  std::uint64_t forwards = 0;
  std::uint64_t operations = 0;
};

ModeResult run_mode(RunContext& ctx, Network& network, Coordination mode, bool sample) {
  const QuorumConfig cfg = config_from(ctx.params(), mode);
  QuorumModel model(cfg, network, ctx.rng());
  ctx.open_network(network);
  model.start();
  for (SimTime t = kSecond; t <= cfg.duration + cfg.drain; t += kSecond) {
    if (!network.run_until(t)) {
      throw std::runtime_error("the network stopped before the end of the run");
    }
    if (sample && t % (10 * kSecond) == 0) {
      const QuorumStats& s = model.stats();
      ctx.note(fmt::format("{} s: {} operations, get p99.9 {:.2f} ms", to_seconds(t),
                           model.operations(), s.get_latency_ns.percentile(99.9) / 1e6));
    }
  }
  return ModeResult{model.stats().get_latency_ns, model.stats().put_latency_ns,
                    model.stats().forwards, model.operations()};
}

double ms(const core::Histogram& h, double p) {
  return static_cast<double>(h.percentile(p)) / 1e6;
}

void report_one(RunContext& ctx, const char* label, const ModeResult& r) {
  ctx.figure(Figure::info(fmt::format("{}_read_p999_ms", label), ms(r.get, 99.9), "ms"));
  ctx.figure(Figure::info(fmt::format("{}_write_p999_ms", label), ms(r.put, 99.9), "ms"));
  ctx.figure(Figure::info(fmt::format("{}_read_mean_ms", label), r.get.mean() / 1e6, "ms"));
  ctx.figure(Figure::info(fmt::format("{}_write_mean_ms", label), r.put.mean() / 1e6, "ms"));
}

void run_coordination(RunContext& ctx) {
  const std::string& mode = ctx.params().text("mode");
  if (mode != "compare") {
    const Coordination one = mode == "client" ? Coordination::kClient : Coordination::kServer;
    ctx.begin({"percentile", "read_ms", "write_ms"},
              PlotHint{fmt::format("{}-driven coordination: latency percentiles", mode),
                       "percentile", {"read_ms", "write_ms"}, true});
    const ModeResult r = run_mode(ctx, ctx.network(), one, true);
    for (const double p : kPercentiles) {
      ctx.sample({p, ms(r.get, p), ms(r.put, p)});
    }
    report_one(ctx, mode.c_str(), r);
    ctx.figure(Figure::info("forwarded_requests", static_cast<double>(r.forwards)));
    return;
  }
  if (ctx.live()) {
    throw UsageError("--mode compare runs both modes one after the other in virtual time; with "
                     "--live pick --mode client or --mode server");
  }
  ctx.begin({"percentile", "client_read_ms", "server_read_ms", "client_write_ms",
             "server_write_ms"},
            PlotHint{"read latency percentiles: client- vs server-driven coordination",
                     "percentile", {"client_read_ms", "server_read_ms"}, true});
  const ModeResult client = run_mode(ctx, ctx.network(), Coordination::kClient, false);
  const std::unique_ptr<Network> second = ctx.make_side_network("server-driven");
  const ModeResult server = run_mode(ctx, *second, Coordination::kServer, false);
  for (const double p : kPercentiles) {
    ctx.sample({p, ms(client.get, p), ms(server.get, p), ms(client.put, p), ms(server.put, p)});
  }
  ctx.note(fmt::format("{} operations client-driven, {} server-driven ({} forwarded by a node "
                       "outside the key's top N)",
                       client.operations, server.operations, server.forwards));
  report_one(ctx, "client", client);
  report_one(ctx, "server", server);
  ctx.figure(Figure::at_most("read_p999_client_over_server",
                             ms(client.get, 99.9) / ms(server.get, 99.9), 1.0, kTable2));
  ctx.figure(Figure::at_most("write_p999_client_over_server",
                             ms(client.put, 99.9) / ms(server.put, 99.9), 1.0, kTable2));
  ctx.figure(Figure::at_most("read_mean_client_over_server", client.get.mean() / server.get.mean(),
                             1.0, "SOSP'07 Table 2: mean 1.55 vs 3.9 ms (reads)"));
  ctx.figure(Figure::info("paper_read_p999_ratio", 30.4 / 68.9));
}

}  // namespace

ExperimentSpec coordination_experiment() {
  ExperimentSpec e;
  e.name = "coordination";
  e.summary = "client-driven vs server-driven request coordination: p99.9 and mean latency";
  e.details =
      "Runs the quorum model (N, R, W = 3, 2, 2) twice on the same workload: client-driven, where "
      "the client library knows the ring and sends each request straight to a node of the key's "
      "top N, and server-driven, where a load balancer (node lb) hands it to a random node that "
      "forwards it to a top-N node unless it is one. Every node serves one message at a time "
      "(--service), so the extra hops add both latency and queueing. Client-driven must have the "
      "lower 99.9th percentile, as in Dynamo's Table 2 (30.4 vs 68.9 ms for reads).";
  e.example = "--mode compare --check";
  e.networked = true;
  e.params = {
      ParamSpec::choice("mode", "compare", {"compare", "client", "server"},
                        "compare: run both and compare; client or server: one mode"),
      ParamSpec::integer("nodes", 8, 3, 1000, "Storage nodes"),
      ParamSpec::integer("clients", 50, 1, 100'000, "Concurrent closed-loop clients"),
      ParamSpec::integer("keys", 10'000, 1, 100'000'000, "Keys, chosen uniformly"),
      ParamSpec::duration("pause", "200ms", 0.000001, 3600, "Mean time between a client's operations"),
      ParamSpec::duration("duration", "120s", 1, 30 * 86400, "Time during which clients operate"),
      ParamSpec::distribution("service", "exponential:0.1ms", "Per-message service time at a node and at the load balancer"),
  };
  e.run = run_coordination;
  return e;
}

}  // namespace hexwire::sim::cases::dynamo
