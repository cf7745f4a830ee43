// LRU result cache; Che's approximation and the static optimum for Zipf popularity.
#include "sim/cases/search/result_cache.hpp"

#include <cmath>
#include <stdexcept>

namespace hexwire::sim::cases::search {

ResultCache::ResultCache(std::size_t capacity) : capacity_(capacity) {
  if (capacity == 0) {
    throw std::invalid_argument("ResultCache: capacity must be at least 1");
  }
  map_.reserve(capacity);
}

const std::vector<Hit>* ResultCache::find(std::uint64_t key) {
  const auto it = map_.find(key);
  if (it == map_.end()) {
    return nullptr;
  }
  order_.splice(order_.begin(), order_, it->second);
  return &it->second->hits;
}

void ResultCache::insert(std::uint64_t key, std::vector<Hit> hits) {
  if (map_.size() == capacity_) {
    map_.erase(order_.back().key);
    order_.pop_back();
    ++evictions_;
  }
  order_.push_front(Entry{key, std::move(hits)});
  map_[key] = order_.begin();
}

std::vector<double> zipf_popularity(std::uint32_t n, double s) {
  std::vector<double> p(n);
  double sum = 0;
  for (std::uint32_t k = 0; k < n; ++k) {
    p[k] = std::pow(static_cast<double>(k + 1), -s);
    sum += p[k];
  }
  for (double& x : p) {
    x /= sum;
  }
  return p;
}

double che_lru_hit_rate(std::span<const double> popularity, std::size_t capacity) {
  if (capacity >= popularity.size()) {
    return 1.0;
  }
  // f(T) = sum(1 - e^{-pT}) - C is increasing and concave with f(C) <= 0, so Newton's method
  // from T = C climbs to the root without overshooting.
  const double c = static_cast<double>(capacity);
  double t = c;
  for (int iteration = 0; iteration < 100; ++iteration) {
    double f = -c;
    double slope = 0;
    for (const double p : popularity) {
      const double e = std::exp(-p * t);
      f += 1.0 - e;
      slope += p * e;
    }
    if (slope <= 0 || f >= -1e-9 * c) {
      break;
    }
    t -= f / slope;
  }
  double hit = 0;
  for (const double p : popularity) {
    hit += p * (1.0 - std::exp(-p * t));
  }
  return hit;
}

double static_optimal_hit_rate(std::span<const double> popularity, std::size_t capacity) {
  double hit = 0;
  for (std::size_t k = 0; k < std::min(capacity, popularity.size()); ++k) {
    hit += popularity[k];
  }
  return hit;
}

double replay_lru(std::span<const std::uint32_t> requests, std::size_t capacity, std::size_t warmup) {
  ResultCache cache(capacity);
  std::uint64_t hits = 0;
  std::uint64_t counted = 0;
  for (std::size_t i = 0; i < requests.size(); ++i) {
    const bool hit = cache.find(requests[i]) != nullptr;
    if (!hit) {
      cache.insert(requests[i], {});
    }
    if (i >= warmup) {
      ++counted;
      hits += hit ? 1 : 0;
    }
  }
  return counted == 0 ? 0.0 : static_cast<double>(hits) / counted;
}

}  // namespace hexwire::sim::cases::search
