// HttpSession: request loop (parse, route, answer in order), parse errors (answer, then orderly
// close), idle timeout and request-head deadline (one lazily re-armed timer), and the WebSocket
// upgrade that replaces this handler with a WsSession.
// HttpServer: routes, WebSocket endpoints, per-shard metrics and the accept factory.
#include "net/http_session.hpp"

#include <algorithm>
#include <exception>
#include <stdexcept>

#include "core/clock.hpp"
#include "core/runtime.hpp"
#include "net/http_response.hpp"

namespace hexwire::net {

namespace {

const HttpMetrics* fallback_http_metrics() noexcept {
  struct Fallback {
    core::Counter counters[5];
    HttpMetrics metrics{&counters[0], &counters[1], &counters[2], &counters[3], &counters[4]};
  };
  thread_local Fallback fallback;
  return &fallback.metrics;
}

}  // namespace

// ---- HttpServer ----

HttpServer::HttpServer(HttpServerConfig config) : config_(std::move(config)) {}

HttpServer::~HttpServer() = default;

void HttpServer::add_websocket(std::string path, WsApplicationFactory factory,
                               WsSessionConfig session) {
  if (find_websocket(path) != nullptr) {
    throw std::invalid_argument("WebSocket endpoint registered twice: " + path);
  }
  if (!factory) {
    throw std::invalid_argument("WebSocket endpoint " + path + " has no application factory");
  }
  endpoints_.push_back(
      std::make_unique<WsEndpoint>(WsEndpoint{std::move(path), std::move(factory), session, {}}));
}

void HttpServer::add_websocket(std::string path, std::shared_ptr<WsApplication> shared_application,
                               WsSessionConfig session) {
  if (find_websocket(path) != nullptr) {
    throw std::invalid_argument("WebSocket endpoint registered twice: " + path);
  }
  if (!shared_application) {
    throw std::invalid_argument("WebSocket endpoint " + path + " has no application");
  }
  endpoints_.push_back(std::make_unique<WsEndpoint>(
      WsEndpoint{std::move(path), {}, session, std::move(shared_application)}));
}

const WsEndpoint* HttpServer::find_websocket(std::string_view path) const noexcept {
  for (const auto& endpoint : endpoints_) {
    if (endpoint->path == path) {
      return endpoint.get();
    }
  }
  return nullptr;
}

void HttpServer::attach_metrics(core::MetricsRegistry& registry) {
  http_metrics_.clear();
  ws_metrics_.clear();
  for (unsigned shard = 0; shard < registry.shards(); ++shard) {
    HttpMetrics m;
    m.requests = &registry.counter("http_requests_total", "HTTP requests answered", shard);
    m.bad_requests = &registry.counter("http_bad_requests_total",
                                       "Malformed or oversized HTTP requests (400/413/431)", shard);
    m.upgrades = &registry.counter("http_upgrades_total", "WebSocket handshakes accepted", shard);
    m.rejected_upgrades = &registry.counter(
        "http_upgrades_rejected_total", "WebSocket handshakes refused with an HTTP error", shard);
    m.header_timeouts = &registry.counter(
        "http_header_timeouts_total",
        "Connections closed because a request head did not arrive within --http-header-timeout-ms",
        shard);
    http_metrics_.push_back(m);
    ws_metrics_.push_back(bind_ws_metrics(registry, shard));
  }
}

const HttpMetrics* HttpServer::http_metrics(unsigned shard) const noexcept {
  return shard < http_metrics_.size() ? &http_metrics_[shard] : nullptr;
}

const WsMetrics* HttpServer::ws_metrics(unsigned shard) const noexcept {
  return shard < ws_metrics_.size() ? &ws_metrics_[shard] : nullptr;
}

core::AcceptHandlerFactory HttpServer::accept_handler_factory() {
  return [this](core::Connection& /*connection*/) -> std::unique_ptr<core::ConnectionHandler> {
    const core::Shard* shard = core::Runtime::this_shard();
    return std::make_unique<HttpSession>(*this, shard != nullptr ? shard->id() : 0);
  };
}

std::size_t HttpServer::close_websockets(core::Reactor& reactor, std::uint16_t code,
                                         std::string_view reason) noexcept {
  std::size_t count = 0;
  reactor.for_each_connection([&](core::Connection& connection) {
    if (auto* session = dynamic_cast<WsSession*>(connection.handler())) {
      if (session->is_open()) {
        session->close(code, reason);
        ++count;
      }
    }
  });
  return count;
}

// ---- HttpSession ----

HttpSession::HttpSession(const HttpServer& server, unsigned shard)
    : server_(&server),
      metrics_(server.http_metrics(shard) != nullptr ? server.http_metrics(shard)
                                                     : fallback_http_metrics()),
      ws_metrics_(server.ws_metrics(shard)) {}

HttpSession::~HttpSession() {
  cancel_timer();
}

void HttpSession::on_open(core::Connection& connection) noexcept {
  connection_ = &connection;
  if (core::Shard* shard = core::Runtime::this_shard()) {
    timers_ = &shard->timers();
  }
  last_activity_ns_ = core::monotonic_ns();
  const std::uint64_t head_timeout = server_->config().header_timeout_ns;
  head_deadline_ns_ = head_timeout != 0 ? last_activity_ns_ + head_timeout : 0;
  arm_timer();
}

void HttpSession::on_data(core::Connection& connection, std::span<const std::byte> bytes) noexcept {
  if (done_) {
    return;
  }
  connection_ = &connection;
  last_activity_ns_ = core::monotonic_ns();
  HttpParseStatus status;
  try {
    if (!parser_) {
      parser_.emplace(server_->config().limits);
    }
    status = parser_->feed(bytes);
  } catch (const std::exception&) {
    status = HttpParseStatus::kError;  // allocation failure inside the parser: give up on it
  }
  serve(connection, status);
  if (!done_) {
    track_head_deadline();
  }
}

void HttpSession::track_head_deadline() noexcept {
  const std::uint64_t head_timeout = server_->config().header_timeout_ns;
  if (head_timeout == 0) {
    return;
  }
  if (!parser_->reading_head()) {
    head_deadline_ns_ = 0;  // between requests (the idle timeout applies), or a body is arriving
    return;
  }
  if (head_deadline_ns_ == 0) {
    head_deadline_ns_ = last_activity_ns_ + head_timeout;  // the first byte of a new request
    if (head_deadline_ns_ < timer_due_ns_ || timer_ == 0) {
      arm_timer();
    }
  }
}

void HttpSession::serve(core::Connection& connection, HttpParseStatus status) noexcept {
  HttpParseError error = HttpParseError::kNone;
  try {
    while (status == HttpParseStatus::kComplete) {
      if (!handle_request(connection, parser_->request())) {
        return;  // closing, or the connection now belongs to a WsSession
      }
      status = parser_->next();
      if (connection.over_soft_limit() && status != HttpParseStatus::kError) {
        // The client sends requests faster than it reads the answers: stop reading (TCP flow
        // control slows it down) and stop answering until the queued answers drain.
        paused_status_ = status;
        answering_paused_ = true;
        head_deadline_ns_ = 0;  // we stopped reading: the next head's clock starts after resuming
        connection.pause_reading();
        return;
      }
    }
    if (parser_) {
      error = parser_->error();
    }
  } catch (const std::exception&) {
    status = HttpParseStatus::kError;
  }
  if (status == HttpParseStatus::kError) {
    metrics_->bad_requests->add();
    const int code = error == HttpParseError::kNone ? 400 : http_status_for(error);
    respond(connection, make_status_response(code, false));
    done_ = true;
    connection.close();
  }
}

void HttpSession::on_drained(core::Connection& connection) noexcept {
  if (!answering_paused_ || done_) {
    return;
  }
  answering_paused_ = false;
  serve(connection, paused_status_);
  if (!answering_paused_ && !done_) {
    connection.resume_reading();
  }
}

bool HttpSession::handle_request(core::Connection& connection, HttpRequest& request) noexcept {
  metrics_->requests->add();
  const WsEndpoint* endpoint = server_->find_websocket(request.path);
  if (endpoint != nullptr || request.upgrade) {
    if (endpoint == nullptr) {
      metrics_->rejected_upgrades->add();
      respond(connection, handshake_error_response(HandshakeError::kWrongPath));
      done_ = true;
      connection.close();
      return false;
    }
    return upgrade(connection, request, *endpoint);
  }
  HttpResponse response;
  try {
    response = server_->router().route(request);
  } catch (const std::exception&) {
    response = make_status_response(500, false);
  }
  respond(connection, response);
  if (!response.keep_alive) {
    done_ = true;
    connection.close();
    return false;
  }
  return true;
}

bool HttpSession::upgrade(core::Connection& connection, const HttpRequest& request,
                          const WsEndpoint& endpoint) noexcept {
  try {
    HandshakeConfig handshake;
    handshake.paths = {endpoint.path};
    handshake.allowed_origins = server_->config().allowed_origins;
    handshake.subprotocols = server_->config().subprotocols;
    handshake.deflate = server_->config().deflate;
    HandshakeOutcome outcome = validate_upgrade(request, handshake);
    if (!outcome.ok()) {
      metrics_->rejected_upgrades->add();
      respond(connection, handshake_error_response(outcome.error));
      done_ = true;
      connection.close();
      return false;
    }
    const WsUpgradeInfo info{request.path,   request.query,      outcome.subprotocol, outcome.token,
                             request.origin, &connection.peer(), connection.id()};
    std::unique_ptr<WsSession> session;
    if (endpoint.shared_application) {
      session = std::make_unique<WsSession>(Role::kServer, endpoint.session, ws_metrics_,
                                            *endpoint.shared_application, outcome.deflate);
    } else if (std::unique_ptr<WsApplication> app = endpoint.factory(info)) {
      session = std::make_unique<WsSession>(Role::kServer, endpoint.session, ws_metrics_,
                                            std::move(app), outcome.deflate);
    } else {
      metrics_->rejected_upgrades->add();
      respond(connection, make_status_response(503, false));
      done_ = true;
      connection.close();
      return false;
    }
    connection.send(build_upgrade_response(outcome));
    metrics_->upgrades->add();
    done_ = true;
    cancel_timer();
    // The bytes after the request head belong to the WebSocket. This handler is retired by
    // set_handler and destroyed after the current callback, so `tail` stays valid for start().
    std::string tail = parser_->take_pending();
    WsSession& ws = *session;
    connection.set_handler(std::move(session));
    ws.start(connection, std::as_bytes(std::span<const char>(tail.data(), tail.size())));
    return false;
  } catch (const std::exception&) {
    respond(connection, make_status_response(500, false));
    done_ = true;
    connection.close();
    return false;
  }
}

void HttpSession::respond(core::Connection& connection, const HttpResponse& response) noexcept {
  try {
    connection.send(encode_response(response));
  } catch (const std::exception&) {
    connection.abort();  // could not even allocate the answer
  }
}

void HttpSession::arm_timer() noexcept {
  const std::uint64_t idle = server_->config().idle_timeout_ns;
  std::uint64_t due = idle != 0 ? last_activity_ns_ + idle : UINT64_MAX;
  if (head_deadline_ns_ != 0) {
    due = std::min(due, head_deadline_ns_);
  }
  cancel_timer();
  if (timers_ == nullptr || due == UINT64_MAX) {
    return;
  }
  timer_due_ns_ = due;
  timer_ = timers_->add_at(due, [this] { on_timer(); });
}

void HttpSession::on_timer() noexcept {
  timer_ = 0;
  if (done_ || connection_ == nullptr) {
    return;
  }
  const std::uint64_t now = core::monotonic_ns();
  if (head_deadline_ns_ != 0 && now >= head_deadline_ns_) {
    metrics_->header_timeouts->add();
    if (parser_ && parser_->reading_head()) {
      respond(*connection_, make_status_response(408, false));  // it sent part of a request
    }
    done_ = true;
    connection_->close();
    return;
  }
  const std::uint64_t idle = server_->config().idle_timeout_ns;
  if (idle != 0 && now >= last_activity_ns_ + idle) {
    done_ = true;
    connection_->close();
    return;
  }
  arm_timer();  // there was activity since: wait for the rest of the period
}

void HttpSession::cancel_timer() noexcept {
  if (timer_ != 0 && timers_ != nullptr) {
    timers_->cancel(timer_);
  }
  timer_ = 0;
}

void HttpSession::on_close(core::Connection& /*connection*/,
                           core::CloseReason /*reason*/) noexcept {
  cancel_timer();
  connection_ = nullptr;
}

}  // namespace hexwire::net
