// Private state of a WsSession shared by its two translation units (ws_session.cpp: receive side
// and life cycle; ws_session_send.cpp: sending): the permessage-deflate streams, and the outbox,
// the part of the outbound queue that waits above the socket (see WsOutbox).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>

#include "core/shared_buffer.hpp"
#include "net/ws_deflate.hpp"
#include "net/ws_session.hpp"

namespace hexwire::net {

struct WsSession::DeflateState {
  WsDeflater deflater;
  WsInflater inflater;
  DeflateState(Role role, const DeflateParams& p, int level)
      : deflater(
            role == Role::kServer ? p.server_max_window_bits : p.client_max_window_bits,
            role == Role::kServer ? p.server_no_context_takeover : p.client_no_context_takeover,
            level),
        inflater(
            role == Role::kServer ? p.client_max_window_bits : p.server_max_window_bits,
            role == Role::kServer ? p.client_no_context_takeover : p.server_no_context_takeover) {}
};

namespace detail {

/// Streams (resume backlogs, encoded on demand as the socket drains) and every frame sent after
/// one of them, in send order, plus the count of data messages dropped since the peer was last
/// told. A session allocates it on its first stream or drop and frees it once both are gone, so
/// an idle session holds none.
struct WsOutbox {
  /// Either a prebuilt frame or a stream (exactly one is set).
  struct Item {
    core::SharedBuffer frame;
    std::unique_ptr<WsFrameStream> stream;
  };
  std::deque<Item> items;
  std::size_t frame_bytes = 0;  // bytes of the prebuilt frames in `items` (streams count nothing)
  std::uint64_t dropped = 0;    // data messages dropped since the last notice
};

}  // namespace detail
}  // namespace hexwire::net
