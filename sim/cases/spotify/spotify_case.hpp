// The Spotify case study (hexwire-sim spotify ...): home-screen carousel bandits with segments and
// the cascade model, and a feature store read under a deadline with fallbacks.
// docs/cases/spotify.md.
#pragma once

#include "sim/cases/experiment.hpp"

namespace hexwire::sim::cases::spotify {

CaseSpec spotify_case();

ExperimentSpec bandits_experiment();
ExperimentSpec features_experiment();

}  // namespace hexwire::sim::cases::spotify
