// The DynamoDB case: its experiments in the order hexwire-sim lists them.
#include "sim/cases/dynamo/dynamo_case.hpp"

namespace hexwire::sim::cases::dynamo {

CaseSpec dynamo_case() {
  CaseSpec spec;
  spec.name = "dynamo";
  spec.summary = "DynamoDB: consistent hashing, sloppy quorums and vector clocks, capacity";
  spec.docs = "docs/cases/dynamo.md";
  spec.experiments.push_back(ring_experiment());
  spec.experiments.push_back(quorum_experiment());
  spec.experiments.push_back(capacity_experiment());
  spec.experiments.push_back(coordination_experiment());
  return spec;
}

}  // namespace hexwire::sim::cases::dynamo
