// The dashboard's share of the HTTP side of a node: the web folder (--web-root) served at / from
// memory (app/static_site.hpp). app::Node calls it while building its server; the statistics the
// page reads over /ws (sys:stats, sys:channels) come from app/system_stats.hpp, which the Node
// builds on its executor.
#pragma once

#include "app/dashboard_config.hpp"
#include "net/http_router.hpp"

namespace hexwire::app {

/// Adds the static routes of config.web_root to `router` (nothing when web_root is empty). Throws
/// std::runtime_error when an explicitly given --web-root cannot be served; a missing default
/// copy (a binary moved away from its build tree) only logs a warning.
void add_dashboard_routes(net::HttpRouter& router, const DashboardConfig& config);

}  // namespace hexwire::app
