// lambda boot: invocation latency when every call needs a new microVM, booted (125 ms, Firecracker
// NSDI'20) or restored from a snapshot (~5 ms), on hosts that create at most 150 microVMs a second
// each, so a burst queues. Nodes: the front end, the placement service, hosts h0...
// docs/cases/lambda.md#boot.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/histogram.hpp"
#include "sim/cases/lambda/lambda_case.hpp"
#include "sim/cases/message.hpp"

namespace hexwire::sim::cases::lambda {
namespace {

constexpr const char* kDerived = "derived: creation queue at the per-host rate (docs/cases/lambda.md#boot)";

struct BootConfig {
  bool snapshot = false;
  SimTime boot = 125 * kMillisecond;
  SimTime restore = 5 * kMillisecond;
  double create_rate = 150;  // per host per second
  std::uint32_t hosts = 4;
  std::uint32_t burst = 1000;
  SimTime burst_at = kSecond;
  double background_rate = 20;  // cold calls per second outside the burst
  SimTime duration = 10 * kSecond;
  SimTime exec = 10 * kMillisecond;

  [[nodiscard]] SimTime create() const noexcept { return snapshot ? restore : boot; }
};

/// The front end sends each call to placement, which picks hosts round-robin; a host starts one
/// microVM creation every 1/create_rate seconds at most (FIFO), runs the call once the VM is up,
/// and answers the front end.
class BootModel final : public NodeEvents {
 public:
  BootModel(const BootConfig& cfg, Network& net, const RngStreams& rng)
      : cfg_(cfg), net_(net), rng_(rng.stream("boot")), hosts_(cfg.hosts) {
    frontend_ = net.add_node("frontend");
    placement_ = net.add_node("placement");
    for (std::uint32_t h = 0; h < cfg.hosts; ++h) {
      hosts_[h].node = net.add_node(fmt::format("h{}", h));
    }
    net.set_events(*this);
  }

  void start() {
    net_.after(kNoNode, cfg_.burst_at, [this] {
      for (std::uint32_t i = 0; i < cfg_.burst; ++i) {
        call(true);
      }
    });
    schedule_background();
  }

  struct Results {
    core::Histogram burst_latency, unqueued_latency, queue_wait;
    std::uint64_t completed = 0;
    double peak_creations_per_s = 0;
    std::vector<SimTime> burst_latencies;
  };
  [[nodiscard]] const Results& results() const noexcept { return results_; }
  [[nodiscard]] std::uint64_t queued() const {
    std::uint64_t n = 0;
    for (const Host& h : hosts_) {
      n += h.queue.size() - h.head;
    }
    return n;
  }

  void on_message(NodeId to, NodeId from, std::string_view body) override {
    MessageReader in(body);
    const std::string_view kind = in.word();
    const std::uint64_t id = in.number();
    if (!in.ok()) {
      return;
    }
    if (to == placement_ && kind == "place") {
      const NodeId host = hosts_[next_host_++ % hosts_.size()].node;
      net_.send(placement_, host, MessageWriter().word("create").number(id).take());
    } else if (kind == "create") {
      enqueue(to, id);
    } else if (to == frontend_ && kind == "done") {
      finish(id);
    }
  }

 private:
  struct Call {
    SimTime arrived;
    bool burst;
    bool waited = false;  // its creation had to wait for the host's rate
  };
  struct Host {
    NodeId node = 0;
    std::vector<std::pair<std::uint64_t, SimTime>> queue;  // FIFO of (call, enqueued)
    std::size_t head = 0;
    SimTime next_start = 0;  // earliest time the next creation may start
    bool scheduled = false;
    std::vector<SimTime> starts;  // creation start times (peak rate)
  };

  void call(bool burst) {
    const std::uint64_t id = calls_.size();
    calls_.push_back(Call{net_.now(), burst, false});
    net_.send(frontend_, placement_, MessageWriter().word("place").number(id).take());
  }

  void schedule_background() {
    if (cfg_.background_rate <= 0) {
      return;
    }
    const auto gap = static_cast<SimTime>(rng_.exponential(1.0 / cfg_.background_rate) * kSecond);
    net_.after(kNoNode, gap, [this] {
      if (net_.now() < cfg_.duration) {
        call(false);
        schedule_background();
      }
    });
  }

  Host& host_of(NodeId node) {
    return *std::find_if(hosts_.begin(), hosts_.end(), [node](const Host& h) { return h.node == node; });
  }

  void enqueue(NodeId node, std::uint64_t id) {
    Host& h = host_of(node);
    h.queue.emplace_back(id, net_.now());
    pump(h);
  }

  /// Starts the next creation when the host's rate allows, then re-arms for the one after.
  void pump(Host& h) {
    if (h.scheduled || h.head == h.queue.size()) {
      return;
    }
    h.scheduled = true;
    const SimTime start = std::max(net_.now(), h.next_start);
    net_.after(h.node, start - net_.now(), [this, node = h.node] {
      Host& host = host_of(node);
      host.scheduled = false;
      const auto [id, enqueued] = host.queue[host.head++];
      // Rounded up, so that no one-second window ever holds more than the rate allows.
      host.next_start =
          net_.now() + static_cast<SimTime>(std::ceil(static_cast<double>(kSecond) / cfg_.create_rate));
      host.starts.push_back(net_.now());
      results_.queue_wait.record(static_cast<std::uint64_t>(net_.now() - enqueued));
      calls_[id].waited = net_.now() > enqueued;
      net_.after(node, cfg_.create() + cfg_.exec, [this, node, id = id] {
        net_.send(node, frontend_, MessageWriter().word("done").number(id).take());
      });
      pump(host);
    });
  }

  void finish(std::uint64_t id) {
    if (id >= calls_.size()) {
      return;
    }
    const Call& c = calls_[id];
    const auto latency = static_cast<std::uint64_t>(net_.now() - c.arrived);
    ++results_.completed;
    if (c.burst) {
      results_.burst_latency.record(latency);
    } else if (!c.waited) {
      results_.unqueued_latency.record(latency);
    }
    if (c.burst) {
      results_.burst_latencies.push_back(net_.now() - c.arrived);
    }
  }

 public:
  void measure_peak_rate() {
    for (const Host& h : hosts_) {
      // Creations started in any one-second window.
      std::size_t first = 0;
      for (std::size_t i = 0; i < h.starts.size(); ++i) {
        while (h.starts[i] - h.starts[first] >= kSecond) {
          ++first;
        }
        results_.peak_creations_per_s =
            std::max(results_.peak_creations_per_s, static_cast<double>(i - first + 1));
      }
    }
  }

 private:
  BootConfig cfg_;
  Network& net_;
  Rng rng_;
  NodeId frontend_ = kNoNode;
  NodeId placement_ = kNoNode;
  std::vector<Host> hosts_;
  std::uint64_t next_host_ = 0;
  std::vector<Call> calls_;
  Results results_;
};

BootConfig config_from(const Params& p) {
  BootConfig c;
  c.snapshot = p.text("mode") == "snapshot";
  c.boot = p.duration("boot");
  c.restore = p.duration("restore");
  c.create_rate = p.number("create-rate");
  c.hosts = static_cast<std::uint32_t>(p.integer("hosts"));
  c.burst = static_cast<std::uint32_t>(p.integer("burst"));
  c.background_rate = p.number("rate");
  c.duration = p.duration("duration");
  c.exec = p.duration("exec");
  if (c.burst_at >= c.duration) {
    throw UsageError("--duration must be longer than 1 s (the burst arrives at 1 s)");
  }
  return c;
}

double seconds_at(const core::Histogram& h, double p) {
  return static_cast<double>(h.percentile(p)) / 1e9;
}

void run_boot(RunContext& ctx) {
  const BootConfig c = config_from(ctx.params());
  BootModel model(c, ctx.network(), ctx.rng());
  ctx.open_network();
  ctx.begin({"t_s", "completed", "queued_creations"},
            PlotHint{fmt::format("{}: microVM creations waiting on the hosts", c.snapshot ? "snapshot" : "boot"),
                     "t_s", {"queued_creations"}, false});
  model.start();
  const SimTime step = 100 * kMillisecond;
  // Run until every call is answered (the burst may outlast --duration), bounded.
  const SimTime limit = c.duration + static_cast<SimTime>((c.burst / std::max(c.hosts, 1u) + 10) /
                                                          c.create_rate * kSecond) + 10 * kSecond;
  for (SimTime t = step; t <= limit; t += step) {
    ctx.network().run_until(t);
    ctx.sample({to_seconds(t), static_cast<double>(model.results().completed),
                static_cast<double>(model.queued())});
    if (t >= c.duration && model.queued() == 0 && ctx.network().now() >= c.duration + kSecond) {
      break;
    }
  }
  model.measure_peak_rate();
  const BootModel::Results& r = model.results();
  const double per_host = std::ceil(static_cast<double>(c.burst) / c.hosts);
  const double create_s = to_seconds(c.create() + c.exec);
  const double hops_s = 3.0 * ctx.link_latency().mean() / 1e9;
  ctx.note(fmt::format("{} calls in a burst over {} hosts ({:.0f} each at {} creations/s), {} {} "
                       "per microVM",
                       c.burst, c.hosts, per_host, c.create_rate, format_duration(c.create()),
                       c.snapshot ? "snapshot restore" : "boot"));
  ctx.figure(Figure::at_most("peak_creations_per_host_s", r.peak_creations_per_s, c.create_rate,
                             "Firecracker (NSDI'20): up to 150 microVMs per second per host"));
  if (c.burst > 0) {
    ctx.figure(Figure::within("burst_max_queue_s", seconds_at(r.queue_wait, 100),
                              (per_host - 1) / c.create_rate,
                              0.02 * (per_host - 1) / c.create_rate + 0.005, kDerived, "s"));
  }
  if (ctx.live()) {
    ctx.figure(Figure::info("burst_p50_s", seconds_at(r.burst_latency, 50), "s"));
    ctx.figure(Figure::info("burst_p99_s", seconds_at(r.burst_latency, 99), "s"));
    ctx.figure(Figure::info("unqueued_p50_ms", seconds_at(r.unqueued_latency, 50) * 1e3, "ms"));
    return;
  }
  if (c.burst > 0) {
    for (const auto& [name, q] : {std::pair{"burst_p50_s", 0.5}, std::pair{"burst_p99_s", 0.99}}) {
      const double reference = q * per_host / c.create_rate + create_s + hops_s;
      ctx.figure(Figure::within(name, seconds_at(r.burst_latency, q * 100), reference,
                                0.03 * reference + 0.005, kDerived, "s"));
    }
  }
  if (r.unqueued_latency.count() > 0) {
    const double reference = (create_s + hops_s) * 1e3;
    ctx.figure(Figure::within("unqueued_p50_ms", seconds_at(r.unqueued_latency, 50) * 1e3,
                              reference, 0.1 * reference + 1.0,
                              c.snapshot ? "Firecracker snapshot restore ~5 ms + run + 3 hops"
                                         : "Firecracker boot 125 ms (NSDI'20) + run + 3 hops",
                              "ms"));
  }
  ctx.figure(Figure::info("calls_completed", static_cast<double>(r.completed)));
}

}  // namespace

ExperimentSpec boot_experiment() {
  ExperimentSpec e;
  e.name = "boot";
  e.summary = "invocation latency: 125 ms microVM boot vs ~5 ms snapshot restore, 150 VMs/s per host";
  e.details =
      "Every call needs a new microVM. The front end (node frontend) asks placement (node "
      "placement), which hands calls to hosts h0.. in turn; a host starts at most --create-rate "
      "creations a second (first come, first served), each taking --boot (--mode boot) or "
      "--restore (--mode snapshot), then runs the call for --exec and answers. A burst of --burst "
      "calls arrives at 1 s on top of --rate calls a second: the burst queues at the hosts for "
      "(burst / hosts - 1) / rate seconds at the end, whatever the creation time; calls outside the "
      "burst see the creation time itself (boot 125 ms against restore 5 ms: Firecracker, "
      "NSDI'20).";
  e.example = "--mode snapshot --burst 1000 --hosts 4 --check";
  e.networked = true;
  e.params = {
      ParamSpec::choice("mode", "boot", {"boot", "snapshot"}, "Boot each microVM or restore a snapshot"),
      ParamSpec::duration("boot", "125ms", 0, 60, "Time to boot a microVM"),
      ParamSpec::duration("restore", "5ms", 0, 60, "Time to restore one from a snapshot"),
      ParamSpec::number("create-rate", 150, 0.01, 1e6, "microVM creations a host starts per second"),
      ParamSpec::integer("hosts", 4, 1, 100'000, "Hosts"),
      ParamSpec::integer("burst", 1000, 0, 10'000'000, "Calls arriving together at 1 s"),
      ParamSpec::number("rate", 20, 0, 1e6, "Other calls per second (Poisson)"),
      ParamSpec::duration("duration", "10s", 1.001, 86400, "Time during which calls arrive"),
      ParamSpec::duration("exec", "10ms", 0, 3600, "Running time of a call"),
  };
  e.run = run_boot;
  return e;
}

}  // namespace hexwire::sim::cases::lambda
