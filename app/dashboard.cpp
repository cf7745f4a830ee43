// add_dashboard_routes: the explicit-or-default policy of --web-root over app/static_site.hpp.
#include "app/dashboard.hpp"

#include <stdexcept>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

#include "app/static_site.hpp"

namespace hexwire::app {

void add_dashboard_routes(net::HttpRouter& router, const DashboardConfig& config) {
  if (config.web_root.empty()) {
    return;
  }
  std::vector<StaticFile> files;
  try {
    files = load_static_site(config.web_root);
  } catch (const std::runtime_error& e) {
    if (config.web_root_explicit) {
      throw;
    }
    spdlog::warn("dashboard not served: {} (give --web-root)", e.what());
    return;
  }
  spdlog::info("dashboard: {} files from {} at /", files.size(), config.web_root);
  add_static_routes(router, std::move(files));
}

}  // namespace hexwire::app
