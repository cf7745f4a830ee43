// How a case study describes itself to the framework: a CaseSpec lists experiments; each
// ExperimentSpec declares its knobs, whether its nodes exchange messages (then --live, --latency
// and --fail apply), its key plot, and the function that runs it against a RunContext. The
// context hands the model its knobs, random streams and network, and collects figures, notes and
// the time series (each row also goes out as a progress event). See docs/cases/README.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/cases/figures.hpp"
#include "sim/cases/latency.hpp"
#include "sim/cases/network.hpp"
#include "sim/cases/params.hpp"
#include "sim/cases/progress.hpp"
#include "sim/cases/rng_streams.hpp"

namespace hexwire::sim::cases {

/// Thrown by an experiment's setup for a bad combination of knobs that the per-flag checks cannot
/// see (e.g. --r larger than --n): reported like a flag error, exit status 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class RunContext {
 public:
  RunContext(const Params& params, const RngStreams& rng, Network& network,
             ProgressSink& progress, RunIdentity identity,
             LatencyDistribution latency = LatencyDistribution::constant(0));

  [[nodiscard]] const Params& params() const noexcept { return params_; }
  [[nodiscard]] const RngStreams& rng() const noexcept { return rng_; }
  /// The virtual network (always, unless --live), or the live one. Experiments whose nodes do not
  /// exchange messages use only its clock and timers.
  [[nodiscard]] Network& network() noexcept { return network_; }
  [[nodiscard]] bool live() const noexcept { return network_.mode() == "live"; }
  [[nodiscard]] const RunIdentity& identity() const noexcept { return identity_; }
  /// The --latency of the virtual links (meaningless in live mode, where latencies are real).
  [[nodiscard]] const LatencyDistribution& link_latency() const noexcept { return latency_; }

  /// The --fail plan, set by the command line before the run.
  void set_fault_plan(std::vector<FaultSpec> plan) { fault_plan_ = std::move(plan); }
  [[nodiscard]] const std::vector<FaultSpec>& fault_plan() const noexcept { return fault_plan_; }
  /// For networked experiments, once the model has added its nodes and set the network's events:
  /// binds the --fail plan to node names (UsageError for a name the model does not have) and
  /// schedules it.
  void open_network();
  /// A second virtual network with the run's --latency (its own RNG stream, named `name`), for
  /// experiments that compare two variants side by side; open it with open_network(network).
  [[nodiscard]] std::unique_ptr<Network> make_side_network(std::string_view name) const;
  void open_network(Network& network);

  /// Declares the series columns (once, before the first sample) and the key plot; publishes the
  /// run's start event.
  void begin(std::vector<std::string> columns, PlotHint plot);
  /// One row of the series (same order as the columns); also a progress sample at now().
  void sample(std::vector<double> values);
  /// A line for the terminal, above the figure table (also a progress note).
  void note(std::string text);
  /// A figure for the table, the report and a progress event.
  void figure(Figure figure);

  [[nodiscard]] Outcome& outcome() noexcept { return outcome_; }
  [[nodiscard]] ProgressSink& progress() noexcept { return progress_; }
  /// Wall-clock seconds since the context was made.
  [[nodiscard]] double wall_seconds() const noexcept;

 private:
  const Params& params_;
  const RngStreams& rng_;
  Network& network_;
  ProgressSink& progress_;
  RunIdentity identity_;
  Outcome outcome_;
  LatencyDistribution latency_;
  std::vector<FaultSpec> fault_plan_;
  bool begun_ = false;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

struct ExperimentSpec {
  std::string name;     // "ring"
  std::string summary;  // one line for listings
  std::string details;  // paragraph(s) for --help: what it shows, the reference, the source
  std::vector<ParamSpec> params;
  /// Nodes exchange messages through the Transport: --live, --latency and --fail apply.
  bool networked = false;
  /// The default --latency of its virtual links (networked experiments).
  std::string default_latency = "lognormal:0.5ms,0.5";
  /// An example command line (after "hexwire-sim <case> <experiment>") for --help.
  std::string example;
  std::function<void(RunContext&)> run;
};

struct CaseSpec {
  std::string name;     // "dynamo": the channel is sim:<name>
  std::string summary;  // one line
  std::string docs;     // "docs/cases/dynamo.md"
  std::vector<ExperimentSpec> experiments;

  [[nodiscard]] const ExperimentSpec* find(std::string_view experiment) const noexcept;
};

}  // namespace hexwire::sim::cases
