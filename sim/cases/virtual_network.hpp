// The `virtual` transport: the model's nodes on the discrete-event core. Each message takes a
// latency drawn from the link distribution (its own RNG stream), multiplied by the slow factor of
// either end, and is dropped if a crash or partition separates the ends at delivery. Fully
// deterministic for a seed; used by the tests and for every reference figure.
#pragma once

#include <cstdint>

#include "sim/cases/event_loop.hpp"
#include "sim/cases/latency.hpp"
#include "sim/cases/network.hpp"
#include "sim/random.hpp"

namespace hexwire::sim::cases {

class VirtualNetwork final : public Network {
 public:
  /// `latency`: one-way latency of every link; `rng`: the stream its draws come from.
  VirtualNetwork(LatencyDistribution latency, Rng rng);

  // Transport
  [[nodiscard]] SimTime now() const noexcept override { return loop_.now(); }
  void send(NodeId from, NodeId to, std::string_view body) override;
  TimerId after(NodeId node, SimTime delay, core::Task task) override;
  bool cancel(TimerId id) noexcept override { return loop_.cancel(id); }

  // Network
  bool run_until(SimTime until) override;
  void stop() noexcept override { loop_.stop(); }
  [[nodiscard]] std::string_view mode() const noexcept override { return "virtual"; }

  [[nodiscard]] EventLoop& loop() noexcept { return loop_; }
  [[nodiscard]] const LatencyDistribution& latency() const noexcept { return latency_; }

 private:
  EventLoop loop_;
  LatencyDistribution latency_;
  Rng rng_;
};

}  // namespace hexwire::sim::cases
