// hexwire-sim --processes N: one process may hold only as many sockets as its file limit (20,000
// here), so a population larger than that is split over child processes. The parent starts N
// children of this program with the same command line plus internal flags (--slice K --slices N
// --sample-fd 3 --start-at-ns T, and --threads), so that every child opens its share of the
// connections on one shared timeline; it merges their per-second samples (full histograms, not
// percentiles) into one progress stream and one report, as the threads of one process merge.
#pragma once

#include <cstdio>

#include "sim/options.hpp"

namespace hexwire::sim {

/// Runs `options` (processes > 1, a --url target) over child processes; the same outputs and exit
/// status as run_simulation. A child that fails is named with the end of its log.
int run_processes(const SimOptions& options, std::FILE* progress, std::FILE* out);

}  // namespace hexwire::sim
