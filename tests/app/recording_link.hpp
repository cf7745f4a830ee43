// RecordingLink: an in-memory app::ClientLink for the /ws unit tests. It keeps the payload of every
// frame queued on it (the WebSocket header stripped), pulls a stream whole at once (nothing here
// waits for a socket), records the close code, and can play a slow consumer whose policy drops
// every data frame (`refuse`; replies still arrive).
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>

#include "app/ws_app.hpp"

namespace hexwire::app::testing {

class RecordingLink final : public ClientLink {
 public:
  net::WsSendResult send_frame(core::SharedBuffer frame, net::WsSendKind kind) noexcept override {
    if (refuse && kind == net::WsSendKind::kData) {
      return net::WsSendResult::kDropped;
    }
    const auto* p = reinterpret_cast<const unsigned char*>(frame.data());
    const std::size_t length = p[1] & 0x7F;
    const std::size_t header = length == 126 ? 4 : length == 127 ? 10 : 2;
    frames.emplace_back(frame.view().substr(header));
    return net::WsSendResult::kQueued;
  }
  net::WsSendResult send_stream(std::unique_ptr<net::WsFrameStream> stream) noexcept override {
    while (core::SharedBuffer frame = stream->next()) {
      (void)send_frame(std::move(frame), net::WsSendKind::kReply);
    }
    return net::WsSendResult::kQueued;
  }
  void close(std::uint16_t code, std::string_view /*reason*/) noexcept override {
    close_code = code;
  }

  std::deque<std::string> frames;
  std::uint16_t close_code = 0;
  bool refuse = false;  // drop every data frame, as the drop policy does for a slow consumer
};

}  // namespace hexwire::app::testing
