// The engine configuration every in-process /ws test server uses: 127.0.0.1 on a free port
// (port 0), 2 shards without thread pinning (the machine is shared), a 1 s shutdown timeout and
// warnings-only logging; and starting such an engine or reporting the test skipped.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <system_error>

#include "app/node.hpp"

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

/// Starts `engine` and returns its port; when the machine cannot run it (no io_uring, no port),
/// ends the test binary with the skip code (4) and says why.
inline std::uint16_t start_or_skip(Node& engine) {
  try {
    engine.start();
  } catch (const std::system_error& e) {
    std::fprintf(stderr, "SKIPPED: engine cannot start: %s\n", e.what());
    std::exit(4);
  }
  return engine.port();
}

}  // namespace hexwire::app::testing
