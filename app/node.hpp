// app::Node: the one composition root of a hexwire process. From an EngineConfig it builds, as
// siblings with explicit lifetimes, the core::Runtime (the shards), the NodeServices on it (the
// broker, dispatch with its bridge, the /ws service: app/node_services.hpp), the
// net::HttpServer with the built-in endpoints (/healthz, /metrics, /api/stats, /echo with --echo),
// /ws and the dashboard's files at / (app/dashboard.hpp), and the publisher of the node's own
// statistics on sys:stats / sys:channels (app/system_stats.hpp); it listens, and stops gracefully
// (close 1001 to WebSocket peers, then drain). The
// `hexwire` binary, the simulator's embedded engine and the in-process integration tests all
// start a node the same way: Node node(config); node.start(); ... node.request_stop(); node.join().
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "app/config.hpp"
#include "app/node_services.hpp"
#include "core/metrics.hpp"
#include "core/runtime.hpp"
#include "net/http_session.hpp"

namespace hexwire::app {

class SystemStatsPublisher;

/// Session settings for /ws and /echo derived from the flags.
[[nodiscard]] net::WsSessionConfig ws_session_config(const EngineConfig& config);
[[nodiscard]] net::WsSessionConfig echo_session_config(const EngineConfig& config);
[[nodiscard]] net::HttpServerConfig http_server_config(const EngineConfig& config);
[[nodiscard]] core::RuntimeConfig runtime_config(const EngineConfig& config);
/// The connection limit in force: `--max-connections`, or when it is 0 the process's open-file
/// limit (soft) minus 64 descriptors for everything else (rings, eventfds, listeners, files).
[[nodiscard]] std::size_t effective_max_connections(const EngineConfig& config);

/// The NodeServices settings of an engine configuration (/ws message limit from
/// --ws-max-message-bytes, dispatch on).
[[nodiscard]] NodeServicesConfig node_services_config(const EngineConfig& config);

class Node {
 public:
  /// Builds every part; opens nothing yet. Throws std::invalid_argument for an unusable
  /// configuration.
  explicit Node(EngineConfig config);
  /// request_stop() and join(), then the parts in reverse order of construction.
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  /// Register extra HTTP routes and WebSocket endpoints here, before start().
  [[nodiscard]] net::HttpServer& server() noexcept { return *server_; }
  [[nodiscard]] core::Runtime& runtime() noexcept { return *runtime_; }
  [[nodiscard]] core::MetricsRegistry& metrics() noexcept { return runtime_->metrics(); }
  [[nodiscard]] NodeServices& services() noexcept { return *services_; }
  [[nodiscard]] const EngineConfig& config() const noexcept { return config_; }

  /// Starts the shards, the statistics publisher (on shard 0) and listens on config().host:port.
  /// Throws std::system_error when the backend cannot be created or the port is taken
  /// (EADDRINUSE, message names the port).
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
  // Declaration order is construction order; each part uses only those above it.
  std::unique_ptr<core::Runtime> runtime_;
  std::unique_ptr<NodeServices> services_;   // broker, dispatch, /ws service on *runtime_
  std::unique_ptr<net::HttpServer> server_;  // endpoints; /ws sessions use *services_
  // Publishes through services_->broker() on *runtime_; queued timers share it until the runtime
  // drops them.
  std::shared_ptr<SystemStatsPublisher> stats_;
  std::uint16_t port_ = 0;
  std::uint64_t started_ns_ = 0;
};

}  // namespace hexwire::app
