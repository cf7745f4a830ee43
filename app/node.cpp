// Node: runtime, services and HTTP server wired from the configuration, the built-in endpoints,
// /ws, the dashboard and its statistics, the stop hook that sends close 1001 to WebSocket peers,
// and the start-up banner.
#include "app/node.hpp"

#include <sys/resource.h>

#include <fmt/format.h>

#include "app/dashboard.hpp"
#include "app/echo_app.hpp"
#include "app/system_stats.hpp"
#include "app/ws_app.hpp"
#include "core/clock.hpp"
#include "net/http_response.hpp"
#include "redis/target.hpp"

namespace hexwire::app {

namespace {
constexpr std::uint64_t kNsPerMs = 1'000'000;
}  // namespace

net::WsSessionConfig ws_session_config(const EngineConfig& c) {
  net::WsSessionConfig s;
  s.max_frame_payload = c.ws_max_frame_bytes;
  s.max_message_size = c.ws_max_message_bytes;
  s.ping_interval_ns = c.ws_ping_interval_ms * kNsPerMs;
  s.idle_timeout_ns = c.ws_idle_timeout_ms * kNsPerMs;
  s.close_timeout_ns = c.ws_close_timeout_ms * kNsPerMs;
  s.outbound_soft_limit = c.ws_outbound_soft_limit;
  s.outbound_hard_limit = c.ws_outbound_hard_limit;
  s.outbound_reply_reserve = c.ws_outbound_reply_reserve;
  s.policy =
      c.ws_slow_policy == "drop" ? net::BackpressurePolicy::kDrop : net::BackpressurePolicy::kClose;
  s.deflate_level = c.ws_deflate_level;
  return s;
}

net::WsSessionConfig echo_session_config(const EngineConfig& c) {
  net::WsSessionConfig s = ws_session_config(c);
  s.max_frame_payload = c.echo_max_message_bytes;
  s.max_message_size = c.echo_max_message_bytes;
  return s;
}

net::HttpServerConfig http_server_config(const EngineConfig& c) {
  net::HttpServerConfig h;
  h.limits.max_header_bytes = c.http_max_header_bytes;
  h.limits.max_body_bytes = c.http_max_body_bytes;
  h.idle_timeout_ns = static_cast<std::uint64_t>(c.http_idle_timeout_ms) * kNsPerMs;
  h.header_timeout_ns = static_cast<std::uint64_t>(c.http_header_timeout_ms) * kNsPerMs;
  h.allowed_origins = c.ws_allowed_origins;
  h.deflate.enabled = c.ws_deflate;
  h.deflate.compression_level = c.ws_deflate_level;
  return h;
}

std::size_t effective_max_connections(const EngineConfig& c) {
  if (c.max_connections != 0) {
    return c.max_connections;
  }
  constexpr std::size_t kReservedDescriptors = 64;
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) {
    return 1'000'000;
  }
  const auto files = static_cast<std::size_t>(limit.rlim_cur);
  return files > 2 * kReservedDescriptors ? files - kReservedDescriptors : kReservedDescriptors;
}

core::RuntimeConfig runtime_config(const EngineConfig& c) {
  core::RuntimeConfig r;
  r.max_connections = effective_max_connections(c);
  net::HttpResponse refusal = net::make_status_response(503, false);
  refusal.body = "too many connections\n";
  refusal.headers.emplace_back("Retry-After", "1");
  r.refusal = std::string(net::encode_response(refusal).view());
  r.mailbox_high_water = c.mailbox_high_water;
  r.share_port = c.reuse_port;
  r.shards = c.shards;
  r.backend = c.backend;
  r.pin_threads = c.pin_threads;
  r.shutdown_drain_ns = static_cast<std::uint64_t>(c.shutdown_timeout_ms) * kNsPerMs;
  // The reactor's drain notification marks the end of a "slow" period: align it with the
  // WebSocket soft limit (on_drained fires at a quarter of it).
  r.reactor.send_soft_limit = c.ws_outbound_soft_limit;
  r.reactor.send_low_water = c.ws_outbound_soft_limit / 4;
  r.reactor.write_batching =
      c.write_batching == "fixed" ? core::WriteBatching::kFixed : core::WriteBatching::kAdaptive;
  r.reactor.write_delay_ns = static_cast<std::uint64_t>(c.write_delay_us) * 1000;
  r.reactor.backend_config.buffer_count = c.recv_buffers;
  r.reactor.backend_config.buffer_size = c.recv_buffer_kib * 1024;
  r.reactor.adaptive_batching.max_delay_ns = static_cast<std::uint64_t>(c.write_delay_max_us) * 1000;
  return r;
}

NodeServicesConfig node_services_config(const EngineConfig& c) {
  NodeServicesConfig s;
  s.ws = c.ws_app;
  s.ws.max_message_bytes = c.ws_max_message_bytes;
  s.dispatch = c.dispatch;
  s.scaleout = c.scaleout;
  return s;
}

Node::Node(EngineConfig config)
    : config_(std::move(config)),
      runtime_(std::make_unique<core::Runtime>(runtime_config(config_))),
      services_(std::make_unique<NodeServices>(*runtime_, runtime_->metrics(),
                                               node_services_config(config_))),
      server_(std::make_unique<net::HttpServer>(http_server_config(config_))),
      stats_(std::make_shared<SystemStatsPublisher>(*runtime_, runtime_->metrics(),
                                                    services_->broker(), config_.dashboard)) {
  server_->attach_metrics(runtime_->metrics());
  add_builtin_routes();
  add_dashboard_routes(server_->router(), config_.dashboard);
  WsService& ws = services_->ws();
  server_->add_websocket("/ws", ws.application_factory(),
                         ws_app_session_config(ws_session_config(config_), ws.config()));
  runtime_->set_stop_hook([services = services_.get()](core::Shard& shard) {
    net::HttpServer::close_websockets(shard.reactor(), 1001, "server shutting down");
    services->stop_shard();  // Redis connections close with the shard
  });
}

Node::~Node() {
  runtime_->request_stop();
  runtime_->join();
}

void Node::add_builtin_routes() {
  net::HttpRouter& router = server_->router();
  router.add("GET", "/healthz", [](const net::HttpRequest&) {
    net::HttpResponse response;
    response.body = "ok";
    return response;
  });
  router.add("GET", "/metrics", [this](const net::HttpRequest&) {
    net::HttpResponse response;
    response.content_type = "text/plain; version=0.0.4; charset=utf-8";
    response.body = runtime_->metrics().prometheus_text();
    return response;
  });
  router.add("GET", "/api/stats", [this](const net::HttpRequest&) {
    net::HttpResponse response;
    response.content_type = "application/json";
    const double uptime_s =
        started_ns_ == 0 ? 0.0 : static_cast<double>(core::monotonic_ns() - started_ns_) / 1e9;
    response.body = fmt::format(
        "{{\"version\":\"0.1.0\",\"shards\":{},\"backend\":\"{}\",\"port\":{},\"uptime_s\":{:.3f},"
        "\"metrics\":{}}}",
        runtime_->shard_count(), to_string(config_.backend), port_, uptime_s,
        runtime_->metrics().json());
    return response;
  });
  if (config_.echo) {
    server_->add_websocket("/echo", echo_application(), echo_session_config(config_));
  }
}

void Node::start() {
  for (unsigned shard = 0; shard < runtime_->shard_count(); ++shard) {
    runtime_->post(shard, [services = services_.get()] { services->start_shard(); });
  }
  runtime_->post(0, [stats = stats_] { stats->start(); });
  runtime_->start();
  port_ = runtime_->listen(config_.host, config_.port, server_->accept_handler_factory());
  started_ns_ = core::monotonic_ns();
}

std::string Node::banner() const {
  std::string endpoints;
  for (const auto& endpoint : server_->websockets()) {
    endpoints += fmt::format("{}ws://{}:{}{}", endpoints.empty() ? "" : ", ", config_.host, port_,
                             endpoint->path);
  }
  std::string broker = "memory";
  if (const scaleout::RedisBroker* pool = services_->redis_broker()) {
    broker = fmt::format("redis {} as node {}",
                         redis::describe(redis::parse_target(config_.scaleout.redis_url)),
                         pool->node_id());
  }
  return fmt::format("hexwire listening on http://{}:{} ({}), {} shards, backend {}, broker {}",
                     config_.host, port_, endpoints, runtime_->shard_count(),
                     to_string(config_.backend), broker);
}

}  // namespace hexwire::app
