// Sharded inverted index: building posting lists, BM25 term-at-a-time scoring, top-k and merge.
#include "sim/cases/search/inverted_index.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace hexwire::sim::cases::search {

double CollectionStats::idf(TermId term) const noexcept {
  const double df = document_frequency[term];
  return std::log(1.0 + (docs - df + 0.5) / (df + 0.5));
}

CollectionStats collection_stats(const Corpus& corpus, Bm25 bm25) {
  CollectionStats stats;
  stats.bm25 = bm25;
  stats.docs = corpus.doc_count();
  stats.document_frequency.assign(corpus.words.size(), 0);
  std::vector<DocId> last_seen(corpus.words.size(), ~DocId{0});
  for (DocId d = 0; d < stats.docs; ++d) {
    for (const TermId t : corpus.doc(d)) {
      if (last_seen[t] != d) {
        last_seen[t] = d;
        ++stats.document_frequency[t];
      }
    }
  }
  stats.mean_length = stats.docs == 0 ? 0.0
                                      : static_cast<double>(corpus.terms.size()) / stats.docs;
  return stats;
}

bool ranks_before(const Hit& a, const Hit& b) noexcept {
  return a.score > b.score || (a.score == b.score && a.doc < b.doc);
}

ShardIndex::ShardIndex(const Corpus& corpus, std::uint32_t shard, std::uint32_t shard_count) {
  if (shard_count == 0 || shard >= shard_count) {
    throw std::invalid_argument("ShardIndex: shard out of range");
  }
  const std::size_t vocabulary = corpus.words.size();
  // Count (term, local doc) pairs per term, then fill: postings sorted by local doc per term.
  std::vector<std::uint32_t> counts(vocabulary + 1, 0);
  std::vector<std::pair<TermId, std::uint32_t>> doc_terms;  // (term, tf) of one document
  std::vector<std::pair<TermId, Posting>> pairs;
  for (DocId d = shard; d < corpus.doc_count(); d += shard_count) {
    const auto local = static_cast<std::uint32_t>(global_ids_.size());
    global_ids_.push_back(d);
    const std::span<const TermId> terms = corpus.doc(d);
    lengths_.push_back(static_cast<std::uint32_t>(terms.size()));
    doc_terms.clear();
    for (const TermId t : terms) {
      doc_terms.emplace_back(t, 1);
    }
    std::sort(doc_terms.begin(), doc_terms.end());
    for (std::size_t i = 0; i < doc_terms.size();) {
      std::size_t j = i;
      while (j < doc_terms.size() && doc_terms[j].first == doc_terms[i].first) {
        ++j;
      }
      pairs.push_back({doc_terms[i].first, Posting{local, static_cast<std::uint32_t>(j - i)}});
      ++counts[doc_terms[i].first + 1];
      i = j;
    }
  }
  offsets_.assign(vocabulary + 1, 0);
  for (std::size_t t = 0; t < vocabulary; ++t) {
    offsets_[t + 1] = offsets_[t] + counts[t + 1];
  }
  postings_.resize(pairs.size());
  std::vector<std::uint32_t> fill(offsets_.begin(), offsets_.end() - 1);
  for (const auto& [term, posting] : pairs) {
    postings_[fill[term]++] = posting;
  }
}

std::uint64_t ShardIndex::search(std::span<const TermId> query, const CollectionStats& stats,
                                 std::size_t k, SearchScratch& scratch,
                                 std::vector<Hit>& out) const {
  scratch.scores.resize(global_ids_.size(), 0.0);
  scratch.touched.clear();
  std::uint64_t scanned = 0;
  const double k1 = stats.bm25.k1;
  const double b = stats.bm25.b;
  for (const TermId term : query) {
    if (term + 1 >= offsets_.size()) {
      continue;
    }
    const double idf = stats.idf(term);
    for (std::uint32_t p = offsets_[term]; p < offsets_[term + 1]; ++p) {
      const Posting& posting = postings_[p];
      const double tf = posting.tf;
      const double norm = k1 * (1.0 - b + b * lengths_[posting.local_doc] / stats.mean_length);
      double& score = scratch.scores[posting.local_doc];
      if (score == 0.0) {
        scratch.touched.push_back(posting.local_doc);
      }
      score += idf * tf * (k1 + 1.0) / (tf + norm);
      ++scanned;
    }
  }
  out.clear();
  for (const std::uint32_t local : scratch.touched) {
    out.push_back(Hit{global_ids_[local], scratch.scores[local]});
    scratch.scores[local] = 0.0;
  }
  keep_top(out, k);
  return scanned;
}

void keep_top(std::vector<Hit>& hits, std::size_t k) {
  if (hits.size() > k) {
    std::nth_element(hits.begin(), hits.begin() + static_cast<std::ptrdiff_t>(k), hits.end(),
                     ranks_before);
    hits.resize(k);
  }
  std::sort(hits.begin(), hits.end(), ranks_before);
}

void merge_top_k(std::span<const std::vector<Hit>> lists, std::size_t k, std::vector<Hit>& out) {
  out.clear();
  // k-way merge by repeated best-head selection: S lists of at most k each, k picks.
  std::vector<std::size_t> heads(lists.size(), 0);
  while (out.size() < k) {
    std::size_t best = lists.size();
    for (std::size_t i = 0; i < lists.size(); ++i) {
      if (heads[i] < lists[i].size() &&
          (best == lists.size() || ranks_before(lists[i][heads[i]], lists[best][heads[best]]))) {
        best = i;
      }
    }
    if (best == lists.size()) {
      break;
    }
    out.push_back(lists[best][heads[best]++]);
  }
}

ShardedIndex::ShardedIndex(const Corpus& corpus, std::uint32_t shard_count)
    : stats(collection_stats(corpus)) {
  shards.reserve(shard_count);
  for (std::uint32_t s = 0; s < shard_count; ++s) {
    shards.emplace_back(corpus, s, shard_count);
  }
}

std::uint64_t ShardedIndex::search_all(std::span<const TermId> query, std::size_t k,
                                       std::vector<SearchScratch>& scratch,
                                       std::vector<std::vector<Hit>>& per_shard,
                                       std::vector<Hit>& out) const {
  scratch.resize(shards.size());
  per_shard.resize(shards.size());
  std::uint64_t scanned = 0;
  for (std::size_t s = 0; s < shards.size(); ++s) {
    scanned += shards[s].search(query, stats, k, scratch[s], per_shard[s]);
  }
  merge_top_k(per_shard, k, out);
  return scanned;
}

}  // namespace hexwire::sim::cases::search
