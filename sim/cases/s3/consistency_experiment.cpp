// s3 consistency: read-after-write through front ends that cache object metadata for --ttl. With
// --witness on, a front end asks a witness (which learns every write's sequence number before the
// write is acknowledged) whether its cached entry is current before using it, as S3 described its
// strong consistency in 2021; with --witness off the cache is eventually consistent. A read is
// stale when it returns a version older than a write acknowledged before the read began.
// docs/cases/s3.md#consistency.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <unordered_map>
#include <vector>

#include "core/histogram.hpp"
#include "sim/cases/message.hpp"
#include "sim/cases/s3/s3_case.hpp"

namespace hexwire::sim::cases::s3 {
namespace {

struct ConsistencyConfig {
  bool witness = true;
  std::uint32_t keys = 100;
  std::uint32_t frontends = 4;
  std::uint32_t writers = 4;
  std::uint32_t readers = 8;
  double write_rate = 50;
  double read_rate = 500;
  SimTime ttl = kSecond;
  SimTime duration = 60 * kSecond;
  SimTime witness_timeout = 20 * kMillisecond;
};

struct Counters {
  std::uint64_t reads = 0, stale = 0, writes_acked = 0, cache_hits = 0, witness_checks = 0,
                meta_reads = 0, witness_fallbacks = 0;
  core::Histogram read_latency_ns;
};

class ConsistencyModel final : public NodeEvents {
 public:
  ConsistencyModel(const ConsistencyConfig& cfg, Network& net, const RngStreams& rng)
      : cfg_(cfg), net_(net), rng_(rng.stream("consistency")), seq_(cfg.keys, 0),
        acks_(cfg.keys), caches_(cfg.frontends), pending_(cfg.frontends) {
    meta_ = net.add_node("meta");
    witness_ = net.add_node("witness");
    for (std::uint32_t i = 0; i < cfg.frontends; ++i) {
      frontends_.push_back(net.add_node(fmt::format("f{}", i)));
    }
    for (std::uint32_t i = 0; i < cfg.writers; ++i) {
      writers_.push_back(net.add_node(fmt::format("w{}", i)));
    }
    for (std::uint32_t i = 0; i < cfg.readers; ++i) {
      readers_.push_back(net.add_node(fmt::format("r{}", i)));
    }
    witness_seq_.assign(cfg.keys, 0);
    net.set_events(*this);
  }

  void start() {
    schedule(true);
    schedule(false);
  }
  [[nodiscard]] const Counters& counters() const noexcept { return counters_; }

  void on_message(NodeId to, NodeId from, std::string_view body) override {
    MessageReader in(body);
    const std::string_view kind = in.word();
    const std::uint64_t op = in.number();
    const auto key = static_cast<std::uint32_t>(in.number());
    if (!in.ok() || key >= cfg_.keys) {
      return;
    }
    if (to == meta_) {
      on_meta(from, kind, op, key, in);
    } else if (to == witness_) {
      on_witness(from, kind, op, key, in);
    } else if (const auto f = frontend_index(to)) {
      on_frontend(*f, from, kind, op, key, in);
    } else if (kind == "putok") {
      acks_[key].push_back(Ack{net_.now(), in.number()});
      acks_[key].back().prefix_max =
          std::max(acks_[key].back().seq, acks_[key].size() > 1 ? acks_[key][acks_[key].size() - 2].prefix_max : 0);
      ++counters_.writes_acked;
    } else if (kind == "value") {
      on_read_done(op, key, in.number());
    }
  }

  void on_crash(NodeId node, CrashKind /*kind*/) override {
    if (const auto f = frontend_index(node)) {
      caches_[*f].clear();
      pending_[*f].clear();
    }
  }

  void on_recover(NodeId node) override {
    if (node == witness_) {
      // The witness is soft state: on restart it reloads every key's sequence number from the
      // store, so it never calls an entry current that is older than a committed write.
      witness_seq_ = seq_;
    }
  }

 private:
  struct Ack {
    SimTime at;
    std::uint64_t seq;
    std::uint64_t prefix_max = 0;
  };
  struct CacheEntry {
    std::uint64_t seq = 0;
    SimTime expires = 0;
  };
  struct PendingRead {
    NodeId client;
    std::uint32_t key;
    std::uint64_t cached;
    TimerId timer;
  };
  struct ReadOp {
    SimTime started;
  };

  std::optional<std::uint32_t> frontend_index(NodeId node) const {
    const auto it = std::find(frontends_.begin(), frontends_.end(), node);
    if (it == frontends_.end()) {
      return std::nullopt;
    }
    return static_cast<std::uint32_t>(it - frontends_.begin());
  }

  void schedule(bool write) {
    const double rate = write ? cfg_.write_rate : cfg_.read_rate;
    if (rate <= 0) {
      return;
    }
    const auto gap = static_cast<SimTime>(rng_.exponential(1.0 / rate) * kSecond);
    net_.after(kNoNode, gap, [this, write] {
      if (net_.now() >= cfg_.duration) {
        return;
      }
      const auto key = static_cast<std::uint32_t>(rng_.below(cfg_.keys));
      const NodeId frontend = frontends_[rng_.below(frontends_.size())];
      const std::uint64_t op = next_op_++;
      if (write) {
        const NodeId writer = writers_[rng_.below(writers_.size())];
        net_.send(writer, frontend, MessageWriter().word("put").number(op).number(key).number(writer).take());
      } else {
        const NodeId reader = readers_[rng_.below(readers_.size())];
        reads_[op] = ReadOp{net_.now()};
        net_.send(reader, frontend, MessageWriter().word("get").number(op).number(key).number(reader).take());
      }
      schedule(write);
    });
  }

  void on_frontend(std::uint32_t f, NodeId from, std::string_view kind, std::uint64_t op,
                   std::uint32_t key, MessageReader& in) {
    const NodeId self = frontends_[f];
    if (kind == "put") {
      // Writes go through to the store; the front end passes the writer along.
      const std::uint64_t writer = in.number();
      net_.send(self, meta_, MessageWriter().word("put").number(op).number(key).number(writer).take());
    } else if (kind == "putok") {
      const std::uint64_t seq = in.number();
      const auto writer = static_cast<NodeId>(in.number());
      net_.send(self, writer, MessageWriter().word("putok").number(op).number(key).number(seq).take());
    } else if (kind == "get") {
      const auto reader = static_cast<NodeId>(in.number());
      const auto it = caches_[f].find(key);
      if (it == caches_[f].end() || it->second.expires <= net_.now()) {
        fetch(f, op, key, reader);
      } else if (!cfg_.witness) {
        ++counters_.cache_hits;
        reply(self, reader, op, key, it->second.seq);
      } else {
        ++counters_.witness_checks;
        const TimerId timer = net_.after(self, cfg_.witness_timeout, [this, f, op] {
          // No answer from the witness: the cache cannot be trusted, read the store.
          const auto p = pending_[f].find(op);
          if (p != pending_[f].end()) {
            ++counters_.witness_fallbacks;
            const PendingRead read = p->second;
            pending_[f].erase(p);
            fetch(f, op, read.key, read.client);
          }
        });
        pending_[f][op] = PendingRead{reader, key, it->second.seq, timer};
        net_.send(self, witness_, MessageWriter().word("check").number(op).number(key).take());
      }
    } else if (kind == "checked") {
      const std::uint64_t latest = in.number();
      const auto p = pending_[f].find(op);
      if (p == pending_[f].end()) {
        return;
      }
      const PendingRead read = p->second;
      pending_[f].erase(p);
      net_.cancel(read.timer);
      if (read.cached >= latest) {
        ++counters_.cache_hits;
        reply(self, read.client, op, key, read.cached);
      } else {
        fetch(f, op, key, read.client);
      }
    } else if (kind == "read") {
      const std::uint64_t seq = in.number();
      const auto reader = static_cast<NodeId>(in.number());
      CacheEntry& entry = caches_[f][key];
      if (seq >= entry.seq) {
        entry = CacheEntry{seq, net_.now() + cfg_.ttl};
      }
      reply(self, reader, op, key, seq);
    }
  }

  void fetch(std::uint32_t f, std::uint64_t op, std::uint32_t key, NodeId reader) {
    ++counters_.meta_reads;
    net_.send(frontends_[f], meta_, MessageWriter().word("read").number(op).number(key).number(reader).take());
  }

  void reply(NodeId self, NodeId reader, std::uint64_t op, std::uint32_t key, std::uint64_t seq) {
    net_.send(self, reader, MessageWriter().word("value").number(op).number(key).number(seq).take());
  }

  void on_meta(NodeId from, std::string_view kind, std::uint64_t op, std::uint32_t key,
               MessageReader& in) {
    if (kind == "read") {
      const std::uint64_t reader = in.number();
      net_.send(meta_, from, MessageWriter().word("read").number(op).number(key).number(seq_[key]).number(reader).take());
    } else if (kind == "put") {
      const std::uint64_t writer = in.number();
      const std::uint64_t seq = ++seq_[key];
      if (!cfg_.witness) {
        net_.send(meta_, from, MessageWriter().word("putok").number(op).number(key).number(seq).number(writer).take());
        return;
      }
      // The write is acknowledged only once the witness knows its sequence number.
      net_.send(meta_, witness_, MessageWriter().word("bump").number(op).number(key).number(seq).number(from).number(writer).take());
    } else if (kind == "bumped") {
      const std::uint64_t seq = in.number();
      const auto frontend = static_cast<NodeId>(in.number());
      const std::uint64_t writer = in.number();
      net_.send(meta_, frontend, MessageWriter().word("putok").number(op).number(key).number(seq).number(writer).take());
    }
  }

  void on_witness(NodeId from, std::string_view kind, std::uint64_t op, std::uint32_t key,
                  MessageReader& in) {
    if (kind == "check") {
      net_.send(witness_, from, MessageWriter().word("checked").number(op).number(key).number(witness_seq_[key]).take());
    } else if (kind == "bump") {
      const std::uint64_t seq = in.number();
      const std::uint64_t frontend = in.number();
      const std::uint64_t writer = in.number();
      witness_seq_[key] = std::max(witness_seq_[key], seq);
      net_.send(witness_, from, MessageWriter().word("bumped").number(op).number(key).number(seq).number(frontend).number(writer).take());
    }
  }

  void on_read_done(std::uint64_t op, std::uint32_t key, std::uint64_t seq) {
    const auto it = reads_.find(op);
    if (it == reads_.end()) {
      return;
    }
    const SimTime started = it->second.started;
    reads_.erase(it);
    ++counters_.reads;
    counters_.read_latency_ns.record(static_cast<std::uint64_t>(net_.now() - started));
    // Stale: older than a write acknowledged before this read began.
    const std::vector<Ack>& acks = acks_[key];
    const auto before = std::lower_bound(acks.begin(), acks.end(), started,
                                         [](const Ack& a, SimTime t) { return a.at < t; });
    if (before != acks.begin() && std::prev(before)->prefix_max > seq) {
      ++counters_.stale;
    }
  }

  ConsistencyConfig cfg_;
  Network& net_;
  Rng rng_;
  NodeId meta_ = kNoNode;
  NodeId witness_ = kNoNode;
  std::vector<NodeId> frontends_, writers_, readers_;
  std::vector<std::uint64_t> seq_;          // the store: latest sequence number per key
  std::vector<std::uint64_t> witness_seq_;  // the witness's view
  std::vector<std::vector<Ack>> acks_;      // harness: acknowledged writes, in ack order
  std::vector<std::unordered_map<std::uint32_t, CacheEntry>> caches_;
  std::vector<std::unordered_map<std::uint64_t, PendingRead>> pending_;
  std::unordered_map<std::uint64_t, ReadOp> reads_;
  std::uint64_t next_op_ = 1;
  Counters counters_;
};

ConsistencyConfig config_from(const Params& p) {
  ConsistencyConfig c;
  c.witness = p.text("witness") == "on";
  c.keys = static_cast<std::uint32_t>(p.integer("keys"));
  c.frontends = static_cast<std::uint32_t>(p.integer("frontends"));
  c.writers = static_cast<std::uint32_t>(p.integer("writers"));
  c.readers = static_cast<std::uint32_t>(p.integer("readers"));
  c.write_rate = p.number("write-rate");
  c.read_rate = p.number("read-rate");
  c.ttl = p.duration("ttl");
  c.duration = p.duration("duration");
  return c;
}

/// The stale share of an eventually consistent TTL cache (latencies neglected): an entry fetched
/// at t0 serves reads until t0 + T; a read at t0 + u is stale if a write was acknowledged in
/// between (probability 1 - exp(-lw u)). Per entry: 1 miss plus lr T hits, of which
/// lr (T - (1 - exp(-lw T)) / lw) stale.
double expected_stale_share(const ConsistencyConfig& c) {
  const double lw = c.write_rate / c.keys;
  const double lr = c.read_rate / (static_cast<double>(c.keys) * c.frontends);
  const double T = to_seconds(c.ttl);
  const double stale = lw > 0 ? lr * (T - (1.0 - std::exp(-lw * T)) / lw) : 0.0;
  return stale / (1.0 + lr * T);
}

void run_consistency(RunContext& ctx) {
  const ConsistencyConfig c = config_from(ctx.params());
  ConsistencyModel model(c, ctx.network(), ctx.rng());
  ctx.open_network();
  ctx.begin({"t_s", "reads_per_s", "stale_per_s", "stale_share", "cache_hit_share"},
            PlotHint{fmt::format("stale reads per second, witness {}", c.witness ? "on" : "off"),
                     "t_s", {"stale_per_s"}, false});
  model.start();
  Counters last;
  for (SimTime t = kSecond; t <= c.duration + kSecond; t += kSecond) {
    ctx.network().run_until(t);
    const Counters& now = model.counters();
    const auto reads = static_cast<double>(now.reads - last.reads);
    ctx.sample({to_seconds(t), reads, static_cast<double>(now.stale - last.stale),
                now.reads ? static_cast<double>(now.stale) / now.reads : 0.0,
                now.reads ? static_cast<double>(now.cache_hits) / now.reads : 0.0});
    last.reads = now.reads;
    last.stale = now.stale;
  }
  const Counters& n = model.counters();
  const double reads = std::max<double>(n.reads, 1.0);
  const double stale_share = static_cast<double>(n.stale) / reads;
  ctx.note(fmt::format("{} reads, {} writes acknowledged, {} front ends caching {} keys for {}",
                       n.reads, n.writes_acked, c.frontends, c.keys, format_duration(c.ttl)));
  if (c.witness) {
    ctx.figure(Figure::within("stale_reads", static_cast<double>(n.stale), 0.0, 0.0,
                              "S3 strong read-after-write consistency (Dec 2020; witness, 2021)"));
    ctx.figure(Figure::info("stale_read_share", stale_share));
  } else if (ctx.fault_plan().empty()) {
    const double expected = expected_stale_share(c);
    const double noise = 4.0 * std::sqrt(std::max(expected * (1 - expected), 1e-6) / reads);
    ctx.figure(Figure::info("stale_reads", static_cast<double>(n.stale)));
    ctx.figure(Figure::within("stale_read_share", stale_share, expected, 0.1 * expected + noise,
                              "derived: TTL cache arithmetic (docs/cases/s3.md#consistency)"));
  } else {
    ctx.figure(Figure::info("stale_reads", static_cast<double>(n.stale)));
    ctx.figure(Figure::info("stale_read_share", stale_share));
  }
  ctx.figure(Figure::info("cache_hit_share", static_cast<double>(n.cache_hits) / reads));
  ctx.figure(Figure::info("witness_checks_per_read", static_cast<double>(n.witness_checks) / reads));
  ctx.figure(Figure::info("witness_fallbacks", static_cast<double>(n.witness_fallbacks)));
  ctx.figure(Figure::info("store_reads_per_read", static_cast<double>(n.meta_reads) / reads));
  ctx.figure(Figure::info("read_p50_ms", n.read_latency_ns.percentile(50) / 1e6, "ms"));
  ctx.figure(Figure::info("read_p99_ms", n.read_latency_ns.percentile(99) / 1e6, "ms"));
  ctx.figure(Figure::info("writes_acknowledged", static_cast<double>(n.writes_acked)));
}

}  // namespace

ExperimentSpec consistency_experiment() {
  ExperimentSpec e;
  e.name = "consistency";
  e.summary = "read-after-write through a metadata cache, with and without a witness";
  e.details =
      "Writers w0.. and readers r0.. send --write-rate and --read-rate requests per second "
      "(Poisson, uniform over --keys) to random front ends f0.., which cache each key's latest "
      "version for --ttl. Writes go to the metadata store (node meta), which numbers them. With "
      "--witness on, the store tells the witness (node witness) a write's number before "
      "acknowledging it, and a front end asks the witness whether a cached entry is current "
      "before serving it (reading the store if not, or if the witness does not answer in 20 ms). "
      "A read is stale when it returns a version older than a write acknowledged before it began. "
      "With the witness: 0 stale reads. Without: the stale share follows from the TTL, the "
      "per-key write rate and the reads per key per front end (derived in the docs).";
  e.example = "--witness off --check";
  e.networked = true;
  e.params = {
      ParamSpec::choice("witness", "on", {"on", "off"}, "Check cached entries with the witness"),
      ParamSpec::integer("keys", 100, 1, 10'000'000, "Objects"),
      ParamSpec::integer("frontends", 4, 1, 1000, "Front ends, each with its own cache"),
      ParamSpec::integer("writers", 4, 1, 10'000, "Writer nodes (requests spread over them)"),
      ParamSpec::integer("readers", 8, 1, 10'000, "Reader nodes"),
      ParamSpec::number("write-rate", 50, 0, 1e6, "Writes per second, all keys together"),
      ParamSpec::number("read-rate", 500, 0, 1e6, "Reads per second, all keys together"),
      ParamSpec::duration("ttl", "1s", 0.001, 86400, "How long a front end caches an entry"),
      ParamSpec::duration("duration", "60s", 1, 7 * 86400, "Time during which requests arrive"),
  };
  e.run = run_consistency;
  return e;
}

}  // namespace hexwire::sim::cases::s3
