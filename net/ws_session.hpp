// The WebSocket session on a core::Connection (RFC 6455), server and client role: feeds the frame
// decoder from receive buffers, answers pings, runs the close handshake, pings an idle peer and
// closes a dead one (one timer on the shard's wheel), enforces message limits, optional
// permessage-deflate, and bounds outbound memory per connection (slow -> drop or close 1008).
// Applications implement WsApplication; the HTTP session creates a WsSession on upgrade.
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

class WsSession final : public core::ConnectionHandler, private WsFrameSink {
 public:
  enum class State : std::uint8_t { kOpen, kClosing, kClosed };

  /// `config` and `metrics` must outlive the session (they belong to the endpoint / shard).
  /// `deflate`: the negotiated permessage-deflate parameters, if any.
  WsSession(Role role, const WsSessionConfig& config, const WsMetrics* metrics,
            std::unique_ptr<WsApplication> app, std::optional<DeflateParams> deflate);
  ~WsSession() override;

  /// Takes over `connection` (the caller has just made this session its handler): calls the
  /// application's on_open, then decodes `initial` (bytes that arrived with the handshake).
  void start(core::Connection& connection, std::span<const std::byte> initial) noexcept;

  // ---- sending (shard thread only) ----
  /// Encodes and queues one text message (compressed when deflate was agreed and it is large
  /// enough). The caller guarantees `text` is UTF-8.
  WsSendResult send_text(std::string_view text) noexcept;
  WsSendResult send_binary(std::span<const std::byte> bytes) noexcept;
  /// Queues a prebuilt, unmasked data frame (e.g. encode_text_frame()); the fan-out path: one
  /// frame shared by many sessions. Server role only (client frames must be masked one by one).
  WsSendResult send_frame(core::SharedBuffer frame) noexcept;
  /// Sends a ping (control frames are never dropped).
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
  [[nodiscard]] std::size_t buffered_bytes() const noexcept;
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

  // WsFrameSink
  void on_message(Opcode opcode, std::span<std::byte> payload, bool final) noexcept override;
  void on_control(Opcode opcode, std::span<const std::byte> payload) noexcept override;
  void on_error(CloseCode code, std::string_view reason) noexcept override;

  void decode(std::span<const std::byte> bytes) noexcept;
  WsSendResult send_data(Opcode opcode, std::span<const std::byte> payload) noexcept;
  WsSendResult queue_data_frame(core::SharedBuffer frame) noexcept;
  void send_control(Opcode opcode, std::span<const std::byte> payload) noexcept;
  void send_close_frame(std::uint16_t code, std::string_view reason, bool empty) noexcept;
  void fail(std::uint16_t code, std::string_view reason) noexcept;
  void note_slow() noexcept;
  void clear_slow() noexcept;
  void arm_timer(std::uint64_t deadline_ns) noexcept;
  void on_timer() noexcept;
  [[nodiscard]] std::uint64_t now_ns() const noexcept;

  WsFrameDecoder decoder_;
  const WsSessionConfig* config_;
  const WsMetrics* metrics_;
  std::unique_ptr<WsApplication> app_;
  std::unique_ptr<DeflateState> deflate_;
  core::Connection* connection_ = nullptr;
  core::TimerWheel* timers_ = nullptr;
  core::TimerId timer_ = 0;
  std::uint64_t last_receive_ns_ = 0;
  std::uint64_t close_deadline_ns_ = 0;
  MaskKeyGenerator keys_{0};  // client role: reseeded from getrandom in the constructor
  std::uint16_t close_code_ = 1006;
  Role role_;
  State state_ = State::kOpen;
  bool slow_ = false;
  bool started_ = false;
};

}  // namespace hexwire::net
