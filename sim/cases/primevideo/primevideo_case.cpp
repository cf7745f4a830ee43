// The Prime Video case: its experiments in the order hexwire-sim lists them.
#include "sim/cases/primevideo/primevideo_case.hpp"

namespace hexwire::sim::cases::primevideo {

CaseSpec primevideo_case() {
  CaseSpec spec;
  spec.name = "primevideo";
  spec.summary = "Prime Video: the stream monitor, distributed serverless vs monolith (cost, ceiling)";
  spec.docs = "docs/cases/primevideo.md";
  spec.experiments.push_back(cost_experiment());
  return spec;
}

}  // namespace hexwire::sim::cases::primevideo
