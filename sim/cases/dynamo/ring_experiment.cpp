// dynamo ring: how evenly N nodes with V random tokens each share the keys, and how many keys move
// when a node joins or leaves. The reference is exact for random tokens: a node's share of the
// ring is Dirichlet(V, ..., V), so E[max share] / mean = E[max of N Gamma(V, 1)] / V and the
// coefficient of variation follows from the Beta marginal (derivation: docs/cases/dynamo.md#ring).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "sim/cases/dynamo/dynamo_case.hpp"
#include "sim/cases/dynamo/ring.hpp"
#include "sim/cases/stats.hpp"

namespace hexwire::sim::cases::dynamo {
namespace {

constexpr const char* kSource = "derived: Dirichlet shares (docs/cases/dynamo.md#ring)";

struct RingSettings {
  std::uint32_t nodes;
  std::uint32_t vnodes;
  std::uint32_t trials;
  std::uint32_t keys;
};

struct TrialResult {
  double max_over_mean;
  double cv;              // population coefficient of variation of keys per node
  double moved_on_join;   // share of keys whose owner changed when node N joined
  double moved_on_leave;  // ... when a random existing node left
  double moved_elsewhere; // share of keys that moved between two nodes that neither joined nor left
};

/// Buffers reused across trials (large vectors freed and reallocated every trial cost more in
/// page faults than the trial itself).
struct Scratch {
  HashRing ring;
  std::vector<std::uint32_t> before;
  std::vector<std::uint32_t> after;
};

TrialResult run_trial(const RingSettings& s, const std::vector<std::uint64_t>& keys, Rng& rng,
                      Scratch& scratch) {
  HashRing& ring = scratch.ring;
  ring.reset(s.nodes, s.vnodes, rng);
  std::vector<std::uint32_t>& before = scratch.before;
  std::vector<std::uint32_t>& after = scratch.after;
  ring.owners_of_sorted(keys, before);
  std::vector<double> counts(s.nodes, 0.0);
  for (const std::uint32_t owner : before) {
    counts[owner] += 1.0;
  }
  const double mean = static_cast<double>(keys.size()) / s.nodes;
  double squares = 0.0;
  for (const double c : counts) {
    squares += (c - mean) * (c - mean);
  }
  TrialResult r{};
  r.max_over_mean = *std::max_element(counts.begin(), counts.end()) / mean;
  r.cv = std::sqrt(squares / s.nodes) / mean;

  const std::uint32_t joiner = s.nodes;
  ring.add_node(joiner, s.vnodes, rng);
  ring.owners_of_sorted(keys, after);
  std::size_t moved = 0;
  std::size_t elsewhere = 0;
  for (std::size_t k = 0; k < keys.size(); ++k) {
    moved += before[k] != after[k] ? 1 : 0;
    elsewhere += (before[k] != after[k] && after[k] != joiner) ? 1 : 0;
  }
  r.moved_on_join = static_cast<double>(moved) / static_cast<double>(keys.size());

  ring.remove_node(joiner);
  const auto leaver = static_cast<std::uint32_t>(rng.below(s.nodes));
  ring.remove_node(leaver);
  ring.owners_of_sorted(keys, after);
  moved = 0;
  for (std::size_t k = 0; k < keys.size(); ++k) {
    moved += before[k] != after[k] ? 1 : 0;
    elsewhere += (before[k] != after[k] && before[k] != leaver) ? 1 : 0;
  }
  r.moved_on_leave = static_cast<double>(moved) / static_cast<double>(keys.size());
  r.moved_elsewhere = static_cast<double>(elsewhere) / static_cast<double>(keys.size());
  return r;
}

/// E[cv^2] of keys per node: counts are Binomial(K, X) with X ~ Beta(V, (N-1)V).
double expected_cv_squared(const RingSettings& s) {
  const double n = s.nodes;
  const double k = s.keys;
  const double share_variance = (1.0 / n) * (1.0 - 1.0 / n) / (n * s.vnodes + 1.0);
  const double second_moment = share_variance + 1.0 / (n * n);
  const double count_variance = k * (1.0 / n - second_moment) + k * k * share_variance;
  return count_variance * n * n / (k * k);
}

/// Tolerance: four standard errors of the trial mean, and never below 2% of the reference.
double tolerance(const RunningStats& stats, double reference) {
  return std::max(4.0 * stats.standard_error(), 0.02 * std::fabs(reference));
}

void run_ring(RunContext& ctx) {
  const Params& p = ctx.params();
  const RingSettings s{static_cast<std::uint32_t>(p.integer("nodes")),
                       static_cast<std::uint32_t>(p.integer("vnodes")),
                       static_cast<std::uint32_t>(p.integer("trials")),
                       static_cast<std::uint32_t>(p.integer("keys"))};
  if (static_cast<std::uint64_t>(s.nodes + 1) * s.vnodes > 20'000'000) {
    throw UsageError("--nodes x --vnodes is over 20 million tokens; use fewer");
  }
  ctx.begin({"trials", "max_over_mean", "cv", "moved_on_join", "moved_on_leave"},
            PlotHint{"max/mean keys per node (running mean over trials)", "trials",
                     {"max_over_mean", "cv"}, false});
  Rng key_rng = ctx.rng().stream("ring-keys");
  const std::uint64_t salt = key_rng.next_u64();
  std::vector<std::uint64_t> keys(s.keys);
  for (std::uint32_t k = 0; k < s.keys; ++k) {
    keys[k] = key_hash(k, salt);
  }
  std::sort(keys.begin(), keys.end());

  RunningStats max_over_mean, cv_squared, moved_join, moved_leave, moved_elsewhere;
  const std::uint32_t sample_every = std::max<std::uint32_t>(1, s.trials / 100);
  Scratch scratch;
  for (std::uint32_t t = 0; t < s.trials; ++t) {
    Rng rng = ctx.rng().stream("ring-tokens", t);
    const TrialResult r = run_trial(s, keys, rng, scratch);
    max_over_mean.add(r.max_over_mean);
    cv_squared.add(r.cv * r.cv);
    moved_join.add(r.moved_on_join);
    moved_leave.add(r.moved_on_leave);
    moved_elsewhere.add(r.moved_elsewhere);
    if ((t + 1) % sample_every == 0 || t + 1 == s.trials) {
      ctx.sample({static_cast<double>(t + 1), max_over_mean.mean(), std::sqrt(cv_squared.mean()),
                  moved_join.mean(), moved_leave.mean()});
    }
  }

  const double max_reference = expected_max_gamma(s.nodes, s.vnodes) / s.vnodes;
  const double cv_reference = std::sqrt(expected_cv_squared(s));
  // The cv figure is the root mean square over trials, whose square has an exact expectation;
  // its standard error follows from that of the mean square (delta method).
  const double cv_measured = std::sqrt(cv_squared.mean());
  RunningStats cv_for_tolerance = cv_squared;
  const double cv_tolerance = std::max(
      4.0 * cv_for_tolerance.standard_error() / (2.0 * std::max(cv_measured, 1e-12)),
      0.02 * cv_reference);
  ctx.note(fmt::format("{} nodes x {} tokens, {} keys, {} trials; a key maps to the first token "
                       "clockwise of its hash",
                       s.nodes, s.vnodes, s.keys, s.trials));
  ctx.figure(Figure::within("max_over_mean", max_over_mean.mean(), max_reference,
                            tolerance(max_over_mean, max_reference), kSource));
  ctx.figure(Figure::within("cv", cv_measured, cv_reference, cv_tolerance, kSource));
  const double join_reference = 1.0 / (s.nodes + 1.0);
  const double leave_reference = 1.0 / s.nodes;
  ctx.figure(Figure::within("moved_on_join", moved_join.mean(), join_reference,
                            tolerance(moved_join, join_reference), kSource));
  ctx.figure(Figure::within("moved_on_leave", moved_leave.mean(), leave_reference,
                            tolerance(moved_leave, leave_reference), kSource));
  ctx.figure(Figure::within("moved_elsewhere", moved_elsewhere.mean(), 0.0, 0.0,
                            "consistent hashing: only the joining or leaving node's keys move"));
}

}  // namespace

ExperimentSpec ring_experiment() {
  ExperimentSpec e;
  e.name = "ring";
  e.summary = "keys per node with virtual nodes (max/mean, cv) and keys moved on join/leave";
  e.details =
      "Places --nodes nodes with --vnodes random tokens each on a 64-bit hash ring, hashes --keys "
      "keys onto it, and counts keys per node, over --trials independent rings. max_over_mean is "
      "the busiest node's keys over the mean (averaged over trials), cv the coefficient of "
      "variation (root mean square over trials). Then one node joins (moved_on_join, expected "
      "1/(N+1) of the keys) and one leaves (moved_on_leave, expected 1/N); no other key may move "
      "(moved_elsewhere = 0). References are exact for random tokens: for N=10, V=1 gives "
      "max/mean 2.93 (the harmonic number H_10), V=10 about 1.55, V=100 1.16, V=1000 1.05.";
  e.example = "--nodes 10 --vnodes 100 --trials 1000 --check";
  e.params = {
      ParamSpec::integer("nodes", 10, 2, 10'000, "Physical nodes on the ring"),
      ParamSpec::integer("vnodes", 100, 1, 100'000, "Tokens (virtual nodes) per node"),
      ParamSpec::integer("trials", 1000, 1, 1'000'000, "Independent rings to average over"),
      ParamSpec::integer("keys", 100'000, 100, 10'000'000, "Keys hashed onto each ring"),
  };
  e.run = run_ring;
  return e;
}

}  // namespace hexwire::sim::cases::dynamo
