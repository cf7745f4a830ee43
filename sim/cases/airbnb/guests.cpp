// Guests: preferences, the requests they make, and the ground-truth click model.
#include "sim/cases/airbnb/guests.hpp"

#include <cmath>

namespace hexwire::sim::cases::airbnb {
namespace {

constexpr double kKmPerRadian = 6371.0088;

Vec perturbed(const Vec& base, double noise, Rng& rng) {
  Vec v = base;
  const Vec direction = random_unit(rng);
  for (std::size_t i = 0; i < kDims; ++i) {
    v[i] += static_cast<float>(noise * direction[i]);
  }
  normalise(v);
  return v;
}

}  // namespace

Guest draw_guest(const City& city, Rng& rng, double preference_noise, double profile_noise) {
  Guest g;
  g.liked = static_cast<ListingId>(rng.below(city.listings.size()));
  g.preference = perturbed(city.listings[g.liked].truth, preference_noise, rng);
  g.profile = perturbed(g.preference, profile_noise, rng);
  return g;
}

SearchRequest draw_request(const City& city, const Guest& guest, Rng& rng) {
  const Listing& liked = city.listings[guest.liked];
  const double lat_per_km = 1.0 / kKmPerRadian;
  const double lng_per_km = lat_per_km / std::cos(liked.position.lat);
  const double half_km = rng.uniform(0.5, 1.25);
  const double lat = liked.position.lat + rng.uniform(-0.5, 0.5) * lat_per_km;
  const double lng = liked.position.lng + rng.uniform(-0.5, 0.5) * lng_per_km;
  SearchRequest r;
  r.area = {lat - half_km * lat_per_km, lat + half_km * lat_per_km, lng - half_km * lng_per_km,
            lng + half_km * lng_per_km};
  r.nights = static_cast<std::uint32_t>(2 + rng.below(6));
  r.checkin = static_cast<std::uint32_t>(rng.below(90));
  r.price_lo = std::floor(liked.price * 0.5);
  r.price_hi = std::ceil(liked.price * 2.0);
  const double u = rng.uniform01();
  r.amenities = u < 0.2 ? 0x1 : u < 0.3 ? 0x2 : 0;
  r.profile = guest.profile;
  return r;
}

double click_probability(const Listing& listing, const Guest& guest, std::size_t position) noexcept {
  const double affinity = dot(guest.preference, listing.truth);
  const double attractive = 1.0 / (1.0 + std::exp(-(-3.0 + 6.0 * affinity)));
  return attractive / std::log2(static_cast<double>(position) + 2.0);
}

}  // namespace hexwire::sim::cases::airbnb
