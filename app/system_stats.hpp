// The engine's own statistics as publications on its router: sys:stats once per interval
// (connections, message and byte rates, per-stage latency percentiles of the interval, sends and
// frames per send, memory, each shard's CPU load) and sys:channels (the busiest channels with
// members, rate and history depth). The dashboard subscribes to them over /ws; who may read sys:
// channels is decided in app/auth.cpp. Message shapes: docs/dashboard.md.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "app/dashboard_config.hpp"
#include "core/histogram.hpp"
#include "core/metrics.hpp"
#include "core/executor.hpp"
#include "core/shared_buffer.hpp"
#include "pubsub/broker.hpp"

namespace hexwire::app {

inline constexpr std::string_view kSystemStatsChannel = "sys:stats";
inline constexpr std::string_view kSystemChannelsChannel = "sys:channels";
/// The `from` of the engine's own publications ('#' is outside the user-id alphabet).
inline constexpr std::string_view kSystemPublisher = "#engine";

/// Monotonic counters sampled per shard: JSON key and metric family.
struct StatsCounterSource {
  std::string_view key;
  std::string_view metric;
};
inline constexpr std::array<StatsCounterSource, 11> kStatsCounters{{
    {"messages_in", "ws_messages_received_total"},
    {"messages_out", "ws_messages_sent_total"},
    {"deliveries", "ws_app_deliveries_total"},
    {"publishes", "ws_app_publishes_total"},
    {"sends", "sends_total"},
    {"bytes_in", "bytes_received_total"},
    {"bytes_out", "bytes_sent_total"},
    {"errors", "ws_app_errors_total"},
    {"drops", "ws_app_drops_total"},
    {"connects", "connections_accepted_total"},
    {"loop_turns", "loop_turns_total"},
}};
/// Gauges sampled per shard: JSON group, key and metric family.
struct StatsGaugeSource {
  std::string_view group;
  std::string_view key;
  std::string_view metric;
};
inline constexpr std::array<StatsGaugeSource, 9> kStatsGauges{{
    {"connections", "tcp", "connections_open"},
    {"connections", "websocket", "ws_sessions_open"},
    {"connections", "authenticated", "ws_app_connections"},
    {"memory", "send_queue_bytes", "send_queue_bytes"},
    {"memory", "history_messages", "pubsub_history_messages"},
    {"pubsub", "channels", "pubsub_channels"},
    {"pubsub", "subscriptions", "pubsub_subscriptions"},
    {"pubsub", "mailbox_depth", "mailbox_depth"},
    {"dispatch", "drivers", "dispatch_drivers_held"},
}};
/// Stage histograms of the /ws path (docs/protocol.md "Metrics"): JSON key and metric family.
inline constexpr std::array<StatsCounterSource, 4> kStatsStages{{
    {"parse", "ws_stage_parse_seconds"},
    {"route", "ws_stage_route_seconds"},
    {"fanout", "ws_stage_fanout_seconds"},
    {"send", "ws_stage_send_seconds"},
}};

/// What one shard reports each interval (read on that shard's thread).
struct ShardStatsSample {
  std::uint64_t taken_ns = 0;  // monotonic
  std::uint64_t cpu_ns = 0;    // the shard thread's CPU time (user + system)
  std::array<std::uint64_t, kStatsCounters.size()> counters{};
  std::array<std::int64_t, kStatsGauges.size()> gauges{};
  std::size_t channel_watchers = 0;  // local subscribers of sys:channels
  std::optional<pubsub::ChannelActivityReport> channels;
};

/// Percentiles of the values recorded during one interval, from the difference of two snapshots
/// of a cumulative histogram (so the engine's histograms are never reset).
class IntervalHistogram {
 public:
  IntervalHistogram();
  /// `cumulative_now` merged over shards; the interval is everything recorded since the previous
  /// call (the first call covers everything so far).
  void advance(const core::Histogram& cumulative_now);
  [[nodiscard]] const core::Histogram& interval() const noexcept { return interval_; }

 private:
  std::vector<std::uint64_t> previous_;  // cumulative count per bucket index
  core::Histogram interval_;
};

/// One sys:stats publication, ready to encode.
struct SystemStatsSnapshot {
  std::int64_t ts_us = 0;
  double interval_s = 0;
  double uptime_s = 0;
  std::uint64_t rss_bytes = 0;
  std::array<std::uint64_t, kStatsCounters.size()> totals{};
  std::array<double, kStatsCounters.size()> rates{};
  std::array<std::int64_t, kStatsGauges.size()> gauges{};
  std::array<const core::Histogram*, kStatsStages.size()> stages{};  // interval histograms (ns)
  std::vector<ShardStatsSample> shards;      // this interval's samples
  std::vector<ShardStatsSample> previous;    // the samples before (same size as shards)
};

[[nodiscard]] core::SharedBuffer encode_system_stats(const SystemStatsSnapshot& snapshot);
/// sys:channels from each shard's activity report; rates per second of each shard's interval.
[[nodiscard]] core::SharedBuffer encode_system_channels(
    std::int64_t ts_us, const std::vector<ShardStatsSample>& shards, std::size_t limit);

/// Publishes sys:stats and sys:channels every config.stats_interval_ms from shard 0. The executor,
/// registry and broker must outlive it; the timers and tasks it queues keep it alive (shared_ptr)
/// until the executor drops them.
class SystemStatsPublisher : public std::enable_shared_from_this<SystemStatsPublisher> {
 public:
  SystemStatsPublisher(core::Executor& executor, core::MetricsRegistry& metrics,
                       pubsub::Broker& broker, DashboardConfig config);
  ~SystemStatsPublisher();
  SystemStatsPublisher(const SystemStatsPublisher&) = delete;
  SystemStatsPublisher& operator=(const SystemStatsPublisher&) = delete;

  /// Arms the periodic timer. Call on shard 0 (e.g. through core::Runtime::post(0, ...)); does
  /// nothing when the interval is 0.
  void start();

 private:
  struct ShardSources;
  void tick();
  [[nodiscard]] ShardStatsSample take_sample(bool with_channels);
  void collect(unsigned shard, ShardStatsSample sample);
  void finish_round();
  void arm_timer();

  core::Executor& executor_;
  core::MetricsRegistry& metrics_;
  pubsub::Broker& broker_;
  DashboardConfig config_;
  std::uint64_t started_ns_ = 0;
  std::vector<std::unique_ptr<ShardSources>> sources_;  // each touched only by its shard
  // Shard 0 only:
  std::vector<ShardStatsSample> current_;
  std::vector<ShardStatsSample> previous_;
  unsigned received_ = 0;
  bool have_previous_ = false;
  bool channels_watched_ = false;
  std::array<IntervalHistogram, kStatsStages.size()> stage_windows_;
  core::Histogram merged_scratch_;
};

/// Resident set size of this process in bytes (/proc/self/statm); 0 when unreadable.
[[nodiscard]] std::uint64_t resident_bytes() noexcept;

}  // namespace hexwire::app
