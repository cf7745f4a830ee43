// The Prime Video monitor's bill and ceiling: the closed form at the documented defaults and its
// generality, and the message-passing models counting exactly the operations the closed form
// prices (below the ceiling every chunk is served; above it the orchestrator's budget caps it).
#include <catch2/catch.hpp>

#include "sim/cases/primevideo/cost_model.hpp"
#include "sim/cases/primevideo/monitor_models.hpp"
#include "sim/cases/rng_streams.hpp"
#include "sim/cases/virtual_network.hpp"

namespace cases = hexwire::sim::cases;
namespace pv = hexwire::sim::cases::primevideo;
using cases::kSecond;

namespace {

double item(const std::vector<pv::CostItem>& items, const std::string& name) {
  for (const pv::CostItem& i : items) {
    if (i.name == name) {
      return i.usd_per_stream_hour;
    }
  }
  FAIL("no item " << name);
  return 0;
}

/// A virtual network with 1 ms links.
struct Net {
  cases::VirtualNetwork net{cases::LatencyDistribution::constant(cases::kMillisecond),
                            cases::RngStreams(1).stream("network")};
};

}  // namespace

TEST_CASE("the distributed bill at the defaults, item by item") {
  const pv::CostConfig c;
  const auto bill = pv::distributed_cost(c);
  CHECK(item(bill, "step_functions") == Approx(6 * 3600 * 0.000025));  // 6 transitions a second
  CHECK(item(bill, "s3_put") == Approx(30 * 3600 * 0.000005));
  CHECK(item(bill, "s3_get") == Approx(3 * 30 * 3600 * 0.0000004));
  CHECK(item(bill, "lambda_compute") == Approx(0.5 * 2 * 3600 * 0.0000166667));
  CHECK(item(bill, "lambda_requests") == Approx(4 * 3600 * 0.0000002));
  CHECK(pv::total(bill) == Approx(1.27248).epsilon(1e-4));
}

TEST_CASE("the monolith costs under a tenth and the ceiling is about 5% of the target") {
  const pv::CostConfig c;
  CHECK(pv::monolith_instances(c, c.streams) == 886);  // 19.2 streams per 16-vCPU instance at 60%
  const double cut = 1.0 - pv::total(pv::monolith_cost(c)) / pv::total(pv::distributed_cost(c));
  CHECK(cut > 0.9);
  CHECK(pv::distributed_ceiling_streams(c) == Approx(5000.0 / 6));
  CHECK(pv::distributed_ceiling_streams(c) / c.streams == Approx(0.049).margin(0.001));
}

TEST_CASE("the closed form follows every knob") {
  pv::CostConfig c;
  c.detectors = 5;
  c.chunk_s = 2;  // half the workflows: half the transitions and invocations per hour
  const auto bill = pv::distributed_cost(c);
  CHECK(item(bill, "step_functions") == Approx(1800 * 8 * 0.000025));
  CHECK(item(bill, "s3_get") == Approx(5 * 30 * 3600 * 0.0000004));  // frames do not change
  CHECK(item(bill, "lambda_requests") == Approx(1800 * 6 * 0.0000002));
  CHECK(pv::distributed_ceiling_streams(c) == Approx(5000.0 / (8 * 0.5)));
  c.prices.s3_put = 0;
  CHECK(item(pv::distributed_cost(c), "s3_put") == 0);
}

TEST_CASE("below the ceiling the distributed model serves every chunk and counts each operation") {
  pv::CostConfig c;
  c.streams = 20;  // 120 transitions a second against 5,000
  Net fixture;
  cases::VirtualNetwork& net = fixture.net;
  pv::DistributedMonitor model(c, net);
  model.start(10 * kSecond, 2 * kSecond);
  REQUIRE(net.run_until(20 * kSecond));
  const pv::MonitorCounts& n = model.counts();
  CHECK(n.chunks_demanded == 200);
  CHECK(n.chunks_completed == 200);
  CHECK(n.transitions == 200 * 6);
  CHECK(n.s3_puts == 200 * 30);
  CHECK(n.s3_gets == 200 * 3 * 30);
  CHECK(n.lambda_invocations == 200 * 4);
  CHECK(n.chunks_in_window == 160);
  // A chunk waits for conversion (200 ms), then the detectors (100 ms), plus hops and pump rounds.
  CHECK(n.chunk_latency_ns.percentile(50) > 300'000'000);
  CHECK(n.chunk_latency_ns.percentile(50) < 400'000'000);
}

TEST_CASE("above the ceiling the transition budget caps the distributed model") {
  pv::CostConfig c;
  c.streams = 100;
  c.transition_limit = 120;  // 20 streams' worth
  Net fixture;
  cases::VirtualNetwork& net = fixture.net;
  pv::DistributedMonitor model(c, net);
  model.start(20 * kSecond, 4 * kSecond);
  REQUIRE(net.run_until(30 * kSecond));
  const pv::MonitorCounts& n = model.counts();
  const double sustained = static_cast<double>(n.chunks_in_window) / 16.0;
  CHECK(sustained == Approx(20).epsilon(0.05));
  CHECK(model.not_started() > 1000);              // the backlog never drains
  CHECK(n.transitions == n.chunks_completed * 6);  // nothing started is left half done
}

TEST_CASE("the monolith serves every chunk on the fleet sized for the target") {
  pv::CostConfig c;
  c.streams = 100;
  Net fixture;
  cases::VirtualNetwork& net = fixture.net;
  pv::MonolithMonitor model(c, net);
  CHECK(model.instances() == 6);  // ceil(100 / 19.2)
  model.start(10 * kSecond, 2 * kSecond);
  REQUIRE(net.run_until(15 * kSecond));
  CHECK(model.counts().chunks_completed == 1000);
  CHECK(model.counts().instance_busy_s == Approx(1000 * 0.5));
}
