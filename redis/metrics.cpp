// The hexwire_redis_* metrics a shard's Redis connections record into (ConnectionMetrics).
#include "redis/connection.hpp"

namespace hexwire::redis {

ConnectionMetrics connection_metrics(core::MetricsRegistry& registry, unsigned shard) {
  ConnectionMetrics m;
  m.commands_timed_out = &registry.counter(
      "redis_commands_timed_out_total",
      "Redis commands failed alone at their deadline (the connection stayed)", shard);
  m.expired_queued = &registry.counter(
      "redis_commands_expired_queued_total",
      "Redis commands that timed out still queued in the client (never sent to Redis)", shard);
  m.late_replies = &registry.counter(
      "redis_late_replies_total", "Replies to timed-out Redis commands, discarded on arrival",
      shard);
  m.refused = &registry.counter(
      "redis_commands_refused_total",
      "Redis commands refused at once: max_in_flight already owed replies, or the oldest queued "
      "command had used half its deadline (admission)",
      shard);
  m.unresponsive = &registry.counter(
      "redis_connections_unresponsive_total",
      "Redis connections dropped because nothing arrived within the liveness timeout", shard);
  m.lost = &registry.counter("redis_connections_lost_total",
                             "Redis connections lost (any cause) after they were up", shard);
  m.reply_wait = &registry.histogram(
      "redis_reply_wait_seconds", "Redis command sent -> its reply read (pipeline queue included)",
      shard);
  return m;
}

}  // namespace hexwire::redis
