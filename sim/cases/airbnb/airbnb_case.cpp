// The Airbnb case: its experiments in the order hexwire-sim lists them, and the shared knobs.
#include "sim/cases/airbnb/airbnb_case.hpp"

namespace hexwire::sim::cases::airbnb {

CaseSpec airbnb_case() {
  CaseSpec spec;
  spec.name = "airbnb";
  spec.summary = "Airbnb: listings on the hex grid, map search with multi-objective ranking, cold start";
  spec.docs = "docs/cases/airbnb.md";
  spec.experiments.push_back(search_experiment());
  spec.experiments.push_back(coldstart_experiment());
  return spec;
}

std::vector<ParamSpec> city_params() {
  return {
      ParamSpec::integer("listings", 20'000, 1, 5'000'000, "Listings in the city"),
      ParamSpec::integer("neighbourhoods", 12, 1, 1000, "Neighbourhoods (listing clusters)"),
      ParamSpec::number("new-share", 0.1, 0, 1, "Share of listings that are new (no click history)"),
      ParamSpec::number("w-relevance", 0.5, 0, 100, "Ranking weight of relevance (profile . embedding)"),
      ParamSpec::number("w-price", 0.25, 0, 100, "Ranking weight of price (cheaper in the range is better)"),
      ParamSpec::number("w-quality", 0.25, 0, 100, "Ranking weight of quality (review score)"),
  };
}

CityConfig city_config(const Params& params, std::uint64_t seed) {
  CityConfig c;
  c.listings = static_cast<std::uint32_t>(params.integer("listings"));
  c.neighbourhoods = static_cast<std::uint32_t>(params.integer("neighbourhoods"));
  c.new_share = params.number("new-share");
  c.seed = seed;
  return c;
}

Weights ranking_weights(const Params& params) {
  const Weights w{params.number("w-relevance"), params.number("w-price"), params.number("w-quality")};
  if (w.relevance + w.price + w.quality <= 0) {
    throw UsageError("at least one of --w-relevance, --w-price, --w-quality must be positive");
  }
  return w;
}

}  // namespace hexwire::sim::cases::airbnb
