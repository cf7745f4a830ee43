// EmbeddedEngine: an app::Node built as the `hexwire` binary builds it, with /ws in anonymous mode.
#include "sim/tools/embedded_engine.hpp"

#include "app/node.hpp"

namespace hexwire::sim {

struct EmbeddedEngine::State {
  std::unique_ptr<app::Node> node;
};

EmbeddedEngine::EmbeddedEngine(const std::string& host, unsigned shards,
                               std::optional<std::uint32_t> write_delay_us)
    : state_(std::make_unique<State>()) {
  app::EngineConfig config;
  config.host = host;
  config.port = 0;
  config.shards = shards;
  if (write_delay_us) {
    config.write_batching = "fixed";
    config.write_delay_us = *write_delay_us;
  }
  config.pin_threads = false;  // the simulator's own threads share these cores
  config.log_level = "warn";
  config.echo = true;                   // the echo scenario's endpoint
  config.ws_app.auth.anonymous = true;  // simulated users authenticate by name
  state_->node = std::make_unique<app::Node>(std::move(config));
  state_->node->start();
  port_ = state_->node->port();
}

EmbeddedEngine::~EmbeddedEngine() {
  state_->node->request_stop();
  state_->node->join();
}

std::string EmbeddedEngine::banner() const {
  return state_->node->banner();
}

LocalEngineFactory embedded_engine_factory() {
  return [](const std::string& host) -> std::unique_ptr<LocalEngine> {
    return std::make_unique<EmbeddedEngine>(host, 0);
  };
}

}  // namespace hexwire::sim
