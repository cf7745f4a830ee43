// Applications registered on top of the built-in endpoints (/healthz, /metrics, /api/stats,
// /echo): the /ws messaging application (app/ws_app.hpp), which later carries dispatch too.
#include "app/extensions.hpp"

#include "app/dispatch_ops.hpp"
#include "app/ws_app.hpp"

namespace hexwire::app {

void register_extensions(Engine& engine) {
  // The endpoint keeps its own reference to the service; the service keeps the dispatch engine.
  const std::shared_ptr<WsService> service =
      register_ws_application(engine, engine.config().ws_app);
  (void)enable_dispatch(engine, *service, engine.config().dispatch);
}

}  // namespace hexwire::app
