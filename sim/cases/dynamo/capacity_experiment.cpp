// dynamo capacity: a provisioned table whose writes all go to a few partitions, one of them hot,
// under three admission policies: static per-partition limits, per-partition burst buckets (300 s
// of unused capacity), and global admission control (ATC'22 §4: request routers draw tokens from a
// table-wide bucket, so a partition may exceed its share while the table has capacity). Reports the
// hot partition's throttled fraction and when burst capacity ran out. docs/cases/dynamo.md#capacity.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <vector>

#include "sim/cases/dynamo/dynamo_case.hpp"
#include "sim/cases/message.hpp"

namespace hexwire::sim::cases::dynamo {
namespace {

constexpr const char* kDerived = "derived: token-bucket arithmetic (docs/cases/dynamo.md#capacity)";

enum class Policy : std::uint8_t { kStatic, kBurst, kGac };

struct CapacityConfig {
  Policy policy = Policy::kStatic;
  double table_wcu = 400;
  std::uint32_t partitions = 4;
  double offered = 300;
  double hot_share = 0.8;
  SimTime duration = 600 * kSecond;
  SimTime burst_window = 300 * kSecond;
  double partition_max = 1000;
  std::uint32_t routers = 2;
  SimTime gac_interval = kSecond;
};

/// A token bucket refilled continuously at `rate` up to `capacity`.
struct TokenBucket {
  double rate = 0;
  double capacity = 0;
  double tokens = 0;
  SimTime updated = 0;

  void refill(SimTime now) {
    tokens = std::min(capacity, tokens + rate * to_seconds(now - updated));
    updated = now;
  }
  bool take(SimTime now) {
    refill(now);
    if (tokens >= 1.0) {
      tokens -= 1.0;
      return true;
    }
    return false;
  }
};

/// Request routers hold local token buckets filled by grants from the GAC node; partitions keep a
/// bucket at the partition maximum as a safety limit. Without GAC, each partition's bucket is
/// the whole story.
class CapacityModel final : public NodeEvents {
 public:
  CapacityModel(const CapacityConfig& cfg, Network& net, const RngStreams& rng)
      : cfg_(cfg), net_(net), arrivals_(rng.stream("capacity-arrivals")) {
    const double share = cfg.table_wcu / cfg.partitions;
    for (std::uint32_t p = 0; p < cfg.partitions; ++p) {
      TokenBucket b;
      if (cfg.policy == Policy::kGac) {
        b.rate = b.capacity = cfg.partition_max;
      } else {
        b.rate = share;
        // Static: one second of capacity. Burst: 300 s of unused capacity, full at the start.
        b.capacity = cfg.policy == Policy::kBurst ? share * to_seconds(cfg.burst_window) : share;
      }
      b.tokens = b.capacity;
      partition_buckets_.push_back(b);
    }
    gac_ = net.add_node("gac");
    for (std::uint32_t r = 0; r < cfg.routers; ++r) {
      routers_.push_back(Router{net.add_node(fmt::format("router{}", r))});
    }
    table_ = TokenBucket{cfg.table_wcu, cfg.table_wcu * to_seconds(cfg.gac_interval) * 2, 0, 0};
    table_.tokens = table_.capacity;
    net.set_events(*this);
  }

  void start() {
    for (std::uint32_t p = 0; p < cfg_.partitions; ++p) {
      schedule_arrival(p);
    }
    if (cfg_.policy == Policy::kGac) {
      for (std::size_t r = 0; r < routers_.size(); ++r) {
        // Until its first grant a router admits its even share of the table for one interval.
        routers_[r].tokens = cfg_.table_wcu / cfg_.routers * to_seconds(cfg_.gac_interval);
        request_tokens(r);
      }
    }
  }

  struct Totals {
    std::uint64_t hot_offered = 0, hot_throttled = 0, cold_offered = 0, cold_throttled = 0;
  };
  [[nodiscard]] const Totals& totals() const noexcept { return totals_; }
  [[nodiscard]] double hot_bucket_tokens() {
    partition_buckets_[0].refill(net_.now());
    return partition_buckets_[0].tokens;
  }
  [[nodiscard]] std::optional<SimTime> burst_exhausted() const noexcept { return exhausted_; }

  void on_message(NodeId to, NodeId from, std::string_view body) override {
    MessageReader in(body);
    const std::string_view kind = in.word();
    if (to == gac_ && kind == "want") {
      const double wanted = static_cast<double>(in.number());
      table_.refill(net_.now());
      const double granted = std::floor(std::min(wanted, table_.tokens));
      table_.tokens -= granted;
      net_.send(gac_, from, MessageWriter().word("grant").number(static_cast<std::uint64_t>(granted)).take());
    } else if (kind == "grant") {
      for (Router& r : routers_) {
        if (r.node == to) {
          r.tokens += static_cast<double>(in.number());
        }
      }
    }
  }

 private:
  struct Router {
    NodeId node;
    double tokens = 0;
    std::uint64_t used_since_request = 0;
  };

  void schedule_arrival(std::uint32_t partition) {
    const double hot_rate = cfg_.offered * cfg_.hot_share;
    const double rate = partition == 0 ? hot_rate
                                       : (cfg_.offered - hot_rate) / (cfg_.partitions - 1);
    if (rate <= 0) {
      return;
    }
    const auto gap = static_cast<SimTime>(arrivals_.exponential(1.0 / rate) * kSecond);
    net_.after(kNoNode, gap, [this, partition] {
      if (net_.now() < cfg_.duration) {
        arrive(partition);
        schedule_arrival(partition);
      }
    });
  }

  void arrive(std::uint32_t partition) {
    bool admitted = true;
    if (cfg_.policy == Policy::kGac) {
      Router& r = routers_[arrivals_.below(routers_.size())];
      admitted = net_.is_up(r.node) && r.tokens >= 1.0;
      if (admitted) {
        r.tokens -= 1.0;
        ++r.used_since_request;
      }
    }
    TokenBucket& bucket = partition_buckets_[partition];
    admitted = admitted && bucket.take(net_.now());
    if (partition == 0 && cfg_.policy == Policy::kBurst && !exhausted_ && bucket.tokens < 1.0) {
      exhausted_ = net_.now();
    }
    ++(partition == 0 ? totals_.hot_offered : totals_.cold_offered);
    if (!admitted) {
      ++(partition == 0 ? totals_.hot_throttled : totals_.cold_throttled);
    }
  }

  /// Every interval a router tops its bucket up to what it used in the last one plus half again
  /// (headroom for growth; at least a tenth of its even share of the table).
  void request_tokens(std::size_t index) {
    Router& r = routers_[index];
    const double floor_share = cfg_.table_wcu / cfg_.routers * to_seconds(cfg_.gac_interval) * 0.1;
    const double target = std::max(floor_share, 1.5 * static_cast<double>(r.used_since_request));
    const double wanted = std::max(0.0, target - r.tokens);
    r.used_since_request = 0;
    net_.send(r.node, gac_, MessageWriter().word("want").number(static_cast<std::uint64_t>(wanted)).take());
    net_.after(r.node, cfg_.gac_interval, [this, index] { request_tokens(index); });
  }

  CapacityConfig cfg_;
  Network& net_;
  Rng arrivals_;
  std::vector<TokenBucket> partition_buckets_;
  std::vector<Router> routers_;
  NodeId gac_ = kNoNode;
  TokenBucket table_;
  Totals totals_;
  std::optional<SimTime> exhausted_;
};

CapacityConfig config_from(const Params& p) {
  CapacityConfig c;
  const std::string& policy = p.text("policy");
  c.policy = policy == "burst" ? Policy::kBurst : policy == "gac" ? Policy::kGac : Policy::kStatic;
  c.table_wcu = p.number("table-wcu");
  c.partitions = static_cast<std::uint32_t>(p.integer("partitions"));
  c.offered = p.number("offered");
  c.hot_share = p.number("hot-share");
  c.duration = p.duration("duration");
  c.burst_window = p.duration("burst-window");
  c.partition_max = p.number("partition-max");
  c.routers = static_cast<std::uint32_t>(p.integer("routers"));
  c.gac_interval = p.duration("gac-interval");
  if (c.partitions == 1 && c.hot_share < 1.0) {
    throw UsageError("with one partition every write goes to it: use --hot-share 1");
  }
  return c;
}

double ratio(std::uint64_t part, std::uint64_t whole) {
  return whole == 0 ? 0.0 : static_cast<double>(part) / static_cast<double>(whole);
}

void report(RunContext& ctx, const CapacityConfig& c, CapacityModel& model,
            std::uint64_t hot_after, std::uint64_t throttled_after) {
  if (!ctx.fault_plan().empty()) {
    // The references assume the admission path works; with the GAC or a router down they do not
    // apply, so the run reports what happened without judging it.
    const CapacityModel::Totals& t = model.totals();
    ctx.note("faults injected: throttling reported, not judged");
    ctx.figure(Figure::info("hot_throttled_fraction", ratio(t.hot_throttled, t.hot_offered)));
    ctx.figure(Figure::info("cold_throttled_fraction", ratio(t.cold_throttled, t.cold_offered)));
    return;
  }
  const CapacityModel::Totals& t = model.totals();
  const double share = c.table_wcu / c.partitions;
  const double hot = c.offered * c.hot_share;
  const double steady = hot > share ? 1.0 - share / hot : 0.0;
  const double measured = ratio(t.hot_throttled, t.hot_offered);
  const double noise = 4.0 * std::sqrt(std::max(measured * (1 - measured), 1e-4) /
                                       std::max<double>(t.hot_offered, 1.0));
  ctx.note(fmt::format("hot partition: {:.0f} WCU/s offered against {:.0f} WCU/s provisioned "
                       "({} of {} WCU over {} partitions)",
                       hot, share, c.offered, c.table_wcu, c.partitions));
  switch (c.policy) {
    case Policy::kStatic:
      ctx.figure(Figure::within("hot_throttled_fraction", measured, steady, 0.01 + noise, kDerived));
      break;
    case Policy::kBurst: {
      const double T = to_seconds(c.duration);
      const double bucket = share * to_seconds(c.burst_window);
      const double lasts = hot > share ? bucket / (hot - share) : INFINITY;
      const double run_share = lasts >= T ? 0.0 : (T - lasts) * (hot - share) / (T * hot);
      const std::optional<SimTime> ran_out = model.burst_exhausted();
      if (std::isfinite(lasts) && lasts < T) {
        ctx.figure(Figure::within_relative("burst_exhausted_s",
                                           ran_out ? to_seconds(*ran_out) : INFINITY, lasts, 0.03,
                                           kDerived, "s"));
      } else {
        ctx.figure(Figure::info("burst_exhausted_s", ran_out ? to_seconds(*ran_out) : INFINITY, "s"));
      }
      ctx.figure(Figure::within("hot_throttled_fraction", measured, run_share, 0.01 + noise, kDerived));
      ctx.figure(Figure::within("hot_throttled_after_burst", ratio(throttled_after, hot_after),
                                ran_out ? steady : 0.0, 0.01 + noise, kDerived));
      break;
    }
    case Policy::kGac: {
      // Routers share table-wide tokens, so throttling starts only past the table's capacity (or
      // a partition's hard maximum).
      const double admitted = std::min({c.offered, c.table_wcu}) / c.offered * hot;
      const double reference = 1.0 - std::min(admitted, c.partition_max) / hot;
      ctx.figure(Figure::within("hot_throttled_fraction", measured, std::max(reference, 0.0),
                                0.01 + noise, "ATC'22 §4 (global admission control), derived"));
      break;
    }
  }
  ctx.figure(Figure::info("cold_throttled_fraction", ratio(t.cold_throttled, t.cold_offered)));
  ctx.figure(Figure::info("hot_writes_offered", static_cast<double>(t.hot_offered)));
}

void run_capacity(RunContext& ctx) {
  const CapacityConfig c = config_from(ctx.params());
  CapacityModel model(c, ctx.network(), ctx.rng());
  ctx.open_network();
  ctx.begin({"t_s", "hot_offered_per_s", "hot_admitted_per_s", "hot_throttled_per_s",
             "hot_bucket_tokens"},
            PlotHint{"hot partition: writes admitted and throttled per second", "t_s",
                     {"hot_admitted_per_s", "hot_throttled_per_s"}, false});
  model.start();
  CapacityModel::Totals last;
  std::uint64_t hot_after = 0;
  std::uint64_t throttled_after = 0;
  const SimTime step = std::max<SimTime>(kSecond, c.duration / 600);
  for (SimTime t = step; t <= c.duration; t += step) {
    ctx.network().run_until(t);
    const CapacityModel::Totals& now = model.totals();
    const auto offered = static_cast<double>(now.hot_offered - last.hot_offered);
    const auto throttled = static_cast<double>(now.hot_throttled - last.hot_throttled);
    if (model.burst_exhausted()) {
      hot_after += now.hot_offered - last.hot_offered;
      throttled_after += now.hot_throttled - last.hot_throttled;
    }
    const double seconds = to_seconds(step);
    ctx.sample({to_seconds(t), offered / seconds, (offered - throttled) / seconds,
                throttled / seconds, model.hot_bucket_tokens()});
    last = now;
  }
  report(ctx, c, model, hot_after, throttled_after);
}

}  // namespace

ExperimentSpec capacity_experiment() {
  ExperimentSpec e;
  e.name = "capacity";
  e.summary = "hot partition under static limits, burst capacity and global admission control";
  e.details =
      "A table of --table-wcu write capacity units split evenly over --partitions partitions takes "
      "--offered writes per second (Poisson, one unit each), --hot-share of them to one partition, "
      "for --duration. static: each partition admits its share per second. burst: each partition "
      "also banks up to --burst-window of unused capacity (full at the start). gac: request "
      "routers (router0..) admit writes from local token buckets refilled every --gac-interval by "
      "the global admission controller (node gac) out of the table-wide rate, so a hot partition "
      "may use what the others leave, up to --partition-max. With the defaults (400 WCU, 4 "
      "partitions, 300 offered, 80% hot, 600 s): static throttles 58% of the hot writes, burst "
      "lasts 214 s and then throttles the same, gac throttles none.";
  e.example = "--policy burst --check";
  e.networked = true;
  e.params = {
      ParamSpec::choice("policy", "static", {"static", "burst", "gac"}, "Admission policy"),
      ParamSpec::number("table-wcu", 400, 1, 1e9, "Provisioned write capacity of the table"),
      ParamSpec::integer("partitions", 4, 1, 10'000, "Partitions sharing it evenly"),
      ParamSpec::number("offered", 300, 0.001, 1e6, "Writes per second offered to the table"),
      ParamSpec::number("hot-share", 0.8, 0, 1, "Share of the writes that go to the hot partition"),
      ParamSpec::duration("duration", "600s", 1, 30 * 86400, "Length of the run"),
      ParamSpec::duration("burst-window", "300s", 0, 86400, "burst: seconds of unused capacity kept"),
      ParamSpec::number("partition-max", 1000, 1, 1e9, "gac: hard limit of one partition, WCU/s"),
      ParamSpec::integer("routers", 2, 1, 1000, "gac: request routers"),
      ParamSpec::duration("gac-interval", "1s", 0.001, 3600, "gac: how often routers ask for tokens"),
  };
  e.run = run_capacity;
  return e;
}

}  // namespace hexwire::sim::cases::dynamo
