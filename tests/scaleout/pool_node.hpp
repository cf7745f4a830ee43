// Test support for tests that need an engine of a Redis pool but no client of their own (the
// simulator's end-to-end tests): an app::Node on a test's redis-server (anonymous auth, no publish
// limit, 1 s node TTL). pool_support.hpp adds a blocking /ws client.
#pragma once

#include <memory>
#include <string>

#include "app/node.hpp"
#include "tests/app/test_engine_config.hpp"

namespace hexwire::scaleout::testing {

/// An engine of a pool on `redis_url` (--broker redis) with dispatch, started (or the test skipped).
inline std::unique_ptr<app::Node> start_node(const std::string& redis_url, const std::string& node_id) {
  app::EngineConfig config = app::testing::loopback_engine_config();
  config.ws_app.auth.anonymous = true;
  config.ws_app.publish_rate_per_s = 0;
  config.scaleout.broker = app::BrokerKind::kRedis;
  config.scaleout.redis_url = redis_url;
  config.scaleout.node_id = node_id;
  config.scaleout.node_ttl_ms = 1'000;
  auto node = std::make_unique<app::Node>(std::move(config));
  app::testing::start_or_skip(*node);
  return node;
}

}  // namespace hexwire::scaleout::testing
