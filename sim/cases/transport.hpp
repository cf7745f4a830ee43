// The seam between a case-study model and the network it runs on. A model is written once against
// Transport (time, messages, per-node timers) and NodeEvents (what arrives at its nodes); the
// `virtual` network of the discrete-event core and the `live` network of real /ws connections to
// an engine both implement it, so the same model code produces the figures (virtual) and drives
// the engine (live). Shaped like core::Executor: four methods with a stated contract.
#pragma once

#include <cstdint>
#include <limits>
#include <string_view>

#include "core/task.hpp"
#include "sim/cases/event_loop.hpp"

namespace hexwire::sim::cases {

/// A node of the model (a storage node, a client, a cache...), numbered from 0 in the order the
/// model added them. kNoNode owns timers that belong to the experiment, not to a node.
using NodeId = std::uint32_t;
inline constexpr NodeId kNoNode = std::numeric_limits<NodeId>::max();
using TimerId = EventId;

/// How a node failed: kRestart keeps what the model calls durable (a process crash); kWipe loses
/// it too (the disk is replaced), so a recovered node starts empty.
enum class CrashKind : std::uint8_t { kRestart, kWipe };

/// What a model hears from its network. Called only from inside Network::run_until, one call at a
/// time, on the thread that runs the network.
class NodeEvents {
 public:
  virtual ~NodeEvents() = default;
  /// `body` arrived at node `to`, sent by `from`. The view is valid during the call only.
  virtual void on_message(NodeId to, NodeId from, std::string_view body) = 0;
  /// `node` crashed: its pending timers are gone and it receives nothing until on_recover. Drop
  /// its volatile state here (and its durable state too for kWipe).
  virtual void on_crash(NodeId node, CrashKind kind) {}
  /// `node` is back: restart its periodic timers here.
  virtual void on_recover(NodeId node) {}
};

class Transport {
 public:
  virtual ~Transport() = default;
  /// Nanoseconds since the run began: virtual time, or real monotonic time in live mode.
  [[nodiscard]] virtual SimTime now() const noexcept = 0;
  /// Sends `body` (any bytes; a model's own encoding) from `from` to `to`. Never delivered inline:
  /// it arrives later through NodeEvents::on_message, at most once. It is dropped when either node
  /// is crashed, or the two are partitioned, at delivery (and when `from` is crashed at sending).
  /// No order is promised between two messages, even on the same pair of nodes.
  virtual void send(NodeId from, NodeId to, std::string_view body) = 0;
  /// Runs `task` `delay` after now() (never inline). Tasks due at the same time run in the order
  /// they were set. A timer of a node is dropped if the node crashes before it falls due (a
  /// restarted process has lost its timers); kNoNode timers always run.
  virtual TimerId after(NodeId node, SimTime delay, core::Task task) = 0;
  /// Cancels a pending timer; false when it already ran, was dropped or cancelled.
  virtual bool cancel(TimerId id) noexcept = 0;
};

}  // namespace hexwire::sim::cases
