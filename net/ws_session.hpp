// The WebSocket session on a core::Connection (RFC 6455), server and client role: feeds the frame
// decoder from receive buffers, answers pings, runs the close handshake, pings an idle peer and
// closes a dead one (one timer on the shard's wheel), enforces message limits, optional
// permessage-deflate, and bounds outbound memory per connection: data over the hard limit is
// dropped (the application is asked for a notice, in order) or closes 1008; replies and control
// frames are never dropped but a peer that lets them pile up is closed 1008; long backlogs are
// streamed as the socket drains (WsFrameStream). Applications implement WsApplication; the HTTP
// session creates a WsSession on upgrade.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

#include "core/connection.hpp"
#include "core/shared_buffer.hpp"
#include "core/timer_wheel.hpp"
#include "net/ws_deflate.hpp"
#include "net/ws_frame.hpp"
#include "net/ws_metrics.hpp"

namespace hexwire::net {

class WsSession;

namespace detail {
struct WsOutbox;
}  // namespace detail

/// What to do with a data message when the connection's outbound queue is above the hard limit.
enum class BackpressurePolicy : std::uint8_t {
  kClose,  // close the connection with 1008 (the close frame itself is never dropped)
  kDrop,   // drop the message and count it (ws_messages_dropped_total)
};

/// Per-endpoint session settings (defaults are the engine's documented defaults for /ws).
struct WsSessionConfig {
  std::size_t max_frame_payload = 1u << 20;  // above: close 1009
  std::size_t max_message_size = 64u << 10;  // whole message (inflated size too); above: 1009
  std::uint64_t ping_interval_ns = 30'000'000'000;  // ping a peer silent this long; 0: never
  std::uint64_t idle_timeout_ns = 120'000'000'000;  // close 1001 after this much silence; 0: never
  std::uint64_t close_timeout_ns = 5'000'000'000;   // wait this long for the peer's close reply
  std::size_t outbound_soft_limit = 256u << 10;  // queued bytes above which the peer counts as slow
  std::size_t outbound_hard_limit = 1u << 20;    // queued bytes above which `policy` applies
  /// Replies and control frames are never dropped: they are queued while the queue holds at most
  /// hard limit + this; one that finds it fuller closes the session 1008 (a peer that sends
  /// requests or pings and does not read).
  std::size_t outbound_reply_reserve = 256u << 10;
  BackpressurePolicy policy = BackpressurePolicy::kClose;
  int deflate_level = 6;              // zlib level when permessage-deflate is agreed
  std::size_t deflate_min_size = 64;  // smaller messages go out uncompressed
};

/// The application side of a session. One instance per session (its state lives here); every
/// callback runs on the session's shard thread, never concurrently, and must not throw.
class WsApplication {
 public:
  virtual ~WsApplication() = default;
  /// The session is open (after the 101 was queued / received). Sending is allowed.
  virtual void on_open(WsSession& /*session*/) noexcept {}
  /// A whole text or binary message (inflated, UTF-8 checked for text). `payload` is valid only
  /// during the call.
  virtual void on_message(WsSession& session, Opcode opcode,
                          std::span<const std::byte> payload) noexcept = 0;
  /// The outbound queue fell back to the low-water mark after the peer was slow.
  virtual void on_drained(WsSession& /*session*/) noexcept {}
  /// Data messages were dropped (BackpressurePolicy::kDrop): returns the frame that tells the peer
  /// `dropped` messages are missing, or an empty buffer for no notice. The session queues it as a
  /// reply where the gap is: before the next data message it admits, or once the queue drained.
  virtual core::SharedBuffer drop_notice(WsSession& /*session*/,
                                         std::uint64_t /*dropped*/) noexcept {
    return {};
  }
  /// The session ended. `code`: the close code exchanged (peer's or ours), 1006 when the TCP
  /// connection ended without a close frame. Called exactly once, last; sends are ignored.
  virtual void on_close(WsSession& /*session*/, std::uint16_t /*code*/) noexcept {}
  /// Client role only: the connection or the opening handshake failed (no on_open/on_close follow).
  virtual void on_connect_failed(std::string_view /*reason*/) noexcept {}
};

/// Result of a send.
enum class WsSendResult : std::uint8_t {
  kQueued,   // queued on the connection
  kDropped,  // over the hard limit with BackpressurePolicy::kDrop (counted)
  kClosed,   // the session is closing/closed (or was just closed by kClose policy)
};

/// How a message is admitted to the outbound queue.
enum class WsSendKind : std::uint8_t {
  /// An event the peer did not ask for (fan-out): above the hard limit the policy applies (drop
  /// and count, or close 1008).
  kData,
  /// The answer to something the peer sent (acks, errors, pongs): never dropped. Queued while the
  /// queue holds at most hard limit + reply reserve; past that the session closes 1008.
  kReply,
};

/// Frames produced one at a time as the socket drains (e.g. a resume backlog encoded lazily), so
/// a backlog larger than the outbound limits is streamed instead of dropped or refused. Owned by
/// the session; next() runs on the session's shard thread.
class WsFrameStream {
 public:
  virtual ~WsFrameStream() = default;
  /// The next prebuilt server frame, or an empty buffer when the stream has ended.
  virtual core::SharedBuffer next() noexcept = 0;
};

/// One per connection: 152 bytes (asserted in ws_session.cpp), so every field is paid once per
/// connection (docs/capacity.md). State that few sessions need (deflate streams, the outbox of
/// streams and drops, a split control frame, a message being assembled) lives behind pointers
/// created on first use.
class WsSession final : public core::ConnectionHandler {
 public:
  enum class State : std::uint8_t { kOpen, kClosing, kClosed };

  /// `config` and `metrics` must outlive the session (they belong to the endpoint / shard).
  /// `deflate`: the negotiated permessage-deflate parameters, if any.
  WsSession(Role role, const WsSessionConfig& config, const WsMetrics* metrics,
            std::unique_ptr<WsApplication> app, std::optional<DeflateParams> deflate);
  /// The same with a shared, stateless application (not owned; it must outlive the session and
  /// may serve many sessions on several shards at once), e.g. /echo: no allocation per session.
  WsSession(Role role, const WsSessionConfig& config, const WsMetrics* metrics,
            WsApplication& shared_app, std::optional<DeflateParams> deflate);
  ~WsSession() override;

  /// Takes over `connection` (the caller has just made this session its handler): calls the
  /// application's on_open, then decodes `initial` (bytes that arrived with the handshake).
  void start(core::Connection& connection, std::span<const std::byte> initial) noexcept;

  // ---- sending (shard thread only) ----
  // Everything sent goes out in call order: while a stream (or anything queued behind one) waits
  // for the socket to drain, later messages queue behind it. Control frames (pong, ping, close)
  // go straight to the socket. "Queued bytes" below counts both the socket's queue and the frames
  // waiting behind a stream (a stream itself counts nothing: its frames are built on demand).

  /// Encodes and queues one text message (compressed when deflate was agreed and it is large
  /// enough). The caller guarantees `text` is UTF-8.
  WsSendResult send_text(std::string_view text, WsSendKind kind = WsSendKind::kData) noexcept;
  WsSendResult send_binary(std::span<const std::byte> bytes,
                           WsSendKind kind = WsSendKind::kData) noexcept;
  /// Queues a prebuilt, unmasked data frame (e.g. encode_text_frame()); the fan-out path: one
  /// frame shared by many sessions. Server role only (client frames must be masked one by one).
  WsSendResult send_frame(core::SharedBuffer frame, WsSendKind kind = WsSendKind::kData) noexcept;
  /// Queues `stream`: its frames are pulled while the socket's queue is below the soft limit and
  /// again each time it drains, never dropped and never counted against the hard limit. Returns
  /// kClosed (and destroys the stream) when the session is not open.
  WsSendResult send_stream(std::unique_ptr<WsFrameStream> stream) noexcept;
  /// Sends a ping (counted against the limits as a reply; see WsSendKind::kReply).
  void ping(std::span<const std::byte> payload = {}) noexcept;
  /// Starts the closing handshake: sends a close frame with `code`/`reason`, ignores further
  /// messages, closes TCP on the peer's reply or after close_timeout_ns. No-op unless open.
  void close(std::uint16_t code, std::string_view reason = {}) noexcept;

  [[nodiscard]] State state() const noexcept { return state_; }
  [[nodiscard]] bool is_open() const noexcept { return state_ == State::kOpen; }
  [[nodiscard]] Role role() const noexcept { return role_; }
  /// True while the outbound queue is above the soft limit (the peer reads too slowly).
  [[nodiscard]] bool slow() const noexcept { return slow_; }
  [[nodiscard]] bool deflate_enabled() const noexcept { return deflate_ != nullptr; }
  /// Queued bytes: the socket's queue plus frames waiting behind a stream.
  [[nodiscard]] std::size_t buffered_bytes() const noexcept;
  /// True while a stream, or something queued behind one, waits for the socket to drain.
  [[nodiscard]] bool streaming() const noexcept;
  /// The connection's id (unique on this shard while open; pair it with the shard id across
  /// shards); 0 before start() and after on_close.
  [[nodiscard]] core::ConnectionId id() const noexcept {
    return connection_ != nullptr ? connection_->id() : 0;
  }
  /// The underlying connection; null before start() and after on_close.
  [[nodiscard]] core::Connection* connection() const noexcept { return connection_; }
  [[nodiscard]] WsApplication& application() noexcept { return *app_; }
  [[nodiscard]] const WsSessionConfig& config() const noexcept { return *config_; }

  // ---- core::ConnectionHandler ----
  void on_data(core::Connection& connection, std::span<const std::byte> bytes) noexcept override;
  void on_drained(core::Connection& connection) noexcept override;
  void on_close(core::Connection& connection, core::CloseReason reason) noexcept override;

 private:
  struct DeflateState;
  struct DecodeSink;  // the decoder's WsFrameSink, on the stack of decode()

  // Decoder callbacks (through DecodeSink).
  void on_message(Opcode opcode, std::span<std::byte> payload, bool final) noexcept;
  void on_control(Opcode opcode, std::span<const std::byte> payload) noexcept;
  void on_error(CloseCode code, std::string_view reason) noexcept;

  void decode(std::span<const std::byte> bytes) noexcept;
  WsSendResult send_data(Opcode opcode, std::span<const std::byte> payload,
                         WsSendKind kind) noexcept;
  /// The admission check on `size` more bytes: kQueued when they may be queued, else what the
  /// policy did (kDropped, or kClosed after closing the session).
  WsSendResult admit(std::size_t size, WsSendKind kind) noexcept;
  WsSendResult queue_frame(core::SharedBuffer frame, WsSendKind kind) noexcept;
  /// Queues an admitted frame (after the drop notice it owes, for data).
  void commit(core::SharedBuffer frame, WsSendKind kind) noexcept;
  /// To the socket, or behind the outbox's items while a stream waits.
  void enqueue(core::SharedBuffer frame) noexcept;
  void queue_drop_notice() noexcept;
  void pump() noexcept;
  [[nodiscard]] std::size_t queued_bytes() const noexcept;
  void send_control(Opcode opcode, std::span<const std::byte> payload) noexcept;
  void send_close_frame(std::uint16_t code, std::string_view reason, bool empty) noexcept;
  void fail(std::uint16_t code, std::string_view reason) noexcept;
  void note_slow() noexcept;
  void clear_slow() noexcept;
  void arm_timer(std::uint64_t deadline_ns) noexcept;
  void cancel_timer() noexcept;
  void on_timer() noexcept;
  [[nodiscard]] std::uint64_t now_ns() const noexcept;

  WsFrameDecoder decoder_;
  const WsSessionConfig* config_;
  const WsMetrics* metrics_;
  WsApplication* app_;  // deleted with the session when app_owned_
  std::unique_ptr<DeflateState> deflate_;
  std::unique_ptr<detail::WsOutbox> outbox_;  // created on the first stream or drop: idle = null
  core::Connection* connection_ = nullptr;
  core::TimerId timer_ = 0;  // on the shard's wheel (core::Runtime::this_shard()); 0: none
  union {
    std::uint64_t last_activity_ns_ = 0;  // open: data received, or a pong answering our ping
    std::uint64_t close_deadline_ns_;     // closing: when to stop waiting for the peer's close
  };
  std::uint16_t close_code_ = 1006;
  Role role_;
  State state_ = State::kOpen;
  bool app_owned_ : 1;
  bool slow_ : 1 = false;
  bool started_ : 1 = false;
  bool awaiting_pong_ : 1 = false;  // a ping of ours is unanswered
  bool activity_ : 1 = false;       // set by the decoder callbacks during one decode()
};

}  // namespace hexwire::net
