// Connection API and the reactor's per-connection state machines: the pooled send queue (one
// sendmsg in flight, partial writes, drain notification), pause/resume with an in-order stash for
// bytes the kernel had already handed over, and orderly/abortive close (see docs/core.md).
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <cerrno>

#include "core/clock.hpp"
#include "core/connection.hpp"
#include "core/detail/outbound.hpp"
#include "core/reactor.hpp"

namespace hexwire::core {

// Every byte here is paid per connection (a million connections: 120 MB); see docs/capacity.md.
static_assert(sizeof(Connection) <= 120, "core::Connection grew: justify it in docs/capacity.md");

std::string_view to_string(CloseReason reason) noexcept {
  switch (reason) {
    case CloseReason::kLocalClose:
      return "local_close";
    case CloseReason::kLocalAbort:
      return "local_abort";
    case CloseReason::kPeerClosed:
      return "peer_closed";
    case CloseReason::kError:
      return "error";
    case CloseReason::kConnectFailed:
      return "connect_failed";
    case CloseReason::kShutdown:
      return "shutdown";
  }
  return "unknown";
}

// ---- Connection: thin forwarding to the owning reactor ----

bool Connection::send(SharedBuffer bytes) noexcept {
  const std::size_t size = bytes.size();
  return send(std::move(bytes), 0, size);
}

bool Connection::send(SharedBuffer bytes, std::size_t offset, std::size_t length) noexcept {
  if (state_ != State::kOpen && state_ != State::kConnecting) {
    return false;
  }
  assert(offset <= bytes.size() && length <= bytes.size() - offset);
  if (length != 0) {
    reactor_->queue_send(*this, std::move(bytes), offset, length);
  }
  return true;
}

void Connection::pause_reading() noexcept {
  reactor_->pause(*this);
}
void Connection::resume_reading() noexcept {
  reactor_->resume(*this);
}

void Connection::close() noexcept {
  reactor_->begin_close(*this, CloseReason::kLocalClose, false, 0);
}
void Connection::abort() noexcept {
  reactor_->begin_close(*this, CloseReason::kLocalAbort, true, 0);
}

void Connection::set_handler(std::unique_ptr<ConnectionHandler> handler) noexcept {
  assert(handler != nullptr && "a connection always has a handler");
  if (handler == nullptr) {
    return;
  }
  if (handler_) {
    reactor_->retire_handler(std::move(handler_));
  }
  handler_ = std::move(handler);
}

// ---- send queue ----

void Reactor::queue_send(Connection& c, SharedBuffer&& bytes, std::size_t offset,
                         std::size_t length) noexcept {
  detail::OutboundChunk* chunk = pool_->take_chunk();
  chunk->buffer = std::move(bytes);
  chunk->offset = offset;
  chunk->length = length;
  if (c.out_tail_ != nullptr) {
    c.out_tail_->next = chunk;
  } else {
    c.out_head_ = chunk;
  }
  c.out_tail_ = chunk;
  c.buffered_bytes_ += length;
  ++window_writes_;
  metrics_.send_queue_bytes->add(static_cast<std::int64_t>(length));
  if (c.buffered_bytes_ > config_.send_soft_limit) {
    c.flags_ |= Connection::kOverSoftLimit;
  }
  schedule_send(c);
}

// With a write delay, the first bytes queued on an idle connection start a hold; bytes queued
// while it lasts join the same sendmsg. A send already in flight needs no hold: its completion
// sends whatever queued up behind it.
void Reactor::schedule_send(Connection& c) noexcept {
  if (write_delay_ns_ == 0 || c.state_ != Connection::State::kOpen ||
      c.buffered_bytes_ >= config_.write_delay_max_bytes) {
    mark_for_flush(c);
    return;
  }
  if ((c.flags_ & (Connection::kWriteHeld | Connection::kSendInFlight)) == 0) {
    c.flags_ |= Connection::kWriteHeld;
    held_writes_.push_back({turn_start_ns_ + write_delay_ns_, c.target()});
    metrics_.writes_held->add();
  }
}

bool Reactor::write_held(const Connection& c) const noexcept {
  return (c.flags_ & Connection::kWriteHeld) != 0 &&
         c.buffered_bytes_ < config_.write_delay_max_bytes;
}

// An entry may outlive its hold (the connection was sent early because it reached
// write_delay_max_bytes, then held again): releasing it then only sends sooner, never later.
void Reactor::release_held_writes() noexcept {
  const std::uint64_t now = monotonic_ns();
  while (!held_writes_.empty() && held_writes_.front().due_ns <= now) {
    if (Connection* c = lookup(held_writes_.front().target)) {
      c->flags_ &= static_cast<std::uint16_t>(~Connection::kWriteHeld);
      mark_for_flush(*c);
    }
    held_writes_.pop_front();
  }
}

// Adaptive batching: once per window, the share of it this thread spent on CPU (its own work and
// the kernel's send path, which runs inline) and the frames queued per connection decide the next
// hold (core/write_batching.hpp).
void Reactor::adapt_write_delay(std::uint64_t now) noexcept {
  const std::uint64_t cpu = thread_cpu_ns();
  if (window_start_ns_ != 0) {
    const std::uint64_t delay = batching_.update({.busy_ns = cpu - window_start_cpu_ns_,
                                                  .wall_ns = now - window_start_ns_,
                                                  .writes = window_writes_,
                                                  .connections = live_connections_});
    metrics_.loop_busy_permille->set(static_cast<std::int64_t>(batching_.busy() * 1000.0));
    if (delay != write_delay_ns_) {
      set_write_delay(delay, now);
    }
  }
  window_start_ns_ = now;
  window_start_cpu_ns_ = cpu;
  window_writes_ = 0;
}

// Held writes are a FIFO whose due times must not decrease. A longer delay keeps that (the turn
// start only moves forward); a shorter one caps every pending due time at now + delay, which
// keeps the order and sends nothing later than the new delay allows.
void Reactor::set_write_delay(std::uint64_t delay_ns, std::uint64_t now) noexcept {
  if (delay_ns < write_delay_ns_) {
    const std::uint64_t cap = now + delay_ns;
    for (HeldWrite& held : held_writes_) {
      held.due_ns = std::min(held.due_ns, cap);
    }
  }
  write_delay_ns_ = delay_ns;
  metrics_.write_delay_us->set(static_cast<std::int64_t>(delay_ns / 1000));
}

std::uint64_t Reactor::ns_until_held_write(std::uint64_t now) const noexcept {
  if (held_writes_.empty()) {
    return UINT64_MAX;
  }
  const std::uint64_t due = held_writes_.front().due_ns;
  return due > now ? due - now : 0;
}

void Reactor::mark_for_flush(Connection& c) noexcept {
  if ((c.flags_ & Connection::kQueuedForFlush) == 0) {
    c.flags_ |= Connection::kQueuedForFlush;
    flush_list_.push_back(c.target());
  }
}

void Reactor::queue_rearm(Connection& c) noexcept {
  if ((c.flags_ & Connection::kRearmQueued) == 0) {
    c.flags_ |= Connection::kRearmQueued;
    rearm_next_.push_back(c.target());
  }
}

void Reactor::start_send(Connection& c) noexcept {
  detail::SendOp* op = pool_->take_send_op();
  unsigned count = 0;
  std::size_t bytes = 0;
  for (detail::OutboundChunk* chunk = c.out_head_;
       chunk != nullptr && count < config_.max_iovecs_per_send; chunk = chunk->next) {
    // iovec wants a non-const pointer; the kernel only reads from it.
    op->iov[count].iov_base = const_cast<std::byte*>(chunk->buffer.data() + chunk->offset);
    op->iov[count].iov_len = chunk->length;
    bytes += chunk->length;
    ++count;
  }
  op->message = msghdr{};
  op->message.msg_iov = op->iov;
  op->message.msg_iovlen = count;
  op->bytes = bytes;
  c.send_op_ = op;
  c.flags_ |= Connection::kSendInFlight;
  metrics_.sends_started->add();
  backend_->start_send(c.target(), c.fd_, &op->message);
}

void Reactor::complete_send(Connection& c, std::size_t written) noexcept {
  metrics_.bytes_sent->add(written);
  metrics_.send_queue_bytes->add(-static_cast<std::int64_t>(written));
  c.buffered_bytes_ -= written;
  while (written > 0 && c.out_head_ != nullptr) {
    detail::OutboundChunk* chunk = c.out_head_;
    if (written < chunk->length) {
      chunk->offset += written;  // partial write: the rest goes in the next sendmsg
      chunk->length -= written;
      break;
    }
    written -= chunk->length;
    c.out_head_ = chunk->next;
    if (c.out_head_ == nullptr) {
      c.out_tail_ = nullptr;
    }
    pool_->give_back(chunk);
  }
  if (c.out_head_ != nullptr || c.state_ != Connection::State::kOpen) {
    mark_for_flush(c);  // more to send, or a close step waits for the queue to empty
  }
  if ((c.flags_ & Connection::kOverSoftLimit) != 0 && c.buffered_bytes_ <= config_.send_low_water) {
    c.flags_ &= static_cast<std::uint16_t>(~Connection::kOverSoftLimit);
    if (c.state_ == Connection::State::kOpen) {
      c.handler_->on_drained(c);
    }
  }
}

void Reactor::drop_queue(Connection& c) noexcept {
  while (c.out_head_ != nullptr) {
    detail::OutboundChunk* chunk = c.out_head_;
    c.out_head_ = chunk->next;
    pool_->give_back(chunk);
  }
  c.out_tail_ = nullptr;
  while (c.stash_head_ != nullptr) {
    detail::OutboundChunk* chunk = c.stash_head_;
    c.stash_head_ = chunk->next;
    pool_->give_back(chunk);
  }
  metrics_.send_queue_bytes->add(-static_cast<std::int64_t>(c.buffered_bytes_));
  c.buffered_bytes_ = 0;
}

// ---- reading: pause, resume, stash ----

void Reactor::pause(Connection& c) noexcept {
  stop_reading(c, Connection::kPaused);
}

void Reactor::resume(Connection& c) noexcept {
  restart_reading(c, Connection::kPaused);
}

// Two independent reasons stop reading: the owner's pause and the input gate. Reading restarts
// only when neither holds, so the gate opening never resumes a connection its owner paused.
void Reactor::stop_reading(Connection& c, std::uint16_t reason) noexcept {
  if ((c.flags_ & reason) != 0) {
    return;
  }
  c.flags_ |= reason;
  if ((c.flags_ & (Connection::kRecvArmed | Connection::kRecvCancelling)) ==
          Connection::kRecvArmed &&
      c.state_ == Connection::State::kOpen) {
    c.flags_ |= Connection::kRecvCancelling;
    backend_->cancel_receive(c.target(), c.fd_);
  }
}

void Reactor::restart_reading(Connection& c, std::uint16_t reason) noexcept {
  if ((c.flags_ & reason) == 0) {
    return;
  }
  c.flags_ &= static_cast<std::uint16_t>(~reason);
  if ((c.flags_ & Connection::kReadStopped) == 0 && c.state_ == Connection::State::kOpen) {
    mark_for_flush(c);  // stash delivery and re-arm happen at flush, never inside a callback
  }
}

void Reactor::gate(Connection& c) noexcept {
  if ((c.flags_ & Connection::kGated) != 0) {
    return;
  }
  stop_reading(c, Connection::kGated);
  gated_.push_back(c.target());
  metrics_.gated_reads->add();
}

void Reactor::set_input_gate(bool closed) noexcept {
  input_gate_closed_ = closed;
  if (closed) {
    return;
  }
  for (const OpTarget target : gated_) {
    if (Connection* c = lookup(target)) {
      restart_reading(*c, Connection::kGated);
    }
  }
  gated_.clear();
}

void Reactor::stash(Connection& c, std::span<const std::byte> bytes) noexcept {
  detail::OutboundChunk* chunk = pool_->take_chunk();
  chunk->buffer = SharedBuffer::copy_of(bytes);
  chunk->offset = 0;
  chunk->length = bytes.size();
  // Appended at the tail by walking: a stash holds the few buffers that completed between
  // pause_reading() and the cancel taking effect, so the list stays short.
  detail::OutboundChunk** tail = &c.stash_head_;
  while (*tail != nullptr) {
    tail = &(*tail)->next;
  }
  *tail = chunk;
}

void Reactor::deliver_stash(Connection& c) noexcept {
  while (c.stash_head_ != nullptr && c.state_ == Connection::State::kOpen &&
         (c.flags_ & Connection::kReadStopped) == 0) {
    if (input_gate_closed_) {
      gate(c);  // what this connection sent waits until the mailboxes have drained
      return;
    }
    detail::OutboundChunk* chunk = c.stash_head_;
    c.stash_head_ = chunk->next;
    c.handler_->on_data(c, chunk->buffer.bytes());
    pool_->give_back(chunk);
  }
}

// ---- per-turn processing and close ----

void Reactor::process_flush(Connection& c) noexcept {
  constexpr std::uint16_t kReceiving =
      Connection::kRecvArmed | Connection::kRecvCancelling | Connection::kRearmQueued;
  switch (c.state_) {
    case Connection::State::kOpen:
      if (c.stash_head_ != nullptr) {
        deliver_stash(c);
      }
      if (c.state_ == Connection::State::kOpen && c.stash_head_ == nullptr &&
          (c.flags_ & Connection::kPeerFin) != 0) {
        begin_close(c, CloseReason::kPeerClosed, false, 0);  // EOF came behind stashed bytes
        return;
      }
      if (c.state_ == Connection::State::kOpen &&
          (c.flags_ & (kReceiving | Connection::kReadStopped | Connection::kPeerFin)) == 0 &&
          c.stash_head_ == nullptr) {
        arm_receive(c);
      }
      if (c.state_ == Connection::State::kOpen) {
        if ((c.flags_ & Connection::kSendInFlight) == 0 && c.out_head_ != nullptr &&
            !write_held(c)) {
          c.flags_ &= static_cast<std::uint16_t>(~Connection::kWriteHeld);
          start_send(c);
        }
        return;
      }
      mark_for_flush(c);  // a handler closed it during stash delivery: continue next pass
      return;
    case Connection::State::kDraining:
      if ((c.flags_ & Connection::kSendInFlight) != 0) {
        return;
      }
      if (c.out_head_ != nullptr) {
        start_send(c);
        return;
      }
      ::shutdown(c.fd_, SHUT_WR);  // everything queued is in the kernel: FIN after it
      if ((c.flags_ & Connection::kPeerFin) != 0) {
        go_closing(c);
        return;
      }
      c.state_ = Connection::State::kHalfClosed;
      set_close_deadline(c, monotonic_ns() + config_.close_linger_ns);
      [[fallthrough]];
    case Connection::State::kHalfClosed:
      // Keep reading (and dropping) until the peer's FIN, so close() does not turn unread
      // bytes into a RST that could destroy what we just sent.
      if ((c.flags_ & kReceiving) == 0 && (c.flags_ & Connection::kPeerFin) == 0) {
        arm_receive(c);
      }
      return;
    case Connection::State::kClosing:
      if ((c.flags_ & (Connection::kRecvArmed | Connection::kSendInFlight |
                       Connection::kConnectPending)) != 0) {
        if ((c.flags_ & Connection::kCancelIssued) == 0) {
          c.flags_ |= Connection::kCancelIssued;
          backend_->cancel_all(c.target(), c.fd_);
        }
        return;
      }
      finish(c);
      return;
    default:
      return;
  }
}

void Reactor::begin_close(Connection& c, CloseReason reason, bool abortive, int error) noexcept {
  switch (c.state_) {
    case Connection::State::kFree:
    case Connection::State::kClosing:
      return;
    case Connection::State::kDraining:
    case Connection::State::kHalfClosed:
      if (!abortive) {
        return;  // already closing in order
      }
      break;  // escalate to abortive; keep the first reason
    default:
      c.close_reason_ = reason;
      c.last_error_ = static_cast<std::uint16_t>(error);
      break;
  }
  if (abortive || c.state_ == Connection::State::kConnecting) {
    if (abortive) {
      (void)set_linger_zero(c.fd_);
    }
    go_closing(c);
    return;
  }
  c.state_ = Connection::State::kDraining;
  set_close_deadline(c, monotonic_ns() + config_.close_flush_timeout_ns);
  if ((c.flags_ & Connection::kLingering) == 0) {
    c.flags_ |= Connection::kLingering;
    deadlines_.push_back(c.target());
  }
  mark_for_flush(c);
}

void Reactor::go_closing(Connection& c) noexcept {
  c.state_ = Connection::State::kClosing;
  mark_for_flush(c);
}

void Reactor::set_close_deadline(Connection& c, std::uint64_t at_ns) noexcept {
  c.close_deadline_ns_ = at_ns;
  next_deadline_ns_ = std::min(next_deadline_ns_, at_ns);
}

void Reactor::check_deadlines() noexcept {
  const std::uint64_t now = monotonic_ns();
  // Also scan once the list has doubled: entries of connections that closed in time are dropped
  // then, so the list stays within twice the connections still waiting (amortised O(1) each).
  if (now < next_deadline_ns_ && deadlines_.size() < 2 * deadlines_kept_ + 1024) {
    return;
  }
  std::uint64_t next = UINT64_MAX;
  std::size_t kept = 0;
  for (const OpTarget target : deadlines_) {
    Connection* c = lookup(target);
    if (c == nullptr) {
      continue;
    }
    const bool waiting =
        c->state_ == Connection::State::kDraining || c->state_ == Connection::State::kHalfClosed;
    if (waiting && now < c->close_deadline_ns_) {
      deadlines_[kept++] = target;
      next = std::min(next, c->close_deadline_ns_);
      continue;
    }
    c->flags_ &= static_cast<std::uint16_t>(~Connection::kLingering);
    if (c->state_ == Connection::State::kDraining) {
      c->last_error_ = ETIMEDOUT;  // the peer stopped reading: give up on the queued bytes
      (void)set_linger_zero(c->fd_);
      go_closing(*c);
    } else if (c->state_ == Connection::State::kHalfClosed) {
      go_closing(*c);
    }
  }
  deadlines_.resize(kept);
  deadlines_kept_ = kept;
  next_deadline_ns_ = next;
}

void Reactor::finish(Connection& c) noexcept {
  assert(c.send_op_ == nullptr);
  ::close(c.fd_);
  drop_queue(c);
  metrics_.connections_closed->add();
  std::unique_ptr<ConnectionHandler> handler = std::move(c.handler_);
  if (handler) {
    handler->on_close(c, c.close_reason_);
  }
  handler.reset();
  c.handler_.reset();
  release_slot(c);
}

}  // namespace hexwire::core
