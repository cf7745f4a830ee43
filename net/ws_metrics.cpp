// WebSocket session metrics: registration of the hexwire_ws_* families and the close-code index.
#include "net/ws_metrics.hpp"

#include <array>
#include <string>

namespace hexwire::net {

namespace {

constexpr std::array<std::uint16_t, 9> kClosedCodesTracked = {1000, 1001, 1002, 1006, 1007,
                                                              1008, 1009, 1011, 1013};
constexpr std::array<std::string_view, 10> kCloseMetricNames = {
    "1000", "1001", "1002", "1006", "1007", "1008", "1009", "1011", "1013", "other"};

/// Metrics for sessions created without a registry (tests, single-reactor programs).
struct FallbackMetrics {
  core::Gauge gauges[2];
  core::Counter counters[20];
  WsMetrics metrics;
  FallbackMetrics() {
    metrics.sessions_open = &gauges[0];
    metrics.slow_connections = &gauges[1];
    metrics.sessions_opened = &counters[0];
    metrics.messages_received = &counters[1];
    metrics.messages_sent = &counters[2];
    metrics.pings_sent = &counters[3];
    metrics.slow_events = &counters[4];
    metrics.messages_dropped = &counters[5];
    metrics.drop_notices = &counters[6];
    metrics.outbound_overflows = &counters[7];
    metrics.idle_closes = &counters[8];
    metrics.streamed_frames = &counters[9];
    for (std::size_t i = 0; i < 10; ++i) {
      metrics.closes_by_code[i] = &counters[10 + i];
    }
  }
};

}  // namespace

namespace detail {

const WsMetrics* fallback_ws_metrics() noexcept {
  thread_local FallbackMetrics fallback;
  return &fallback.metrics;
}

}  // namespace detail

std::size_t close_metric_index(std::uint16_t code) noexcept {
  for (std::size_t i = 0; i < kClosedCodesTracked.size(); ++i) {
    if (kClosedCodesTracked[i] == code) {
      return i;
    }
  }
  return kClosedCodesTracked.size();
}

std::string_view close_metric_name(std::size_t index) noexcept {
  return index < kCloseMetricNames.size() ? kCloseMetricNames[index] : "other";
}

WsMetrics bind_ws_metrics(core::MetricsRegistry& registry, unsigned shard) {
  WsMetrics m;
  m.sessions_open = &registry.gauge("ws_sessions_open", "Open WebSocket sessions", shard);
  m.sessions_opened =
      &registry.counter("ws_sessions_opened_total", "WebSocket sessions opened", shard);
  m.messages_received =
      &registry.counter("ws_messages_received_total", "WebSocket data messages received", shard);
  m.messages_sent =
      &registry.counter("ws_messages_sent_total", "WebSocket data messages queued", shard);
  m.pings_sent = &registry.counter("ws_pings_sent_total", "Keep-alive pings sent", shard);
  m.slow_connections = &registry.gauge(
      "ws_slow_connections", "Sessions whose outbound queue is above the soft limit", shard);
  m.slow_events = &registry.counter(
      "ws_slow_events_total", "Times a session's outbound queue passed the soft limit", shard);
  m.messages_dropped = &registry.counter(
      "ws_messages_dropped_total", "Data messages dropped above the outbound hard limit", shard);
  m.drop_notices = &registry.counter(
      "ws_drop_notices_total", "Notices telling a peer how many data messages were dropped", shard);
  m.outbound_overflows = &registry.counter(
      "ws_outbound_overflows_total",
      "Sessions closed 1008 because replies or pongs passed the hard limit + reply reserve "
      "(a peer that sends requests or pings and does not read)",
      shard);
  m.idle_closes = &registry.counter(
      "ws_idle_timeouts_total", "Sessions closed 1001 after no data or pong for the idle timeout",
      shard);
  m.streamed_frames = &registry.counter(
      "ws_streamed_frames_total",
      "Frames of streamed backlogs (resume, offline drain) sent as the socket drained", shard);
  for (std::size_t i = 0; i < kCloseMetricNames.size(); ++i) {
    const std::string name = "ws_closes_" + std::string(kCloseMetricNames[i]) + "_total";
    m.closes_by_code[i] =
        &registry.counter(name, "WebSocket sessions ended with this close code", shard);
  }
  return m;
}

}  // namespace hexwire::net
