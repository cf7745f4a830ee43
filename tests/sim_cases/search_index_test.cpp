// The search case's real computation: BM25 scoring on a hand-made corpus, the sharded merge equal
// to the unsharded index, the LRU result cache, and Che's approximation against exact cases.
#include <catch2/catch.hpp>

#include <cmath>

#include "sim/cases/search/corpus.hpp"
#include "sim/cases/search/inverted_index.hpp"
#include "sim/cases/search/result_cache.hpp"

namespace search = hexwire::sim::cases::search;

namespace {

/// Three documents over a four-word vocabulary.
search::Corpus tiny_corpus() {
  search::Corpus c;
  c.words = {"red", "shoe", "lamp", "desk"};
  c.word_source = "test";
  c.offsets = {0, 3, 5, 9};
  c.terms = {0, 1, 1,      // doc 0: red shoe shoe
             2, 3,         // doc 1: lamp desk
             0, 2, 3, 3};  // doc 2: red lamp desk desk
  return c;
}

}  // namespace

TEST_CASE("BM25 ranks by term frequency, rarity and length, with Lucene's idf") {
  const search::Corpus corpus = tiny_corpus();
  const search::CollectionStats stats = search::collection_stats(corpus);
  CHECK(stats.docs == 3);
  CHECK(stats.mean_length == Approx(3.0));
  CHECK(stats.document_frequency == std::vector<std::uint32_t>{2, 1, 2, 2});
  CHECK(stats.idf(1) == Approx(std::log(1.0 + 2.5 / 1.5)));

  const search::ShardIndex whole(corpus, 0, 1);
  search::SearchScratch scratch;
  std::vector<search::Hit> hits;
  const search::TermId shoe[] = {1};
  CHECK(whole.search(shoe, stats, 10, scratch, hits) == 1);
  REQUIRE(hits.size() == 1);
  CHECK(hits[0].doc == 0);
  // tf 2, length 3 = mean: idf * 2 * 2.2 / (2 + 1.2)
  CHECK(hits[0].score == Approx(stats.idf(1) * 2 * 2.2 / 3.2));

  const search::TermId desk[] = {3};
  whole.search(desk, stats, 10, scratch, hits);
  REQUIRE(hits.size() == 2);
  CHECK(hits[0].doc == 2);  // desk twice
  CHECK(hits[1].doc == 1);

  const search::TermId nothing[] = {99};
  CHECK(whole.search(nothing, stats, 10, scratch, hits) == 0);
  CHECK(hits.empty());
}

TEST_CASE("scatter-gather over shards returns exactly the unsharded top 10") {
  search::CorpusConfig config;
  config.docs = 3000;
  config.vocabulary = 2000;
  config.seed = 7;
  const search::Corpus corpus = search::generate_corpus(config);
  const search::ShardIndex whole(corpus, 0, 1);
  hexwire::sim::Rng rng(11);
  for (const std::uint32_t shards : {1u, 7u, 32u}) {
    const search::ShardedIndex index(corpus, shards);
    std::uint64_t docs = 0;
    for (const search::ShardIndex& shard : index.shards) {
      docs += shard.doc_count();
    }
    CHECK(docs == corpus.doc_count());
    std::vector<search::SearchScratch> scratch;
    std::vector<std::vector<search::Hit>> per_shard;
    std::vector<search::Hit> merged;
    std::vector<search::Hit> expected;
    search::SearchScratch one;
    for (int q = 0; q < 200; ++q) {
      const std::vector<search::TermId> query = search::draw_query(rng, 2000, 1.0, 2, 20);
      index.search_all(query, 10, scratch, per_shard, merged);
      whole.search(query, index.stats, 10, one, expected);
      REQUIRE(merged.size() == expected.size());
      for (std::size_t i = 0; i < merged.size(); ++i) {
        CHECK(merged[i].doc == expected[i].doc);
        CHECK(merged[i].score == expected[i].score);
      }
    }
  }
}

TEST_CASE("corpus: words from the dictionary or generated, Zipf term frequencies") {
  search::CorpusConfig config;
  config.docs = 2000;
  config.vocabulary = 500;
  const search::Corpus generated = search::generate_corpus(config, "/nonexistent/words");
  CHECK(generated.word_source == "generated");
  CHECK(generated.words.size() == 500);
  CHECK(generated.doc_count() == 2000);
  std::vector<std::uint64_t> counts(500, 0);
  for (const search::TermId t : generated.terms) {
    ++counts[t];
  }
  // Zipf s = 1: the top term about twice as frequent as the second, ten times the tenth.
  CHECK(static_cast<double>(counts[0]) / counts[1] == Approx(2.0).margin(0.3));
  CHECK(static_cast<double>(counts[0]) / counts[9] == Approx(10.0).margin(2.0));
  CHECK_THROWS(search::generate_corpus(search::CorpusConfig{0, 10}));
}

TEST_CASE("LRU result cache evicts the least recently used entry") {
  search::ResultCache cache(2);
  cache.insert(1, {{5, 1.0}});
  cache.insert(2, {{6, 2.0}});
  REQUIRE(cache.find(1) != nullptr);  // 1 is now the most recent
  cache.insert(3, {{7, 3.0}});        // evicts 2
  CHECK(cache.find(2) == nullptr);
  REQUIRE(cache.find(1) != nullptr);
  CHECK(cache.find(1)->front().doc == 5);
  CHECK(cache.find(3) != nullptr);
  CHECK(cache.size() == 2);
  CHECK(cache.evictions() == 1);
  CHECK_THROWS(search::ResultCache(0));
}

TEST_CASE("Che's approximation: exact limits and agreement with a replayed LRU") {
  const std::vector<double> uniform(100, 0.01);
  CHECK(search::che_lru_hit_rate(uniform, 100) == 1.0);
  // Uniform popularity: LRU holds C of N items, hit rate C / N.
  CHECK(search::che_lru_hit_rate(uniform, 25) == Approx(0.25).margin(0.01));
  const std::vector<double> zipf = search::zipf_popularity(10'000, 0.9);
  CHECK(search::static_optimal_hit_rate(zipf, 10'000) == Approx(1.0));
  hexwire::sim::Rng rng(3);
  std::vector<std::uint32_t> requests(200'000);
  std::vector<double> cumulative(zipf.size());
  double sum = 0;
  for (std::size_t i = 0; i < zipf.size(); ++i) {
    cumulative[i] = sum += zipf[i];
  }
  for (std::uint32_t& r : requests) {
    r = static_cast<std::uint32_t>(
        std::lower_bound(cumulative.begin(), cumulative.end(), rng.uniform01()) - cumulative.begin());
  }
  for (const std::size_t c : {10u, 100u, 1000u}) {
    const double che = search::che_lru_hit_rate(zipf, c);
    CHECK(search::replay_lru(requests, c, 20'000) == Approx(che).margin(0.01));
    CHECK(che < search::static_optimal_hit_rate(zipf, c));
  }
}
