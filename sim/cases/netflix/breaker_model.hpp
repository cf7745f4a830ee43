// The breaker experiment's model on the case-study Transport: an API node calls two dependencies,
// `flaky` (fails from --fail-from to --heal-at) and `healthy`, each through its own Hystrix
// command (circuit breaker, thread-pool bulkhead, timeout, fallback). Requests arrive at a fixed
// rate per dependency; every call is a message to the dependency's node and its answer a message
// back, so in live mode each call crosses the engine. docs/cases/netflix.md#breaker.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <unordered_map>

#include "sim/cases/latency.hpp"
#include "sim/cases/netflix/circuit_breaker.hpp"
#include "sim/cases/network.hpp"
#include "sim/random.hpp"

namespace hexwire::sim::cases::netflix {

enum class FailureMode : std::uint8_t { kError, kHang };  // fast error replies, or no reply at all

struct BreakerModelConfig {
  BreakerSettings breaker;
  bool breaker_on = true;
  bool shared_pool = false;  // one pool for both dependencies instead of a bulkhead each
  std::uint32_t threads = 10;
  SimTime timeout = 1000 * kMillisecond;
  std::array<double, 2> rate{50, 50};  // requests per second: flaky, healthy
  SimTime fail_from = 0;
  SimTime heal_at = 12 * kSecond;
  SimTime duration = 20 * kSecond;
  FailureMode failure = FailureMode::kError;
  LatencyDistribution service = LatencyDistribution::log_normal(20 * kMillisecond, 0.5);
};

/// What happened to one dependency's calls.
struct DependencyCounts {
  std::uint64_t requests = 0;
  std::uint64_t succeeded = 0;
  std::uint64_t failed = 0, timed_out = 0, rejected = 0, short_circuited = 0;
  std::uint64_t fallbacks = 0;         // every failed or short-circuited request gets one
  std::uint64_t reached = 0;           // calls sent to the dependency
  std::uint64_t reached_failing = 0;   // ... of requests that arrived in [fail_from, heal_at)
  std::uint64_t requests_failing = 0;  // requests that arrived in [fail_from, heal_at)
  std::uint64_t succeeded_failing = 0;
};

inline constexpr std::size_t kFlaky = 0;
inline constexpr std::size_t kHealthy = 1;

class BreakerModel final : public NodeEvents {
 public:
  BreakerModel(const BreakerModelConfig& config, Network& net, Rng service_rng);
  /// Schedules the request streams (flaky from 0, healthy half an interval later).
  void start();
  void on_message(NodeId to, NodeId from, std::string_view body) override;

  [[nodiscard]] const DependencyCounts& counts(std::size_t dep) const noexcept { return counts_[dep]; }
  /// The flaky dependency's breaker (its state is meaningless when the breaker is off).
  [[nodiscard]] const CircuitBreaker& flaky_breaker() const noexcept { return breakers_[kFlaky]; }
  [[nodiscard]] const BreakerModelConfig& config() const noexcept { return cfg_; }

 private:
  struct Pending {
    std::size_t dep;
    Admission admission;
    TimerId timeout;
    bool failing_window;  // the request arrived while the flaky dependency was failing
  };
  void arrive(std::size_t dep, std::uint64_t index);
  void call(std::size_t dep, Admission admission, bool failing_window);
  void finish(std::uint64_t id, Outcome outcome);
  void fallback(std::size_t dep);
  Bulkhead& pool(std::size_t dep) noexcept { return pools_[cfg_.shared_pool ? 0 : dep]; }
  [[nodiscard]] bool failing(SimTime t) const noexcept { return t >= cfg_.fail_from && t < cfg_.heal_at; }

  BreakerModelConfig cfg_;
  Network& net_;
  Rng service_rng_;
  NodeId api_ = kNoNode;
  std::array<NodeId, 2> deps_{kNoNode, kNoNode};
  std::array<CircuitBreaker, 2> breakers_;
  std::array<Bulkhead, 2> pools_;
  std::array<DependencyCounts, 2> counts_{};
  std::unordered_map<std::uint64_t, Pending> pending_;
  std::uint64_t next_id_ = 1;
};

}  // namespace hexwire::sim::cases::netflix
