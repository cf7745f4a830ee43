// The Dynamo replication model directly on a virtual network: no acknowledged write is lost with
// dotted clocks even through crashes (hints handed off, none left over), server-style plain clocks
// do lose concurrent writes (the ground-truth check sees it), and vector clocks truncate.
#include <catch2/catch.hpp>

#include "sim/cases/dynamo/quorum_model.hpp"
#include "sim/cases/dynamo/versions.hpp"
#include "sim/cases/virtual_network.hpp"

namespace cases = hexwire::sim::cases;
namespace dynamo = hexwire::sim::cases::dynamo;
using cases::kSecond;

namespace {

struct Run {
  dynamo::QuorumStats stats;
  dynamo::DurabilityCheck durable;
  std::uint64_t pending_hints = 0;
};

Run run(dynamo::QuorumConfig cfg, const std::vector<std::string>& faults = {}) {
  const cases::RngStreams rng(11);
  cases::VirtualNetwork net(cases::LatencyDistribution::log_normal(500'000, 0.5),
                            rng.stream("network"));
  dynamo::QuorumModel model(cfg, net, rng);
  std::vector<cases::FaultSpec> plan;
  for (const std::string& text : faults) {
    std::string error;
    plan.push_back(*cases::parse_fault(text, error));
  }
  REQUIRE(net.schedule_faults(plan).empty());
  model.start();
  net.run_until(cfg.duration + cfg.drain);
  return Run{model.stats(), model.check_durability(), model.pending_hints()};
}

dynamo::QuorumConfig contended() {
  dynamo::QuorumConfig cfg;
  cfg.keys = 50;  // many concurrent writes to the same keys
  cfg.duration = 40 * kSecond;
  cfg.drain = 10 * kSecond;
  return cfg;
}

}  // namespace

TEST_CASE("dotted clocks: concurrent writes become siblings and none is lost") {
  const Run r = run(contended());
  CHECK(r.durable.acknowledged > 5'000);
  CHECK(r.durable.lost == 0);
  CHECK(r.stats.versions_seen[1] > 50);  // siblings really happened
}

TEST_CASE("plain server clocks lose concurrent writes through one coordinator") {
  dynamo::QuorumConfig cfg = contended();
  cfg.clock = dynamo::ClockMode::kPlain;
  const Run r = run(cfg);
  CHECK(r.durable.acknowledged > 5'000);
  CHECK(r.durable.lost > 10);
  CHECK(r.stats.versions_seen[1] == 0);  // the conflict is hidden, not resolved
}

TEST_CASE("a crashed replica's writes go to stand-ins and are handed off when it returns") {
  dynamo::QuorumConfig cfg;
  cfg.duration = 60 * kSecond;
  cfg.drain = 20 * kSecond;
  const Run r = run(cfg, {"crash:n2@10s+20s"});
  CHECK(r.stats.hinted_writes > 100);
  CHECK(r.stats.handoffs > 100);
  CHECK(r.pending_hints == 0);
  CHECK(r.durable.lost == 0);
  CHECK(r.stats.reads_failed == 0);
  CHECK(r.stats.writes_failed == 0);
}

TEST_CASE("a wiped replica is repaired by hints and read repair, and nothing is lost") {
  dynamo::QuorumConfig cfg;
  cfg.keys = 1'000;
  cfg.duration = 60 * kSecond;
  cfg.drain = 20 * kSecond;
  const Run r = run(cfg, {"wipe:n3@20s+5s"});
  CHECK(r.stats.read_repairs > 50);
  CHECK(r.durable.lost == 0);
}

TEST_CASE("vector clocks: dominance, join, and truncation of the oldest entries") {
  dynamo::VectorClock a;
  a.raise(1, 3, 10);
  a.raise(2, 1, 20);
  dynamo::VectorClock b;
  b.raise(1, 2, 5);
  CHECK(a.descends(b));
  CHECK_FALSE(b.descends(a));
  b.raise(3, 1, 30);
  CHECK_FALSE(a.descends(b));
  a.join(b);
  CHECK(a.get(3) == 1);
  CHECK(a.get(1) == 3);
  CHECK(a.truncate(2) == 1);
  CHECK(a.get(1) == 0);  // stamped 10: the oldest
  CHECK(a.entries().size() == 2);
}

TEST_CASE("dotted versions: a write supersedes only what its writer had seen") {
  using dynamo::ClockMode;
  dynamo::Version first{.gid = 1, .dot_actor = 7, .dot_counter = 1, .clock = {}};
  dynamo::Version second{.gid = 2, .dot_actor = 7, .dot_counter = 2, .clock = {}};
  // Both written from an empty context through the same coordinator: siblings.
  dynamo::VersionSet set{first};
  dynamo::sync_into(set, {second}, ClockMode::kDotted);
  CHECK(set.size() == 2);
  // A client that read both writes a merge: it replaces both.
  dynamo::Version merge{.gid = 3, .dot_actor = 7, .dot_counter = 3,
                        .clock = dynamo::context_of(set, ClockMode::kDotted)};
  dynamo::sync_into(set, {merge}, ClockMode::kDotted);
  REQUIRE(set.size() == 1);
  CHECK(set[0].gid == 3);
  // Text form round trip.
  cases::MessageWriter out;
  dynamo::encode_set(out, set);
  cases::MessageReader in(out.text());
  dynamo::VersionSet decoded;
  REQUIRE(dynamo::decode_set(in, decoded));
  CHECK(decoded.size() == 1);
  CHECK(decoded[0].clock == set[0].clock);
  cases::MessageReader broken("2 1 7");
  CHECK_FALSE(dynamo::decode_set(broken, decoded));
}
