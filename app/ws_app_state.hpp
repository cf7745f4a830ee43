// Per-shard state of the /ws application: the reusable parser and frame writer, the table from
// subscriber id to connection (what the DeliverySink looks subscribers up in), and the shard's
// metric instances; WsShards holds one per shard. Internal to app: the node builds WsShards first,
// then the DeliverySink over it, the broker, dispatch and the WsService that use it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "app/connection_table.hpp"
#include "app/json_writer.hpp"
#include "app/protocol.hpp"
#include "core/executor.hpp"
#include "core/metrics.hpp"
#include "pubsub/delivery_sink.hpp"
#include "pubsub/types.hpp"

namespace hexwire::app {

class WsConnection;

struct WsAppMetrics {
  core::Gauge* connections = nullptr;  // authenticated /ws connections
  core::Counter* ops = nullptr;        // client ops parsed
  core::Counter* errors = nullptr;     // error replies sent
  core::Counter* auth_failures = nullptr;
  core::Counter* publishes = nullptr;  // pubs acknowledged
  core::Counter* auth_timeouts = nullptr;   // closed for not authenticating in time
  core::Counter* token_expiries = nullptr;  // closed when the token expired (no refresh)
  core::Counter* token_refreshes = nullptr;
  core::Counter* rate_limited = nullptr;  // ops refused by any rate limit
  core::Counter* rate_limited_publish = nullptr;
  core::Counter* rate_limited_cheap = nullptr;
  core::Counter* rate_limited_expensive = nullptr;
  core::Counter* deliveries = nullptr;  // message frames queued on a connection
  core::Counter* drops = nullptr;       // message frames a connection refused (slow/closing)
  core::Counter* resumes = nullptr;     // subs with `since`
  core::Counter* resume_unrecovered = nullptr;  // resumes whose history no longer reached `since`
  core::Histogram* stage_parse = nullptr;       // receive -> op parsed
  core::Histogram* stage_route = nullptr;       // receive -> ack (owner sequenced, ack back home)
  core::Histogram* stage_fanout = nullptr;      // owner sequenced -> subscriber shard delivers
  core::Histogram* stage_send = nullptr;  // delivery start -> frame queued on every subscriber
};

/// Registers the ws_app families in `registry` and returns shard `shard`'s instances.
WsAppMetrics bind_ws_app_metrics(core::MetricsRegistry& registry, unsigned shard);

struct WsShardState {
  explicit WsShardState(std::size_t max_message_bytes) : parser(max_message_bytes) {}

  OpParser parser;
  FrameWriter writer;
  ConnectionTable<WsConnection> connections;  // by subscriber id (hands the ids out)
  WsAppMetrics metrics;
};

/// One WsShardState per shard of `executor`. Build before the executor runs tasks; every other
/// call happens on a shard thread and touches only that shard's state.
class WsShards {
 public:
  WsShards(core::Executor& executor, core::MetricsRegistry& metrics, std::size_t max_message_bytes);
  ~WsShards();
  WsShards(const WsShards&) = delete;
  WsShards& operator=(const WsShards&) = delete;

  /// The calling shard's state.
  [[nodiscard]] WsShardState& here() noexcept { return *shards_[executor_.current_shard()]; }
  /// The connection `id` of the calling shard, or null when it has gone.
  [[nodiscard]] WsConnection* find(pubsub::SubscriberId id) noexcept;
  [[nodiscard]] core::Executor& executor() noexcept { return executor_; }

 private:
  core::Executor& executor_;
  std::vector<std::unique_ptr<WsShardState>> shards_;
};

/// The DeliverySink of the /ws application (ws_app_sink.cpp): encodes each frame once per shard
/// and queues it on the listed connections of `shards`.
std::unique_ptr<pubsub::DeliverySink> make_ws_delivery_sink(WsShards& shards);

}  // namespace hexwire::app
