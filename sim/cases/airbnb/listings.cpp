// Generating the city's listings, and the cell index behind map search and cold start.
#include "sim/cases/airbnb/listings.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace hexwire::sim::cases::airbnb {
namespace {

constexpr double kKmPerRadian = 6371.0088;
constexpr double kTypeShare[kRoomTypes] = {0.60, 0.35, 0.05};
constexpr double kTypePrice[kRoomTypes] = {1.0, 0.55, 0.30};
constexpr double kAmenityShare[8] = {0.95, 0.80, 0.35, 0.55, 0.25, 0.50, 0.20, 0.05};

RoomType draw_type(Rng& rng) noexcept {
  const double u = rng.uniform01();
  if (u < kTypeShare[0]) {
    return RoomType::kEntireHome;
  }
  return u < kTypeShare[0] + kTypeShare[1] ? RoomType::kPrivateRoom : RoomType::kSharedRoom;
}

/// Alternating booked and free runs: booked stays of 2-7 nights, free gaps of 1-5, so that about
/// `occupancy` of the days are booked.
std::bitset<kCalendarDays> draw_calendar(Rng& rng, double occupancy) {
  std::bitset<kCalendarDays> free;
  std::size_t day = 0;
  while (day < kCalendarDays) {
    const bool booked = rng.chance(occupancy);
    const std::size_t run = booked ? 2 + rng.below(6) : 1 + rng.below(5);
    for (std::size_t d = day; d < std::min(day + run, kCalendarDays); ++d) {
      free[d] = !booked;
    }
    day += run;
  }
  return free;
}

Vec mix(const CityConfig& c, const Vec& n, const Vec& t, const Vec& b, const Vec& own) {
  Vec v{};
  for (std::size_t i = 0; i < kDims; ++i) {
    v[i] = static_cast<float>(c.w_neighbourhood * n[i] + c.w_type * t[i] + c.w_band * b[i] +
                              c.w_own * own[i]);
  }
  normalise(v);
  return v;
}

Vec noisy(const Vec& truth, double noise, Rng& rng) {
  Vec v = truth;
  for (float& x : v) {
    x += static_cast<float>(rng.normal() * noise / std::sqrt(static_cast<double>(kDims)));
  }
  normalise(v);
  return v;
}

}  // namespace

std::uint8_t price_band_of(double price) noexcept {
  return price < 75 ? 0 : price < 150 ? 1 : price < 300 ? 2 : 3;
}

void normalise(Vec& v) noexcept {
  double sum = 0;
  for (const float x : v) {
    sum += static_cast<double>(x) * x;
  }
  const double norm = std::sqrt(sum);
  if (norm > 0) {
    for (float& x : v) {
      x = static_cast<float>(x / norm);
    }
  }
}

double dot(const Vec& a, const Vec& b) noexcept {
  double sum = 0;
  for (std::size_t i = 0; i < kDims; ++i) {
    sum += static_cast<double>(a[i]) * b[i];
  }
  return sum;
}

Vec random_unit(Rng& rng) noexcept {
  Vec v{};
  for (float& x : v) {
    x = static_cast<float>(rng.normal());
  }
  normalise(v);
  return v;
}

City generate_city(const CityConfig& c) {
  if (c.listings == 0 || c.neighbourhoods == 0) {
    throw std::invalid_argument("city: need listings and neighbourhoods");
  }
  Rng rng(derive_seed(c.seed, 0x63697479));
  const double lat_per_km = 1.0 / kKmPerRadian;
  const double lng_per_km = lat_per_km / std::cos(c.centre.lat);
  City city;
  std::vector<double> price_level;
  std::vector<Vec> hood_vec;
  for (std::uint32_t n = 0; n < c.neighbourhoods; ++n) {
    city.neighbourhood_centres.push_back({c.centre.lat + rng.uniform(-8, 8) * lat_per_km,
                                          c.centre.lng + rng.uniform(-8, 8) * lng_per_km});
    price_level.push_back(std::exp(0.35 * rng.normal()));
    hood_vec.push_back(random_unit(rng));
  }
  std::array<Vec, kRoomTypes> type_vec{};
  std::array<Vec, kPriceBands> band_vec{};
  for (Vec& v : type_vec) {
    v = random_unit(rng);
  }
  for (Vec& v : band_vec) {
    v = random_unit(rng);
  }
  city.listings.reserve(c.listings);
  for (ListingId id = 0; id < c.listings; ++id) {
    Listing l;
    l.id = id;
    l.neighbourhood = static_cast<std::uint32_t>(rng.below(c.neighbourhoods));
    const geo::LatLng hub = city.neighbourhood_centres[l.neighbourhood];
    l.position = {hub.lat + 1.2 * rng.normal() * lat_per_km, hub.lng + 1.2 * rng.normal() * lng_per_km};
    geo::lat_lng_to_cell(l.position, kIndexRes, &l.cell);
    l.type = draw_type(rng);
    l.price = std::round(160 * price_level[l.neighbourhood] *
                         kTypePrice[static_cast<std::size_t>(l.type)] * std::exp(0.3 * rng.normal()));
    l.price_band = price_band_of(l.price);
    l.quality = 3.5 + 1.5 * std::sqrt(rng.uniform01());
    for (std::size_t a = 0; a < 8; ++a) {
      l.amenities |= static_cast<std::uint8_t>(rng.chance(kAmenityShare[a]) ? 1u << a : 0u);
    }
    l.available = draw_calendar(rng, rng.uniform(0.2, 0.8));
    l.is_new = rng.chance(c.new_share);
    l.truth = mix(c, hood_vec[l.neighbourhood], type_vec[static_cast<std::size_t>(l.type)],
                  band_vec[l.price_band], random_unit(rng));
    l.embedding = noisy(l.truth, c.embedding_noise, rng);
    city.listings.push_back(l);
  }
  return city;
}

ListingIndex::ListingIndex(std::span<const Listing> listings) : listings_(listings) {
  for (const Listing& l : listings) {
    cells_[l.cell].push_back(l.id);
  }
}

void ListingIndex::in_area(const MapArea& area, std::vector<ListingId>& out) const {
  const geo::LatLng corners[4] = {{area.lat_lo, area.lng_lo}, {area.lat_lo, area.lng_hi},
                                  {area.lat_hi, area.lng_hi}, {area.lat_hi, area.lng_lo}};
  std::vector<geo::CellId> inside;
  geo::polygon_to_cells(geo::GeoPolygon{corners, {}}, kIndexRes, &inside);
  geo::CellId centre = 0;
  geo::lat_lng_to_cell({(area.lat_lo + area.lat_hi) / 2, (area.lng_lo + area.lng_hi) / 2}, kIndexRes,
                       &centre);
  inside.push_back(centre);
  // Cells straddling the edge have their centres outside: add the ring around every cell.
  std::vector<geo::CellId> cover;
  cover.reserve(inside.size() * 7);
  geo::CellId disk[7];
  for (const geo::CellId cell : inside) {
    std::fill(std::begin(disk), std::end(disk), 0);
    geo::grid_disk(cell, 1, disk);
    cover.insert(cover.end(), std::begin(disk), std::end(disk));
  }
  std::sort(cover.begin(), cover.end());
  cover.erase(std::unique(cover.begin(), cover.end()), cover.end());
  for (const geo::CellId cell : cover) {
    const auto it = cells_.find(cell);
    if (cell == 0 || it == cells_.end()) {
      continue;
    }
    for (const ListingId id : it->second) {
      if (area.contains(listings_[id].position)) {
        out.push_back(id);
      }
    }
  }
}

std::vector<ListingId> ListingIndex::nearest_similar(const Listing& of, std::size_t count,
                                                     int max_rings) const {
  std::vector<std::pair<double, ListingId>> found;
  std::vector<geo::CellId> ring;
  int last_ring = max_rings;
  for (int k = 0; k <= last_ring; ++k) {
    ring.assign(k == 0 ? 1 : 6 * static_cast<std::size_t>(k), 0);
    if (geo::grid_ring(of.cell, k, ring) != geo::H3Error::kSuccess) {
      break;
    }
    for (const geo::CellId cell : ring) {
      const auto it = cells_.find(cell);
      if (cell == 0 || it == cells_.end()) {
        continue;
      }
      for (const ListingId id : it->second) {
        const Listing& l = listings_[id];
        if (id != of.id && !l.is_new && l.type == of.type && l.price_band == of.price_band) {
          found.emplace_back(geo::great_circle_distance_rads(of.position, l.position), id);
        }
      }
    }
    // A listing one ring further may still be nearer than one in this ring: look once more.
    if (found.size() >= count && last_ring > k + 1) {
      last_ring = k + 1;
    }
  }
  std::sort(found.begin(), found.end());
  std::vector<ListingId> nearest;
  for (std::size_t i = 0; i < std::min(count, found.size()); ++i) {
    nearest.push_back(found[i].second);
  }
  return nearest;
}

}  // namespace hexwire::sim::cases::airbnb
