// The Netflix case: its experiments in the order hexwire-sim lists them.
#include "sim/cases/netflix/netflix_case.hpp"

namespace hexwire::sim::cases::netflix {

CaseSpec netflix_case() {
  CaseSpec spec;
  spec.name = "netflix";
  spec.summary = "Netflix: Hystrix circuit breaker and bulkheads, adaptive bitrate (BBA vs rate-based), edge cache fill";
  spec.docs = "docs/cases/netflix.md";
  spec.experiments.push_back(breaker_experiment());
  spec.experiments.push_back(abr_experiment());
  spec.experiments.push_back(cdn_experiment());
  return spec;
}

}  // namespace hexwire::sim::cases::netflix
