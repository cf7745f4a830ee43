// The networked model of `spotify bandits`: node `users` is the app (the simulated population with
// its hidden tastes), and one recommender node per policy variant serves carousels. Every round
// the app draws a batch of visits (the same users for every variant), asks each recommender for
// their carousels in chunks, lets each user browse, and sends the outcomes back; a recommender
// applies a round's feedback when the next round's first request arrives (delayed batch feedback,
// as Deezer's daily updates). Messages (sim/cases/message.hpp):
//   users -> rec   "visits ROUND CHUNK SEGMENT..."        (one segment per visit: all a policy sees)
//   rec -> users   "carousels ROUND CHUNK PLAYLIST..."    (slots per visit, in order)
//   users -> rec   "feedback ROUND CHUNK STREAMED..."     (1-based position streamed, 0 = none)
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "sim/cases/message.hpp"
#include "sim/cases/network.hpp"
#include "sim/cases/rng_streams.hpp"
#include "sim/cases/spotify/carousel_bandit.hpp"
#include "sim/cases/spotify/taste_model.hpp"
#include "sim/cases/stats.hpp"

namespace hexwire::sim::cases::spotify {

struct BanditsConfig {
  TasteConfig taste;
  BanditConfig bandit;  // kind and cascade are set per variant
  std::uint32_t rounds = 100;
  std::uint32_t visits_per_round = 1000;
  std::uint32_t chunk = 50;
  SimTime round_time = kSecond;
};

/// One policy variant as the model runs it: a node name and its settings.
struct Variant {
  std::string name;  // "ts", "ts-nocascade", "random"...
  PolicyKind kind;
  bool cascade;
};

/// The seven variants: random, then epsilon, etc and ts each with and without cascade.
[[nodiscard]] std::vector<Variant> bandit_variants();

/// What the app measured for one variant.
struct VariantTotals {
  std::uint64_t visits = 0;  // carousels shown (answered requests)
  std::uint64_t streams = 0;
  double regret = 0.0;       // sum over visits of optimal minus expected reward
  double reward = 0.0;       // sum of expected rewards
};

class BanditsModel final : public NodeEvents {
 public:
  BanditsModel(const BanditsConfig& config, Network& net, const RngStreams& rng);

  /// Schedules the rounds (round r starts at r * round_time).
  void start();

  [[nodiscard]] const TasteModel& taste() const noexcept { return taste_; }
  [[nodiscard]] const std::vector<Variant>& variants() const noexcept { return variants_; }
  [[nodiscard]] const VariantTotals& totals(std::size_t variant) const noexcept {
    return recs_[variant]->totals;
  }
  /// Wall-clock time the recommender spent per carousel (the policy's real computation).
  [[nodiscard]] const RunningStats& compute_ns(std::size_t variant) const noexcept {
    return recs_[variant]->compute_ns;
  }
  [[nodiscard]] std::uint64_t visits_requested() const noexcept { return visits_requested_; }

  void on_message(NodeId to, NodeId from, std::string_view body) override;
  void on_crash(NodeId node, CrashKind kind) override;

 private:
  struct Served {
    std::vector<std::uint32_t> segments;
    std::vector<std::uint32_t> cards;  // segments.size() * slots
  };
  struct Recommender {
    Variant variant;
    NodeId node = kNoNode;
    CarouselBandit bandit;
    std::map<std::pair<std::uint32_t, std::uint32_t>, Served> served;  // (round, chunk)
    std::uint32_t applied_round = 0;
    RunningStats compute_ns;
    VariantTotals totals;  // kept by the app side
    Recommender(Variant v, const BanditConfig& config, Rng r)
        : variant(std::move(v)), bandit(config, r) {}
  };

  void start_round(std::uint32_t round);
  Recommender* recommender_at(NodeId node) noexcept;
  void serve(Recommender& rec, std::uint32_t round, std::uint32_t chunk, MessageReader& in);
  void learn(Recommender& rec, std::uint32_t round, std::uint32_t chunk, MessageReader& in);
  void browse(Recommender& rec, std::uint32_t round, std::uint32_t chunk, MessageReader& in);
  /// The position the user streams, or -1: it looks at the visible cards, swipes on with
  /// probability `swipe`, and streams the first card it likes. The draws for a (round, visit,
  /// playlist) and (round, visit, position) are the same whichever policy shows the carousel:
  /// common random numbers, so the variants differ only by their choices.
  [[nodiscard]] int streamed_position(std::uint32_t user, std::uint32_t round, std::uint32_t visit,
                                      std::span<const std::uint32_t> cards) const noexcept;

  BanditsConfig config_;
  Network& net_;
  TasteModel taste_;
  Rng visit_rng_;
  std::uint64_t stream_seed_;
  std::uint64_t swipe_seed_;
  std::vector<Variant> variants_;
  NodeId users_ = kNoNode;
  std::vector<std::unique_ptr<Recommender>> recs_;
  std::map<std::uint32_t, std::vector<std::uint32_t>> batches_;  // round -> users visiting
  std::uint64_t visits_requested_ = 0;
};

}  // namespace hexwire::sim::cases::spotify
