// The networked model of `spotify features`: node `client` calls node `recommender` at a Poisson
// rate; the recommender reads the user's features from node `store` and ranks candidate items
// with them (a real dot-product ranker, timed, its time added to the call). With the fallback the
// read has a deadline: when the store is late or down the recommender answers with the user's
// cached (stale) features if they are recent enough, else with default features. Without it the
// call waits for the store, up to the client's timeout. The store can be taken down for a window.
// Messages (sim/cases/message.hpp):
//   client -> recommender  "rec ID USER"
//   recommender -> store   "get ID USER"
//   store -> recommender   "feat ID USER F1..Fd"     (features scaled to 0..2000)
//   recommender -> client  "recs ID SOURCE ITEM..."  (SOURCE 0 fresh, 1 stale, 2 default)
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "sim/cases/latency.hpp"
#include "sim/cases/message.hpp"
#include "sim/cases/network.hpp"
#include "sim/cases/rng_streams.hpp"
#include "sim/cases/stats.hpp"

namespace hexwire::sim::cases::spotify {

struct FeaturesConfig {
  bool fallback = true;
  double rate = 200;  // calls per second
  SimTime duration = 60 * kSecond;
  std::uint32_t users = 5'000;
  LatencyDistribution store_latency = LatencyDistribution::log_normal(4 * kMillisecond, 0.8);
  SimTime deadline = 15 * kMillisecond;
  SimTime max_stale = 30 * kSecond;
  SimTime timeout = kSecond;  // the client gives up
  SimTime outage_start = 20 * kSecond;
  SimTime outage_length = 10 * kSecond;  // 0: the store stays up
  std::uint32_t candidates = 500;
  std::uint32_t top = 10;
  std::uint32_t dims = 16;
};

enum class Source : std::uint8_t { kFresh = 0, kStale = 1, kDefault = 2, kTimedOut = 3 };

/// One finished call as the client saw it.
struct CallRecord {
  SimTime started;
  SimTime latency;
  Source source;
};

class FeaturesModel final : public NodeEvents {
 public:
  FeaturesModel(const FeaturesConfig& config, Network& net, const RngStreams& rng);

  /// Schedules the calls and the outage.
  void start();
  [[nodiscard]] bool done() const noexcept { return started_all_ && waiting_.empty(); }
  [[nodiscard]] const std::vector<CallRecord>& calls() const noexcept { return calls_; }
  /// Wall-clock nanoseconds of the ranker per call (the real computation).
  [[nodiscard]] const RunningStats& rank_ns() const noexcept { return rank_ns_; }
  [[nodiscard]] std::uint64_t store_reads() const noexcept { return store_reads_; }

  void on_message(NodeId to, NodeId from, std::string_view body) override;
  void on_crash(NodeId node, CrashKind kind) override;

 private:
  struct Pending {
    std::uint32_t user;
    TimerId deadline = 0;
  };
  struct Cached {
    std::vector<std::uint16_t> features;
    SimTime fetched = 0;
  };
  struct Waiting {
    SimTime started;
    TimerId timeout = 0;
  };

  void schedule_call(SimTime at);
  void call();
  void client_timeout(std::uint64_t id);
  void on_request(std::uint64_t id, std::uint32_t user);
  void on_store_read(std::uint64_t id, std::uint32_t user);
  void on_features(std::uint64_t id, std::uint32_t user, MessageReader& body);
  void on_deadline(std::uint64_t id);
  void answer(std::uint64_t id, Source source, const std::vector<std::uint16_t>& features);
  void on_answer(std::uint64_t id, Source source);

  FeaturesConfig config_;
  Network& net_;
  Rng arrivals_;
  Rng users_rng_;
  Rng store_rng_;
  NodeId client_ = kNoNode, recommender_ = kNoNode, store_ = kNoNode;
  std::vector<std::uint16_t> user_features_;  // the store's data: users x dims
  std::vector<std::uint16_t> default_features_;
  std::vector<float> items_;  // candidates x dims
  std::vector<double> scores_;
  std::vector<std::uint32_t> best_;
  std::unordered_map<std::uint64_t, Pending> pending_;  // at the recommender
  std::unordered_map<std::uint32_t, Cached> cache_;     // at the recommender
  std::unordered_map<std::uint64_t, Waiting> waiting_;  // at the client
  std::uint64_t next_id_ = 0;
  bool started_all_ = false;
  std::vector<CallRecord> calls_;
  RunningStats rank_ns_;
  std::uint64_t store_reads_ = 0;
};

}  // namespace hexwire::sim::cases::spotify
