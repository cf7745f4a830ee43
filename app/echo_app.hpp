// The /echo WebSocket application: every text or binary message goes back unchanged, as one
// message of the same type. Stateless: one instance serves every session on every shard. Its
// endpoint has its own, larger message limit (--echo-max-message-bytes). Used by conformance
// tests and benchmarks.
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

/// The application registered for /echo: one instance shared by every session (it is stateless),
/// so an echo connection allocates nothing for its application.
[[nodiscard]] std::shared_ptr<net::WsApplication> echo_application();

}  // namespace hexwire::app
