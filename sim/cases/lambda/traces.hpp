// Invocation traces for the keep-alive experiment: periodic (a timer trigger), Poisson, bursty
// (bursts of calls seconds apart, separated by long idle gaps), and a synthetic mix of functions
// modelled on the Azure Functions trace statistics (Shahrad et al., "Serverless in the Wild",
// USENIX ATC 2020): rates spread over many orders of magnitude, about 45% of functions invoked at
// most once an hour and 81% at most once a minute, with timers, Poisson-like and bursty callers.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/cases/event_loop.hpp"
#include "sim/random.hpp"

namespace hexwire::sim::cases::lambda {

/// One function's arrival process.
class InvocationSource {
 public:
  virtual ~InvocationSource() = default;
  /// The gap to the next invocation after the one just made (or after the start).
  [[nodiscard]] virtual SimTime next_gap(Rng& rng) = 0;
  /// Idle-time quantile function, when the trace has a closed form (for derived references).
  [[nodiscard]] virtual bool is_periodic() const noexcept { return false; }
  [[nodiscard]] virtual double poisson_rate_per_s() const noexcept { return 0.0; }
  [[nodiscard]] virtual SimTime period() const noexcept { return 0; }
};

struct TraceSpec {
  enum class Kind : std::uint8_t { kPeriodic, kPoisson, kBursty, kAzure } kind = Kind::kPeriodic;
  SimTime period = 60 * kMinute;  // periodic
  double rate_per_s = 1.0 / 60;   // poisson
  double burst_size = 10;         // bursty: mean calls per burst
  SimTime burst_gap = 2 * kHour;  // bursty: mean idle time between bursts
  std::string text;
};

/// "periodic:60m", "poisson:2/h" (also /s, /m, /d; a bare number is per minute),
/// "bursty" or "bursty:SIZE,GAP" (e.g. bursty:10,2h), "azure". Nullopt with `error` set.
std::optional<TraceSpec> parse_trace(std::string_view text, std::string& error);

/// The sources for `functions` functions of `spec` (azure: each draws its own kind and rate).
/// Also returns, for azure, a one-line description of the mix's realized statistics.
std::vector<std::unique_ptr<InvocationSource>> make_sources(const TraceSpec& spec,
                                                            std::uint32_t functions, Rng& rng,
                                                            std::string* mix_summary);

}  // namespace hexwire::sim::cases::lambda
