// Backend selection: names of the backends, the factory the reactor calls on its own thread, and
// the io_uring capability probe tests use to report "skipped".
#include <cerrno>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>

#include "core/backend.hpp"
#include "core/epoll_backend.hpp"
#include "core/io_uring_backend.hpp"

namespace hexwire::core {

std::string_view to_string(BackendKind kind) noexcept {
  return kind == BackendKind::kIoUring ? "io_uring" : "epoll";
}

BackendKind parse_backend_kind(std::string_view text) {
  if (text == "io_uring" || text == "uring" || text == "io-uring") {
    return BackendKind::kIoUring;
  }
  if (text == "epoll") {
    return BackendKind::kEpoll;
  }
  throw std::invalid_argument("unknown backend '" + std::string(text) +
                              "' (expected io_uring or epoll)");
}

std::unique_ptr<Backend> make_backend(BackendKind kind, const BackendConfig& config) {
  if (kind == BackendKind::kIoUring) {
    return std::make_unique<IoUringBackend>(config);
  }
  return std::make_unique<EpollBackend>(config);
}

bool io_uring_supported() noexcept {
  try {
    BackendConfig tiny;
    tiny.ring_entries = 8;
    tiny.buffer_count = 2;
    tiny.buffer_size = 64;
    IoUringBackend probe(tiny);
    return true;
  } catch (...) {
    return false;
  }
}

}  // namespace hexwire::core
