// The Amazon product search case study (hexwire-sim search ...): a real sharded inverted index
// (BM25 top-10, scatter-gather and merge) under the tail at scale of Dean and Barroso (CACM 2013),
// with hedged requests, and a result cache under Zipf query popularity. docs/cases/search.md.
#pragma once

#include <vector>

#include "sim/cases/experiment.hpp"
#include "sim/cases/search/corpus.hpp"

namespace hexwire::sim::cases::search {

CaseSpec search_case();

ExperimentSpec tail_experiment();
ExperimentSpec cache_experiment();

/// The corpus knobs both experiments share (--docs, --vocabulary, --term-zipf-s).
std::vector<ParamSpec> corpus_params(std::int64_t default_docs);
CorpusConfig corpus_config(const Params& params, std::uint64_t seed);

}  // namespace hexwire::sim::cases::search
