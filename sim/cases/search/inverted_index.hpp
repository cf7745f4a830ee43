// A sharded inverted index with BM25 ranking: the corpus's documents are split over S shards
// (document d on shard d mod S); each shard keeps posting lists (term -> documents with term
// frequency) for its documents only. Collection statistics (document count, mean length, document
// frequency of each term) are global and shared by every shard, as a production engine broadcasts
// them, so a document scores the same on its shard as in one unsharded index and the scatter-gather
// merge of per-shard top-k lists is exactly the unsharded top-k. Searching does not allocate once
// the scratch has grown to the shard's size.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "sim/cases/search/corpus.hpp"

namespace hexwire::sim::cases::search {

/// Results a query returns (and each shard contributes at most).
inline constexpr std::size_t kResultsPerQuery = 10;

struct Bm25 {
  double k1 = 1.2;
  double b = 0.75;
};

/// Global statistics every shard scores with.
struct CollectionStats {
  std::uint32_t docs = 0;
  double mean_length = 0.0;
  std::vector<std::uint32_t> document_frequency;  // per term
  Bm25 bm25;

  /// ln(1 + (N - df + 0.5) / (df + 0.5)): Lucene's non-negative BM25 idf.
  [[nodiscard]] double idf(TermId term) const noexcept;
};

CollectionStats collection_stats(const Corpus& corpus, Bm25 bm25 = {});

/// One result: a global document id and its BM25 score. Ordered by score, then lower id first.
struct Hit {
  DocId doc = 0;
  double score = 0.0;
};
[[nodiscard]] bool ranks_before(const Hit& a, const Hit& b) noexcept;

/// Per-search working memory (score accumulators), reused across searches of one shard.
struct SearchScratch {
  std::vector<double> scores;
  std::vector<std::uint32_t> touched;
};

class ShardIndex {
 public:
  /// The documents d with d % shard_count == shard.
  ShardIndex(const Corpus& corpus, std::uint32_t shard, std::uint32_t shard_count);

  /// The top `k` of this shard for `query` by BM25 against `stats`, best first, into `out`
  /// (cleared). Returns the number of postings scanned (the work done).
  std::uint64_t search(std::span<const TermId> query, const CollectionStats& stats, std::size_t k,
                       SearchScratch& scratch, std::vector<Hit>& out) const;

  [[nodiscard]] std::uint32_t doc_count() const noexcept {
    return static_cast<std::uint32_t>(global_ids_.size());
  }
  [[nodiscard]] std::uint64_t posting_count() const noexcept { return postings_.size(); }

 private:
  struct Posting {
    std::uint32_t local_doc;
    std::uint32_t tf;
  };
  std::vector<std::uint32_t> offsets_;  // vocabulary + 1 entries into postings_
  std::vector<Posting> postings_;
  std::vector<std::uint32_t> lengths_;  // per local doc
  std::vector<DocId> global_ids_;       // per local doc
};

/// Keeps the best `k` of `hits` (any order in) in ranks_before order.
void keep_top(std::vector<Hit>& hits, std::size_t k);

/// Merges per-shard top-k lists (each best first) into the global top `k`, into `out`.
void merge_top_k(std::span<const std::vector<Hit>> lists, std::size_t k, std::vector<Hit>& out);

/// The index split over shards plus the shared statistics.
struct ShardedIndex {
  CollectionStats stats;
  std::vector<ShardIndex> shards;

  ShardedIndex(const Corpus& corpus, std::uint32_t shard_count);
  /// Scatter-gather in one thread: every shard's top k, then the merge. Returns postings scanned.
  std::uint64_t search_all(std::span<const TermId> query, std::size_t k,
                           std::vector<SearchScratch>& scratch,
                           std::vector<std::vector<Hit>>& per_shard, std::vector<Hit>& out) const;
};

}  // namespace hexwire::sim::cases::search
