// NodeServices: the wiring of broker, dispatch and /ws on one executor, and the broker seam.
#include "app/node_services.hpp"

#include <algorithm>
#include <utility>

#include "app/channel_name.hpp"
#include "app/dispatch_bridge.hpp"
#include "app/dispatch_cluster.hpp"
#include "app/dispatch_ops.hpp"
#include "app/ws_app.hpp"
#include "app/ws_app_state.hpp"
#include "core/runtime.hpp"
#include "pubsub/local_broker.hpp"
#include "redis/target.hpp"

namespace hexwire::app {

pubsub::Config broker_config(const WsAppConfig& c) {
  pubsub::Config b;
  b.max_subscriptions_per_connection = c.max_subscriptions_per_connection;
  b.max_channels_per_shard = c.max_channels_per_shard;
  b.max_members_per_channel = c.max_members_per_channel;
  b.history_keep_messages = c.history_keep_messages;
  b.history_keep_age_us = static_cast<std::int64_t>(c.history_keep_age_s) * 1'000'000;
  b.history_max_messages = std::max(c.history_max_messages, c.history_keep_messages);
  b.presence_flush_interval_ns = static_cast<std::uint64_t>(c.presence_window_ms) * 1'000'000;
  b.presence_window_per_subscriber_ns =
      static_cast<std::uint64_t>(c.presence_window_per_subscriber_us) * 1'000;
  b.presence_max_interval_ns = static_cast<std::uint64_t>(c.presence_max_window_ms) * 1'000'000;
  b.presence_leave_grace_ns = static_cast<std::uint64_t>(c.presence_leave_grace_ms) * 1'000'000;
  b.presence_max_members = c.presence_max_members;
  b.presence_count_interval_ns =
      static_cast<std::uint64_t>(c.presence_count_interval_ms) * 1'000'000;
  b.history_max_bytes_per_shard = c.history_max_bytes_per_shard;
  b.short_history_prefixes = {std::string(kUserPrefix), std::string(kCellPrefix),
                              std::string(kSurgePrefix)};
  // user:<id> reaches the user's connections through their home record (no subscription each).
  b.personal_channel_prefix = std::string(kUserPrefix);
  b.short_history_max_messages = c.engine_history_max_messages;
  b.short_history_max_age_us = static_cast<std::int64_t>(c.engine_history_max_age_s) * 1'000'000;
  b.channel_idle_ttl_ns = static_cast<std::uint64_t>(c.channel_idle_ttl_s) * 1'000'000'000;
  b.offline_member_ttl_ns = static_cast<std::uint64_t>(c.offline_member_ttl_s) * 1'000'000'000;
  b.max_offline_members_per_channel = c.max_offline_members_per_channel;
  b.pending_notifications_per_user = c.offline_queue_max_messages;
  return b;
}

scaleout::RedisBrokerConfig redis_broker_config(pubsub::Config config, const ScaleoutConfig& so) {
  scaleout::RedisBrokerConfig r;
  r.channels.max_members = config.max_members_per_channel;
  r.pubsub = std::move(config);
  r.redis.target = redis::parse_target(so.redis_url);
  r.redis.connection.command_timeout_ns = static_cast<std::uint64_t>(so.redis_timeout_ms) * 1'000'000;
  r.redis.connection.connect_timeout_ns = r.redis.connection.command_timeout_ns;
  r.redis.connection.liveness_timeout_ns =
      static_cast<std::uint64_t>(so.redis_liveness_timeout_ms) * 1'000'000;
  r.join_timeout_ns = static_cast<std::uint64_t>(so.redis_join_timeout_ms) * 1'000'000;
  r.channels.prefix = so.redis_prefix;
  r.channels.history_max_messages = so.redis_history_messages;
  r.channels.channel_ttl_ms = static_cast<std::uint64_t>(so.redis_channel_ttl_s) * 1'000;
  r.channels.max_backlog = std::min<std::size_t>(so.redis_history_messages, r.channels.max_backlog);
  r.node.node_id = so.node_id;
  r.node.prefix = so.redis_prefix;
  r.node.node_ttl_ms = so.node_ttl_ms;
  r.node.heartbeat_interval_ns = static_cast<std::uint64_t>(so.node_ttl_ms) * 1'000'000 / 5;
  r.reactor = []() -> core::Reactor& { return core::Runtime::this_shard()->reactor(); };
  return r;
}

std::unique_ptr<pubsub::Broker> make_broker(core::Executor& executor,
                                            core::MetricsRegistry& metrics,
                                            pubsub::DeliverySink& sink, pubsub::Config config,
                                            const ScaleoutConfig& scaleout) {
  if (scaleout.broker == BrokerKind::kRedis) {
    return std::make_unique<scaleout::RedisBroker>(executor, metrics, sink,
                                                   redis_broker_config(std::move(config), scaleout));
  }
  return std::make_unique<pubsub::LocalBroker>(executor, metrics, sink, std::move(config));
}

namespace {

/// The broker's settings, with the node's placement for cell: and surge: channels.
pubsub::Config placed_broker_config(const WsAppConfig& ws, const ShardPlacement& placement) {
  pubsub::Config config = broker_config(ws);
  config.channel_owner = [placement](std::string_view channel) {
    return placement.channel_owner(channel);
  };
  return config;
}

/// The dispatch settings, with the node's placement of regions.
geo::DispatchConfig placed_dispatch_config(geo::DispatchConfig dispatch,
                                           const ShardPlacement& placement) {
  dispatch.region_shard = [placement](geo::CellId coarse) {
    return placement.region_shard(coarse);
  };
  return dispatch;
}

/// The cluster settings of a node in a pool: the broker's node id and Redis, the regions of
/// `dispatch`.
DispatchClusterConfig cluster_config(const scaleout::RedisBroker& broker,
                                     const ScaleoutConfig& scaleout,
                                     const geo::DispatchConfig& dispatch) {
  DispatchClusterConfig c;
  c.rpc.prefix = scaleout.redis_prefix;
  c.rpc.node_id = broker.node_id();
  c.rpc.redis.target = redis::parse_target(scaleout.redis_url);
  c.rpc.redis.connection.command_timeout_ns =
      static_cast<std::uint64_t>(scaleout.redis_timeout_ms) * 1'000'000;
  c.rpc.redis.connection.connect_timeout_ns = c.rpc.redis.connection.command_timeout_ns;
  c.rpc.redis.connection.liveness_timeout_ns =
      static_cast<std::uint64_t>(scaleout.redis_liveness_timeout_ms) * 1'000'000;
  c.rpc.deadline_ns = c.rpc.redis.connection.command_timeout_ns;
  c.coarse_res = dispatch.coarse_res;
  c.index_res = dispatch.fleet.index_res;
  c.reactor = []() -> core::Reactor& { return core::Runtime::this_shard()->reactor(); };
  return c;
}

}  // namespace

NodeServices::NodeServices(core::Executor& executor, core::MetricsRegistry& metrics,
                           NodeServicesConfig config)
    : placement_(executor.shard_count(),
                 config.dispatch ? config.dispatch->coarse_res : geo::DispatchConfig{}.coarse_res),
      shards_(std::make_unique<WsShards>(executor, metrics, config.ws.max_message_bytes)),
      sink_(make_ws_delivery_sink(*shards_)),
      broker_(make_broker(executor, metrics, *sink_, placed_broker_config(config.ws, placement_),
                          config.scaleout)) {
  redis_broker_ = dynamic_cast<scaleout::RedisBroker*>(broker_.get());
  if (config.dispatch) {
    bridge_ = std::make_unique<DispatchBridge>(executor, metrics, *broker_);
    geo::DispatchConfig dispatch = placed_dispatch_config(std::move(*config.dispatch), placement_);
    geo::DispatchEvents* events = bridge_.get();
    if (redis_broker_ != nullptr) {
      cluster_ = std::make_unique<DispatchCluster>(
          executor, metrics, cluster_config(*redis_broker_, config.scaleout, dispatch), *bridge_);
      redis_broker_->set_live_nodes_observer(
          [cluster = cluster_.get()](const std::vector<std::string>& live) {
            cluster->set_live(live);
          });
      dispatch.peers = cluster_.get();
      dispatch.trip_suffix = cluster_->trip_suffix();
      events = cluster_.get();
    }
    dispatch_engine_ =
        std::make_unique<geo::DispatchEngine>(executor, metrics, std::move(dispatch), *events);
    if (cluster_) {
      cluster_->attach(*dispatch_engine_);
    }
    dispatch_ = std::make_unique<DispatchService>(*shards_, *dispatch_engine_, cluster_.get());
  }
  ws_ = std::make_unique<WsService>(*shards_, *broker_, dispatch_.get(), std::move(config.ws));
}

NodeServices::~NodeServices() = default;

void NodeServices::start_shard() {
  if (redis_broker_ != nullptr) {
    redis_broker_->start_shard();
  }
  if (cluster_) {
    cluster_->start_shard();
  }
}

void NodeServices::stop_shard() {
  if (cluster_) {
    cluster_->stop_shard();
  }
  if (redis_broker_ != nullptr) {
    redis_broker_->stop_shard();
  }
}

}  // namespace hexwire::app
