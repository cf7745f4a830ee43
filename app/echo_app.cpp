// EchoApplication: sends each received message back with the same opcode.
#include "app/echo_app.hpp"

#include <string_view>

namespace hexwire::app {

void EchoApplication::on_message(net::WsSession& session, net::Opcode opcode,
                                 std::span<const std::byte> payload) noexcept {
  if (opcode == net::Opcode::kText) {
    session.send_text(
        std::string_view(reinterpret_cast<const char*>(payload.data()), payload.size()));
  } else {
    session.send_binary(payload);
  }
}

std::shared_ptr<net::WsApplication> echo_application() {
  return std::make_shared<EchoApplication>();
}

}  // namespace hexwire::app
