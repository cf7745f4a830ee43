// WebSocket session metrics: the per-shard counters and gauges a WsSession updates (sessions
// open, messages in/out, pings, slow connections, dropped messages and drop notices, outbound
// overflows, idle timeouts, streamed frames, closes by code), registered in the engine's
// core::MetricsRegistry as hexwire_ws_* families.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/metrics.hpp"

namespace hexwire::net {

/// Engine metrics of WebSocket sessions (one instance per shard; see bind_ws_metrics).
struct WsMetrics {
  core::Gauge* sessions_open = nullptr;
  core::Counter* sessions_opened = nullptr;
  core::Counter* messages_received = nullptr;
  core::Counter* messages_sent = nullptr;
  core::Counter* pings_sent = nullptr;
  core::Gauge* slow_connections = nullptr;    // currently above the soft limit
  core::Counter* slow_events = nullptr;       // transitions into "slow"
  core::Counter* messages_dropped = nullptr;  // dropped by BackpressurePolicy::kDrop
  core::Counter* drop_notices = nullptr;      // notices telling a peer how many were dropped
  core::Counter* outbound_overflows = nullptr;  // closed 1008: replies/pongs past hard + reserve
  core::Counter* idle_closes = nullptr;         // closed 1001: no data or pong for the idle timeout
  core::Counter* streamed_frames = nullptr;     // frames pulled from streams as the socket drained
  core::Counter* closes_by_code[10] = {};     // see close_metric_index()
};

/// Index into WsMetrics::closes_by_code for a close code (1000, 1001, 1002, 1006, 1007, 1008,
/// 1009, 1011, 1013, everything else).
[[nodiscard]] std::size_t close_metric_index(std::uint16_t code) noexcept;
/// The codes named by each index ("other" for the last).
[[nodiscard]] std::string_view close_metric_name(std::size_t index) noexcept;

/// Registers the ws_* families in `registry` and returns shard `shard`'s instances.
[[nodiscard]] WsMetrics bind_ws_metrics(core::MetricsRegistry& registry, unsigned shard);

namespace detail {
/// Per-thread instances for sessions created without a registry (tests, single-reactor programs).
[[nodiscard]] const WsMetrics* fallback_ws_metrics() noexcept;
}  // namespace detail

}  // namespace hexwire::net
