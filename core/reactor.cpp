// Reactor: the connection table, listeners, client connects, and the completion dispatch that
// turns backend events into handler calls. The send queue and close state machine live in
// connection.cpp; this file owns the loop-turn steps (reap, flush, submit_and_wait).
#include "core/reactor.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "core/clock.hpp"
#include "core/detail/outbound.hpp"
#include "core/detail/reactor_listener.hpp"

namespace hexwire::core {

struct Reactor::OwnMetrics {
  Gauge connections_open;
  Counter connections_accepted;
  Counter connections_closed;
  Counter bytes_received;
  Counter bytes_sent;
  Counter recv_enobufs_rearms;
  Counter recv_budget_deferrals;
  Gauge send_queue_bytes;
  Counter accept_pauses;
  Counter sends_started;
  Counter writes_held;
  Gauge write_delay_us;
  Gauge loop_busy_permille;
  Counter connections_refused;
  Counter gated_reads;
  Counter connect_port_fallbacks;
};

namespace {
constexpr int kFlushPasses = 4;

template <typename T>
void default_to(T*& slot, T& fallback) {
  if (slot == nullptr) {
    slot = &fallback;
  }
}
}  // namespace

Reactor::Reactor(const ReactorConfig& config, ReactorMetrics metrics)
    : config_(config),
      own_metrics_(std::make_unique<OwnMetrics>()),
      metrics_(metrics),
      batching_(config.adaptive_batching) {
  if (config_.max_iovecs_per_send == 0 || config_.max_iovecs_per_send > detail::kMaxIovecs) {
    config_.max_iovecs_per_send = detail::kMaxIovecs;
  }
  OwnMetrics& own = *own_metrics_;
  default_to(metrics_.connections_open, own.connections_open);
  default_to(metrics_.connections_accepted, own.connections_accepted);
  default_to(metrics_.connections_closed, own.connections_closed);
  default_to(metrics_.bytes_received, own.bytes_received);
  default_to(metrics_.bytes_sent, own.bytes_sent);
  default_to(metrics_.recv_enobufs_rearms, own.recv_enobufs_rearms);
  default_to(metrics_.recv_budget_deferrals, own.recv_budget_deferrals);
  default_to(metrics_.send_queue_bytes, own.send_queue_bytes);
  default_to(metrics_.accept_pauses, own.accept_pauses);
  default_to(metrics_.sends_started, own.sends_started);
  default_to(metrics_.writes_held, own.writes_held);
  default_to(metrics_.write_delay_us, own.write_delay_us);
  default_to(metrics_.loop_busy_permille, own.loop_busy_permille);
  default_to(metrics_.connections_refused, own.connections_refused);
  default_to(metrics_.gated_reads, own.gated_reads);
  default_to(metrics_.connect_port_fallbacks, own.connect_port_fallbacks);
  if (config_.write_batching == WriteBatching::kFixed) {
    write_delay_ns_ = config_.write_delay_ns;
    metrics_.write_delay_us->set(static_cast<std::int64_t>(write_delay_ns_ / 1000));
  }
  backend_ = make_backend(config_.backend, config_.backend_config);
  pool_ = std::make_unique<detail::OutboundPool>();
  flush_list_.reserve(1024);
  flush_work_.reserve(1024);
  rearm_now_.reserve(256);
  rearm_next_.reserve(256);
}

Reactor::~Reactor() {
  close_listeners();
  // Last resort (the runtime drains gracefully before this): mark everything closing so handler
  // calls made from on_close are no-ops, tell the handlers, then tear the ring down before the
  // sockets and buffers the kernel may still reference.
  std::vector<Connection*> live;
  for (std::uint32_t i = 0; i < slot_count(); ++i) {
    Connection* c = &slot(i);
    if (c->state_ != Connection::State::kFree) {
      if (c->state_ != Connection::State::kClosing) {
        c->close_reason_ = CloseReason::kShutdown;
      }
      c->state_ = Connection::State::kClosing;
      live.push_back(c);
    }
  }
  for (Connection* c : live) {
    if (c->handler_) {
      c->handler_->on_close(*c, c->close_reason_);
    }
  }
  backend_.reset();
  for (std::uint32_t i = 0; i < slot_count(); ++i) {
    Connection* c = &slot(i);
    if (c->state_ != Connection::State::kFree) {
      c->flags_ &= static_cast<std::uint16_t>(~(Connection::kSendInFlight));
      if (c->send_op_ != nullptr) {
        pool_->give_back(c->send_op_);
        c->send_op_ = nullptr;
      }
      (void)set_linger_zero(c->fd_);
      ::close(c->fd_);
      drop_queue(*c);
      c->handler_.reset();
      if ((c->flags_ & Connection::kCapped) != 0) {
        config_.connection_cap->release();
      }
      c->state_ = Connection::State::kFree;
    }
  }
  retired_handlers_.clear();
}

Connection& Reactor::allocate_connection(int fd, const SocketAddress& peer) {
  if (free_head_ == UINT32_MAX) {
    std::unique_ptr<Connection[]> block(new Connection[kConnectionBlock]);
    const std::uint32_t first = slot_count();
    for (std::uint32_t i = kConnectionBlock; i-- > 0;) {
      Connection& c = block[i];
      c.reactor_ = this;
      c.slot_ = first + i;
      c.next_free_ = free_head_;
      free_head_ = c.slot_;
    }
    connection_blocks_.push_back(std::move(block));
  }
  Connection& c = slot(free_head_);
  free_head_ = c.next_free_;
  c.generation_ = (c.generation_ + 1) & kGenerationMask;
  c.fd_ = fd;
  c.peer_ = peer;
  c.state_ = Connection::State::kOpen;
  c.flags_ = 0;
  c.buffered_bytes_ = 0;
  c.last_error_ = 0;
  c.budget_turn_ = 0;
  c.budget_used_ = 0;
  c.close_deadline_ns_ = 0;
  c.close_reason_ = CloseReason::kLocalClose;
  ++live_connections_;
  metrics_.connections_open->add(1);
  return c;
}

void Reactor::release_slot(Connection& c) noexcept {
  if ((c.flags_ & Connection::kCapped) != 0) {
    config_.connection_cap->release();
  }
  c.state_ = Connection::State::kFree;
  c.fd_ = -1;
  c.flags_ = 0;
  c.next_free_ = free_head_;
  free_head_ = c.slot_;
  --live_connections_;
  metrics_.connections_open->add(-1);
}

Connection* Reactor::lookup(OpTarget target) noexcept {
  if (target.slot >= slot_count()) {
    return nullptr;
  }
  Connection* c = &slot(target.slot);
  if (c->state_ == Connection::State::kFree || c->generation_ != target.generation) {
    return nullptr;
  }
  return c;
}

Connection* Reactor::find(ConnectionId id) noexcept {
  return lookup({static_cast<std::uint32_t>(id), static_cast<std::uint32_t>(id >> 32)});
}

void Reactor::for_each_connection(const std::function<void(Connection&)>& fn) {
  for (std::uint32_t i = 0; i < slot_count(); ++i) {
    Connection* c = &slot(i);
    if (c->state_ != Connection::State::kFree && c->state_ != Connection::State::kClosing) {
      fn(*c);
    }
  }
}

void Reactor::close_all(bool abortive) noexcept {
  for (std::uint32_t i = 0; i < slot_count(); ++i) {
    Connection* c = &slot(i);
    if (c->state_ != Connection::State::kFree) {
      begin_close(*c, CloseReason::kShutdown, abortive, 0);
    }
  }
}

Connection* Reactor::connect(const SocketAddress& peer, std::unique_ptr<ConnectionHandler> handler,
                             int* error, const SocketAddress* local, PortRange local_ports) {
  if (!handler) {
    if (error != nullptr) {
      *error = EINVAL;
    }
    return nullptr;
  }
  const int fd = open_stream_socket(peer.family(), backend_->kind() == BackendKind::kEpoll);
  if (fd < 0) {
    if (error != nullptr) {
      *error = -fd;
    }
    return nullptr;
  }
  if (local != nullptr) {
    if (const int result = bind_source_address(fd, *local); result != 0) {
      ::close(fd);
      if (error != nullptr) {
        *error = -result;
      }
      return nullptr;
    }
  }
  // A hint: a kernel without it searches the whole range.
  const bool narrowed = local_ports.low != 0 && set_local_port_range(fd, local_ports) == 0;
  Connection& c = allocate_connection(fd, peer);
  if (narrowed) {
    c.flags_ |= Connection::kPortWindow;
  }
  c.state_ = Connection::State::kConnecting;
  c.handler_ = std::move(handler);
  c.flags_ |= Connection::kConnectPending;
  backend_->start_connect(c.target(), fd, c.peer_.data(), c.peer_.size());
  return &c;
}

void Reactor::arm_receive(Connection& c) noexcept {
  c.flags_ |= Connection::kRecvArmed;
  backend_->arm_receive(c.target(), c.fd_);
}

// ---- completions ----

void Reactor::on_received(OpTarget target, std::span<const std::byte> bytes) noexcept {
  Connection* c = lookup(target);
  if (c == nullptr) {
    return;
  }
  metrics_.bytes_received->add(bytes.size());
  if (c->state_ != Connection::State::kOpen) {
    return;  // closing: bytes are read only to see the peer's FIN, then dropped
  }
  const auto turn = static_cast<std::uint32_t>(turn_);
  if (c->budget_turn_ != turn) {
    c->budget_turn_ = turn;
    c->budget_used_ = 0;
  }
  if (c->budget_used_ != UINT16_MAX) {
    ++c->budget_used_;
  }
  if ((c->flags_ & Connection::kReadStopped) != 0 || c->stash_head_ != nullptr) {
    stash(*c, bytes);  // the kernel had these before the pause took effect: keep them, in order
  } else if (input_gate_closed_) {
    stash(*c, bytes);  // backpressure: not handled (it would feed the full mailboxes) until open
    gate(*c);
  } else {
    c->handler_->on_data(*c, bytes);
  }
  // Fairness: a connection that filled more than its share of buffers this turn stops receiving
  // until the next turn, so others get buffers and loop time (see docs/core.md).
  if (c->budget_used_ > config_.backend_config.max_buffers_per_turn &&
      (c->flags_ & (Connection::kRecvArmed | Connection::kRecvCancelling)) ==
          Connection::kRecvArmed &&
      c->state_ == Connection::State::kOpen) {
    c->flags_ |= Connection::kRecvCancelling;
    backend_->cancel_receive(c->target(), c->fd_);
    metrics_.recv_budget_deferrals->add();
  }
}

void Reactor::on_receive_stopped(OpTarget target, int result) noexcept {
  Connection* c = lookup(target);
  if (c == nullptr) {
    return;
  }
  c->flags_ &= static_cast<std::uint16_t>(~(Connection::kRecvArmed | Connection::kRecvCancelling));
  if (result == 0) {
    c->flags_ |= Connection::kPeerFin;
  }
  switch (c->state_) {
    case Connection::State::kOpen:
      if (result == 0) {
        if (c->stash_head_ == nullptr) {
          begin_close(*c, CloseReason::kPeerClosed, false, 0);
        }  // else: deliver the stashed bytes after resume first, then close (process_flush)
      } else if (result == -ENOBUFS || result == -ECANCELED) {
        if (result == -ENOBUFS) {
          metrics_.recv_enobufs_rearms->add();
        }
        if ((c->flags_ & Connection::kReadStopped) == 0) {
          queue_rearm(*c);
        }
      } else {
        const bool reset = result == -ECONNRESET || result == -EPIPE;
        begin_close(*c, reset ? CloseReason::kPeerClosed : CloseReason::kError, true, -result);
      }
      return;
    case Connection::State::kDraining:
    case Connection::State::kHalfClosed:
      if (result == -ENOBUFS || result == -ECANCELED) {
        queue_rearm(*c);  // keep watching for the peer's FIN
      } else if (c->state_ == Connection::State::kHalfClosed || result != 0) {
        go_closing(*c);
      }
      mark_for_flush(*c);
      return;
    default:
      mark_for_flush(*c);  // closing: maybe the last operation we were waiting for
      return;
  }
}

void Reactor::on_sent(OpTarget target, int result) noexcept {
  Connection* c = lookup(target);
  if (c == nullptr) {
    return;  // cannot happen: a connection is not released while a send is in flight
  }
  pool_->give_back(c->send_op_);
  c->send_op_ = nullptr;
  c->flags_ &= static_cast<std::uint16_t>(~Connection::kSendInFlight);
  if (result < 0) {
    if (c->state_ != Connection::State::kClosing) {
      const bool reset = result == -ECONNRESET || result == -EPIPE;
      begin_close(*c, reset ? CloseReason::kPeerClosed : CloseReason::kError, true, -result);
    }
    mark_for_flush(*c);
    return;
  }
  complete_send(*c, static_cast<std::size_t>(result));
}

void Reactor::on_connected(OpTarget target, int result) noexcept {
  Connection* c = lookup(target);
  if (c == nullptr) {
    return;
  }
  c->flags_ &= static_cast<std::uint16_t>(~Connection::kConnectPending);
  if (c->state_ != Connection::State::kConnecting) {
    mark_for_flush(*c);  // closed while connecting: finish the close
    return;
  }
  if (result == -EADDRNOTAVAIL && (c->flags_ & Connection::kPortWindow) != 0) {
    // Every port of the window is taken toward this peer (or in TIME_WAIT too recent to reuse):
    // the kernel could still pick one elsewhere in the range. A TCP socket whose connect failed
    // may connect again; the window is cleared on it first.
    c->flags_ &= static_cast<std::uint16_t>(~Connection::kPortWindow);
    if (set_local_port_range(c->fd_, PortRange{}) == 0) {
      metrics_.connect_port_fallbacks->add();
      c->flags_ |= Connection::kConnectPending;
      backend_->start_connect(c->target(), c->fd_, c->peer_.data(), c->peer_.size());
      return;
    }
  }
  if (result < 0) {
    c->close_reason_ = CloseReason::kConnectFailed;
    c->last_error_ = static_cast<std::uint16_t>(-result);
    c->state_ = Connection::State::kClosing;
    mark_for_flush(*c);
    return;
  }
  c->state_ = Connection::State::kOpen;
  arm_receive(*c);
  c->handler_->on_open(*c);
  if (c->out_head_ != nullptr) {
    mark_for_flush(*c);
  }
}

// ---- loop turn ----

std::size_t Reactor::reap() noexcept {
  ++turn_;
  if (config_.write_batching == WriteBatching::kAdaptive) {
    turn_start_ns_ = monotonic_ns();
    if (turn_start_ns_ - window_start_ns_ >= config_.adaptive_batching.window_ns) {
      adapt_write_delay(turn_start_ns_);
    }
  } else if (write_delay_ns_ != 0) {
    turn_start_ns_ = monotonic_ns();
  }
  const std::size_t handled = backend_->reap(*this);
  retired_handlers_.clear();
  return handled;
}

void Reactor::flush() noexcept {
  if (!held_writes_.empty()) {
    release_held_writes();
  }
  // Re-arms deferred during the previous turn (ENOBUFS, fairness); buffers have been recycled.
  for (const OpTarget target : rearm_now_) {
    if (Connection* c = lookup(target)) {
      c->flags_ &= static_cast<std::uint16_t>(~Connection::kRearmQueued);
      mark_for_flush(*c);
    }
  }
  rearm_now_.clear();
  rearm_now_.swap(rearm_next_);
  for (int pass = 0; pass < kFlushPasses && !flush_list_.empty(); ++pass) {
    flush_work_.swap(flush_list_);
    for (const OpTarget target : flush_work_) {
      if (Connection* c = lookup(target)) {
        c->flags_ &= static_cast<std::uint16_t>(~Connection::kQueuedForFlush);
        process_flush(*c);
      }
    }
    flush_work_.clear();
  }
  if (!deadlines_.empty()) {
    check_deadlines();
  }
  if (paused_listeners_ != 0) {
    resume_listeners();
  }
  retired_handlers_.clear();
}

void Reactor::submit_and_wait(std::uint64_t timeout_ns) noexcept {
  backend_->submit_and_wait(timeout_ns);
}

bool Reactor::has_pending_work() const noexcept {
  return !rearm_now_.empty() || !flush_list_.empty();
}

void Reactor::run_once(std::uint64_t timeout_ns) noexcept {
  reap();
  flush();
  if (!held_writes_.empty()) {
    timeout_ns = std::min(timeout_ns, ns_until_held_write(monotonic_ns()));
  }
  submit_and_wait(has_pending_work() ? 0 : timeout_ns);
}

void Reactor::retire_handler(std::unique_ptr<ConnectionHandler> handler) noexcept {
  retired_handlers_.push_back(std::move(handler));
}

}  // namespace hexwire::core
