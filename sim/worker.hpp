// One hexwire-sim worker thread: its own core::Reactor and ClientPool, the scenario parts whose
// clients it owns, and the loop turn (reap, ramp opens, due sends, per-second hand-off to the
// aggregator, flush, sleep until the next due instant). Started by run_simulation (runner.cpp).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "sim/client_pool.hpp"
#include "sim/latency_recorder.hpp"
#include "sim/options.hpp"
#include "sim/scenario.hpp"
#include "sim/verifier.hpp"

namespace hexwire::sim {

/// The fact that counts the connections opened to one --url (when there are several).
inline std::string connections_opened_fact(const std::string& url) {
  return "connections opened to " + url;
}

/// What a worker hands back at the end of the run.
struct WorkerOutput {
  VerificationSummary echo_verification;
  std::map<std::string, std::uint64_t> facts;
  std::string failure;                // non-empty: the worker could not run
  std::uint64_t last_receive_ns = 0;  // monotonic time of the last message received (0: none)
};

/// Which worker a SimWorker is: `local` is its index in this process's aggregator; `global` of
/// `count` picks its share of the population (each thread of each --processes child has one).
struct WorkerSlot {
  unsigned local = 0;
  unsigned global = 0;
  unsigned count = 1;
};

class SimWorker {
 public:
  SimWorker(const SimOptions& options, RunTimeline timeline, WorkerSlot slot,
            SharedVerifier* verifier, ClientPoolConfig pool_config);
  ~SimWorker();
  SimWorker(const SimWorker&) = delete;
  SimWorker& operator=(const SimWorker&) = delete;

  /// Runs the whole timeline on the calling thread (ramp-up, load, drain, closing), submitting
  /// each finished second to `aggregator`. Never throws (a set-up failure lands in output.failure).
  void run(RunAggregator& aggregator, WorkerOutput& output) noexcept;
  /// The reason of the first failed connect (empty when none failed).
  [[nodiscard]] const std::string& first_connect_failure() const noexcept;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hexwire::sim
