// The hook through which further applications join the engine: register_extensions() runs after
// the built-in endpoints exist and before the engine listens. The /ws application (chat and
// dispatch protocol, PROTOCOL.md) registers its WebSocket endpoint and HTTP routes here.
#pragma once

#include "app/engine.hpp"

namespace hexwire::app {

/// Adds the endpoints of the applications compiled into this binary to `engine.server()`.
/// Called once by main() before Engine::start(); throwing aborts start-up with the message.
void register_extensions(Engine& engine);

}  // namespace hexwire::app
