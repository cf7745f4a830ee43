// The virtual transport and fault injection: latency, never-inline delivery, crash (messages and
// timers dropped, volatile state notices, epochs), partitions, slow nodes, and the --fail plan
// bound to node names.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "sim/cases/faults.hpp"
#include "sim/cases/rng_streams.hpp"
#include "sim/cases/virtual_network.hpp"

namespace cases = hexwire::sim::cases;
using cases::CrashKind;
using cases::kMillisecond;
using cases::kSecond;
using cases::NodeId;
using cases::SimTime;

namespace {

struct Delivery {
  SimTime at;
  NodeId to;
  NodeId from;
  std::string body;
};

struct Recorder final : cases::NodeEvents {
  cases::Transport* transport = nullptr;
  std::vector<Delivery> deliveries;
  std::vector<std::string> notices;
  void on_message(NodeId to, NodeId from, std::string_view body) override {
    deliveries.push_back({transport->now(), to, from, std::string(body)});
  }
  void on_crash(NodeId node, CrashKind kind) override {
    notices.push_back("crash " + std::to_string(node) + (kind == CrashKind::kWipe ? " wipe" : ""));
  }
  void on_recover(NodeId node) override { notices.push_back("recover " + std::to_string(node)); }
};

struct Fixture {
  cases::VirtualNetwork net{cases::LatencyDistribution::constant(2 * kMillisecond),
                            cases::RngStreams(1).stream("network")};
  Recorder recorder;
  NodeId a, b, c;
  Fixture() {
    a = net.add_node("a");
    b = net.add_node("b");
    c = net.add_node("c");
    recorder.transport = &net;
    net.set_events(recorder);
  }
};

}  // namespace

TEST_CASE("a message arrives after the link latency, never inline") {
  Fixture f;
  f.net.send(f.a, f.b, "hello");
  CHECK(f.recorder.deliveries.empty());
  f.net.run_until(kSecond);
  REQUIRE(f.recorder.deliveries.size() == 1);
  const Delivery& d = f.recorder.deliveries[0];
  CHECK(d.at == 2 * kMillisecond);
  CHECK(d.to == f.b);
  CHECK(d.from == f.a);
  CHECK(d.body == "hello");
  CHECK(f.net.counters().delivered == 1);
}

TEST_CASE("a crashed node neither sends nor receives, and its timers die with it") {
  Fixture f;
  int b_timer_runs = 0;
  f.net.after(f.b, 10 * kMillisecond, [&] { ++b_timer_runs; });
  f.net.crash(f.b, CrashKind::kRestart);
  f.net.send(f.a, f.b, "to the dead");
  f.net.send(f.b, f.a, "from the dead");
  f.net.run_until(kSecond);
  CHECK(f.recorder.deliveries.empty());
  CHECK(b_timer_runs == 0);
  CHECK(f.net.counters().dropped_crashed == 2);
  CHECK(f.recorder.notices == std::vector<std::string>{"crash 1"});

  // Back up: a timer set before the crash stays void; new traffic and timers work again.
  f.net.recover(f.b);
  f.net.after(f.b, kMillisecond, [&] { ++b_timer_runs; });
  f.net.send(f.a, f.b, "welcome back");
  f.net.run_until(2 * kSecond);
  CHECK(b_timer_runs == 1);
  REQUIRE(f.recorder.deliveries.size() == 1);
  CHECK(f.recorder.deliveries[0].body == "welcome back");
  CHECK(f.recorder.notices.back() == "recover 1");
}

TEST_CASE("a timer set before a crash does not fire after a quick restart") {
  Fixture f;
  int runs = 0;
  f.net.after(f.c, 50 * kMillisecond, [&] { ++runs; });
  f.net.after(cases::kNoNode, 10 * kMillisecond, [&] { f.net.crash(f.c, CrashKind::kWipe); });
  f.net.after(cases::kNoNode, 20 * kMillisecond, [&] { f.net.recover(f.c); });
  f.net.run_until(kSecond);
  CHECK(runs == 0);
  CHECK(f.recorder.notices == std::vector<std::string>{"crash 2 wipe", "recover 2"});
}

TEST_CASE("a message in flight is dropped when its receiver crashes before it lands") {
  Fixture f;
  f.net.send(f.a, f.b, "in flight");
  f.net.after(cases::kNoNode, kMillisecond, [&] { f.net.crash(f.b, CrashKind::kRestart); });
  f.net.run_until(kSecond);
  CHECK(f.recorder.deliveries.empty());
}

TEST_CASE("a partition drops messages across sides only, until healed") {
  Fixture f;
  f.net.partition({{f.a}, {f.b, f.c}});
  f.net.send(f.a, f.b, "across");
  f.net.send(f.b, f.c, "same side");
  f.net.run_until(kSecond);
  REQUIRE(f.recorder.deliveries.size() == 1);
  CHECK(f.recorder.deliveries[0].body == "same side");
  CHECK(f.net.counters().dropped_partitioned == 1);
  f.net.heal();
  f.net.send(f.a, f.b, "healed");
  f.net.run_until(2 * kSecond);
  CHECK(f.recorder.deliveries.back().body == "healed");
}

TEST_CASE("a slow node multiplies the latency of its messages, both ways") {
  Fixture f;
  f.net.slow(f.b, 10.0);
  f.net.send(f.a, f.b, "to slow");
  f.net.send(f.b, f.c, "from slow");
  f.net.send(f.a, f.c, "unaffected");
  f.net.run_until(kSecond);
  REQUIRE(f.recorder.deliveries.size() == 3);
  CHECK(f.recorder.deliveries[0].body == "unaffected");
  CHECK(f.recorder.deliveries[0].at == 2 * kMillisecond);
  CHECK(f.recorder.deliveries[1].at == 20 * kMillisecond);
  CHECK(f.recorder.deliveries[2].at == 20 * kMillisecond);
}

TEST_CASE("a --fail plan is bound to node names and runs on the virtual clock") {
  Fixture f;
  std::string error;
  std::vector<cases::FaultSpec> plan;
  plan.push_back(*cases::parse_fault("crash:b@1s+2s", error));
  plan.push_back(*cases::parse_fault("partition:a|b,c@5s+1s", error));
  REQUIRE(f.net.schedule_faults(plan).empty());
  f.net.run_until(1500 * kMillisecond);
  CHECK_FALSE(f.net.is_up(f.b));
  f.net.run_until(3500 * kMillisecond);
  CHECK(f.net.is_up(f.b));
  f.net.run_until(5500 * kMillisecond);
  CHECK_FALSE(f.net.reachable(f.a, f.b));
  CHECK(f.net.reachable(f.b, f.c));
  f.net.run_until(7 * kSecond);
  CHECK(f.net.reachable(f.a, f.b));
}

TEST_CASE("a --fail plan naming a node the model lacks is refused with the known names") {
  Fixture f;
  std::string error;
  const std::vector<cases::FaultSpec> plan{*cases::parse_fault("crash:n9@1s", error)};
  const std::string message = f.net.schedule_faults(plan);
  CHECK(message.find("'n9'") != std::string::npos);
  CHECK(message.find("a b c") != std::string::npos);
}

TEST_CASE("fault specs: kinds, ranges, factors, and errors that say what is wrong") {
  std::string error;
  const auto crash = cases::parse_fault("crash:n0..2,c1@10s+30s", error);
  REQUIRE(crash);
  CHECK(crash->kind == cases::FaultKind::kCrash);
  CHECK(crash->groups == std::vector<std::vector<std::string>>{{"n0", "n1", "n2", "c1"}});
  CHECK(crash->at == 10 * kSecond);
  CHECK(*crash->duration == 30 * kSecond);
  const auto slow = cases::parse_fault("slow:n4*10@250ms", error);
  REQUIRE(slow);
  CHECK(slow->slow_factor == 10.0);
  CHECK(slow->at == 250 * kMillisecond);
  CHECK_FALSE(slow->duration);
  const auto part = cases::parse_fault("partition:n0..1|n2..3@0", error);
  REQUIRE(part);
  CHECK(part->groups.size() == 2);

  CHECK_FALSE(cases::parse_fault("explode:n1@1s", error));
  CHECK(error.find("unknown kind 'explode'") != std::string::npos);
  CHECK_FALSE(cases::parse_fault("crash:n1", error));
  CHECK_FALSE(cases::parse_fault("crash:n1@soon", error));
  CHECK_FALSE(cases::parse_fault("crash:n1@1s+0s", error));
  CHECK_FALSE(cases::parse_fault("slow:n1@1s", error));
  CHECK_FALSE(cases::parse_fault("slow:n1*0.5@1s", error));
  CHECK_FALSE(cases::parse_fault("partition:n1@1s", error));
  CHECK_FALSE(cases::parse_fault("crash:n1|n2@1s", error));
  CHECK_FALSE(cases::parse_fault("crash:n3..1@1s", error));
}

TEST_CASE("random link latency is reproducible for a seed") {
  const auto run = [](std::uint64_t seed) {
    cases::VirtualNetwork net(cases::LatencyDistribution::log_normal(kMillisecond, 0.8),
                              cases::RngStreams(seed).stream("network"));
    Recorder recorder;
    recorder.transport = &net;
    const NodeId a = net.add_node("a");
    const NodeId b = net.add_node("b");
    net.set_events(recorder);
    for (int i = 0; i < 200; ++i) {
      net.send(a, b, std::to_string(i));
    }
    net.run_until(kSecond);
    std::vector<std::string> order;
    for (const Delivery& d : recorder.deliveries) {
      order.push_back(d.body + "@" + std::to_string(d.at));
    }
    return order;
  };
  CHECK(run(5) == run(5));
  CHECK(run(5) != run(6));
}
