// HTTP/1.1 on a core::Connection and the server object that owns the routes. HttpSession feeds the
// incremental parser, answers pipelined requests in order through the HttpRouter (pausing reads
// while a client that does not read its answers has more than the soft limit queued), answers bad
// requests with 400/413/431 and closes, closes idle keep-alive connections and requests whose head
// does not arrive within the header timeout (slowloris; shard timer wheel), and
// upgrades GET requests on registered WebSocket paths to a WsSession (handing over the bytes that
// followed the handshake). HttpServer holds the router, the WebSocket endpoints and the settings.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/connection.hpp"
#include "core/metrics.hpp"
#include "core/reactor.hpp"
#include "core/socket.hpp"
#include "core/timer_wheel.hpp"
#include "net/http_request_parser.hpp"
#include "net/http_router.hpp"
#include "net/ws_handshake.hpp"
#include "net/ws_session.hpp"

namespace hexwire::net {

/// What an application factory learns about the upgrade (valid only during the call).
struct WsUpgradeInfo {
  std::string_view path;
  std::string_view query;
  std::string_view subprotocol;  // agreed subprotocol, empty when none
  std::string_view token;        // ?token= value, URL-decoded, empty when absent
  std::string_view origin;
  const core::SocketAddress* peer = nullptr;
  core::ConnectionId connection_id = 0;
};

/// Creates the per-session application; runs on the accepting shard. Returning nullptr refuses
/// the upgrade with 503.
using WsApplicationFactory = std::function<std::unique_ptr<WsApplication>(const WsUpgradeInfo&)>;

struct WsEndpoint {
  std::string path;
  WsApplicationFactory factory;  // empty when shared_application serves every session
  WsSessionConfig session;
  /// A stateless application serving every session of the endpoint on every shard (no
  /// allocation per connection); set instead of `factory`.
  std::shared_ptr<WsApplication> shared_application;
};

struct HttpServerConfig {
  HttpParserLimits limits;
  std::uint64_t idle_timeout_ns = 60'000'000'000;  // keep-alive connection idle this long: closed
  /// A request head (request line and headers) must be complete this long after its first byte,
  /// and a new connection must send a complete head this long after it was accepted (slowloris);
  /// otherwise 408 (when it sent part of one) and close. 0 = no deadline.
  std::uint64_t header_timeout_ns = 10'000'000'000;
  std::vector<std::string> allowed_origins;        // empty: any origin
  std::vector<std::string> subprotocols = {std::string(kSubprotocolV1)};
  DeflateConfig deflate;  // permessage-deflate (off by default)
};

/// Per-shard HTTP metrics.
struct HttpMetrics {
  core::Counter* requests = nullptr;
  core::Counter* bad_requests = nullptr;  // 400/413/431 from the parser
  core::Counter* upgrades = nullptr;      // successful WebSocket handshakes
  core::Counter* rejected_upgrades = nullptr;
  core::Counter* header_timeouts = nullptr;  // 408 / closed: a request head came too slowly
};

class HttpServer {
 public:
  explicit HttpServer(HttpServerConfig config = {});
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  /// Plain HTTP endpoints (register before serving; read-only afterwards).
  [[nodiscard]] HttpRouter& router() noexcept { return router_; }
  [[nodiscard]] const HttpRouter& router() const noexcept { return router_; }

  /// Registers a WebSocket endpoint. Throws std::invalid_argument on a duplicate path.
  void add_websocket(std::string path, WsApplicationFactory factory, WsSessionConfig session = {});
  /// Registers a WebSocket endpoint served by one stateless application: every session on every
  /// shard calls it concurrently, so it must keep no per-session state (it gets the session in
  /// each callback). Throws std::invalid_argument on a duplicate path or a null application.
  void add_websocket(std::string path, std::shared_ptr<WsApplication> shared_application,
                     WsSessionConfig session = {});
  [[nodiscard]] const WsEndpoint* find_websocket(std::string_view path) const noexcept;
  [[nodiscard]] const std::vector<std::unique_ptr<WsEndpoint>>& websockets() const noexcept {
    return endpoints_;
  }

  /// Registers the http_* and ws_* metric families for every shard of `registry`. Call before
  /// serving; without it sessions count into private per-thread instances.
  void attach_metrics(core::MetricsRegistry& registry);

  /// The factory to pass to core::Runtime::listen / Reactor::add_listener. The server must
  /// outlive every connection it accepts.
  [[nodiscard]] core::AcceptHandlerFactory accept_handler_factory();

  /// Sends a close frame with `code` to every open WebSocket session of `reactor` (e.g. 1001 from
  /// the runtime's stop hook). Returns how many sessions were asked to close.
  static std::size_t close_websockets(core::Reactor& reactor, std::uint16_t code,
                                      std::string_view reason) noexcept;

  [[nodiscard]] const HttpServerConfig& config() const noexcept { return config_; }
  /// Metrics of `shard` (null when attach_metrics was not called).
  [[nodiscard]] const HttpMetrics* http_metrics(unsigned shard) const noexcept;
  [[nodiscard]] const WsMetrics* ws_metrics(unsigned shard) const noexcept;

 private:
  HttpServerConfig config_;
  HttpRouter router_;
  std::vector<std::unique_ptr<WsEndpoint>> endpoints_;
  std::vector<HttpMetrics> http_metrics_;
  std::vector<WsMetrics> ws_metrics_;
};

/// One HTTP/1.1 connection (created by HttpServer's accept factory).
class HttpSession final : public core::ConnectionHandler {
 public:
  HttpSession(const HttpServer& server, unsigned shard);
  ~HttpSession() override;

  void on_open(core::Connection& connection) noexcept override;
  void on_data(core::Connection& connection, std::span<const std::byte> bytes) noexcept override;
  /// Resumes answering (and reading) once the answers queued for a pipelining client drained.
  void on_drained(core::Connection& connection) noexcept override;
  void on_close(core::Connection& connection, core::CloseReason reason) noexcept override;

 private:
  /// Answers every complete request the parser holds (`status` from feed/next); pauses reading
  /// when the connection's queued answers pass the reactor's soft limit.
  void serve(core::Connection& connection, HttpParseStatus status) noexcept;
  /// Handles the completed request; false when the connection stops being HTTP (closed/upgraded).
  bool handle_request(core::Connection& connection, HttpRequest& request) noexcept;
  bool upgrade(core::Connection& connection, const HttpRequest& request,
               const WsEndpoint& endpoint) noexcept;
  void respond(core::Connection& connection, const HttpResponse& response) noexcept;
  /// Starts or ends the head deadline after the parser saw new bytes.
  void track_head_deadline() noexcept;
  /// (Re-)arms the timer at the earlier of the idle deadline and the head deadline.
  void arm_timer() noexcept;
  void on_timer() noexcept;
  void cancel_timer() noexcept;

  const HttpServer* server_;
  const HttpMetrics* metrics_;
  const WsMetrics* ws_metrics_;
  std::optional<HttpRequestParser> parser_;  // created by the first bytes: idle costs nothing
  core::Connection* connection_ = nullptr;
  core::TimerWheel* timers_ = nullptr;
  core::TimerId timer_ = 0;
  std::uint64_t last_activity_ns_ = 0;
  std::uint64_t head_deadline_ns_ = 0;  // a request head must be complete by then; 0: none due
  std::uint64_t timer_due_ns_ = 0;      // when the armed timer fires
  HttpParseStatus paused_status_ = HttpParseStatus::kNeedMore;  // parser state when paused
  bool answering_paused_ = false;  // reading paused until the queued answers drain
  bool done_ = false;              // closing or upgraded: ignore further bytes
};

}  // namespace hexwire::net
