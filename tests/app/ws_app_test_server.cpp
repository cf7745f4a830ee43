// A test server for clients written in other languages: the engine with the /ws application on
// 127.0.0.1, a free port, 2 shards, anonymous auth plus HS256 tokens with the given secret. Prints
// "listening on port N" and runs until its stdin closes (so it never outlives the test driver).
// Usage: app_ws_test_server SECRET
#include <cstdio>
#include <iostream>
#include <string>
#include <system_error>

#include "app/node.hpp"
#include "tests/app/test_engine_config.hpp"

int main(int argc, char** argv) {
  hexwire::app::EngineConfig config = hexwire::app::testing::loopback_engine_config();
  config.ws_app.auth.anonymous = true;
  config.ws_app.auth.jwt_secret = argc > 1 ? argv[1] : "test-secret";
  try {
    hexwire::app::Node engine(config);
    engine.start();
    std::printf("listening on port %u\n", static_cast<unsigned>(engine.port()));
    std::fflush(stdout);
    std::string line;
    while (std::getline(std::cin, line)) {
    }
    engine.request_stop();
    engine.join();
  } catch (const std::system_error& e) {
    std::fprintf(stderr, "cannot start: %s\n", e.what());
    return 4;
  }
  return 0;
}
