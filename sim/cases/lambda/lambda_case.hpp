// The Lambda case study (hexwire-sim lambda ...): keep-alive policies against cold starts, and
// microVM boot against snapshot restore under a per-host creation limit. docs/cases/lambda.md.
#pragma once

#include "sim/cases/experiment.hpp"

namespace hexwire::sim::cases::lambda {

CaseSpec lambda_case();

ExperimentSpec keepalive_experiment();
ExperimentSpec boot_experiment();

}  // namespace hexwire::sim::cases::lambda
