// airbnb coldstart: a new listing has no click history, so no learned embedding. Grbovic and Cheng
// (KDD 2018, "Real-time Personalization using Embeddings for Search Ranking at Airbnb") give it
// the mean of the embeddings of the 3 geographically nearest listings of the same type and price
// band. Simulated guests with a hidden preference search, the ranker shows 10 listings, and the
// guests click by a ground-truth model; the same sessions and click draws are replayed with new
// listings ranked by (a) their learned embedding, as if warm, (b) the mean of 3 similar
// neighbours, (c) a random vector. Not networked: a computation. docs/cases/airbnb.md#coldstart.
#include <fmt/format.h>

#include <cmath>

#include "sim/cases/airbnb/airbnb_case.hpp"
#include "sim/cases/airbnb/guests.hpp"

namespace hexwire::sim::cases::airbnb {
namespace {

constexpr const char* kKdd =
    "Grbovic & Cheng (KDD 2018): a new listing's embedding from the mean of 3 nearby similar "
    "listings stands in for the learned one";
constexpr std::size_t kShown = 10;
constexpr std::size_t kNeighbours = 3;

/// The embedding each arm ranks a new listing by (warm listings always use their own).
struct Arm {
  const char* name;
  std::vector<Vec> new_embedding;  // by listing id; used for new listings only
  std::uint64_t impressions = 0;   // of new listings
  std::uint64_t clicks = 0;
  std::uint64_t all_clicks = 0;

  [[nodiscard]] double ctr() const noexcept {
    return impressions == 0 ? 0.0 : static_cast<double>(clicks) / impressions;
  }
};

const Vec& arm_embedding(const Listing& l, const void* context) {
  const Arm& arm = *static_cast<const Arm*>(context);
  return l.is_new ? arm.new_embedding[l.id] : l.embedding;
}

struct ColdStart {
  std::uint64_t new_listings = 0;
  std::uint64_t covered = 0;  // found all 3 similar neighbours
  double cosine_to_learned = 0;
};

/// Fills the three arms' embeddings for every new listing.
ColdStart prepare_arms(const City& city, const ListingIndex& index, int max_rings, Rng& rng,
                       Arm& warm, Arm& mean3, Arm& random) {
  ColdStart c;
  for (Arm* arm : {&warm, &mean3, &random}) {
    arm->new_embedding.assign(city.listings.size(), Vec{});
  }
  for (const Listing& l : city.listings) {
    if (!l.is_new) {
      continue;
    }
    ++c.new_listings;
    warm.new_embedding[l.id] = l.embedding;  // what it learns once it has history
    random.new_embedding[l.id] = random_unit(rng);
    const std::vector<ListingId> near = index.nearest_similar(l, kNeighbours, max_rings);
    c.covered += near.size() == kNeighbours ? 1 : 0;
    Vec mean{};
    for (const ListingId id : near) {
      for (std::size_t i = 0; i < kDims; ++i) {
        mean[i] += city.listings[id].embedding[i];
      }
    }
    normalise(mean);
    mean3.new_embedding[l.id] = near.empty() ? random.new_embedding[l.id] : mean;
    c.cosine_to_learned += dot(mean3.new_embedding[l.id], l.embedding);
  }
  c.cosine_to_learned /= static_cast<double>(std::max<std::uint64_t>(c.new_listings, 1));
  return c;
}

/// One session: the guest searches once; each arm ranks and shows 10; clicks use the same draw
/// per (session, listing) in every arm.
void run_session(const City& city, const ListingIndex& index, const Weights& weights,
                 std::uint64_t seed, std::uint64_t session, Rng& rng, std::vector<ListingId>& candidates,
                 SearchResult& result, std::span<Arm* const> arms) {
  const Guest guest = draw_guest(city, rng);
  const SearchRequest request = draw_request(city, guest, rng);
  candidates.clear();
  index.in_area(request.area, candidates);
  for (Arm* arm : arms) {
    rank(city.listings, candidates, request, weights, kShown, result, arm_embedding, arm);
    for (std::size_t pos = 0; pos < result.shown; ++pos) {
      const Listing& l = city.listings[result.ranked[pos].id];
      const std::uint64_t h = derive_seed(seed ^ 0x636c6963, (session << 24) ^ l.id);
      const bool click = static_cast<double>(h >> 11) * 0x1.0p-53 < click_probability(l, guest, pos);
      arm->all_clicks += click ? 1 : 0;
      if (l.is_new) {
        ++arm->impressions;
        arm->clicks += click ? 1 : 0;
      }
    }
  }
}

void run_coldstart(RunContext& ctx) {
  const CityConfig city_cfg = city_config(ctx.params(), ctx.rng().seed());
  if (city_cfg.new_share <= 0 || city_cfg.new_share >= 1) {
    throw UsageError("--new-share must be strictly between 0 and 1 for coldstart");
  }
  const Weights weights = ranking_weights(ctx.params());
  const auto sessions = static_cast<std::uint64_t>(ctx.params().integer("sessions"));
  const int max_rings = static_cast<int>(ctx.params().integer("max-rings"));
  const City city = generate_city(city_cfg);
  const ListingIndex index(city.listings);
  Arm warm{"warm", {}}, mean3{"mean of 3", {}}, random{"random", {}};
  Rng start_rng = ctx.rng().stream("random-start");
  const ColdStart cold = prepare_arms(city, index, max_rings, start_rng, warm, mean3, random);
  ctx.note(fmt::format("{} listings, {} new; {} of the new found 3 listings of their type and "
                       "price band within {} rings (~{:.1f} km); mean cosine of the cold-start "
                       "embedding to the learned one {:.3f}",
                       city.listings.size(), cold.new_listings, cold.covered, max_rings,
                       max_rings * 0.3, cold.cosine_to_learned));
  ctx.begin({"sessions", "ctr_new_warm", "ctr_new_mean3", "ctr_new_random"},
            PlotHint{"click-through rate of new listings by how their embedding starts", "sessions",
                     {"ctr_new_warm", "ctr_new_mean3", "ctr_new_random"}, false});
  Arm* const arms[] = {&warm, &mean3, &random};
  Rng rng = ctx.rng().stream("sessions");
  std::vector<ListingId> candidates;
  SearchResult result;
  const std::uint64_t step = std::max<std::uint64_t>(sessions / 50, 1);
  for (std::uint64_t s = 0; s < sessions; ++s) {
    run_session(city, index, weights, ctx.rng().seed(), s, rng, candidates, result, arms);
    if ((s + 1) % step == 0 || s + 1 == sessions) {
      ctx.sample({static_cast<double>(s + 1), warm.ctr(), mean3.ctr(), random.ctr()});
    }
  }
  const double gap = warm.ctr() - random.ctr();
  const double recovered = gap > 0 ? (mean3.ctr() - random.ctr()) / gap : 0.0;
  const double sigma = std::sqrt(warm.ctr() * (1 - warm.ctr()) /
                                 static_cast<double>(std::max<std::uint64_t>(mean3.impressions, 1)));
  for (const Arm* arm : arms) {
    ctx.note(fmt::format("{}: {} impressions of new listings, {} clicks (CTR {:.4f}); {} clicks on "
                         "all listings",
                         arm->name, arm->impressions, arm->clicks, arm->ctr(), arm->all_clicks));
  }
  ctx.figure(Figure::info("ctr_new_warm", warm.ctr()));
  ctx.figure(Figure::at_least("ctr_new_mean3_over_random", mean3.ctr() - random.ctr(), 3 * sigma,
                              "KDD 2018: the neighbour start beats an uninformed one"));
  ctx.figure(Figure::info("ctr_new_mean3", mean3.ctr()));
  ctx.figure(Figure::info("ctr_new_random", random.ctr()));
  ctx.figure(Figure::info("mean3_over_warm", warm.ctr() > 0 ? mean3.ctr() / warm.ctr() : 0.0));
  ctx.figure(Figure::at_least("warm_gap_recovered", recovered, 0.5, kKdd));
  ctx.figure(Figure::at_least("new_with_3_neighbours",
                              static_cast<double>(cold.covered) /
                                  std::max<std::uint64_t>(cold.new_listings, 1),
                              0.98, "KDD 2018: the rule covers more than 98% of new listings"));
  ctx.figure(Figure::info("cold_start_cosine_to_learned", cold.cosine_to_learned));
}

}  // namespace

ExperimentSpec coldstart_experiment() {
  ExperimentSpec e;
  e.name = "coldstart";
  e.summary = "new listings: embedding = mean of the 3 nearest similar listings (KDD 2018) vs random vs warm";
  e.details =
      "Every listing has a hidden ground-truth vector (its neighbourhood, room type, price band and "
      "its own character) and a learned embedding (the truth seen through noise). A new listing "
      "(--new-share of them) has none learned: KDD 2018 starts it at the mean of the embeddings of "
      "the 3 nearest listings of the same type and price band (searched ring by ring on the res-9 "
      "grid, up to --max-rings). Each of --sessions guests (hidden preference near a listing they "
      "like; a noisy profile known to the service) searches once; the ranker shows 10; the guest "
      "clicks with probability sigmoid(-3 + 6 preference . truth) / log2(position + 2). The same "
      "sessions and click draws are ranked three ways, with new listings at their learned "
      "embedding (warm), the mean of 3, or a random vector. The mean of 3 must recover at least "
      "half of the CTR gap between random and warm.";
  e.example = "--sessions 10000 --check";
  e.params = city_params();
  const std::vector<ParamSpec> own = {
      ParamSpec::integer("sessions", 10'000, 1, 100'000'000, "Guest sessions (one search each)"),
      ParamSpec::integer("max-rings", 10, 0, 32, "Grid rings searched for similar listings (~0.3 km apart at res 9)"),
  };
  e.params.insert(e.params.end(), own.begin(), own.end());
  e.run = run_coldstart;
  return e;
}

}  // namespace hexwire::sim::cases::airbnb
