// WebSocket client role for simulators, benchmarks and tests: connects through Reactor::connect,
// sends the opening handshake, checks the server's 101, then hands the connection to a client-role
// WsSession (masked frames) driving the given WsApplication. Failures before the session opens are
// reported through WsApplication::on_connect_failed.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/connection.hpp"
#include "core/reactor.hpp"
#include "core/socket.hpp"
#include "net/ws_handshake.hpp"
#include "net/ws_session.hpp"

namespace hexwire::net {

struct WsClientOptions {
  std::string host = "127.0.0.1";  // Host header
  std::string target = "/ws";      // request target, e.g. "/ws?token=..."
  ClientHandshakeOptions handshake;
  /// Client sessions do not ping and have no idle timeout by default.
  WsSessionConfig session{.max_frame_payload = 16u << 20,
                          .max_message_size = 16u << 20,
                          .ping_interval_ns = 0,
                          .idle_timeout_ns = 0,
                          .close_timeout_ns = 5'000'000'000,
                          .outbound_soft_limit = 1u << 20,
                          .outbound_hard_limit = 64u << 20,
                          .policy = BackpressurePolicy::kClose,
                          .deflate_level = 6,
                          .deflate_min_size = 64};
  std::size_t max_response_head = 8192;
};

/// Starts a client connection on `reactor` (its thread). `options` must outlive the connection
/// (the session keeps a pointer to options.session). Returns the connection, or nullptr when no
/// socket could be created (the application is then destroyed without callbacks). A connect
/// failure after that is reported through app->on_connect_failed.
core::Connection* connect_websocket(core::Reactor& reactor, const core::SocketAddress& server,
                                    const WsClientOptions& options,
                                    std::unique_ptr<WsApplication> app,
                                    const WsMetrics* metrics = nullptr);

/// The handshake phase of a client connection (replaced by a WsSession once the server accepts).
class WsClientHandshake final : public core::ConnectionHandler {
 public:
  WsClientHandshake(const WsClientOptions& options, std::unique_ptr<WsApplication> app,
                    const WsMetrics* metrics);

  void on_open(core::Connection& connection) noexcept override;
  void on_data(core::Connection& connection, std::span<const std::byte> bytes) noexcept override;
  void on_close(core::Connection& connection, core::CloseReason reason) noexcept override;

 private:
  void fail(core::Connection& connection, std::string_view reason) noexcept;

  const WsClientOptions* options_;
  std::unique_ptr<WsApplication> app_;
  const WsMetrics* metrics_;
  std::string key_;
  std::string received_;
  bool failed_ = false;
};

}  // namespace hexwire::net
