// Settings of the dashboard side of the engine: where the static web files come from (--web-root)
// and how often the sys:stats / sys:channels streams are published. The engine's
// parse_engine_config() calls add_dashboard_options() so these flags share --help and the config
// file with the others; docs/dashboard.md describes what they serve.
#pragma once

#include <cstdint>
#include <string>

namespace CLI {
class App;
}

namespace hexwire::app {

struct DashboardConfig {
  /// Folder served at / (index.html at /). The default is the copy the build made of web/
  /// (HEXWIRE_DEFAULT_WEB_ROOT); an empty string serves no files.
  std::string web_root;
  /// True when --web-root was given: then a missing or unreadable folder stops start-up, while a
  /// missing default copy only logs a warning (the binary was moved away from its build tree).
  bool web_root_explicit = false;
  /// Period of the sys:stats and sys:channels publications; 0 turns both off.
  std::uint32_t stats_interval_ms = 1'000;
  /// How many channels sys:channels lists (the busiest by messages in the last interval).
  std::uint32_t stats_top_channels = 20;
};

/// The web root the build prepared (the build folder's web/ copy).
[[nodiscard]] std::string default_web_root();

/// Adds --web-root, --stats-interval-ms and --stats-top-channels to `cli`, bound to `config`.
void add_dashboard_options(CLI::App& cli, DashboardConfig& config);

}  // namespace hexwire::app
