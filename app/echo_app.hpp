// The /echo WebSocket application: every text or binary message goes back unchanged, as one
// message of the same type. Stateless apart from the session it serves; its endpoint has its own,
// larger message limit (--echo-max-message-bytes). Used by conformance tests and benchmarks.
#pragma once

#include <memory>

#include "net/http_session.hpp"
#include "net/ws_session.hpp"

namespace hexwire::app {

class EchoApplication final : public net::WsApplication {
 public:
  void on_message(net::WsSession& session, net::Opcode opcode,
                  std::span<const std::byte> payload) noexcept override;
};

/// The factory registered for /echo.
[[nodiscard]] net::WsApplicationFactory echo_application_factory();

}  // namespace hexwire::app
