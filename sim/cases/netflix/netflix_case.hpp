// The Netflix case study (hexwire-sim netflix ...): Hystrix's circuit breaker and bulkheads, adaptive
// bitrate (buffer-based against rate-based), and an Open-Connect-like edge cache filled off-peak
// from a popularity forecast. docs/cases/netflix.md.
#pragma once

#include "sim/cases/experiment.hpp"

namespace hexwire::sim::cases::netflix {

CaseSpec netflix_case();

ExperimentSpec breaker_experiment();
ExperimentSpec abr_experiment();
ExperimentSpec cdn_experiment();

}  // namespace hexwire::sim::cases::netflix
