// CLI11 flags of the dashboard (static files and the sys: statistics streams).
#include "app/dashboard_config.hpp"

#include <CLI/CLI.hpp>

#include <string>

namespace hexwire::app {

std::string default_web_root() {
#ifdef HEXWIRE_DEFAULT_WEB_ROOT
  return HEXWIRE_DEFAULT_WEB_ROOT;
#else
  return {};
#endif
}

void add_dashboard_options(CLI::App& cli, DashboardConfig& c) {
  if (c.web_root.empty() && !c.web_root_explicit) {
    c.web_root = default_web_root();
  }
  cli.add_option_function<std::string>(
         "--web-root",
         [&c](const std::string& path) {
           c.web_root = path;
           c.web_root_explicit = true;
         },
         "Folder of the dashboard served at / (loaded at start-up); \"\" serves none")
      ->default_str(c.web_root);
  cli.add_option("--stats-interval-ms", c.stats_interval_ms,
                 "Publish sys:stats and sys:channels this often; 0 = never")
      ->capture_default_str()
      ->check([](const std::string& text) -> std::string {
        const unsigned long value = std::stoul(text);
        if (value != 0 && (value < 100 || value > 3'600'000)) {
          return "--stats-interval-ms must be 0 (off) or 100..3600000";
        }
        return {};
      });
  cli.add_option("--stats-top-channels", c.stats_top_channels,
                 "Channels listed in sys:channels (the busiest of the last interval)")
      ->capture_default_str()
      ->check(CLI::Range(1u, 200u));
}

}  // namespace hexwire::app
