// A TCP connection owned by one shard's reactor, server (accepted) or client (connect()) role,
// and the handler interface through which its owner sees data, drain and close events. Outbound
// bytes are reference-counted SharedBuffers queued without copying; an idle connection holds no
// read buffer and no send state: the whole connection is 120 bytes of user space.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "core/backend.hpp"
#include "core/shared_buffer.hpp"
#include "core/socket.hpp"

namespace hexwire::core {

class Connection;
class Reactor;

namespace detail {
struct OutboundChunk;
struct SendOp;
}  // namespace detail

/// Why a connection ended (first cause wins).
enum class CloseReason : std::uint8_t {
  kLocalClose,     // close() was called: queued bytes were flushed first
  kLocalAbort,     // abort() was called: queued bytes dropped, RST sent
  kPeerClosed,     // the peer closed its side (EOF) or reset the connection
  kError,          // a socket error (see Connection::last_error())
  kConnectFailed,  // client role: connect() did not succeed (see last_error())
  kShutdown,       // the reactor/runtime is stopping
};

[[nodiscard]] std::string_view to_string(CloseReason reason) noexcept;

/// Callbacks for one connection. All run on the connection's shard thread, never concurrently,
/// never re-entrantly for the same connection. They must not throw.
class ConnectionHandler {
 public:
  virtual ~ConnectionHandler() = default;
  /// The connection is established (accepted, or connect() completed). Called once, first.
  virtual void on_open(Connection& /*connection*/) noexcept {}
  /// Bytes arrived. `bytes` points into a receive buffer that is recycled as soon as this returns:
  /// copy what must outlive the call. Not called after close()/abort() or while reading is paused.
  virtual void on_data(Connection& connection, std::span<const std::byte> bytes) noexcept = 0;
  /// buffered_bytes() fell to the low-water mark after having exceeded the soft limit.
  virtual void on_drained(Connection& /*connection*/) noexcept {}
  /// The connection is finished: the socket is closed and every queued buffer released. Called
  /// exactly once, last; afterwards the Connection object is recycled (drop every pointer to it)
  /// and this handler is destroyed.
  virtual void on_close(Connection& connection, CloseReason reason) noexcept = 0;
};

/// Packed {generation << 32 | slot}: unique among the reactor's live connections and not reused
/// for the same slot until 2^24 later reuses. Useful as a map key and across mailboxes (pair with
/// the shard id): Reactor::find(id) returns nullptr once the connection is gone.
using ConnectionId = std::uint64_t;

/// Owned by one reactor; every member function must be called on that reactor's (shard's) thread.
/// To act on a connection from another shard, submit_to() its shard and look it up by id there.
class Connection {
 public:
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  /// Queues the whole buffer for sending (no copy; the buffer's reference count is taken).
  /// Returns false (and drops nothing else) when the connection is closing or closed. Bytes go out
  /// in queue order, batched with other sends at the end of the current loop turn.
  bool send(SharedBuffer bytes) noexcept;
  /// Queues bytes [offset, offset + length) of `bytes`; the range must lie inside the buffer.
  bool send(SharedBuffer bytes, std::size_t offset, std::size_t length) noexcept;

  /// Bytes queued and not yet accepted by the kernel (including a send in flight). Use it for
  /// backpressure: e.g. drop or close a slow consumer above the application's hard limit.
  [[nodiscard]] std::size_t buffered_bytes() const noexcept { return buffered_bytes_; }
  /// True while buffered_bytes() exceeded the reactor's soft limit and has not yet fallen back to
  /// its low-water mark (on_drained is called at that moment).
  [[nodiscard]] bool over_soft_limit() const noexcept { return (flags_ & kOverSoftLimit) != 0; }

  /// Stops delivering on_data (the receive is cancelled, so the kernel's buffer fills and TCP flow
  /// control slows the peer). Idempotent.
  void pause_reading() noexcept;
  /// Resumes after pause_reading(). Idempotent. (Reading stays stopped while the reactor's input
  /// gate holds it; see Reactor::set_input_gate.)
  void resume_reading() noexcept;
  [[nodiscard]] bool reading_paused() const noexcept { return (flags_ & kPaused) != 0; }

  /// Orderly close: no more on_data or sends; everything already queued is sent (if the peer does
  /// not take it within ReactorConfig::close_flush_timeout_ns the connection is aborted with
  /// last_error() ETIMEDOUT), then shutdown(SHUT_WR), then the peer's FIN is awaited for at most
  /// close_linger_ns, then the socket is closed and on_close(local_close) called. Idempotent.
  void close() noexcept;
  /// Abortive close: drops queued bytes, closes with SO_LINGER 0 (the peer sees RST), on_close.
  void abort() noexcept;

  /// True from establishment until close()/abort()/failure begins (sends are accepted).
  [[nodiscard]] bool is_open() const noexcept { return state_ == State::kOpen; }
  /// Client role: true while connect() is still pending (send() already queues bytes).
  [[nodiscard]] bool is_connecting() const noexcept { return state_ == State::kConnecting; }

  [[nodiscard]] const SocketAddress& peer() const noexcept { return peer_; }
  [[nodiscard]] ConnectionId id() const noexcept {
    return (static_cast<std::uint64_t>(generation_) << 32) | slot_;
  }
  [[nodiscard]] int fd() const noexcept { return fd_; }
  /// errno of the failure that closed the connection (0 otherwise).
  [[nodiscard]] int last_error() const noexcept { return last_error_; }
  [[nodiscard]] Reactor& reactor() const noexcept { return *reactor_; }

  [[nodiscard]] ConnectionHandler* handler() const noexcept { return handler_.get(); }
  /// Replaces the handler (e.g. HTTP -> WebSocket upgrade); `handler` must not be null. Safe from
  /// inside the old handler's callback: the old handler is destroyed after that callback returns,
  /// and the new one receives every later event (it gets no on_open).
  void set_handler(std::unique_ptr<ConnectionHandler> handler) noexcept;

 private:
  friend class Reactor;
  enum class State : std::uint8_t { kFree, kConnecting, kOpen, kDraining, kHalfClosed, kClosing };
  static constexpr std::uint16_t kPaused = 1;            // owner paused reading
  static constexpr std::uint16_t kRecvArmed = 2;         // a receive is pending in the backend
  static constexpr std::uint16_t kSendInFlight = 4;      // a SendOp is in the backend
  static constexpr std::uint16_t kConnectPending = 8;    // a connect is in the backend
  static constexpr std::uint16_t kOverSoftLimit = 16;    // on_drained owed at low water
  static constexpr std::uint16_t kQueuedForFlush = 32;   // on the reactor's flush list
  static constexpr std::uint16_t kRearmQueued = 64;      // on the reactor's re-arm list
  static constexpr std::uint16_t kCancelIssued = 128;    // cancel_all sent while closing
  static constexpr std::uint16_t kRecvCancelling = 256;  // cancel_receive sent, stop not yet seen
  static constexpr std::uint16_t kPeerFin = 512;         // the peer's EOF was seen
  static constexpr std::uint16_t kLingering = 1024;      // on the reactor's deadline list
  static constexpr std::uint16_t kWriteHeld = 2048;      // queued data waits for write_delay_ns
  static constexpr std::uint16_t kCapped = 4096;         // holds a ConnectionCap slot
  static constexpr std::uint16_t kGated = 8192;          // reading stopped by the input gate
  static constexpr std::uint16_t kPortWindow = 16384;    // connecting within a source-port window
  static constexpr std::uint16_t kReadStopped = kPaused | kGated;

  Connection() noexcept = default;
  [[nodiscard]] OpTarget target() const noexcept { return {slot_, generation_}; }

  // 120 bytes (asserted in connection.cpp): every field is paid once per connection, so new ones
  // need a reason (docs/capacity.md).
  Reactor* reactor_ = nullptr;
  std::unique_ptr<ConnectionHandler> handler_;
  detail::OutboundChunk* out_head_ = nullptr;  // queued chunks (pooled, intrusive list)
  detail::OutboundChunk* out_tail_ = nullptr;
  detail::SendOp* send_op_ = nullptr;  // pooled iovec/msghdr, only while a send is in flight
  detail::OutboundChunk* stash_head_ = nullptr;  // bytes that arrived after pause_reading()
  std::size_t buffered_bytes_ = 0;
  std::uint64_t close_deadline_ns_ = 0;  // draining/half_closed: when to stop waiting
  int fd_ = -1;
  std::uint32_t slot_ = 0;
  std::uint32_t generation_ = 0;
  union {
    std::uint32_t budget_turn_ = 0;  // in use: the loop turn the receive budget belongs to
    std::uint32_t next_free_;        // free slot: the next one on the free list
  };
  std::uint16_t budget_used_ = 0;  // receive buffers filled in budget_turn_ (saturates)
  std::uint16_t flags_ = 0;
  std::uint16_t last_error_ = 0;  // errno values fit
  State state_ = State::kFree;
  CloseReason close_reason_ = CloseReason::kLocalClose;
  SocketAddress peer_;
};

}  // namespace hexwire::core
