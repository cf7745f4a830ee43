// Network: node registry, fault state and the --fail schedule shared by both transports.
#include "sim/cases/network.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cassert>
#include <stdexcept>

namespace hexwire::sim::cases {

NodeId Network::add_node(std::string name) {
  if (find_node(name)) {
    throw std::logic_error("case model added node '" + name + "' twice");
  }
  nodes_.push_back(NodeState{.name = std::move(name)});
  return static_cast<NodeId>(nodes_.size() - 1);
}

std::optional<NodeId> Network::find_node(std::string_view name) const noexcept {
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    if (nodes_[i].name == name) {
      return static_cast<NodeId>(i);
    }
  }
  return std::nullopt;
}

void Network::crash(NodeId node, CrashKind kind) {
  NodeState& n = nodes_[node];
  if (!n.up) {
    return;
  }
  n.up = false;
  ++n.epoch;
  node_went_down(node);
  events_->on_crash(node, kind);
}

void Network::recover(NodeId node) {
  NodeState& n = nodes_[node];
  if (n.up) {
    return;
  }
  n.up = true;
  node_came_up(node);
  events_->on_recover(node);
}

void Network::partition(const std::vector<std::vector<NodeId>>& groups) {
  for (NodeState& n : nodes_) {
    n.group = 0;
  }
  for (std::size_t g = 0; g < groups.size(); ++g) {
    for (const NodeId node : groups[g]) {
      nodes_[node].group = static_cast<std::uint32_t>(g);
    }
  }
}

void Network::heal() noexcept {
  for (NodeState& n : nodes_) {
    n.group = 0;
  }
}

void Network::slow(NodeId node, double factor) noexcept {
  nodes_[node].slow = factor;
}

bool Network::reachable(NodeId from, NodeId to) const noexcept {
  const NodeState& a = nodes_[from];
  const NodeState& b = nodes_[to];
  return a.up && b.up && a.group == b.group;
}

double Network::slow_factor(NodeId from, NodeId to) const noexcept {
  return std::max(nodes_[from].slow, nodes_[to].slow);
}

bool Network::timer_still_valid(NodeId node, std::uint32_t epoch) const noexcept {
  return node == kNoNode || (nodes_[node].up && nodes_[node].epoch == epoch);
}

core::Task Network::node_timer(NodeId node, core::Task task) {
  if (node == kNoNode) {
    return task;
  }
  return [this, node, when = epoch(node), task = std::move(task)]() mutable {
    if (timer_still_valid(node, when)) {
      task();
    }
  };
}

std::optional<std::vector<NodeId>> Network::resolve(const std::vector<std::string>& names,
                                                    std::string& error) const {
  std::vector<NodeId> ids;
  for (const std::string& name : names) {
    const std::optional<NodeId> id = find_node(name);
    if (!id) {
      std::string known;
      for (const NodeState& n : nodes_) {
        known += (known.empty() ? "" : " ") + n.name;
      }
      error = fmt::format("--fail names node '{}', which this model does not have (nodes: {})",
                          name, known);
      return std::nullopt;
    }
    ids.push_back(*id);
  }
  return ids;
}

std::string Network::schedule_faults(const std::vector<FaultSpec>& plan) {
  for (const FaultSpec& spec : plan) {
    std::vector<std::vector<NodeId>> groups;
    for (const std::vector<std::string>& names : spec.groups) {
      std::string error;
      std::optional<std::vector<NodeId>> ids = resolve(names, error);
      if (!ids) {
        return error;
      }
      groups.push_back(std::move(*ids));
    }
    after(kNoNode, spec.at, [this, spec, groups] { start_fault(spec, groups); });
    if (spec.duration) {
      after(kNoNode, spec.at + *spec.duration, [this, spec, groups] { end_fault(spec, groups); });
    }
  }
  return {};
}

void Network::start_fault(const FaultSpec& spec, const std::vector<std::vector<NodeId>>& groups) {
  switch (spec.kind) {
    case FaultKind::kCrash:
    case FaultKind::kWipe:
      for (const NodeId node : groups[0]) {
        crash(node, spec.kind == FaultKind::kWipe ? CrashKind::kWipe : CrashKind::kRestart);
      }
      break;
    case FaultKind::kPartition:
      partition(groups);
      break;
    case FaultKind::kSlow:
      for (const NodeId node : groups[0]) {
        slow(node, spec.slow_factor);
      }
      break;
  }
}

void Network::end_fault(const FaultSpec& spec, const std::vector<std::vector<NodeId>>& groups) {
  switch (spec.kind) {
    case FaultKind::kCrash:
    case FaultKind::kWipe:
      for (const NodeId node : groups[0]) {
        recover(node);
      }
      break;
    case FaultKind::kPartition:
      heal();
      break;
    case FaultKind::kSlow:
      for (const NodeId node : groups[0]) {
        slow(node, 1.0);
      }
      break;
  }
}

}  // namespace hexwire::sim::cases
