// The engine composition root: turns an EngineConfig into a core::Runtime plus an
// net::HttpServer with the built-in endpoints (/healthz, /metrics, /api/stats, /echo with --echo), listens,
// and stops gracefully (close frames 1001 to WebSocket peers, then drain). Used by the `hexwire`
// binary and by in-process integration tests. Extra endpoints (the /ws application) are added
// through server() between construction and start().
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "app/config.hpp"
#include "core/metrics.hpp"
#include "core/runtime.hpp"
#include "net/http_session.hpp"

namespace hexwire::app {

/// Session settings for /ws and /echo derived from the flags.
[[nodiscard]] net::WsSessionConfig ws_session_config(const EngineConfig& config);
[[nodiscard]] net::WsSessionConfig echo_session_config(const EngineConfig& config);
[[nodiscard]] net::HttpServerConfig http_server_config(const EngineConfig& config);
[[nodiscard]] core::RuntimeConfig runtime_config(const EngineConfig& config);

class Engine {
 public:
  /// Builds the runtime and the routes; opens nothing yet.
  explicit Engine(EngineConfig config);
  /// request_stop() and join().
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  /// Register extra HTTP routes and WebSocket endpoints here, before start().
  [[nodiscard]] net::HttpServer& server() noexcept { return *server_; }
  [[nodiscard]] core::Runtime& runtime() noexcept { return *runtime_; }
  [[nodiscard]] core::MetricsRegistry& metrics() noexcept { return runtime_->metrics(); }
  [[nodiscard]] const EngineConfig& config() const noexcept { return config_; }

  /// Starts the shards and listens on config().host:port. Throws std::system_error when the
  /// backend cannot be created or the port is taken (EADDRINUSE, message names the port).
  void start();
  /// The bound port (the kernel's choice when config().port was 0); 0 before start().
  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
  /// "hexwire listening on http://HOST:PORT (ws://HOST:PORT/ws, ...), N shards, backend X": the
  /// WebSocket endpoints registered so far.
  [[nodiscard]] std::string banner() const;

  /// Async-signal-safe: asks every shard to stop (close 1001 to WebSocket peers, drain, exit).
  void request_stop() noexcept { runtime_->request_stop(); }
  /// Waits until every shard has exited.
  void join() { runtime_->join(); }

 private:
  void add_builtin_routes();

  EngineConfig config_;
  std::unique_ptr<core::Runtime> runtime_;
  std::unique_ptr<net::HttpServer> server_;
  std::uint16_t port_ = 0;
  std::uint64_t started_ns_ = 0;
};

}  // namespace hexwire::app
