// hexwire: the engine binary. Parses the configuration, starts one shard per core, listens, prints
// the listening line, and on SIGINT/SIGTERM sends close 1001 to WebSocket peers, drains and exits
// 0. Usage: hexwire [--host 127.0.0.1] [--port 8080] [--shards N] [--backend io_uring|epoll]
// [--help]
#include <signal.h>
#include <sys/resource.h>

#include <csignal>
#include <cstdio>
#include <exception>
#include <system_error>

#include <spdlog/spdlog.h>

#include "app/config.hpp"
#include "app/node.hpp"

namespace {

hexwire::app::Node* g_node = nullptr;

extern "C" void on_stop_signal(int /*signal*/) {
  // Runtime::request_stop is an atomic store plus eventfd writes: async-signal-safe.
  if (g_node != nullptr) {
    g_node->request_stop();
  }
}

void raise_open_file_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    (void)setrlimit(RLIMIT_NOFILE, &limit);
  }
}

}  // namespace

int main(int argc, char** argv) {
  hexwire::app::ParseOutcome parsed = hexwire::app::parse_engine_config(argc, argv);
  if (!parsed.should_run) {
    return parsed.exit_code;
  }
  const hexwire::app::EngineConfig& config = parsed.config;
  spdlog::set_level(spdlog::level::from_str(config.log_level));
  raise_open_file_limit();

  // The stop handler is installed once the node exists (before it listens).
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  std::signal(SIGPIPE, SIG_IGN);
  try {
    hexwire::app::Node node(config);
    g_node = &node;
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
    try {
      node.start();
    } catch (const std::system_error& e) {
      std::fprintf(stderr, "hexwire: cannot start: %s\n", e.what());
      g_node = nullptr;
      return 1;
    }
    std::printf("%s\n", node.banner().c_str());
    std::fflush(stdout);
    node.join();
    g_node = nullptr;
    spdlog::info("hexwire stopped");
    return 0;
  } catch (const std::exception& e) {
    g_node = nullptr;
    std::fprintf(stderr, "hexwire: %s\n", e.what());
    return 1;
  }
}
