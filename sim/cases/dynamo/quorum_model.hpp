// The Dynamo replication model (SOSP'07 §4.3-4.7) behind `dynamo quorum` and `dynamo
// coordination`: storage nodes on a HashRing, each key on the first N nodes of its preference
// list; reads wait for R replies and writes for W acks (a sloppy quorum: a node believed down is
// replaced by the next healthy one, which keeps the write as a hint and hands it off later); read
// repair; vector clocks truncated at a limit; closed-loop clients doing read-modify-write with
// client-side merge. Written against Transport only, so it runs virtual or live. The harness part
// keeps the ground truth (which versions each write really merged) to count lost writes.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/histogram.hpp"
#include "sim/cases/dynamo/ring.hpp"
#include "sim/cases/dynamo/versions.hpp"
#include "sim/cases/latency.hpp"
#include "sim/cases/network.hpp"
#include "sim/cases/rng_streams.hpp"
#include "sim/cases/stats.hpp"

namespace hexwire::sim::cases::dynamo {

enum class Coordination : std::uint8_t {
  kClient,  // the client knows the ring and sends to a node of the key's top N
  kServer,  // the client sends to a load balancer, which picks any node; it forwards if needed
};

struct QuorumConfig {
  std::uint32_t nodes = 8;
  std::uint32_t vnodes = 16;
  std::uint32_t n = 3;
  std::uint32_t r = 2;
  std::uint32_t w = 2;
  std::uint32_t clients = 50;
  std::uint32_t keys = 10'000;
  SimTime think = 10 * kMillisecond;   // mean, exponential: between a read and its write
  SimTime pause = 200 * kMillisecond;  // mean, exponential: between a client's operations
  SimTime duration = 300 * kSecond;    // clients start operations until then
  SimTime drain = 30 * kSecond;        // then handoffs and repairs finish
  SimTime replica_timeout = 50 * kMillisecond;  // coordinator: replica replies due by then
  SimTime client_timeout = 500 * kMillisecond;  // client: the coordinator's answer due by then
  SimTime down_for = 2 * kSecond;               // a node that timed out is skipped this long
  SimTime handoff_every = kSecond;
  LatencyDistribution service = LatencyDistribution::exponential(100 * kMicrosecond);
  ClockMode clock = ClockMode::kDotted;
  std::uint32_t clock_limit = 10;
  Coordination coordination = Coordination::kClient;
};

struct QuorumStats {
  std::array<std::uint64_t, 4> versions_seen{};  // reads that saw 1, 2, 3, 4+ versions
  std::uint64_t reads_ok = 0;
  std::uint64_t reads_failed = 0;
  std::uint64_t writes_acked = 0;
  std::uint64_t writes_failed = 0;
  std::uint64_t hinted_writes = 0;   // replica writes sent to a stand-in with a hint
  std::uint64_t handoffs = 0;        // hinted keys delivered to their home node
  std::uint64_t read_repairs = 0;    // repair writes sent to stale replicas
  std::uint64_t truncations = 0;     // clock entries dropped by the limit
  std::uint64_t forwards = 0;        // server-driven: requests a node passed to a coordinator
  RunningStats conflict_window_s;    // read served -> write applied, per read-modify-write
  core::Histogram get_latency_ns;
  core::Histogram put_latency_ns;
};

/// At the end: the ground-truth check of acknowledged writes.
struct DurabilityCheck {
  std::uint64_t acknowledged = 0;
  std::uint64_t lost = 0;             // acknowledged, and in no surviving version's history
  std::uint64_t keys_with_siblings = 0;
};

class QuorumModel final : public NodeEvents {
 public:
  /// Adds the nodes (n0.., c0.., and lb in server mode) to `network` and sets itself as its
  /// events. Throws UsageError-worthy std::invalid_argument for an impossible configuration.
  QuorumModel(const QuorumConfig& config, Network& network, const RngStreams& rng);
  ~QuorumModel() override;

  /// Starts the clients and the storage nodes' handoff timers.
  void start();
  [[nodiscard]] const QuorumStats& stats() const noexcept;
  /// Hints still waiting for their home node.
  [[nodiscard]] std::uint64_t pending_hints() const noexcept;
  /// Read-modify-writes completed so far.
  [[nodiscard]] std::uint64_t operations() const noexcept;
  /// Compares every acknowledged write with what the live nodes hold now (call at the end).
  [[nodiscard]] DurabilityCheck check_durability() const;

  // NodeEvents
  void on_message(NodeId to, NodeId from, std::string_view body) override;
  void on_crash(NodeId node, CrashKind kind) override;
  void on_recover(NodeId node) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hexwire::sim::cases::dynamo
