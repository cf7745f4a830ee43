// The driver's side of a Transport: building the nodes, running, stopping, and the fault state
// (crashed nodes, partitions, slow nodes) that both the virtual and the live network enforce the
// same way. A model sees only Transport and NodeEvents; the experiment code that sets the model up
// sees Network.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/cases/faults.hpp"
#include "sim/cases/transport.hpp"

namespace hexwire::sim::cases {

/// Message counts, for reports.
struct NetworkCounters {
  std::uint64_t sent = 0;
  std::uint64_t delivered = 0;
  std::uint64_t dropped_crashed = 0;      // sender or receiver was down
  std::uint64_t dropped_partitioned = 0;  // the two were on different sides of a partition
  std::uint64_t dropped_link = 0;         // live: the engine refused or lost it
};

class Network : public Transport {
 public:
  /// Adds a node; names are unique and made of [A-Za-z0-9_-] (they appear in --fail and, live,
  /// in channel names). Only before the first run_until().
  NodeId add_node(std::string name);
  [[nodiscard]] std::size_t node_count() const noexcept { return nodes_.size(); }
  [[nodiscard]] const std::string& node_name(NodeId node) const { return nodes_[node].name; }
  [[nodiscard]] std::optional<NodeId> find_node(std::string_view name) const noexcept;
  /// Where messages and crash/recover notices go. Must be set before the first run_until().
  void set_events(NodeEvents& events) noexcept { events_ = &events; }

  /// Called once all nodes are added (by RunContext::open_network): live mode connects them here.
  virtual void open() {}
  /// Runs the model until time `until` (virtual: as fast as the events execute; live: in real
  /// time), or until stop(). Returns false when the run cannot go on (live: the engine is gone).
  virtual bool run_until(SimTime until) = 0;
  /// Makes run_until() return soon (after the running event).
  virtual void stop() noexcept = 0;
  /// "virtual" or "live".
  [[nodiscard]] virtual std::string_view mode() const noexcept = 0;

  // ---- faults (usually scheduled through schedule_faults) ----
  void crash(NodeId node, CrashKind kind);
  void recover(NodeId node);
  /// Nodes in different groups cannot reach each other; nodes in no group join the first one.
  void partition(const std::vector<std::vector<NodeId>>& groups);
  void heal() noexcept;
  /// Messages to or from `node` take `factor` times as long (1 = normal).
  void slow(NodeId node, double factor) noexcept;

  [[nodiscard]] bool is_up(NodeId node) const noexcept { return nodes_[node].up; }
  /// Both up and on the same side of any partition.
  [[nodiscard]] bool reachable(NodeId from, NodeId to) const noexcept;
  [[nodiscard]] double slow_factor(NodeId from, NodeId to) const noexcept;
  [[nodiscard]] const NetworkCounters& counters() const noexcept { return counters_; }

  /// Binds `plan` to this network's node names and schedules each fault (and its end) as a
  /// kNoNode timer. Returns an error text naming the unknown node and listing the known ones,
  /// or an empty string.
  std::string schedule_faults(const std::vector<FaultSpec>& plan);

 protected:
  struct NodeState {
    std::string name;
    bool up = true;
    std::uint32_t epoch = 0;  // incremented by every crash: timers set before it are void
    std::uint32_t group = 0;
    double slow = 1.0;
  };
  [[nodiscard]] NodeEvents& events() noexcept { return *events_; }
  [[nodiscard]] std::uint32_t epoch(NodeId node) const noexcept { return nodes_[node].epoch; }
  /// For node timers: true when `node` is kNoNode, or up and not crashed since `epoch`.
  [[nodiscard]] bool timer_still_valid(NodeId node, std::uint32_t epoch) const noexcept;
  /// `task` as a timer of `node`: it does nothing if the node crashed after now (the contract of
  /// Transport::after). kNoNode timers are returned unchanged.
  [[nodiscard]] core::Task node_timer(NodeId node, core::Task task);
  /// Live mode closes and reopens the node's connection here.
  virtual void node_went_down(NodeId node) {}
  virtual void node_came_up(NodeId node) {}

  NetworkCounters counters_;
  std::vector<NodeState> nodes_;

 private:
  std::optional<std::vector<NodeId>> resolve(const std::vector<std::string>& names,
                                             std::string& error) const;
  void start_fault(const FaultSpec& spec, const std::vector<std::vector<NodeId>>& groups);
  void end_fault(const FaultSpec& spec, const std::vector<std::vector<NodeId>>& groups);

  NodeEvents* events_ = nullptr;
};

}  // namespace hexwire::sim::cases
