// The engine configuration every in-process /ws test server uses: 127.0.0.1 on a free port
// (port 0), 2 shards without thread pinning (the machine is shared), a 1 s shutdown timeout and
// warnings-only logging.
#pragma once

#include "app/engine.hpp"

namespace hexwire::app::testing {

inline EngineConfig loopback_engine_config() {
  EngineConfig config;
  config.host = "127.0.0.1";
  config.port = 0;
  config.shards = 2;
  config.pin_threads = false;
  config.shutdown_timeout_ms = 1000;
  config.log_level = "warn";
  return config;
}

}  // namespace hexwire::app::testing
