// The search case: its experiments in the order hexwire-sim lists them.
#include "sim/cases/search/search_case.hpp"

namespace hexwire::sim::cases::search {

CaseSpec search_case() {
  CaseSpec spec;
  spec.name = "search";
  spec.summary = "Amazon product search: sharded BM25 index, tail at scale and hedging, result cache";
  spec.docs = "docs/cases/search.md";
  spec.experiments.push_back(tail_experiment());
  spec.experiments.push_back(cache_experiment());
  return spec;
}

std::vector<ParamSpec> corpus_params(std::int64_t default_docs) {
  return {
      ParamSpec::integer("docs", default_docs, 1, 2'000'000, "Products in the corpus"),
      ParamSpec::integer("vocabulary", 20'000, 100, 1'000'000,
                         "Distinct terms (words from /usr/share/dict/words, else generated)"),
      ParamSpec::number("term-zipf-s", 1.0, 0, 5, "Zipf exponent of term frequencies in products"),
  };
}

CorpusConfig corpus_config(const Params& params, std::uint64_t seed) {
  CorpusConfig c;
  c.docs = static_cast<std::uint32_t>(params.integer("docs"));
  c.vocabulary = static_cast<std::uint32_t>(params.integer("vocabulary"));
  c.term_zipf_s = params.number("term-zipf-s");
  c.seed = seed;
  return c;
}

}  // namespace hexwire::sim::cases::search
