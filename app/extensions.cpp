// Applications registered on top of the built-in endpoints. Currently none: the /ws application
// (chat/dispatch protocol) is added here by its owner, e.g.
//   auto& server = engine.server();
//   server.add_websocket("/ws", make_protocol_factory(...), ws_session_config(engine.config()));
#include "app/extensions.hpp"

namespace hexwire::app {

void register_extensions(Engine& /*engine*/) {}

}  // namespace hexwire::app
