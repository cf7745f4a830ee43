// The Lambda case: its experiments in the order hexwire-sim lists them.
#include "sim/cases/lambda/lambda_case.hpp"

namespace hexwire::sim::cases::lambda {

CaseSpec lambda_case() {
  CaseSpec spec;
  spec.name = "lambda";
  spec.summary = "Lambda: cold starts, keep-alive policies, Firecracker boot vs snapshot";
  spec.docs = "docs/cases/lambda.md";
  spec.experiments.push_back(keepalive_experiment());
  spec.experiments.push_back(boot_experiment());
  return spec;
}

}  // namespace hexwire::sim::cases::lambda
