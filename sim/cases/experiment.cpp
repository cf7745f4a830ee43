// RunContext: the series, notes and figures of a run, mirrored to the progress sink.
#include "sim/cases/experiment.hpp"

#include <cassert>
#include <string>
#include <utility>

#include "sim/cases/virtual_network.hpp"

namespace hexwire::sim::cases {

RunContext::RunContext(const Params& params, const RngStreams& rng, Network& network,
                       ProgressSink& progress, RunIdentity identity,
                       LatencyDistribution latency)
    : params_(params),
      rng_(rng),
      network_(network),
      progress_(progress),
      identity_(std::move(identity)),
      latency_(std::move(latency)) {}

void RunContext::open_network() {
  open_network(network_);
}

void RunContext::open_network(Network& network) {
  network.open();
  const std::string error = network.schedule_faults(fault_plan_);
  if (!error.empty()) {
    throw UsageError(error);
  }
}

std::unique_ptr<Network> RunContext::make_side_network(std::string_view name) const {
  return std::make_unique<VirtualNetwork>(latency_, rng_.stream("network-" + std::string(name)));
}

void RunContext::begin(std::vector<std::string> columns, PlotHint plot) {
  assert(!begun_ && "RunContext::begin called twice");
  begun_ = true;
  outcome_.series.columns = std::move(columns);
  progress_.publish(
      encode_start_event(identity_, params_.settings(), outcome_.series.columns, plot));
}

void RunContext::sample(std::vector<double> values) {
  assert(begun_ && values.size() == outcome_.series.columns.size());
  progress_.publish(encode_sample_event(identity_, to_seconds(network_.now()),
                                        outcome_.series.columns, values));
  outcome_.series.rows.push_back(std::move(values));
}

void RunContext::note(std::string text) {
  progress_.publish(encode_note_event(identity_, to_seconds(network_.now()), text));
  outcome_.notes.push_back(std::move(text));
}

void RunContext::figure(Figure figure) {
  progress_.publish(encode_figure_event(identity_, figure));
  outcome_.figures.push_back(std::move(figure));
}

double RunContext::wall_seconds() const noexcept {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
}

const ExperimentSpec* CaseSpec::find(std::string_view experiment) const noexcept {
  for (const ExperimentSpec& spec : experiments) {
    if (spec.name == experiment) {
      return &spec;
    }
  }
  return nullptr;
}

}  // namespace hexwire::sim::cases
