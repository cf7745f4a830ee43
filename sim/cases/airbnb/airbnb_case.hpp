// The Airbnb case study (hexwire-sim airbnb ...): listings on the project's hex grid, map search
// with dates, price range and multi-objective ranking (in-process and through the engine), and
// the cold start of new listings' embeddings from their nearest similar neighbours (Grbovic and
// Cheng, KDD 2018). docs/cases/airbnb.md.
#pragma once

#include <vector>

#include "sim/cases/airbnb/listings.hpp"
#include "sim/cases/airbnb/ranking.hpp"
#include "sim/cases/experiment.hpp"

namespace hexwire::sim::cases::airbnb {

CaseSpec airbnb_case();

ExperimentSpec search_experiment();
ExperimentSpec coldstart_experiment();

/// The city and ranking knobs both experiments share.
std::vector<ParamSpec> city_params();
CityConfig city_config(const Params& params, std::uint64_t seed);
Weights ranking_weights(const Params& params);

}  // namespace hexwire::sim::cases::airbnb
