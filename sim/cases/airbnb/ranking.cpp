// Filtering and multi-objective ranking of listings.
#include "sim/cases/airbnb/ranking.hpp"

#include <algorithm>

namespace hexwire::sim::cases::airbnb {

bool matches(const Listing& l, const SearchRequest& r) noexcept {
  if (!r.area.contains(l.position) || l.price < r.price_lo || l.price > r.price_hi ||
      (l.amenities & r.amenities) != r.amenities || r.checkin + r.nights > kCalendarDays) {
    return false;
  }
  for (std::uint32_t d = r.checkin; d < r.checkin + r.nights; ++d) {
    if (!l.available[d]) {
      return false;
    }
  }
  return true;
}

Objectives objectives_of(const Listing& l, const Vec& embedding, const SearchRequest& r) noexcept {
  Objectives o;
  o.relevance = (1.0 + dot(r.profile, embedding)) / 2.0;
  const double span = r.price_hi - r.price_lo;
  o.price = span > 0 ? std::clamp(1.0 - (l.price - r.price_lo) / span, 0.0, 1.0) : 1.0;
  o.quality = std::clamp((l.quality - 3.5) / 1.5, 0.0, 1.0);
  return o;
}

bool dominates(const Objectives& a, const Objectives& b) noexcept {
  return a.relevance >= b.relevance && a.price >= b.price && a.quality >= b.quality &&
         (a.relevance > b.relevance || a.price > b.price || a.quality > b.quality);
}

void rank(std::span<const Listing> listings, std::span<const ListingId> candidates,
          const SearchRequest& request, const Weights& w, std::size_t k, SearchResult& result,
          EmbeddingOf embedding, const void* context) {
  result.ranked.clear();
  result.candidates = candidates.size();
  for (const ListingId id : candidates) {
    const Listing& l = listings[id];
    if (!matches(l, request)) {
      continue;
    }
    const Vec& e = embedding == nullptr ? l.embedding : embedding(l, context);
    const Objectives o = objectives_of(l, e, request);
    result.ranked.push_back(
        Ranked{id, w.relevance * o.relevance + w.price * o.price + w.quality * o.quality, o});
  }
  result.shown = std::min(k, result.ranked.size());
  std::partial_sort(result.ranked.begin(), result.ranked.begin() + static_cast<std::ptrdiff_t>(result.shown),
                    result.ranked.end(), [](const Ranked& a, const Ranked& b) {
                      return a.score > b.score || (a.score == b.score && a.id < b.id);
                    });
}

std::size_t dominance_violations(const SearchResult& result) {
  std::size_t violations = 0;
  for (std::size_t i = 0; i < result.shown; ++i) {
    for (std::size_t j = i + 1; j < result.ranked.size(); ++j) {
      violations += dominates(result.ranked[j].objectives, result.ranked[i].objectives) ? 1 : 0;
    }
  }
  return violations;
}

void search(const ListingIndex& index, std::span<const Listing> listings,
            const SearchRequest& request, const Weights& weights, std::size_t k,
            std::vector<ListingId>& candidates, SearchResult& result) {
  candidates.clear();
  index.in_area(request.area, candidates);
  rank(listings, candidates, request, weights, k, result);
}

void search_by_scan(std::span<const Listing> listings, const SearchRequest& request,
                    const Weights& weights, std::size_t k, std::vector<ListingId>& candidates,
                    SearchResult& result) {
  candidates.resize(listings.size());
  for (ListingId id = 0; id < listings.size(); ++id) {
    candidates[id] = id;
  }
  rank(listings, candidates, request, weights, k, result);
}

}  // namespace hexwire::sim::cases::airbnb
