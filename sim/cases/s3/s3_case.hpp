// The S3 case study (hexwire-sim s3 ...): durability of erasure coding and replication, and
// read-after-write consistency through a metadata cache with and without a witness.
// docs/cases/s3.md.
#pragma once

#include "sim/cases/experiment.hpp"

namespace hexwire::sim::cases::s3 {

CaseSpec s3_case();

ExperimentSpec durability_experiment();
ExperimentSpec consistency_experiment();

}  // namespace hexwire::sim::cases::s3
