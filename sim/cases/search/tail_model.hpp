// The model behind `search tail`: a root scatters each query to every shard of the index (two
// replicas each) and gathers their top 10; a shard runs the real BM25 search and answers after the
// search's measured time, plus --slow-ms with probability --slow-p; with hedging, the root sends a
// backup to the other replica of a shard that has not answered in time. Written against the
// Transport, so it runs on the virtual network or, live, through an engine.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/histogram.hpp"
#include "sim/cases/message.hpp"
#include "sim/cases/network.hpp"
#include "sim/cases/search/inverted_index.hpp"

namespace hexwire::sim::cases::search {

struct Hedge {
  enum class Kind : std::uint8_t { kOff, kPercentile, kDelay } kind = Kind::kOff;
  double percentile = 95;
  SimTime delay = 0;
};

/// "off", "pNN" (0 < NN < 100) or a delay ("10ms"; a plain number is milliseconds); nullopt else.
std::optional<Hedge> parse_hedge(std::string_view text);

struct TailConfig {
  std::uint32_t shards = 100;
  double slow_p = 0.01;
  SimTime slow = kSecond;
  std::uint32_t queries = 4000;
  double rate = 200;
  std::uint32_t query_terms = 2;
  Hedge hedge;
  std::uint64_t seed = 1;
};

/// The index and the query stream, shared by the runs of one invocation.
struct Workload {
  Corpus corpus;
  ShardedIndex index;
  ShardIndex whole;  // the same corpus unsharded: the reference the merge must reproduce
  std::vector<std::vector<TermId>> queries;

  Workload(const CorpusConfig& corpus_config, const TailConfig& cfg, Rng rng);
};

struct RunResult {
  core::Histogram latency;       // per query, ns
  core::Histogram search_ns;     // wall time of each real shard search
  std::uint64_t completed = 0;
  std::uint64_t slowed = 0;      // a slow answer was among those the query used
  std::uint64_t primaries = 0;
  std::uint64_t backups = 0;
  std::uint64_t checked = 0;
  std::uint64_t matched = 0;     // merged top 10 identical to the unsharded top 10
  std::uint64_t postings = 0;
  SimTime last_threshold = 0;
};
class TailModel final : public NodeEvents {
 public:
  TailModel(const TailConfig& cfg, const Workload& work, Network& net, bool hedged, bool live);

  void start(Rng arrivals) {
    arrivals_ = arrivals;
    schedule_next(0);
  }
  [[nodiscard]] bool done() const noexcept { return result_.completed == cfg_.queries; }
  [[nodiscard]] const RunResult& result() const noexcept { return result_; }
  void on_message(NodeId to, NodeId from, std::string_view body) override;

 private:
  struct Pending {
    std::uint32_t remaining = 0;
    bool slowed = false;
    std::vector<std::uint8_t> answered;
    std::vector<TimerId> backups;  // 0: none set
    std::vector<Hit> top;
  };

  [[nodiscard]] NodeId replica(std::uint32_t shard, std::uint32_t r) const noexcept {
    return 1 + shard * 2 + r;
  }
  void schedule_next(std::uint32_t qid);
  void issue(std::uint32_t qid);
  void send_request(std::uint32_t qid, std::uint32_t shard, std::uint32_t attempt);
  void send_backup(std::uint32_t qid, std::uint32_t shard);

  /// The delay after which a shard that has not answered gets a backup request, if hedging.
  [[nodiscard]] std::optional<SimTime> hedge_delay();

  /// Slowness is a function of (query, shard, attempt) and the seed, so runs with and without
  /// hedging see the same slow primaries, and a backup is slowed independently.
  [[nodiscard]] bool slow_draw(std::uint64_t qid, std::uint64_t shard, std::uint64_t attempt) const noexcept;
  void serve(NodeId to, NodeId from, MessageReader& in);
  void receive(MessageReader& in);
  void complete(std::uint32_t qid, const Pending& p);

  const TailConfig& cfg_;
  const Workload& work_;
  Network& net_;
  bool hedged_;
  bool live_;
  NodeId root_ = 0;
  Rng arrivals_{0};
  std::vector<SimTime> starts_;
  std::unordered_map<std::uint32_t, Pending> pending_;
  core::Histogram primary_latency_;
  RunResult result_;
  SearchScratch scratch_;
  std::vector<TermId> query_;
  std::vector<Hit> hits_;
};

}  // namespace hexwire::sim::cases::search
