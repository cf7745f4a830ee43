// The search result cache: an LRU map from a query to its merged top 10, and the two references a
// cache's hit rate is judged against under independent requests with Zipf popularity: Che's
// approximation of LRU (Che, Tung and Wang, IEEE JSAC 2002) and the static optimum (the C most
// popular queries always cached).
#pragma once

#include <cstdint>
#include <list>
#include <span>
#include <unordered_map>
#include <vector>

#include "sim/cases/search/inverted_index.hpp"

namespace hexwire::sim::cases::search {

class ResultCache {
 public:
  /// capacity >= 1 entries.
  explicit ResultCache(std::size_t capacity);

  /// The cached results of `key` (and it becomes the most recently used), or nullptr.
  const std::vector<Hit>* find(std::uint64_t key);
  /// Caches `hits` for `key` (not present), evicting the least recently used entry when full.
  void insert(std::uint64_t key, std::vector<Hit> hits);
  [[nodiscard]] std::size_t size() const noexcept { return map_.size(); }
  [[nodiscard]] std::uint64_t evictions() const noexcept { return evictions_; }

 private:
  struct Entry {
    std::uint64_t key;
    std::vector<Hit> hits;
  };
  std::size_t capacity_;
  std::list<Entry> order_;  // most recent first
  std::unordered_map<std::uint64_t, std::list<Entry>::iterator> map_;
  std::uint64_t evictions_ = 0;
};

/// P(query of rank k) = k^-s / H(n, s), k = 1..n.
std::vector<double> zipf_popularity(std::uint32_t n, double s);

/// Che's approximation of an LRU cache of `capacity` entries under independent requests with
/// these probabilities: the characteristic time T solves sum(1 - e^{-p T}) = C, and the hit rate
/// is sum(p (1 - e^{-p T})). 1 when capacity >= the number of items.
double che_lru_hit_rate(std::span<const double> popularity, std::size_t capacity);

/// The hit rate of the best static cache: the `capacity` most popular items (popularity sorted
/// in decreasing order).
double static_optimal_hit_rate(std::span<const double> popularity, std::size_t capacity);

/// Replays `requests` (item keys) through an LRU of `capacity` entries; the hit rate of the
/// requests after the first `warmup`.
double replay_lru(std::span<const std::uint32_t> requests, std::size_t capacity, std::size_t warmup);

}  // namespace hexwire::sim::cases::search
