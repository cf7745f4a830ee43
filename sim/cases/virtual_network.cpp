// VirtualNetwork: messages and timers as events of one EventLoop.
#include "sim/cases/virtual_network.hpp"

#include <cmath>
#include <string>
#include <utility>

namespace hexwire::sim::cases {

VirtualNetwork::VirtualNetwork(LatencyDistribution latency, Rng rng)
    : latency_(std::move(latency)), rng_(rng) {}

void VirtualNetwork::send(NodeId from, NodeId to, std::string_view body) {
  ++counters_.sent;
  if (!is_up(from)) {
    ++counters_.dropped_crashed;
    return;
  }
  SimTime delay = latency_.sample(rng_);
  const double factor = slow_factor(from, to);
  if (factor != 1.0) {
    delay = static_cast<SimTime>(std::llround(static_cast<double>(delay) * factor));
  }
  loop_.after(delay, [this, from, to, text = std::string(body)] {
    if (!reachable(from, to)) {
      ++(is_up(from) && is_up(to) ? counters_.dropped_partitioned : counters_.dropped_crashed);
      return;
    }
    ++counters_.delivered;
    events().on_message(to, from, text);
  });
}

TimerId VirtualNetwork::after(NodeId node, SimTime delay, core::Task task) {
  return loop_.after(delay, node_timer(node, std::move(task)));
}

bool VirtualNetwork::run_until(SimTime until) {
  loop_.run_until(until);
  return true;
}

}  // namespace hexwire::sim::cases
