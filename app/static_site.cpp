// Loading the dashboard folder into memory and routing its files (see static_site.hpp).
#include "app/static_site.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <system_error>

#include <fmt/format.h>

namespace hexwire::app {

namespace fs = std::filesystem;

std::string_view content_type_for(std::string_view name) noexcept {
  struct Entry {
    std::string_view extension;
    std::string_view type;
  };
  static constexpr Entry kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".txt", "text/plain; charset=utf-8"},
      {".map", "application/json"},
  };
  for (const Entry& entry : kTypes) {
    if (name.ends_with(entry.extension)) {
      return entry.type;
    }
  }
  return "application/octet-stream";
}

namespace {

bool hidden(const fs::path& relative) {
  for (const fs::path& part : relative) {
    const std::string text = part.string();
    if (!text.empty() && text[0] == '.') {
      return true;
    }
  }
  return false;
}

std::string read_whole_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw std::runtime_error(fmt::format("web root: cannot read {}", path.string()));
  }
  std::ostringstream content;
  content << in.rdbuf();
  return std::move(content).str();
}

}  // namespace

std::vector<StaticFile> load_static_site(const std::string& root, StaticSiteLimits limits) {
  std::error_code error;
  if (!fs::is_directory(root, error)) {
    throw std::runtime_error(
        fmt::format("web root {} is not a folder (--web-root; \"\" serves no dashboard)", root));
  }
  std::vector<StaticFile> files;
  std::size_t total = 0;
  const auto options = fs::directory_options::follow_directory_symlink;
  for (auto it = fs::recursive_directory_iterator(root, options, error);
       !error && it != fs::recursive_directory_iterator(); it.increment(error)) {
    const fs::path relative = fs::relative(it->path(), root);
    if (hidden(relative)) {
      if (it->is_directory()) {
        it.disable_recursion_pending();
      }
      continue;
    }
    if (!it->is_regular_file()) {
      continue;
    }
    StaticFile file;
    file.url_path = "/" + relative.generic_string();
    file.content_type = std::string(content_type_for(file.url_path));
    file.body = read_whole_file(it->path());
    total += file.body.size();
    files.push_back(std::move(file));
    if (files.size() > limits.max_files || total > limits.max_total_bytes) {
      throw std::runtime_error(fmt::format(
          "web root {} is too large: more than {} files or {} MiB", root, limits.max_files,
          limits.max_total_bytes >> 20));
    }
  }
  if (error) {
    throw std::runtime_error(fmt::format("web root {}: {}", root, error.message()));
  }
  const bool has_index = std::any_of(files.begin(), files.end(), [](const StaticFile& f) {
    return f.url_path == "/index.html";
  });
  if (!has_index) {
    throw std::runtime_error(fmt::format("web root {} has no index.html", root));
  }
  return files;
}

namespace {

net::HttpHandler file_handler(std::shared_ptr<const StaticFile> file) {
  return [file = std::move(file)](const net::HttpRequest&) {
    net::HttpResponse response;
    response.content_type = file->content_type;
    response.body = file->body;
    response.headers.emplace_back("Cache-Control", "no-cache");
    response.headers.emplace_back("X-Content-Type-Options", "nosniff");
    return response;
  };
}

}  // namespace

void add_static_routes(net::HttpRouter& router, std::vector<StaticFile> files) {
  for (StaticFile& file : files) {
    auto shared = std::make_shared<const StaticFile>(std::move(file));
    if (shared->url_path == "/index.html") {
      router.add("GET", "/", file_handler(shared));
    }
    router.add("GET", shared->url_path, file_handler(shared));
  }
}

}  // namespace hexwire::app
