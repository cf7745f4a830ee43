// search cache: a result cache in front of the sharded index. Queries repeat with Zipf popularity
// (--zipf-s over --distinct queries); an LRU cache of --entries merged top-10 lists answers the
// repeats. Every request runs for real: a hit is a cache lookup, a miss the scatter-gather over
// all shards and the merge, each timed. The hit rate is judged against Che's approximation of LRU
// (IEEE JSAC 2002) and bounded by the static optimum; a sweep over cache sizes gives the plot.
// Not networked: it measures computation. docs/cases/search.md#cache.
#include <fmt/format.h>

#include <chrono>
#include <cmath>

#include "sim/cases/search/inverted_index.hpp"
#include "sim/cases/search/result_cache.hpp"
#include "sim/cases/search/search_case.hpp"
#include "sim/zipf.hpp"

namespace hexwire::sim::cases::search {
namespace {

constexpr const char* kChe =
    "Che, Tung & Wang (IEEE JSAC 2002): LRU hit rate under independent Zipf requests";
constexpr std::uint32_t kBaselineEvery = 10;  // a request in 10 is paired with one timed without the cache

struct CacheConfig {
  std::uint32_t shards = 10;
  std::uint32_t distinct = 100'000;
  std::uint32_t requests = 100'000;
  std::size_t entries = 1000;
  double zipf_s = 0.8;
  std::uint32_t query_terms = 2;
};

CacheConfig config_from(const Params& p) {
  CacheConfig c;
  c.shards = static_cast<std::uint32_t>(p.integer("shards"));
  c.distinct = static_cast<std::uint32_t>(p.integer("distinct"));
  c.requests = static_cast<std::uint32_t>(p.integer("requests"));
  c.entries = static_cast<std::size_t>(p.integer("entries"));
  c.zipf_s = p.number("zipf-s");
  c.query_terms = static_cast<std::uint32_t>(p.integer("query-terms"));
  if (p.integer("docs") < c.shards) {
    throw UsageError("--docs must be at least --shards (every shard needs a product)");
  }
  return c;
}

double micros_since(std::chrono::steady_clock::time_point began) {
  return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - began).count();
}

struct Measured {
  std::uint64_t hits = 0;
  std::uint64_t counted = 0;
  double hit_us = 0;       // sums, then means
  double miss_us = 0;
  double with_cache_us = 0;
  double no_cache_us = 0;
  std::uint64_t misses = 0;
  std::uint64_t baseline = 0;
  std::uint64_t verified = 0;
  std::uint64_t verified_same = 0;
};

/// Runs every request through the real cache and index, timing each path.
Measured serve_requests(const CacheConfig& cfg, const ShardedIndex& index,
                        const std::vector<std::vector<TermId>>& queries,
                        const std::vector<std::uint32_t>& requests,
                        const std::vector<std::uint32_t>& baseline, std::size_t warmup) {
  ResultCache cache(cfg.entries);
  std::vector<SearchScratch> scratch;
  std::vector<std::vector<Hit>> per_shard;
  std::vector<Hit> fresh;
  Measured m;
  for (std::size_t i = 0; i < requests.size(); ++i) {
    const std::uint32_t q = requests[i];
    const auto began = std::chrono::steady_clock::now();
    const std::vector<Hit>* cached = cache.find(q);
    const bool hit = cached != nullptr;
    if (!hit) {
      index.search_all(queries[q], kResultsPerQuery, scratch, per_shard, fresh);
      cache.insert(q, fresh);
    }
    const double us = micros_since(began);
    if (i < warmup) {
      continue;
    }
    if (i % kBaselineEvery == 0) {
      // Without the cache: an independent request from the same popularity law, searched in the
      // same stream of work (searching this request's own query again would find it warm).
      const auto again = std::chrono::steady_clock::now();
      index.search_all(queries[baseline[(i / kBaselineEvery) % baseline.size()]], kResultsPerQuery,
                       scratch, per_shard, fresh);
      m.no_cache_us += micros_since(again);
      ++m.baseline;
    }
    ++m.counted;
    m.with_cache_us += us;
    (hit ? m.hit_us : m.miss_us) += us;
    (hit ? m.hits : m.misses) += 1;
    if (hit && i % kBaselineEvery == 0) {  // a cached answer must be what the index answers now
      index.search_all(queries[q], kResultsPerQuery, scratch, per_shard, fresh);
      ++m.verified;
      m.verified_same += (fresh.size() == cached->size() &&
                          std::equal(fresh.begin(), fresh.end(), cached->begin(),
                                     [](const Hit& a, const Hit& b) {
                                       return a.doc == b.doc && a.score == b.score;
                                     }))
                             ? 1
                             : 0;
    }
  }
  m.hit_us /= std::max<std::uint64_t>(m.hits, 1);
  m.miss_us /= std::max<std::uint64_t>(m.misses, 1);
  m.with_cache_us /= std::max<std::uint64_t>(m.counted, 1);
  m.no_cache_us /= std::max<std::uint64_t>(m.baseline, 1);
  return m;
}

/// Cache sizes from 10 up in steps of sqrt(10), up to the largest one the request stream can fill
/// and hold in steady state (Che's approximation is a steady-state result).
std::vector<std::size_t> sweep_sizes(std::size_t largest, std::size_t entries) {
  std::vector<std::size_t> sizes;
  for (double c = 10; c <= static_cast<double>(largest); c *= std::sqrt(10.0)) {
    sizes.push_back(static_cast<std::size_t>(std::round(c)));
  }
  if (entries <= largest) {
    sizes.push_back(entries);
  }
  std::sort(sizes.begin(), sizes.end());
  sizes.erase(std::unique(sizes.begin(), sizes.end()), sizes.end());
  return sizes;
}

void run_cache(RunContext& ctx) {
  const CacheConfig cfg = config_from(ctx.params());
  const CorpusConfig corpus_cfg = corpus_config(ctx.params(), ctx.rng().seed());
  const Corpus corpus = generate_corpus(corpus_cfg);
  const ShardedIndex index(corpus, cfg.shards);
  Rng query_rng = ctx.rng().stream("queries");
  std::vector<std::vector<TermId>> queries;
  queries.reserve(cfg.distinct);
  for (std::uint32_t q = 0; q < cfg.distinct; ++q) {
    queries.push_back(draw_query(query_rng, corpus_cfg.vocabulary, corpus_cfg.term_zipf_s,
                                 cfg.query_terms, kQuerySkipTopTerms));
  }
  // Query q has popularity rank q + 1.
  const ZipfSampler popularity_law(cfg.distinct, cfg.zipf_s);
  Rng request_rng = ctx.rng().stream("requests");
  std::vector<std::uint32_t> requests(cfg.requests);
  for (std::uint32_t& r : requests) {
    r = static_cast<std::uint32_t>(popularity_law.sample(request_rng) - 1);
  }
  Rng baseline_rng = ctx.rng().stream("baseline");
  std::vector<std::uint32_t> baseline(cfg.requests / kBaselineEvery + 1);
  for (std::uint32_t& r : baseline) {
    r = static_cast<std::uint32_t>(popularity_law.sample(baseline_rng) - 1);
  }
  const std::size_t warmup = requests.size() / 10;
  const std::vector<double> popularity = zipf_popularity(cfg.distinct, cfg.zipf_s);

  ctx.begin({"entries", "lru_hit_rate", "che_hit_rate", "optimal_hit_rate"},
            PlotHint{fmt::format("result-cache hit rate against size, Zipf s = {}", cfg.zipf_s),
                     "entries", {"lru_hit_rate", "che_hit_rate", "optimal_hit_rate"}, false});
  double worst = 0;
  // A cache fills in steady state only when the requests after the warm-up revisit it often.
  const std::size_t steady = std::min<std::size_t>(cfg.distinct - 1, requests.size() / 20);
  for (const std::size_t size : sweep_sizes(steady, cfg.entries)) {
    const double lru = replay_lru(requests, size, warmup);
    const double che = che_lru_hit_rate(popularity, size);
    worst = std::max(worst, std::abs(lru - che));
    ctx.sample({static_cast<double>(size), lru, che, static_optimal_hit_rate(popularity, size)});
  }

  const Measured m = serve_requests(cfg, index, queries, requests, baseline, warmup);
  const double hit_rate = static_cast<double>(m.hits) / std::max<std::uint64_t>(m.counted, 1);
  const double che = che_lru_hit_rate(popularity, cfg.entries);
  const double optimum = static_optimal_hit_rate(popularity, cfg.entries);
  const double noise = 4.0 * std::sqrt(che * (1 - che) / std::max<std::uint64_t>(m.counted, 1));
  ctx.note(fmt::format("{} products over {} shards; {} distinct queries, {} requests (the first {} "
                       "warm the cache); a miss searches every shard ({:.1f} us), a hit is a "
                       "lookup ({:.2f} us)",
                       corpus.doc_count(), cfg.shards, cfg.distinct, cfg.requests, warmup,
                       m.miss_us, m.hit_us));
  if (cfg.entries <= steady) {
    ctx.figure(Figure::within("hit_rate", hit_rate, che, 0.01 + noise, kChe));
  } else {
    ctx.note(fmt::format("--entries {} is above {} (requests / 20): the cache does not reach steady "
                         "state in this run, so hit_rate is not judged against Che's approximation",
                         cfg.entries, steady));
    ctx.figure(Figure::info("hit_rate", hit_rate));
    ctx.figure(Figure::info("che_hit_rate", che));
  }
  Figure bound = Figure::at_most("hit_rate_vs_static_optimum", hit_rate, optimum,
                                 "no online policy beats caching the C most popular queries (IRM)");
  bound.tolerance = noise;
  ctx.figure(bound);
  ctx.figure(Figure::at_most("sweep_max_error_vs_che", worst, 0.02 + noise, kChe));
  ctx.figure(Figure::within("cached_results_match_index",
                            m.verified == 0 ? 1.0 : static_cast<double>(m.verified_same) / m.verified,
                            1.0, 0.0, "a cached top 10 is the index's answer (nothing changes it)"));
  ctx.figure(Figure::info("static_optimal_hit_rate", optimum));
  ctx.figure(Figure::info("hit_us", m.hit_us, "us"));
  ctx.figure(Figure::info("miss_us", m.miss_us, "us"));
  ctx.figure(Figure::info("mean_no_cache_us", m.no_cache_us, "us"));
  ctx.figure(Figure::info("mean_with_cache_us", m.with_cache_us, "us"));
  ctx.figure(Figure::info("latency_saved_share",
                          m.no_cache_us > 0 ? 1.0 - m.with_cache_us / m.no_cache_us : 0.0));
}

}  // namespace

ExperimentSpec cache_experiment() {
  ExperimentSpec e;
  e.name = "cache";
  e.summary = "result cache under Zipf query popularity: hit rate against size, latency saved";
  e.details =
      "--distinct queries over the product index repeat with Zipf popularity (--zipf-s): query of "
      "rank k is asked with probability k^-s / H. An LRU cache of --entries merged top-10 lists "
      "sits in front of the --shards shards. Every request runs for real and is timed: a hit is a "
      "lookup, a miss the scatter-gather search of every shard and the merge (every 10th request is "
      "also searched without the cache: the latency without it). The hit rate must match Che's "
      "approximation of LRU (IEEE JSAC 2002) and stay below the static optimum (the --entries most "
      "popular queries); the sweep over sizes is the plot. Reports the latency saved.";
  e.example = "--zipf-s 0.8 --entries 1000 --check";
  e.params = corpus_params(20'000);
  const std::vector<ParamSpec> own = {
      ParamSpec::number("zipf-s", 0.8, 0, 5, "Zipf exponent of query popularity"),
      ParamSpec::integer("entries", 1000, 1, 100'000'000, "Cache entries (one merged top 10 each)"),
      ParamSpec::integer("distinct", 100'000, 1, 100'000'000, "Distinct queries"),
      ParamSpec::integer("requests", 100'000, 1, 100'000'000, "Requests (the first 10% warm the cache)"),
      ParamSpec::integer("shards", 10, 1, 10'000, "Index shards a miss searches"),
      ParamSpec::integer("query-terms", 2, 1, 16, "Terms per query"),
  };
  e.params.insert(e.params.end(), own.begin(), own.end());
  e.run = run_cache;
  return e;
}

}  // namespace hexwire::sim::cases::search
