// The DynamoDB case study (hexwire-sim dynamo ...): ring (consistent hashing with virtual nodes),
// quorum (sloppy quorum, hinted handoff, vector clocks, read repair), capacity (static, burst and
// global admission control) and coordination (client- vs server-driven). docs/cases/dynamo.md.
#pragma once

#include "sim/cases/experiment.hpp"

namespace hexwire::sim::cases::dynamo {

CaseSpec dynamo_case();

// One function per experiment (each in its own file).
ExperimentSpec ring_experiment();
ExperimentSpec quorum_experiment();
ExperimentSpec capacity_experiment();
ExperimentSpec coordination_experiment();

}  // namespace hexwire::sim::cases::dynamo
