// WsSession: RFC 6455 session state machine on a core::Connection (see ws_session.hpp), receive
// side and life cycle. Closing handshake: open -> (we send close) closing -> (peer's close or
// timeout) closed; a peer-initiated close is echoed at once. A protocol violation sends its close
// code and closes TCP right away. One timer per session drives pings, the idle timeout and the
// close timeout. Sending, admission and streams: ws_session_send.cpp.
#include "net/ws_session.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <vector>

#include "core/clock.hpp"
#include "core/runtime.hpp"
#include "net/detail/ws_session_state.hpp"
#include "net/utf8.hpp"
#include "net/ws_close.hpp"

namespace hexwire::net {

namespace {

/// Scratch for inflating one received message at a time on this thread (no per-session buffer).
std::vector<std::byte>& inflate_scratch() noexcept {
  thread_local std::vector<std::byte> buffer;
  return buffer;
}

WsDecoderOptions decoder_options(const WsSessionConfig& config, bool deflate) noexcept {
  return WsDecoderOptions{.max_frame_payload = config.max_frame_payload,
                          .max_message_size = config.max_message_size,
                          .allow_rsv1 = deflate,
                          .validate_utf8 = true,
                          .stream_fragments = false};
}

core::TimerWheel* shard_timers() noexcept {
  core::Shard* shard = core::Runtime::this_shard();
  return shard != nullptr ? &shard->timers() : nullptr;
}

}  // namespace

static_assert(sizeof(WsSession) <= 152, "a WsSession is paid per connection: docs/capacity.md");

/// Forwards the decoder's callbacks to the session; lives on decode()'s stack, so the session
/// itself carries no second vtable pointer.
struct WsSession::DecodeSink final : WsFrameSink {
  explicit DecodeSink(WsSession& session) noexcept : session(session) {}
  void on_message(Opcode opcode, std::span<std::byte> payload, bool final) noexcept override {
    session.on_message(opcode, payload, final);
  }
  void on_control(Opcode opcode, std::span<const std::byte> payload) noexcept override {
    session.on_control(opcode, payload);
  }
  void on_error(CloseCode code, std::string_view reason) noexcept override {
    session.on_error(code, reason);
  }
  WsSession& session;
};

WsSession::WsSession(Role role, const WsSessionConfig& config, const WsMetrics* metrics,
                     std::unique_ptr<WsApplication> app, std::optional<DeflateParams> deflate)
    : WsSession(role, config, metrics, *app, deflate) {
  app_owned_ = true;
  app.release();  // owned by this session from here on
}

WsSession::WsSession(Role role, const WsSessionConfig& config, const WsMetrics* metrics,
                     WsApplication& shared_app, std::optional<DeflateParams> deflate)
    : decoder_(role, decoder_options(config, deflate.has_value())),
      config_(&config),
      metrics_(metrics != nullptr ? metrics : detail::fallback_ws_metrics()),
      app_(&shared_app),
      role_(role),
      app_owned_(false) {
  if (deflate) {
    deflate_ = std::make_unique<DeflateState>(role, *deflate, config.deflate_level);
  }
}

WsSession::~WsSession() {
  cancel_timer();
  outbox_.reset();  // streams may refer to the application: they go first
  deflate_.reset();
  if (app_owned_) {
    delete app_;
  }
}

std::uint64_t WsSession::now_ns() const noexcept {
  return core::monotonic_ns();
}

void WsSession::start(core::Connection& connection, std::span<const std::byte> initial) noexcept {
  connection_ = &connection;
  started_ = true;
  last_activity_ns_ = now_ns();
  metrics_->sessions_open->add(1);
  metrics_->sessions_opened->add();
  app_->on_open(*this);
  if (state_ == State::kOpen) {
    const std::uint64_t first =
        std::min(config_->ping_interval_ns != 0 ? config_->ping_interval_ns : UINT64_MAX,
                 config_->idle_timeout_ns != 0 ? config_->idle_timeout_ns : UINT64_MAX);
    if (first != UINT64_MAX) {
      arm_timer(last_activity_ns_ + first);
    }
  }
  if (!initial.empty() && connection_ != nullptr && connection.is_open()) {
    decode(initial);
  }
}

void WsSession::on_data(core::Connection& /*connection*/,
                        std::span<const std::byte> bytes) noexcept {
  decode(bytes);
}

void WsSession::decode(std::span<const std::byte> bytes) noexcept {
  // The decoder unmasks in place. The bytes are this shard's receive buffer (or a private copy)
  // for the duration of the call and nobody else reads them, so writing into them is safe.
  std::span<std::byte> writable(const_cast<std::byte*>(bytes.data()), bytes.size());
  activity_ = false;
  DecodeSink sink(*this);
  decoder_.feed(writable, sink);
  // Activity is data (whole messages, or a data frame still arriving) and pongs answering our
  // pings. A peer's own pings and unsolicited pongs are not: they must not keep an otherwise idle
  // connection open forever. Only while open: closing, the same field holds the close deadline.
  if (state_ == State::kOpen && (activity_ || decoder_.in_data_frame())) {
    last_activity_ns_ = now_ns();
  }
}

void WsSession::on_message(Opcode opcode, std::span<std::byte> payload, bool /*final*/) noexcept {
  activity_ = true;
  if (state_ != State::kOpen) {
    return;  // closing: data after our close frame is discarded (RFC 6455 section 5.5.1)
  }
  std::span<const std::byte> message = payload;
  if (decoder_.message_compressed() && deflate_) {
    std::vector<std::byte>& out = inflate_scratch();
    out.clear();
    switch (deflate_->inflater.decompress(payload, config_->max_message_size, out)) {
      case InflateStatus::kOk:
        break;
      case InflateStatus::kTooBig:
        fail(to_wire(CloseCode::kMessageTooBig), "message too big");
        return;
      case InflateStatus::kCorrupt:
        fail(to_wire(CloseCode::kInvalidPayload), "invalid compressed data");
        return;
    }
    if (opcode == Opcode::kText && !is_valid_utf8(std::span<const std::byte>(out))) {
      fail(to_wire(CloseCode::kInvalidPayload), "text message is not valid UTF-8");
      return;
    }
    message = out;
  }
  metrics_->messages_received->add();
  app_->on_message(*this, opcode, message);
}

void WsSession::on_control(Opcode opcode, std::span<const std::byte> payload) noexcept {
  switch (opcode) {
    case Opcode::kPing:
      // A pong is a reply: a peer that pings without reading is closed 1008 (see admit()).
      if (state_ == State::kOpen &&
          admit(frame_header_size(payload.size(), role_ == Role::kClient) + payload.size(),
                WsSendKind::kReply) == WsSendResult::kQueued) {
        send_control(Opcode::kPong, payload);
      }
      return;
    case Opcode::kPong:
      if (awaiting_pong_) {
        awaiting_pong_ = false;
        activity_ = true;
      }
      return;
    case Opcode::kClose: {
      if (state_ == State::kOpen) {
        const ClosePayload close = parse_close_payload(payload);
        const bool empty = close.status == ClosePayloadStatus::kEmpty;
        close_code_ = empty ? to_wire(CloseCode::kNoStatus) : close.code;
        send_close_frame(close.code, close.reason, empty);  // echo the peer's code and reason
      }
      state_ = State::kClosed;
      if (connection_ != nullptr) {
        connection_->close();  // our close frame is flushed first, then FIN
      }
      return;
    }
    default:
      return;
  }
}

void WsSession::on_error(CloseCode code, std::string_view reason) noexcept {
  fail(to_wire(code), reason);
}

void WsSession::fail(std::uint16_t code, std::string_view reason) noexcept {
  if (state_ == State::kClosed) {
    return;
  }
  if (state_ == State::kOpen) {
    send_close_frame(code, reason, false);
    close_code_ = code;
  }
  state_ = State::kClosed;
  outbox_.reset();  // nothing more is sent: release streamed backlogs now
  if (connection_ != nullptr) {
    connection_->close();
  }
}

void WsSession::close(std::uint16_t code, std::string_view reason) noexcept {
  if (state_ != State::kOpen || connection_ == nullptr) {
    return;
  }
  send_close_frame(code, reason, false);
  close_code_ = code;
  state_ = State::kClosing;
  outbox_.reset();
  close_deadline_ns_ = now_ns() + config_->close_timeout_ns;
  arm_timer(close_deadline_ns_);
}

// ---- timers ----

void WsSession::arm_timer(std::uint64_t deadline_ns) noexcept {
  core::TimerWheel* timers = shard_timers();
  if (timers == nullptr) {
    return;  // not on a runtime's shard (unit tests on a bare reactor): no timers
  }
  if (timer_ != 0) {
    timers->cancel(timer_);
  }
  timer_ = timers->add_at(deadline_ns, [this] { on_timer(); });
}

void WsSession::cancel_timer() noexcept {
  if (timer_ == 0) {
    return;
  }
  if (core::TimerWheel* timers = shard_timers()) {
    timers->cancel(timer_);
  }
  timer_ = 0;
}

void WsSession::on_timer() noexcept {
  timer_ = 0;
  if (connection_ == nullptr || state_ == State::kClosed) {
    return;
  }
  const std::uint64_t now = now_ns();
  if (state_ == State::kClosing) {
    if (now >= close_deadline_ns_) {
      state_ = State::kClosed;  // the peer never answered our close frame
      connection_->close();
    } else {
      arm_timer(close_deadline_ns_);
    }
    return;
  }
  const std::uint64_t silent = now - std::min(now, last_activity_ns_);
  const std::uint64_t idle = config_->idle_timeout_ns;
  const std::uint64_t interval = config_->ping_interval_ns;
  if (idle != 0 && silent >= idle) {
    metrics_->idle_closes->add();
    close(to_wire(CloseCode::kGoingAway), "idle timeout");
    return;
  }
  std::uint64_t next = idle != 0 ? last_activity_ns_ + idle : UINT64_MAX;
  if (interval != 0) {
    if (silent >= interval) {
      ping();
      if (state_ != State::kOpen) {
        return;  // the ping found the queue overflowing and closed the session
      }
      next = std::min(next, now + interval);
    } else {
      next = std::min(next, last_activity_ns_ + interval);
    }
  }
  if (next != UINT64_MAX) {
    arm_timer(next);
  }
}

void WsSession::on_close(core::Connection& /*connection*/, core::CloseReason /*reason*/) noexcept {
  cancel_timer();
  clear_slow();
  outbox_.reset();
  if (started_) {
    metrics_->sessions_open->add(-1);
    metrics_->closes_by_code[close_metric_index(close_code_)]->add();
  }
  state_ = State::kClosed;
  app_->on_close(*this, close_code_);
  connection_ = nullptr;
}

}  // namespace hexwire::net
