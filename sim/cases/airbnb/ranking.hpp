// Airbnb search: a guest's request (map area, dates, price range, amenities) filters the listings,
// and the matching ones are ranked by a weighted sum of three objectives, each in [0, 1], higher
// better: relevance (the guest's profile against the listing's embedding), price (position in the
// requested range, cheaper is better) and quality (review score). With positive weights no
// listing is ranked above one that beats it on every objective (checked by dominance_violations).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "sim/cases/airbnb/listings.hpp"

namespace hexwire::sim::cases::airbnb {

struct SearchRequest {
  MapArea area;
  std::uint32_t checkin = 0;  // day index into the calendar
  std::uint32_t nights = 1;
  double price_lo = 0;
  double price_hi = 1e9;
  std::uint8_t amenities = 0;  // every bit set here is required
  Vec profile{};               // the guest's preference as the service knows it
};

struct Weights {
  double relevance = 0.5;
  double price = 0.25;
  double quality = 0.25;
};

struct Objectives {
  double relevance = 0;
  double price = 0;
  double quality = 0;
};

struct Ranked {
  ListingId id = 0;
  double score = 0;
  Objectives objectives;
};

/// In the area, free for every night of the stay, in the price range, with the amenities.
[[nodiscard]] bool matches(const Listing& listing, const SearchRequest& request) noexcept;
/// The listing's three objectives for this request, using `embedding` for relevance.
[[nodiscard]] Objectives objectives_of(const Listing& listing, const Vec& embedding,
                                       const SearchRequest& request) noexcept;
/// `a` at least as good on all three and better on one.
[[nodiscard]] bool dominates(const Objectives& a, const Objectives& b) noexcept;

/// Embedding of each listing the ranker uses (lets cold-start variants swap new listings').
using EmbeddingOf = const Vec& (*)(const Listing&, const void* context);

struct SearchResult {
  std::vector<Ranked> ranked;  // every match, the first min(k, size) in rank order
  std::size_t shown = 0;       // min(k, matches)
  std::size_t candidates = 0;  // listings looked at before filtering
};

/// Filters `candidates` and ranks the matches; the top `k` end up first, in order (score, then id).
void rank(std::span<const Listing> listings, std::span<const ListingId> candidates,
          const SearchRequest& request, const Weights& weights, std::size_t k,
          SearchResult& result, EmbeddingOf embedding = nullptr, const void* context = nullptr);

/// Pairs (shown listing, other match) where the other match dominates the shown one but is ranked
/// below it: always 0 for a correct weighted-sum ranking with positive weights.
[[nodiscard]] std::size_t dominance_violations(const SearchResult& result);

/// Search through the cell index: area -> candidates -> rank.
void search(const ListingIndex& index, std::span<const Listing> listings,
            const SearchRequest& request, const Weights& weights, std::size_t k,
            std::vector<ListingId>& candidates, SearchResult& result);
/// The same by scanning every listing (the reference the index must reproduce).
void search_by_scan(std::span<const Listing> listings, const SearchRequest& request,
                    const Weights& weights, std::size_t k, std::vector<ListingId>& candidates,
                    SearchResult& result);

}  // namespace hexwire::sim::cases::airbnb
