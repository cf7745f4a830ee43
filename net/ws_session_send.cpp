// WsSession, sending side: admission of every outbound message against the per-connection limits
// (data: hard limit, then the drop/close policy; replies and control frames: hard limit + reply
// reserve, then close 1008), the drop notice placed where the gap is, and the outbox that streams
// backlogs as the socket drains. Pumping runs only while the reactor's queue is under its soft
// limit and resumes from on_drained, which the reactor owes exactly when it stopped for that
// reason: every drain moves at least soft limit - low water bytes, so streaming cannot livelock.
#include <algorithm>
#include <array>
#include <exception>
#include <utility>
#include <vector>

#include "net/detail/ws_session_state.hpp"
#include "net/ws_close.hpp"
#include "net/ws_session.hpp"

namespace hexwire::net {

namespace {

/// Scratch for compressing on this thread (no per-session buffer). Separate from the inflate
/// scratch: an application may send the very message it is being handed (echo).
std::vector<std::byte>& deflate_scratch() noexcept {
  thread_local std::vector<std::byte> buffer;
  return buffer;
}

/// Mask keys for client-role frames: one generator per thread, seeded from getrandom on first use
/// (a session does not carry one).
MaskKeyGenerator& client_mask_keys() noexcept {
  thread_local MaskKeyGenerator keys;
  return keys;
}

}  // namespace

std::size_t WsSession::queued_bytes() const noexcept {
  const std::size_t socket = connection_ != nullptr ? connection_->buffered_bytes() : 0;
  return socket + (outbox_ ? outbox_->frame_bytes : 0);
}

std::size_t WsSession::buffered_bytes() const noexcept {
  return queued_bytes();
}

bool WsSession::streaming() const noexcept {
  return outbox_ && !outbox_->items.empty();
}

WsSendResult WsSession::send_text(std::string_view text, WsSendKind kind) noexcept {
  return send_data(Opcode::kText, std::as_bytes(std::span<const char>(text.data(), text.size())),
                   kind);
}

WsSendResult WsSession::send_binary(std::span<const std::byte> bytes, WsSendKind kind) noexcept {
  return send_data(Opcode::kBinary, bytes, kind);
}

WsSendResult WsSession::send_frame(core::SharedBuffer frame, WsSendKind kind) noexcept {
  return queue_frame(std::move(frame), kind);
}

WsSendResult WsSession::send_data(Opcode opcode, std::span<const std::byte> payload,
                                  WsSendKind kind) noexcept {
  if (state_ != State::kOpen || connection_ == nullptr) {
    return WsSendResult::kClosed;
  }
  // Admission is decided on the uncompressed size BEFORE compressing: a dropped message must not
  // enter the deflate context window the peer never sees.
  if (const WsSendResult admitted = admit(payload.size(), kind);
      admitted != WsSendResult::kQueued) {
    return admitted;
  }
  FrameFlags flags;
  std::span<const std::byte> body = payload;
  if (deflate_ && payload.size() >= config_->deflate_min_size) {
    std::vector<std::byte>& out = deflate_scratch();
    out.clear();
    if (deflate_->deflater.compress(payload, out)) {
      body = out;
      flags.rsv1 = true;
    }
  }
  core::SharedBuffer frame = role_ == Role::kServer
                                 ? encode_frame(opcode, body, flags)
                                 : encode_masked_frame(opcode, body, client_mask_keys(), flags);
  commit(std::move(frame), kind);
  return WsSendResult::kQueued;
}

WsSendResult WsSession::queue_frame(core::SharedBuffer frame, WsSendKind kind) noexcept {
  if (state_ != State::kOpen || connection_ == nullptr) {
    return WsSendResult::kClosed;
  }
  if (const WsSendResult admitted = admit(frame.size(), kind); admitted != WsSendResult::kQueued) {
    return admitted;
  }
  commit(std::move(frame), kind);
  return WsSendResult::kQueued;
}

WsSendResult WsSession::admit(std::size_t size, WsSendKind kind) noexcept {
  const std::size_t queued = queued_bytes();
  if (kind == WsSendKind::kReply) {
    if (queued <= config_->outbound_hard_limit + config_->outbound_reply_reserve) {
      return WsSendResult::kQueued;
    }
    metrics_->outbound_overflows->add();
    fail(to_wire(CloseCode::kPolicyViolation), "outbound buffer full");
    return WsSendResult::kClosed;
  }
  // A message is always admitted into an empty queue, so the bound per connection is
  // hard limit + one message (replies and control frames aside).
  if (queued == 0 || queued + size <= config_->outbound_hard_limit) {
    return WsSendResult::kQueued;
  }
  note_slow();
  if (config_->policy == BackpressurePolicy::kDrop) {
    metrics_->messages_dropped->add();
    try {
      if (!outbox_) {
        outbox_ = std::make_unique<detail::WsOutbox>();
      }
      ++outbox_->dropped;
      // No drain notification is owed (a message too big for the room left, with the socket's
      // queue under the soft limit): nothing would announce the gap, so announce it now.
      if (!connection_->over_soft_limit()) {
        queue_drop_notice();
      }
    } catch (const std::exception&) {
      // Out of memory: the message is dropped all the same, only the notice is lost.
    }
    return WsSendResult::kDropped;
  }
  fail(to_wire(CloseCode::kPolicyViolation), "outbound buffer full");
  return WsSendResult::kClosed;
}

void WsSession::commit(core::SharedBuffer frame, WsSendKind kind) noexcept {
  if (kind == WsSendKind::kData && outbox_ && outbox_->dropped > 0) {
    queue_drop_notice();  // the peer learns of the gap right where it is
  }
  enqueue(std::move(frame));
  metrics_->messages_sent->add();
  const std::size_t queued = queued_bytes();
  if (queued > config_->outbound_soft_limit) {
    note_slow();
  } else if (slow_ && queued <= config_->outbound_soft_limit / 4) {
    clear_slow();
  }
}

void WsSession::enqueue(core::SharedBuffer frame) noexcept {
  if (streaming()) {
    const std::size_t size = frame.size();
    try {
      outbox_->items.push_back({std::move(frame), nullptr});
      outbox_->frame_bytes += size;
    } catch (const std::exception&) {
      fail(to_wire(CloseCode::kInternalError), "out of memory");
    }
    return;
  }
  connection_->send(std::move(frame));
}

void WsSession::queue_drop_notice() noexcept {
  const std::uint64_t dropped = std::exchange(outbox_->dropped, 0);
  core::SharedBuffer notice = app_->drop_notice(*this, dropped);
  if (notice) {
    metrics_->drop_notices->add();
    metrics_->messages_sent->add();
    enqueue(std::move(notice));
  }
}

WsSendResult WsSession::send_stream(std::unique_ptr<WsFrameStream> stream) noexcept {
  if (state_ != State::kOpen || connection_ == nullptr || !stream) {
    return WsSendResult::kClosed;
  }
  try {
    if (!outbox_) {
      outbox_ = std::make_unique<detail::WsOutbox>();
    }
    outbox_->items.push_back({core::SharedBuffer(), std::move(stream)});
  } catch (const std::exception&) {
    fail(to_wire(CloseCode::kInternalError), "out of memory");
    return WsSendResult::kClosed;
  }
  pump();
  return WsSendResult::kQueued;
}

void WsSession::pump() noexcept {
  if (!outbox_ || connection_ == nullptr || state_ != State::kOpen) {
    return;
  }
  auto& items = outbox_->items;
  while (!items.empty() && connection_->is_open() && !connection_->over_soft_limit()) {
    detail::WsOutbox::Item& front = items.front();
    if (front.stream) {
      core::SharedBuffer frame = front.stream->next();
      if (!frame) {
        items.pop_front();  // the stream ended
        continue;
      }
      connection_->send(std::move(frame));
      metrics_->messages_sent->add();
      metrics_->streamed_frames->add();
      continue;
    }
    outbox_->frame_bytes -= front.frame.size();
    connection_->send(std::move(front.frame));
    items.pop_front();
  }
  if (!items.empty() || !connection_->is_open()) {
    return;  // on_drained calls again once the socket's queue has drained to low water
  }
  if (outbox_->dropped > 0 && !connection_->over_soft_limit()) {
    queue_drop_notice();  // drops with nothing admitted after them: tell the peer now
  }
  if (outbox_->dropped == 0) {
    outbox_.reset();
  }
}

void WsSession::send_control(Opcode opcode, std::span<const std::byte> payload) noexcept {
  if (connection_ == nullptr) {
    return;
  }
  core::SharedBuffer frame = role_ == Role::kServer ? encode_frame(opcode, payload)
                                                    : encode_masked_frame(opcode, payload, client_mask_keys());
  connection_->send(std::move(frame));
}

void WsSession::send_close_frame(std::uint16_t code, std::string_view reason, bool empty) noexcept {
  std::array<std::byte, 125> payload{};
  const std::size_t length = empty ? 0 : close_frame_payload(code, reason, payload);
  send_control(Opcode::kClose, std::span<const std::byte>(payload.data(), length));
}

void WsSession::ping(std::span<const std::byte> payload) noexcept {
  if (state_ != State::kOpen) {
    return;
  }
  payload = payload.subspan(0, std::min<std::size_t>(payload.size(), 125));
  if (admit(frame_header_size(payload.size(), role_ == Role::kClient) + payload.size(),
            WsSendKind::kReply) != WsSendResult::kQueued) {
    return;  // the queue overflowed: the session is closing
  }
  send_control(Opcode::kPing, payload);
  awaiting_pong_ = true;
  metrics_->pings_sent->add();
}

void WsSession::note_slow() noexcept {
  if (!slow_) {
    slow_ = true;
    metrics_->slow_connections->add(1);
    metrics_->slow_events->add();
  }
}

void WsSession::clear_slow() noexcept {
  if (slow_) {
    slow_ = false;
    metrics_->slow_connections->add(-1);
  }
}

void WsSession::on_drained(core::Connection& /*connection*/) noexcept {
  clear_slow();
  pump();
  if (state_ == State::kOpen) {
    app_->on_drained(*this);
  }
}

}  // namespace hexwire::net
