// Client-role connection set-up: handshake request on connect, 101 verification, then a masked
// WsSession takes over the connection with the bytes that followed the response head.
#include "net/ws_client.hpp"

#include <cstring>
#include <exception>

namespace hexwire::net {

core::Connection* connect_websocket(core::Reactor& reactor, const core::SocketAddress& server,
                                    const WsClientOptions& options,
                                    std::unique_ptr<WsApplication> app, const WsMetrics* metrics) {
  auto handshake = std::make_unique<WsClientHandshake>(options, std::move(app), metrics);
  int error = 0;
  return reactor.connect(server, std::move(handshake), &error);
}

WsClientHandshake::WsClientHandshake(const WsClientOptions& options,
                                     std::unique_ptr<WsApplication> app, const WsMetrics* metrics)
    : options_(&options), app_(std::move(app)), metrics_(metrics) {}

void WsClientHandshake::on_open(core::Connection& connection) noexcept {
  try {
    ClientHandshakeRequest request =
        make_client_handshake(options_->host, options_->target, options_->handshake);
    key_ = std::move(request.key);
    connection.send(std::move(request.bytes));
  } catch (const std::exception&) {
    fail(connection, "could not build the handshake request");
  }
}

void WsClientHandshake::on_data(core::Connection& connection,
                                std::span<const std::byte> bytes) noexcept {
  if (failed_) {
    return;
  }
  try {
    received_.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  } catch (const std::exception&) {
    fail(connection, "out of memory");
    return;
  }
  const auto view = std::as_bytes(std::span<const char>(received_.data(), received_.size()));
  const ClientHandshakeResult result = verify_server_handshake(view, key_, options_->handshake);
  switch (result.status) {
    case ClientHandshakeStatus::kNeedMore:
      if (received_.size() > options_->max_response_head) {
        fail(connection, "handshake response too large");
      }
      return;
    case ClientHandshakeStatus::kRejected:
      fail(connection, result.failure.empty() ? "handshake rejected" : result.failure);
      return;
    case ClientHandshakeStatus::kAccepted:
      break;
  }
  std::unique_ptr<WsSession> session;
  try {
    session = std::make_unique<WsSession>(Role::kClient, options_->session, metrics_,
                                          std::move(app_), result.deflate);
  } catch (const std::exception&) {
    fail(connection, "could not create the session");
    return;
  }
  failed_ = true;  // this handler is done either way
  WsSession& ws = *session;
  // This handler is retired by set_handler and destroyed after this callback: received_ lives on.
  connection.set_handler(std::move(session));
  ws.start(connection, view.subspan(result.consumed));
}

void WsClientHandshake::fail(core::Connection& connection, std::string_view reason) noexcept {
  failed_ = true;
  if (app_) {
    app_->on_connect_failed(reason);
    app_.reset();
  }
  connection.abort();
}

void WsClientHandshake::on_close(core::Connection& connection, core::CloseReason reason) noexcept {
  if (app_) {
    const char* why = reason == core::CloseReason::kConnectFailed ? "connect failed"
                                                                  : "closed during the handshake";
    app_->on_connect_failed(connection.last_error() != 0 &&
                                    reason == core::CloseReason::kConnectFailed
                                ? std::string_view(std::strerror(connection.last_error()))
                                : std::string_view(why));
    app_.reset();
  }
}

}  // namespace hexwire::net
