// The two designs of the Prime Video stream-quality monitor as message-passing models on the
// case-study Transport, counting every billable operation as it happens:
// - DistributedMonitor: a Step Functions-like orchestrator (one workflow per chunk of stream, one
//   state transition per state, admitted through the account's token bucket), a converter Lambda
//   that writes each chunk's frames to S3, and detector Lambdas that read them back.
// - MonolithMonitor: instances that receive their streams' chunks and run conversion and every
//   detector in-process, frames in memory; a fleet sized for the target load.
// docs/cases/primevideo.md#cost.
#pragma once

#include <cstdint>
#include <deque>
#include <set>
#include <utility>
#include <vector>

#include "core/histogram.hpp"
#include "sim/cases/network.hpp"
#include "sim/cases/primevideo/cost_model.hpp"

namespace hexwire::sim::cases::primevideo {

/// What either design did, operation by operation.
struct MonitorCounts {
  std::uint64_t chunks_demanded = 0;   // chunks the streams produced
  std::uint64_t chunks_completed = 0;  // chunks every detector has checked
  std::uint64_t chunks_in_window = 0;  // completed inside the measurement window
  std::uint64_t transitions = 0;
  std::uint64_t s3_puts = 0;
  std::uint64_t s3_gets = 0;
  std::uint64_t lambda_invocations = 0;
  double lambda_gb_s = 0;
  double instance_busy_s = 0;  // monolith: vCPU-seconds of work done
  core::Histogram chunk_latency_ns;  // chunk produced -> every detector done
};

/// Shared by both designs: a source node that emits every stream's chunks in `phases` groups
/// spread over a chunk interval, until the arrival end.
class MonitorModel : public NodeEvents {
 public:
  /// `phases`: the streams are split into this many groups, each producing its chunks together at
  /// its own offset within the chunk interval.
  MonitorModel(const CostConfig& config, Network& net, std::uint32_t phases);
  /// Starts the streams; chunks arrive until `arrivals_end`, completions in
  /// [window_start, arrivals_end) count towards the sustained rate.
  void start(SimTime arrivals_end, SimTime window_start);
  [[nodiscard]] const MonitorCounts& counts() const noexcept { return counts_; }
  /// Chunks produced but not yet completed (waiting or in flight).
  [[nodiscard]] std::uint64_t unfinished() const noexcept {
    return counts_.chunks_demanded - counts_.chunks_completed;
  }
  /// Chunks completed since the previous call: for the series.
  [[nodiscard]] std::uint64_t take_completed_since_last() noexcept;

 protected:
  /// Called by start(), before the first chunk: a design's own timers begin here.
  virtual void on_start() {}
  /// A group of `count` chunks produced at now() by the streams of `phase` (on the source node).
  virtual void on_chunks(std::uint32_t phase, std::uint64_t count) = 0;
  /// Handles "done COUNT PRODUCED_NS" arriving at the source; false for any other message.
  bool on_source_message(NodeId to, std::string_view body);
  void complete(SimTime produced, std::uint64_t count);
  [[nodiscard]] SimTime arrivals_end() const noexcept { return arrivals_end_; }

  const CostConfig& cfg_;
  Network& net_;
  NodeId source_ = kNoNode;
  MonitorCounts counts_;
  std::uint32_t phases_ = 1;

 private:
  void emit(std::uint32_t phase);
  [[nodiscard]] std::uint64_t streams_in_phase(std::uint32_t phase) const noexcept;

  SimTime arrivals_end_ = 0;
  SimTime window_start_ = 0;
  std::uint64_t completed_at_last_take_ = 0;
};

class DistributedMonitor final : public MonitorModel {
 public:
  DistributedMonitor(const CostConfig& config, Network& net);
  void on_message(NodeId to, NodeId from, std::string_view body) override;
  /// Chunks whose workflow has not started (waiting for the transition budget).
  [[nodiscard]] std::uint64_t not_started() const noexcept;

 private:
  enum class Step : std::uint8_t { kConvert, kParallel, kDetect, kAggregate };
  struct Workflow {
    SimTime produced = 0;
    std::uint32_t verdicts = 0;
  };
  struct Ready {
    std::uint64_t workflow;
    Step step;
    std::uint32_t detector;
  };
  struct Batch {
    SimTime produced;
    std::uint64_t count;
  };

  void on_start() override;
  void on_chunks(std::uint32_t phase, std::uint64_t count) override;
  void pump();
  void push_ready(const Ready& ready);
  void transition(const Ready& next);
  void refill();

  NodeId orchestrator_ = kNoNode;
  NodeId converter_ = kNoNode;
  NodeId s3_ = kNoNode;
  std::vector<NodeId> detectors_;
  std::uint64_t frames_per_chunk_ = 0;
  double tokens_ = 0;
  SimTime refilled_at_ = 0;
  std::deque<Batch> waiting_;  // produced chunks whose workflow has not begun
  /// Transitions of running workflows, the oldest workflow first (then its detectors in order), so
  /// admitted work finishes before more is started and completions do not come in waves.
  std::set<std::pair<std::uint64_t, std::uint32_t>> ready_;  // (workflow, step * 256 + detector)
  std::vector<Workflow> workflows_;
};

class MonolithMonitor final : public MonitorModel {
 public:
  MonolithMonitor(const CostConfig& config, Network& net);
  void on_message(NodeId to, NodeId from, std::string_view body) override;
  [[nodiscard]] std::uint64_t instances() const noexcept { return instances_.size(); }

 private:
  struct Instance {
    NodeId node = kNoNode;
    SimTime busy_until = 0;
  };
  void on_chunks(std::uint32_t phase, std::uint64_t count) override;

  std::vector<Instance> instances_;
};

}  // namespace hexwire::sim::cases::primevideo
