// The dashboard's static files: a folder (--web-root) read once at start-up into memory and
// served by exact path on the engine's HTTP router, so a request never touches the disk (shard
// threads must not block) and no path outside the folder can be named. "/" serves index.html.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "net/http_router.hpp"

namespace hexwire::app {

struct StaticFile {
  std::string url_path;  // "/js/main.js"
  std::string content_type;
  std::string body;
};

struct StaticSiteLimits {
  std::size_t max_files = 1'000;
  std::size_t max_total_bytes = 64u << 20;
};

/// Reads every regular file under `root` (recursively, symlinks followed, hidden files and
/// folders skipped). Throws std::runtime_error naming the path when `root` is not a readable
/// folder, holds no index.html, or exceeds `limits`.
[[nodiscard]] std::vector<StaticFile> load_static_site(const std::string& root,
                                                       StaticSiteLimits limits = {});

/// Content-Type for a file name by its extension (text types carry charset=utf-8);
/// application/octet-stream when unknown.
[[nodiscard]] std::string_view content_type_for(std::string_view file_name) noexcept;

/// Adds GET routes for every file, plus "/" for index.html. Responses carry
/// Cache-Control: no-cache (the page and the engine are upgraded together) and
/// X-Content-Type-Options: nosniff. Throws std::invalid_argument when a path is already routed.
void add_static_routes(net::HttpRouter& router, std::vector<StaticFile> files);

}  // namespace hexwire::app
