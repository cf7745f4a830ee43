// EmbeddedEngine: app::Engine with the applications the `hexwire` binary registers
// (register_extensions), the /ws application in anonymous mode.
#include "sim/tools/embedded_engine.hpp"

#include "app/engine.hpp"
#include "app/extensions.hpp"

namespace hexwire::sim {

struct EmbeddedEngine::State {
  std::unique_ptr<app::Engine> engine;
};

EmbeddedEngine::EmbeddedEngine(const std::string& host, unsigned shards,
                               std::uint32_t write_delay_us)
    : state_(std::make_unique<State>()) {
  app::EngineConfig config;
  config.host = host;
  config.port = 0;
  config.shards = shards;
  config.write_delay_us = write_delay_us;
  config.pin_threads = false;  // the simulator's own threads share these cores
  config.log_level = "warn";
  config.echo = true;                   // the echo scenario's endpoint
  config.ws_app.auth.anonymous = true;  // simulated users authenticate by name
  state_->engine = std::make_unique<app::Engine>(config);
  app::register_extensions(*state_->engine);
  state_->engine->start();
  port_ = state_->engine->port();
}

EmbeddedEngine::~EmbeddedEngine() {
  state_->engine->request_stop();
  state_->engine->join();
}

std::string EmbeddedEngine::banner() const {
  return state_->engine->banner();
}

LocalEngineFactory embedded_engine_factory() {
  return [](const std::string& host) -> std::unique_ptr<LocalEngine> {
    return std::make_unique<EmbeddedEngine>(host, 0);
  };
}

}  // namespace hexwire::sim
