// The Spotify case: its experiments in the order hexwire-sim lists them.
#include "sim/cases/spotify/spotify_case.hpp"

namespace hexwire::sim::cases::spotify {

CaseSpec spotify_case() {
  CaseSpec spec;
  spec.name = "spotify";
  spec.summary = "Spotify: carousel bandits (segments, cascade), feature store with a deadline";
  spec.docs = "docs/cases/spotify.md";
  spec.experiments.push_back(bandits_experiment());
  spec.experiments.push_back(features_experiment());
  return spec;
}

}  // namespace hexwire::sim::cases::spotify
