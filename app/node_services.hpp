// The services of a node, on any core::Executor, built as siblings in dependency order and torn
// down in reverse: the node's ShardPlacement (the one sharding rule, given to both the broker and
// dispatch), the /ws shard state and its DeliverySink, the Broker (the seam: make_broker is the one
// place that chooses the implementation), dispatch (a DispatchBridge publishing through the
// broker, the geo::DispatchEngine emitting through the bridge, the op handlers), and the /ws
// service that uses them all. app::Node builds one on its core::Runtime; unit tests build one on
// the deterministic executor of core/testing.
#pragma once

#include <memory>
#include <optional>

#include "app/placement.hpp"
#include "app/scaleout_config.hpp"
#include "app/ws_app_config.hpp"
#include "core/executor.hpp"
#include "core/metrics.hpp"
#include "geo/dispatch/engine.hpp"
#include "pubsub/broker.hpp"
#include "pubsub/delivery_sink.hpp"
#include "pubsub/types.hpp"
#include "scaleout/redis_broker.hpp"

namespace hexwire::app {

class DispatchBridge;
class DispatchCluster;
class DispatchService;
class WsService;
class WsShards;

struct NodeServicesConfig {
  WsAppConfig ws;
  /// nullopt: no dispatch engine; dispatch ops are answered `unavailable`.
  std::optional<geo::DispatchConfig> dispatch;
  /// The broker: memory (default) or redis (a pool of nodes; needs a core::Runtime executor).
  ScaleoutConfig scaleout;
};

/// pubsub's limits and retention from the /ws configuration.
[[nodiscard]] pubsub::Config broker_config(const WsAppConfig& config);

/// The settings of a Redis broker (--broker redis): pubsub's `config` plus the scale-out flags.
[[nodiscard]] scaleout::RedisBrokerConfig redis_broker_config(pubsub::Config config,
                                                              const ScaleoutConfig& scaleout);

/// The broker this node runs, delivering through `sink`: the in-process pubsub::LocalBroker, or
/// with --broker redis the scaleout::RedisBroker that joins the nodes of a pool (its executor must
/// be a core::Runtime: Redis connections live on the shards' reactors). Both keep the contract of
/// pubsub/broker.hpp.
[[nodiscard]] std::unique_ptr<pubsub::Broker> make_broker(core::Executor& executor,
                                                          core::MetricsRegistry& metrics,
                                                          pubsub::DeliverySink& sink,
                                                          pubsub::Config config,
                                                          const ScaleoutConfig& scaleout = {});

class NodeServices {
 public:
  /// Build before the executor runs tasks; destroy after it stopped (queued tasks and timers point
  /// into these parts). Throws std::invalid_argument for an unusable dispatch configuration.
  NodeServices(core::Executor& executor, core::MetricsRegistry& metrics, NodeServicesConfig config);
  ~NodeServices();
  NodeServices(const NodeServices&) = delete;
  NodeServices& operator=(const NodeServices&) = delete;

  [[nodiscard]] WsService& ws() noexcept { return *ws_; }
  [[nodiscard]] pubsub::Broker& broker() noexcept { return *broker_; }
  /// The Redis broker when the node runs one, else null.
  [[nodiscard]] scaleout::RedisBroker* redis_broker() noexcept { return redis_broker_; }
  /// Call on every shard when it starts / when it begins to stop (core::Runtime's stop hook):
  /// opens / closes the shard's connections to Redis. Nothing to do with the memory broker.
  void start_shard();
  void stop_shard();
  /// Null when the node runs without dispatch.
  [[nodiscard]] geo::DispatchEngine* dispatch_engine() noexcept { return dispatch_engine_.get(); }
  [[nodiscard]] const ShardPlacement& placement() const noexcept { return placement_; }
  /// Dispatch across the nodes of a pool (Redis broker with dispatch), else null.
  [[nodiscard]] DispatchCluster* dispatch_cluster() noexcept { return cluster_.get(); }

 private:
  // Declaration order is construction order; each part uses only those above it.
  ShardPlacement placement_;
  std::unique_ptr<WsShards> shards_;
  std::unique_ptr<pubsub::DeliverySink> sink_;            // over shards_
  std::unique_ptr<pubsub::Broker> broker_;                // delivers through sink_
  scaleout::RedisBroker* redis_broker_ = nullptr;         // broker_, when it is the Redis one
  std::unique_ptr<DispatchBridge> bridge_;                // publishes through broker_
  std::unique_ptr<DispatchCluster> cluster_;  // Redis broker + dispatch: the pool's regions
  std::unique_ptr<geo::DispatchEngine> dispatch_engine_;  // emits through bridge_
  std::unique_ptr<DispatchService> dispatch_;             // dispatch op handlers
  std::unique_ptr<WsService> ws_;                         // /ws: uses all of the above
};

}  // namespace hexwire::app
