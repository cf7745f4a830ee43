// The Prime Video case study (hexwire-sim primevideo ...): the 2023 move of the stream-quality
// monitor from a distributed serverless design to a monolith, its bill and its throughput ceiling.
// docs/cases/primevideo.md.
#pragma once

#include "sim/cases/experiment.hpp"

namespace hexwire::sim::cases::primevideo {

CaseSpec primevideo_case();

ExperimentSpec cost_experiment();

}  // namespace hexwire::sim::cases::primevideo
