// NodeRegistry: heartbeat script, live-set tracking, janitor election and dead-node hand-off.
#include "scaleout/node_registry.hpp"

#include <algorithm>
#include <random>

#include <spdlog/spdlog.h>

#include "redis/script.hpp"
#include "scaleout/channel_store.hpp"

namespace hexwire::scaleout {

namespace {

// KEYS: 1 live zset, 2 dead zset, 3 address hash. ARGV: 1 node id, 2 ttl ms, 3 address.
// Moves nodes silent for longer than the TTL from live to dead. Reply: {live ids, dead ids}.
const redis::Script& heartbeat_lua() {
  static const redis::Script script(R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('HSET', KEYS[3], ARGV[1], ARGV[3])
local limit = now - tonumber(ARGV[2])
for _, node in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. limit)) do
  redis.call('ZREM', KEYS[1], node)
  redis.call('ZADD', KEYS[2], now, node)
  redis.call('HDEL', KEYS[3], node)
end
return {redis.call('ZRANGEBYSCORE', KEYS[1], limit, '+inf'), redis.call('ZRANGE', KEYS[2], 0, -1)}
)lua");
  return script;
}

}  // namespace

const redis::Script& NodeRegistry::heartbeat_script() { return heartbeat_lua(); }

std::string NodeRegistry::live_key(std::string_view prefix) {
  return std::string(prefix) + ":{nodes}:live";
}

std::string make_node_id() {
  std::random_device device;
  std::uint64_t value = 0;
  while (value == 0) {
    value = (static_cast<std::uint64_t>(device()) << 32) ^ device();
  }
  return epoch_text(value);
}

NodeRegistry::NodeRegistry(redis::RedisClient& client, core::TimerWheel& timers,
                           NodeRegistryConfig config, LiveNodesCallback on_live,
                           CleanupCallback cleanup)
    : client_(client),
      timers_(timers),
      config_(std::move(config)),
      on_live_(std::move(on_live)),
      cleanup_(std::move(cleanup)),
      live_key_(live_key(config_.prefix)),
      dead_key_(config_.prefix + ":{nodes}:dead"),
      address_key_(config_.prefix + ":{nodes}:addr") {
  if (config_.node_id.empty()) {
    config_.node_id = make_node_id();
  }
}

NodeRegistry::~NodeRegistry() {
  if (timer_ != 0) {
    timers_.cancel(timer_);
  }
}

std::string NodeRegistry::channels_key(std::string_view node) const {
  return config_.prefix + ":{node:" + std::string(node) + "}:ch";
}

void NodeRegistry::start() {
  stopped_ = false;
  heartbeat();
}

void NodeRegistry::leave(core::UniqueFunction<void()> done) {
  stopped_ = true;
  if (timer_ != 0) {
    timers_.cancel(std::exchange(timer_, 0));
  }
  client_.command(live_key_, {"ZREM", live_key_, config_.node_id},
                  [done = std::move(done)](redis::RedisStatus, redis::ReplyView) mutable {
                    if (done) {
                      done();
                    }
                  });
}

void NodeRegistry::heartbeat() {
  if (stopped_) {
    return;
  }
  timer_ = timers_.add_after(config_.heartbeat_interval_ns, [this] {
    timer_ = 0;
    heartbeat();
  });
  if (in_flight_) {
    return;  // the previous one is still waiting (Redis slow or down): do not pile up
  }
  in_flight_ = true;
  const std::string ttl = std::to_string(config_.node_ttl_ms);
  const std::string_view keys[] = {live_key_, dead_key_, address_key_};
  const std::string_view args[] = {config_.node_id, ttl, config_.address};
  client_.run_script(
      heartbeat_script(), keys, args, [this](redis::RedisStatus status, redis::ReplyView reply) {
        in_flight_ = false;
        if (status != redis::RedisStatus::kOk || reply.is_error()) {
          if (registered_) {
            spdlog::warn("node {}: heartbeat failed ({})", config_.node_id,
                         status != redis::RedisStatus::kOk ? std::string(redis::to_string(status))
                                                           : std::string(reply.str()));
          }
          registered_ = false;
          return;
        }
        on_heartbeat(reply);
      });
}

void NodeRegistry::on_heartbeat(redis::ReplyView reply) {
  ++heartbeats_;
  registered_ = true;
  std::vector<std::string> live;
  for (std::size_t i = 0; i < reply[0].size(); ++i) {
    live.emplace_back(reply[0][i].str());
  }
  std::sort(live.begin(), live.end());
  if (live != live_) {
    live_ = std::move(live);
    if (on_live_) {
      on_live_(live_);
    }
  }
  // The lowest live id cleans up after the dead (two janitors at a membership change are
  // harmless: the cleanup is idempotent).
  if (live_.empty() || live_.front() != config_.node_id) {
    return;
  }
  for (std::size_t i = 0; i < reply[1].size(); ++i) {
    const std::string node(reply[1][i].str());
    if (std::find(cleaning_.begin(), cleaning_.end(), node) == cleaning_.end()) {
      clean(node);
    }
  }
}

void NodeRegistry::clean(const std::string& node) {
  cleaning_.push_back(node);
  spdlog::info("node {}: cleaning up after dead node {}", config_.node_id, node);
  auto finished = [this, node] {
    client_.command(dead_key_, {"ZREM", dead_key_, node}, nullptr);
    client_.command(channels_key(node), {"DEL", channels_key(node)}, nullptr);
    cleaning_.erase(std::remove(cleaning_.begin(), cleaning_.end(), node), cleaning_.end());
  };
  if (cleanup_) {
    cleanup_(node, std::move(finished));
  } else {
    finished();
  }
}

}  // namespace hexwire::scaleout
