// Simulated guests of the Airbnb case: each has a hidden preference (a unit vector near the ground
// truth of a listing it likes), a profile the service knows (the preference seen through noise, as
// a session's clicked-listing embeddings give it), and searches near the listing it likes. Their
// clicks follow a ground-truth model: position bias 1/log2(position + 2) times
// sigmoid(-3 + 6 * preference . truth).
#pragma once

#include <cstddef>

#include "sim/cases/airbnb/listings.hpp"
#include "sim/cases/airbnb/ranking.hpp"

namespace hexwire::sim::cases::airbnb {

struct Guest {
  ListingId liked = 0;
  Vec preference{};
  Vec profile{};
};

/// `preference_noise`, `profile_noise`: length of the noise added before normalising.
Guest draw_guest(const City& city, Rng& rng, double preference_noise = 0.5,
                 double profile_noise = 0.35);
/// A 1-2.5 km viewport around the liked listing, a stay of 2-7 nights in the next 90 days, a price
/// range of 0.5-2x the liked listing's price, sometimes a required amenity (wifi or kitchen).
SearchRequest draw_request(const City& city, const Guest& guest, Rng& rng);
/// Ground truth: the chance the guest clicks `listing` shown at `position` (0 = top).
[[nodiscard]] double click_probability(const Listing& listing, const Guest& guest,
                                       std::size_t position) noexcept;

}  // namespace hexwire::sim::cases::airbnb
