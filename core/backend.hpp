// The narrow, completion-style interface between the reactor and the kernel's event mechanism.
// Two implementations: io_uring (default; multishot accept/recv into a provided buffer ring, one
// submit per loop turn) and epoll (readiness emulated as completions, recv into one per-shard
// scratch buffer). The reactor starts operations; completions come back through BackendEvents
// from reap(). A backend is created, used and destroyed on one thread (its shard), except wake().
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

namespace hexwire::core {

enum class BackendKind : std::uint8_t { kIoUring, kEpoll };

/// "io_uring" / "epoll".
[[nodiscard]] std::string_view to_string(BackendKind kind) noexcept;
/// Parses "io_uring"/"uring"/"epoll"; throws std::invalid_argument naming the accepted values.
[[nodiscard]] BackendKind parse_backend_kind(std::string_view text);

/// Names a connection slot to the backend. `generation` (24 bits used) changes each time the
/// reactor reuses a slot, so a completion that arrives after its connection closed is recognised
/// and dropped. The io_uring backend packs op type (8 bits), generation (24) and slot (32) into
/// the 64-bit user_data of each SQE.
struct OpTarget {
  std::uint32_t slot = 0;
  std::uint32_t generation = 0;
  friend bool operator==(OpTarget, OpTarget) = default;
};

inline constexpr std::uint32_t kGenerationMask = 0x00FF'FFFFu;

/// How the io_uring backend sets its ring up. `best` tries SINGLE_ISSUER|DEFER_TASKRUN, then
/// COOP_TASKRUN, then no flags (each fallback on EINVAL); the others start lower in that list
/// (for tests of the fallbacks and for comparison).
enum class RingSetup : std::uint8_t { kBest, kCoopTaskrun, kPlain };

/// Tuning shared by both backends.
struct BackendConfig {
  RingSetup ring_setup = RingSetup::kBest;  // io_uring only
  unsigned ring_entries = 4096;             // io_uring SQ size (CQ is 4x)
  unsigned buffer_count = 1024;             // provided buffers per shard (power of two, <= 32768)
  unsigned buffer_size = 16 * 1024;         // bytes per provided buffer / epoll scratch buffer
  unsigned max_buffers_per_turn = 16;  // fairness: receive buffers one connection may fill per turn
};

/// Receives completions. Implemented by the reactor. Every callback runs inside Backend::reap() on
/// the owning thread; callbacks may start or cancel operations on the same backend.
class BackendEvents {
 public:
  /// A listener produced a connection (`fd` >= 0, owned by the callee) or failed (`fd` = -errno;
  /// the backend keeps accepting unless the listener was cancelled).
  virtual void on_accepted(std::uint32_t listener, int fd) noexcept = 0;
  /// Bytes arrived for an armed receive. `bytes` is valid only during the call.
  virtual void on_received(OpTarget target, std::span<const std::byte> bytes) noexcept = 0;
  /// The receive armed by arm_receive ended; no on_received follows until it is armed again.
  /// `result`: 0 = peer closed (EOF); -ENOBUFS = no provided buffer was free (flow control: re-arm
  /// once buffers are recycled); -ECANCELED = cancelled, or the kernel ended a multishot receive
  /// without error (re-arm if still wanted); other -errno = the connection failed.
  virtual void on_receive_stopped(OpTarget target, int result) noexcept = 0;
  /// The send started by start_send finished: bytes written (possibly fewer than offered) or
  /// -errno.
  virtual void on_sent(OpTarget target, int result) noexcept = 0;
  /// The connect started by start_connect finished: 0 or -errno.
  virtual void on_connected(OpTarget target, int result) noexcept = 0;

 protected:
  ~BackendEvents() = default;
};

/// Counters a backend keeps about itself (read by the owning shard).
struct BackendStats {
  std::uint64_t submits = 0;         // io_uring_enter / epoll_wait calls that slept or submitted
  std::uint64_t completions = 0;     // CQEs (or emulated completions) dispatched
  std::uint64_t buffers_in_use = 0;  // provided buffers currently held (io_uring; 0 for epoll)
  std::uint64_t syscalls = 0;        // io_uring: enter calls (upper bound); epoll: epoll_pwait2,
                                     // recv, sendmsg, accept4 and epoll_ctl calls
  std::uint64_t extra_task_work_runs = 0;  // io_uring: extra enters in reap() to run queued
                                           // deferred task work (DEFER_TASKRUN, Linux 6.13+)
};

class Backend {
 public:
  virtual ~Backend() = default;

  [[nodiscard]] virtual BackendKind kind() const noexcept = 0;

  /// Starts accepting on listening socket `fd`; completions carry `listener`. Keeps accepting
  /// (re-arming as needed) until cancel_accept.
  virtual void arm_accept(std::uint32_t listener, int fd) noexcept = 0;
  /// Stops accepting on `fd`. The caller closes `fd` afterwards; late on_accepted calls for this
  /// listener may still arrive in the same or the next reap and must be handled (closed).
  virtual void cancel_accept(std::uint32_t listener, int fd) noexcept = 0;

  /// Arms receiving on a connected socket. Precondition: no receive is armed for `target`.
  virtual void arm_receive(OpTarget target, int fd) noexcept = 0;
  /// Asks an armed receive to stop; exactly one on_receive_stopped follows (maybe with data first).
  virtual void cancel_receive(OpTarget target, int fd) noexcept = 0;

  /// Sends `msg` (iovecs may span many buffers). At most one send per target may be in flight; the
  /// msghdr, its iovecs and the bytes must stay valid until on_sent.
  virtual void start_send(OpTarget target, int fd, const msghdr* msg) noexcept = 0;

  /// Connects `fd` to `address` (`address` must stay valid until on_connected).
  virtual void start_connect(OpTarget target, int fd, const sockaddr* address,
                             socklen_t length) noexcept = 0;

  /// Cancels every operation pending on `fd` (receive, send, connect): each still produces its
  /// completion (usually -ECANCELED). Used before close(fd).
  virtual void cancel_all(OpTarget target, int fd) noexcept = 0;

  /// Dispatches every completion that is ready, without blocking. Returns how many.
  virtual std::size_t reap(BackendEvents& events) noexcept = 0;

  /// Hands everything started since the last call to the kernel (io_uring: one submit) and sleeps
  /// until a completion, a wake() or `timeout_ns` (0 = do not sleep; UINT64_MAX = no timeout).
  virtual void submit_and_wait(std::uint64_t timeout_ns) noexcept = 0;

  /// Wakes submit_and_wait. Any thread; async-signal-safe (one write(2) to an eventfd).
  virtual void wake() noexcept = 0;

  [[nodiscard]] virtual BackendStats stats() const noexcept = 0;
};

/// Creates a backend on the calling thread (the thread that will use it). Throws std::system_error
/// when the kernel refuses (io_uring: ENOSYS/EPERM when disabled, e.g. kernel.io_uring_disabled).
[[nodiscard]] std::unique_ptr<Backend> make_backend(BackendKind kind, const BackendConfig& config);

/// True when this process may create an io_uring with the features the backend needs (multishot
/// receive, provided buffer rings). Tests use it to report "skipped" instead of failing.
[[nodiscard]] bool io_uring_supported() noexcept;

}  // namespace hexwire::core
