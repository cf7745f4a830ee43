// EmbeddedEngine: app::Engine + the applications the `hexwire` binary registers, plus /ws in
// anonymous mode when the extensions did not register it (the engine binary's wiring may lag).
#include "sim/embedded_engine.hpp"

#include "app/engine.hpp"
#include "app/extensions.hpp"
#include "app/ws_app.hpp"

namespace hexwire::sim {
namespace {

// Simulated users authenticate by name. The engine configuration carries the /ws settings once the
// application is wired into the engine; before that, /ws is registered below with its own config.
template <typename Config>
void allow_anonymous(Config& config) {
  if constexpr (requires { config.ws_app.auth.anonymous; }) {
    config.ws_app.auth.anonymous = true;
  }
}

}  // namespace

struct EmbeddedEngine::State {
  std::unique_ptr<app::Engine> engine;
  std::shared_ptr<app::WsService> ws;
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
  config.echo = true;  // the echo scenario's endpoint
  allow_anonymous(config);
  state_->engine = std::make_unique<app::Engine>(config);
  app::register_extensions(*state_->engine);
  if (state_->engine->server().find_websocket("/ws") == nullptr) {
    app::WsAppConfig ws;
    ws.auth.anonymous = true;
    state_->ws = app::register_ws_application(*state_->engine, std::move(ws));
  }
  state_->engine->start();
  port_ = state_->engine->port();
}

EmbeddedEngine::~EmbeddedEngine() {
  state_->engine->request_stop();
  state_->engine->join();
  state_->engine.reset();
  state_->ws.reset();
}

std::string EmbeddedEngine::banner() const {
  return state_->engine->banner();
}

}  // namespace hexwire::sim
