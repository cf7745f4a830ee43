// The Airbnb case's listings: a generated city of neighbourhoods, each listing with a position on
// the project's hex grid (geo/, the res-9 cells dispatch indexes drivers on), a type, a nightly
// price and its price band, a quality score, amenities, a 128-day availability calendar, and two
// vectors: the hidden ground truth `truth` that simulated guests react to, and the `embedding`
// the ranker sees (learned from clicks for a warm listing; set by a cold-start rule for a new
// one). ListingIndex maps cells to listings for map-area search and for the nearest similar
// listings of KDD 2018's cold start.
#pragma once

#include <array>
#include <bitset>
#include <cstdint>
#include <span>
#include <unordered_map>
#include <vector>

#include "geo/hexgrid.hpp"
#include "sim/random.hpp"

namespace hexwire::sim::cases::airbnb {

inline constexpr int kIndexRes = 9;  // the dispatch index resolution (~0.1 km² cells)
inline constexpr std::size_t kDims = 16;
inline constexpr std::size_t kCalendarDays = 128;
using Vec = std::array<float, kDims>;
using ListingId = std::uint32_t;

enum class RoomType : std::uint8_t { kEntireHome, kPrivateRoom, kSharedRoom };
inline constexpr std::size_t kRoomTypes = 3;
inline constexpr std::size_t kPriceBands = 4;  // < $75, < $150, < $300, above

struct Listing {
  ListingId id = 0;
  geo::LatLng position{};  // radians
  geo::CellId cell = 0;    // res kIndexRes
  std::uint32_t neighbourhood = 0;
  RoomType type = RoomType::kEntireHome;
  double price = 0;        // per night, USD
  std::uint8_t price_band = 0;
  double quality = 0;      // review score, 3.5 .. 5
  std::uint8_t amenities = 0;  // bit set: wifi, kitchen, parking, washer, AC, workspace, pets, pool
  std::bitset<kCalendarDays> available;
  bool is_new = false;     // no click history: its embedding comes from a cold-start rule
  Vec truth{};             // what guests react to (unit length)
  Vec embedding{};         // what the ranker knows (unit length)
};

std::uint8_t price_band_of(double price) noexcept;

struct CityConfig {
  std::uint32_t listings = 20'000;
  std::uint32_t neighbourhoods = 12;
  double new_share = 0.1;          // listings without history
  double embedding_noise = 0.35;   // a learned embedding = truth + this much noise per unit
  /// Weights of the ground truth's parts: neighbourhood, room type, price band, the listing itself.
  double w_neighbourhood = 0.6, w_type = 0.45, w_band = 0.45, w_own = 0.5;
  geo::LatLng centre{0.659036, -2.136948};  // San Francisco (37.76, -122.44), radians
  std::uint64_t seed = 1;
};

struct City {
  std::vector<Listing> listings;
  std::vector<geo::LatLng> neighbourhood_centres;
};

/// Throws std::invalid_argument for no listings or neighbourhoods.
City generate_city(const CityConfig& config);

void normalise(Vec& v) noexcept;
[[nodiscard]] double dot(const Vec& a, const Vec& b) noexcept;
[[nodiscard]] Vec random_unit(Rng& rng) noexcept;

/// An axis-aligned map viewport (radians).
struct MapArea {
  double lat_lo = 0, lat_hi = 0, lng_lo = 0, lng_hi = 0;
  [[nodiscard]] bool contains(geo::LatLng p) const noexcept {
    return p.lat >= lat_lo && p.lat <= lat_hi && p.lng >= lng_lo && p.lng <= lng_hi;
  }
};

class ListingIndex {
 public:
  explicit ListingIndex(std::span<const Listing> listings);

  /// Listings inside `area`: the res-9 cells whose centres fall in it plus a ring around them
  /// (cells straddling the edge), then the exact containment test. Appends to `out`, unsorted.
  void in_area(const MapArea& area, std::vector<ListingId>& out) const;
  /// Up to `count` listings other than `of`, not new, of its type and price band, nearest first
  /// by distance, searched ring by ring on the grid out to `max_rings`.
  [[nodiscard]] std::vector<ListingId> nearest_similar(const Listing& of, std::size_t count,
                                                       int max_rings) const;
  [[nodiscard]] std::size_t cell_count() const noexcept { return cells_.size(); }

 private:
  std::span<const Listing> listings_;
  std::unordered_map<geo::CellId, std::vector<ListingId>> cells_;
};

}  // namespace hexwire::sim::cases::airbnb
