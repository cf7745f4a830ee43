// One shard's event loop over a Backend: owns the connection table, the listeners, the pooled
// outbound queues and the send/close/connect state machines. The runtime drives it once per loop
// turn: reap() (completions -> handlers), [mailboxes, timers], flush() (start sends and re-arms),
// submit_and_wait() (one submit, then sleep). Single-threaded: everything but wake() must be called
// on the thread that created the reactor.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <vector>

#include "core/backend.hpp"
#include "core/connection.hpp"
#include "core/connection_cap.hpp"
#include "core/metrics.hpp"
#include "core/socket.hpp"
#include "core/write_batching.hpp"

namespace hexwire::core {

namespace detail {
class OutboundPool;
}  // namespace detail

struct ReactorConfig {
  BackendKind backend = BackendKind::kIoUring;
  BackendConfig backend_config;
  /// Buffered bytes above which a connection owes on_drained.
  std::size_t send_soft_limit = 1u << 20;
  /// on_drained fires when buffered bytes fall to this.
  std::size_t send_low_water = 256u << 10;
  /// iovecs gathered into one sendmsg (<= 64).
  unsigned max_iovecs_per_send = 64;
  /// Orderly close: after our FIN, wait this long for the peer's FIN.
  std::uint64_t close_linger_ns = 1'000'000'000;
  /// Orderly close: abort if the queued bytes are not flushed by then (peer not reading).
  std::uint64_t close_flush_timeout_ns = 10'000'000'000;
  /// accept() failed for lack of descriptors or memory: stop accepting on that listener this long
  /// (retrying at once would spin the shard on the same failing connection).
  std::uint64_t accept_retry_ns = 100'000'000;
  /// Write batching: when a connection with nothing in flight gets data to send, its output is
  /// held so that frames queued meanwhile leave in the same sendmsg (fewer TCP segments per frame
  /// under fan-out load, at the price of the hold in latency). `adaptive` (the default) picks the
  /// hold from this shard's load, 0 while it has room (see docs/core.md); `fixed` holds every
  /// send write_delay_ns (0: send at the end of the loop turn that queued the data).
  WriteBatching write_batching = WriteBatching::kAdaptive;
  /// The hold in `fixed` mode.
  std::uint64_t write_delay_ns = 0;
  /// The controller's tuning in `adaptive` mode.
  AdaptiveBatchingConfig adaptive_batching;
  /// A held connection is sent at once when this many bytes are queued.
  std::size_t write_delay_max_bytes = 64u << 10;
  /// Engine-wide limit on accepted connections, shared with the other reactors (null: none).
  /// Must outlive the reactor.
  ConnectionCap* connection_cap = nullptr;
};

/// Called on the accepting shard for each new connection; returns its handler, or nullptr to
/// refuse it (the connection is aborted without callbacks).
using AcceptHandlerFactory = std::function<std::unique_ptr<ConnectionHandler>(Connection&)>;

/// The reactor's metrics. Each pointer may be left null (then a private instance is used), so a
/// reactor works without a registry; the runtime points them at MetricsRegistry entries.
struct ReactorMetrics {
  Gauge* connections_open = nullptr;
  Counter* connections_accepted = nullptr;
  Counter* connections_closed = nullptr;
  Counter* bytes_received = nullptr;
  Counter* bytes_sent = nullptr;
  Counter* recv_enobufs_rearms = nullptr;    // receives re-armed after -ENOBUFS (flow control)
  Counter* recv_budget_deferrals = nullptr;  // receives paused for a turn by the fairness cap
  Gauge* send_queue_bytes = nullptr;         // sum of buffered_bytes() over connections
  Counter* accept_pauses = nullptr;          // listeners paused after EMFILE/ENFILE/ENOBUFS/ENOMEM
  Counter* sends_started = nullptr;          // sendmsg operations handed to the backend
  Counter* writes_held = nullptr;            // connections held by the write delay before sending
  Gauge* write_delay_us = nullptr;     // the hold in use now (adaptive: the controller's choice)
  Gauge* loop_busy_permille = nullptr;  // adaptive: smoothed share of time the thread was on CPU
  Counter* connections_refused = nullptr;    // accepted sockets refused: the ConnectionCap was full
  Counter* gated_reads = nullptr;            // connections whose reading the input gate stopped
  Counter* connect_port_fallbacks = nullptr;  // connects whose port window was full, retried
                                              // with the whole ephemeral range
};

using ListenerId = std::uint32_t;

class Reactor final : private BackendEvents {
 public:
  /// Creates the backend on the calling thread. Throws std::system_error if the kernel refuses.
  explicit Reactor(const ReactorConfig& config, ReactorMetrics metrics = {});
  /// Aborts every remaining connection (their handlers get on_close(shutdown)) and closes
  /// listeners.
  ~Reactor();
  Reactor(const Reactor&) = delete;
  Reactor& operator=(const Reactor&) = delete;

  /// Takes ownership of a bound, listening socket and starts accepting on it. Each accepted
  /// connection gets its handler from `factory` (called on this thread).
  ListenerId add_listener(int fd, AcceptHandlerFactory factory);
  /// Stops accepting on one listener and closes its socket. Connections stay open.
  void close_listener(ListenerId id) noexcept;
  /// close_listener for all.
  void close_listeners() noexcept;
  [[nodiscard]] std::size_t listener_count() const noexcept;

  /// Client role: opens a socket and starts connecting to `peer`. Returns the connection at once
  /// (state connecting; send() queues). The handler gets on_open when connected, or
  /// on_close(connect_failed) with last_error() set. Returns nullptr only if `handler` is null
  /// (EINVAL), no socket could be created, or `local` could not be bound (the errno value goes to
  /// *error when given; EADDRNOTAVAIL for an address not on this host). `local`, when given, is
  /// the source address (its port is ignored: the kernel picks one per destination at connect
  /// time, so sources such as 127.0.0.2..n each get their own ~28k ports toward one server).
  /// `local_ports`, when given, narrows that choice (set_local_port_range; ignored by kernels
  /// without it): a client opening tens of thousands of connections to one server bounds the
  /// kernel's search for a free port (see sim/source_ports.hpp). The window is only a hint: when
  /// every port of it is taken toward `peer` (EADDRNOTAVAIL), the connect is retried once on the
  /// same socket with the whole ephemeral range (counted in connect_port_fallbacks).
  Connection* connect(const SocketAddress& peer, std::unique_ptr<ConnectionHandler> handler,
                      int* error = nullptr, const SocketAddress* local = nullptr,
                      PortRange local_ports = {});

  /// The live connection with this id, or nullptr when it has closed.
  [[nodiscard]] Connection* find(ConnectionId id) noexcept;
  [[nodiscard]] std::size_t connection_count() const noexcept { return live_connections_; }
  /// The input gate (backpressure from the runtime's mailboxes): while closed, a connection that
  /// receives data has its bytes kept (not delivered) and its reading stopped, as if paused; when
  /// it opens, those connections resume (their kept bytes first). Connections with nothing to
  /// read cost nothing. Idempotent.
  void set_input_gate(bool closed) noexcept;
  [[nodiscard]] bool input_gate_closed() const noexcept { return input_gate_closed_; }

  /// Calls fn(Connection&) for every connection not yet finished (e.g. to send close frames).
  void for_each_connection(const std::function<void(Connection&)>& fn);
  /// Begins closing every connection: orderly (flush first) or abortive. Reason: shutdown.
  void close_all(bool abortive) noexcept;

  // ---- loop turn steps (owning thread) ----
  /// Dispatches ready completions to handlers. Returns how many.
  std::size_t reap() noexcept;
  /// Starts sends for connections with queued bytes, deferred receive re-arms and close steps.
  void flush() noexcept;
  /// Submits (one io_uring_submit) and sleeps up to timeout_ns (0: no sleep) or until wake().
  void submit_and_wait(std::uint64_t timeout_ns) noexcept;
  /// Nanoseconds from `now` until the earliest held write is due; UINT64_MAX when none is held.
  /// The loop must not sleep longer than this.
  [[nodiscard]] std::uint64_t ns_until_held_write(std::uint64_t now) const noexcept;
  /// True when the next turn has work that must not wait for I/O (deferred re-arms): sleep 0.
  [[nodiscard]] bool has_pending_work() const noexcept;
  /// reap(); flush(); submit_and_wait(has_pending_work() ? 0 : timeout_ns). For tests and
  /// single-reactor programs.
  void run_once(std::uint64_t timeout_ns) noexcept;
  /// Wakes submit_and_wait from any thread; async-signal-safe.
  void wake() noexcept { backend_->wake(); }

  [[nodiscard]] BackendKind backend_kind() const noexcept { return backend_->kind(); }
  [[nodiscard]] BackendStats backend_stats() const noexcept { return backend_->stats(); }
  [[nodiscard]] const ReactorConfig& config() const noexcept { return config_; }
  /// Loop turns completed (incremented by reap()).
  [[nodiscard]] std::uint64_t turns() const noexcept { return turn_; }
  [[nodiscard]] const ReactorMetrics& metrics() const noexcept { return metrics_; }
  /// The write hold in use now (fixed: write_delay_ns; adaptive: the controller's last choice).
  [[nodiscard]] std::uint64_t write_delay_ns() const noexcept { return write_delay_ns_; }

 private:
  friend class Connection;
  struct Listener;
  struct OwnMetrics;

  // BackendEvents
  void on_accepted(std::uint32_t listener, int fd) noexcept override;
  void on_received(OpTarget target, std::span<const std::byte> bytes) noexcept override;
  void on_receive_stopped(OpTarget target, int result) noexcept override;
  void on_sent(OpTarget target, int result) noexcept override;
  void on_connected(OpTarget target, int result) noexcept override;

  Connection* lookup(OpTarget target) noexcept;
  Connection& allocate_connection(int fd, const SocketAddress& peer);
  void queue_send(Connection& c, SharedBuffer&& bytes, std::size_t offset,
                  std::size_t length) noexcept;
  void mark_for_flush(Connection& c) noexcept;
  void schedule_send(Connection& c) noexcept;
  [[nodiscard]] bool write_held(const Connection& c) const noexcept;
  void release_held_writes() noexcept;
  void adapt_write_delay(std::uint64_t now) noexcept;
  void set_write_delay(std::uint64_t delay_ns, std::uint64_t now) noexcept;
  void queue_rearm(Connection& c) noexcept;
  void start_send(Connection& c) noexcept;
  void complete_send(Connection& c, std::size_t written) noexcept;
  void begin_close(Connection& c, CloseReason reason, bool abortive, int error) noexcept;
  void advance_close(Connection& c) noexcept;
  void finish(Connection& c) noexcept;
  void drop_queue(Connection& c) noexcept;
  void pause(Connection& c) noexcept;
  void resume(Connection& c) noexcept;
  /// Stops receiving on `c` (cancel) because of `reason` (kPaused or kGated).
  void stop_reading(Connection& c, std::uint16_t reason) noexcept;
  /// Clears `reason`; reading restarts at the next flush once no reason is left.
  void restart_reading(Connection& c, std::uint16_t reason) noexcept;
  /// Input gate closed while `c` received data: stop its reading until the gate opens.
  void gate(Connection& c) noexcept;
  void retire_handler(std::unique_ptr<ConnectionHandler> handler) noexcept;
  void check_deadlines() noexcept;
  void set_close_deadline(Connection& c, std::uint64_t at_ns) noexcept;
  void go_closing(Connection& c) noexcept;
  void arm_receive(Connection& c) noexcept;
  void stash(Connection& c, std::span<const std::byte> bytes) noexcept;
  void deliver_stash(Connection& c) noexcept;
  void release_slot(Connection& c) noexcept;
  void process_flush(Connection& c) noexcept;
  void resume_listeners() noexcept;

  ReactorConfig config_;
  std::unique_ptr<OwnMetrics> own_metrics_;
  ReactorMetrics metrics_;
  std::unique_ptr<Backend> backend_;
  std::unique_ptr<detail::OutboundPool> pool_;
  /// Slot `index` (blocks of kConnectionBlock never move, so pointers into them stay valid).
  [[nodiscard]] Connection& slot(std::uint32_t index) const noexcept {
    return connection_blocks_[index / kConnectionBlock][index % kConnectionBlock];
  }
  [[nodiscard]] std::uint32_t slot_count() const noexcept {
    return static_cast<std::uint32_t>(connection_blocks_.size() * kConnectionBlock);
  }

  static constexpr std::uint32_t kConnectionBlock = 64;
  std::vector<std::unique_ptr<Connection[]>> connection_blocks_;
  std::uint32_t free_head_ = UINT32_MAX;
  std::size_t live_connections_ = 0;
  std::vector<std::unique_ptr<Listener>> listeners_;
  std::size_t paused_listeners_ = 0;
  std::vector<OpTarget> flush_list_;  // connections with queued bytes or a close step to run
  std::vector<OpTarget> flush_work_;  // the batch flush() is processing
  std::vector<OpTarget> rearm_now_;   // receive re-arms due at this turn's flush
  std::vector<OpTarget> rearm_next_;  // deferred by ENOBUFS / fairness to the next turn
  std::vector<OpTarget> deadlines_;   // draining / half-closed connections with a deadline
  // No deadline on deadlines_ is earlier than this (entries whose connection moved on may make it
  // early, never late): check_deadlines() scans the list only once it has passed, so thousands
  // of connections closing at once do not cost a scan of all of them on every turn.
  std::uint64_t next_deadline_ns_ = UINT64_MAX;
  std::size_t deadlines_kept_ = 0;  // entries the last scan kept (stale ones are dropped by scans)
  struct HeldWrite {
    std::uint64_t due_ns;
    OpTarget target;
  };
  std::deque<HeldWrite> held_writes_;  // FIFO = due order (see set_write_delay)
  std::uint64_t turn_start_ns_ = 0;    // set by reap() while batching may hold writes
  std::uint64_t write_delay_ns_ = 0;   // the hold in use now
  BatchingController batching_;
  std::uint64_t window_start_ns_ = 0;      // adaptive: start of the current measuring window
  std::uint64_t window_start_cpu_ns_ = 0;  // adaptive: the thread's CPU time at that moment
  std::uint64_t window_writes_ = 0;        // adaptive: frames queued since the window started
  std::vector<std::unique_ptr<ConnectionHandler>> retired_handlers_;
  std::vector<OpTarget> gated_;  // connections whose reading the input gate stopped
  std::size_t refusing_ = 0;     // connections over the cap still being answered
  std::uint64_t turn_ = 0;
  bool input_gate_closed_ = false;
};

}  // namespace hexwire::core
