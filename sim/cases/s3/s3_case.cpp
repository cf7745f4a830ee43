// The S3 case: its experiments in the order hexwire-sim lists them.
#include "sim/cases/s3/s3_case.hpp"

namespace hexwire::sim::cases::s3 {

CaseSpec s3_case() {
  CaseSpec spec;
  spec.name = "s3";
  spec.summary = "S3: eleven nines from erasure coding; strong consistency through a witness";
  spec.docs = "docs/cases/s3.md";
  spec.experiments.push_back(durability_experiment());
  spec.experiments.push_back(consistency_experiment());
  return spec;
}

}  // namespace hexwire::sim::cases::s3
