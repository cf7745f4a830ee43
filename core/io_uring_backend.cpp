// io_uring backend: ring set-up with flag fallback, multishot accept/receive, provided buffers,
// sendmsg/connect/cancel, the eventfd wake-up read, batched reaping and one submit per turn.
#include "core/io_uring_backend.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <iterator>
#include <system_error>

#include "core/detail/user_data.hpp"

namespace hexwire::core {

using detail::OpType;
using detail::pack_user_data;

namespace {

constexpr std::uint16_t kBufferGroup = 1;
constexpr unsigned kReapBatch = 256;
// Deferred task-work items Linux (6.13+, IO_LOCAL_TW_DEFAULT_MAX) runs per pass on a
// DEFER_TASKRUN ring; reap() asks for another pass after a turn that found at least this many.
constexpr std::size_t kTaskWorkPerPass = 20;

int init_ring(io_uring& ring, unsigned entries, unsigned flags) noexcept {
  io_uring_params params{};
  params.flags = flags | IORING_SETUP_CQSIZE;
  params.cq_entries = entries * 4;
  return io_uring_queue_init_params(entries, &ring, &params);
}

}  // namespace

IoUringBackend::IoUringBackend(const BackendConfig& config) : config_(config) {
  // Newest first: single issuer + deferred task running keeps completion work on this thread at
  // the moment we ask for it; older kernels reject unknown flags with EINVAL.
  const unsigned attempts[] = {IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
                               IORING_SETUP_COOP_TASKRUN, 0};
  int rc = -EINVAL;
  const auto first = static_cast<std::size_t>(config.ring_setup);
  for (std::size_t attempt = first; attempt < std::size(attempts); ++attempt) {
    const unsigned flags = attempts[attempt];
    rc = init_ring(ring_, config.ring_entries, flags);
    if (rc == 0) {
      setup_flags_ = flags;
      break;
    }
    if (rc != -EINVAL) {
      break;
    }
  }
  if (rc != 0) {
    throw std::system_error(-rc, std::generic_category(),
                            "io_uring_queue_init failed (io_uring disabled or unavailable? "
                            "try --backend epoll)");
  }
  try {
    buffers_ =
        std::make_unique<BufferRing>(ring_, kBufferGroup, config.buffer_count, config.buffer_size);
    wake_fd_ = ::eventfd(0, EFD_CLOEXEC);
    if (wake_fd_ < 0) {
      throw std::system_error(errno, std::generic_category(), "eventfd for shard wake-ups");
    }
  } catch (...) {
    buffers_.reset();
    io_uring_queue_exit(&ring_);
    throw;
  }
  (void)io_uring_register_ring_fd(&ring_);  // optional: saves an fd lookup per enter
  batch_.resize(kReapBatch);
  arm_wake_read();
}

IoUringBackend::~IoUringBackend() {
  buffers_.reset();  // unregisters the buffer group while the ring still exists
  io_uring_queue_exit(&ring_);
  if (wake_fd_ >= 0) {
    ::close(wake_fd_);
  }
}

io_uring_sqe* IoUringBackend::next_sqe() noexcept {
  io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
  while (sqe == nullptr) {
    // The submission queue is full before the turn ended: hand the batch over early.
    (void)io_uring_submit(&ring_);
    ++stats_.submits;
    sqe = io_uring_get_sqe(&ring_);
  }
  return sqe;
}

void IoUringBackend::arm_wake_read() noexcept {
  io_uring_sqe* sqe = next_sqe();
  io_uring_prep_read(sqe, wake_fd_, &wake_value_, sizeof(wake_value_), 0);
  io_uring_sqe_set_data64(sqe, pack_user_data(OpType::kWake, {}));
}

void IoUringBackend::prep_accept(std::uint32_t listener) noexcept {
  io_uring_sqe* sqe = next_sqe();
  io_uring_prep_multishot_accept(sqe, listeners_[listener].fd, nullptr, nullptr, SOCK_CLOEXEC);
  io_uring_sqe_set_data64(
      sqe, pack_user_data(OpType::kAccept, {listener, listeners_[listener].generation}));
}

void IoUringBackend::arm_accept(std::uint32_t listener, int fd) noexcept {
  if (listeners_.size() <= listener) {
    listeners_.resize(listener + 1);
  }
  const std::uint32_t generation = (listeners_[listener].generation + 1) & kGenerationMask;
  listeners_[listener] = {fd, true, generation};
  prep_accept(listener);
}

void IoUringBackend::cancel_accept(std::uint32_t listener, int /*fd*/) noexcept {
  if (listener >= listeners_.size() || !listeners_[listener].active) {
    return;
  }
  listeners_[listener].active = false;
  io_uring_sqe* sqe = next_sqe();
  io_uring_prep_cancel64(
      sqe, pack_user_data(OpType::kAccept, {listener, listeners_[listener].generation}), 0);
  io_uring_sqe_set_data64(sqe, pack_user_data(OpType::kCancel, {}));
}

void IoUringBackend::arm_receive(OpTarget target, int fd) noexcept {
  io_uring_sqe* sqe = next_sqe();
  io_uring_prep_recv_multishot(sqe, fd, nullptr, 0, 0);
  sqe->flags |= IOSQE_BUFFER_SELECT;
  sqe->buf_group = kBufferGroup;
  io_uring_sqe_set_data64(sqe, pack_user_data(OpType::kReceive, target));
}

void IoUringBackend::cancel_receive(OpTarget target, int /*fd*/) noexcept {
  io_uring_sqe* sqe = next_sqe();
  io_uring_prep_cancel64(sqe, pack_user_data(OpType::kReceive, target), 0);
  io_uring_sqe_set_data64(sqe, pack_user_data(OpType::kCancel, {}));
}

void IoUringBackend::start_send(OpTarget target, int fd, const msghdr* msg) noexcept {
  io_uring_sqe* sqe = next_sqe();
  if (msg->msg_iovlen == 1) {
    // One buffer: IORING_OP_SEND skips copying and validating the msghdr and iovec in the kernel.
    io_uring_prep_send(sqe, fd, msg->msg_iov[0].iov_base, msg->msg_iov[0].iov_len, MSG_NOSIGNAL);
  } else {
    io_uring_prep_sendmsg(sqe, fd, msg, MSG_NOSIGNAL);
  }
  io_uring_sqe_set_data64(sqe, pack_user_data(OpType::kSend, target));
}

void IoUringBackend::start_connect(OpTarget target, int fd, const sockaddr* address,
                                   socklen_t length) noexcept {
  io_uring_sqe* sqe = next_sqe();
  io_uring_prep_connect(sqe, fd, address, length);
  io_uring_sqe_set_data64(sqe, pack_user_data(OpType::kConnect, target));
}

void IoUringBackend::cancel_all(OpTarget target, int /*fd*/) noexcept {
  // One cancel per kind of operation a connection can have in flight, each by its user_data: the
  // kernel finds it with one lookup in its cancel hash. A cancel by fd (IORING_ASYNC_CANCEL_FD)
  // walks every armed poll request of the ring instead, twice with IORING_ASYNC_CANCEL_ALL, so
  // N connections closed at once cost O(N^2): 16,000 aborted in one turn kept the thread in
  // io_uring_enter for tens of seconds (Linux 6.18; docs/core.md "Closing"). A cancel that finds
  // nothing completes with -ENOENT, ignored like every cancel result.
  for (const OpType op : {OpType::kReceive, OpType::kSend, OpType::kConnect}) {
    io_uring_sqe* sqe = next_sqe();
    io_uring_prep_cancel64(sqe, pack_user_data(op, target), 0);
    io_uring_sqe_set_data64(sqe, pack_user_data(OpType::kCancel, {}));
  }
}

std::size_t IoUringBackend::reap(BackendEvents& events) noexcept {
  std::size_t total = 0;
  // Bounded: completions posted while we dispatch wait for the next turn, so one reap cannot
  // starve mailboxes and timers.
  const std::size_t limit = static_cast<std::size_t>(config_.ring_entries) * 4;
  const bool deferred_task_work = (setup_flags_ & IORING_SETUP_DEFER_TASKRUN) != 0;
  std::size_t since_enter = 0;  // completions found since the kernel last ran our task work
  while (total < limit) {
    const unsigned count = reap_batch(events);
    total += count;
    since_enter += count;
    if (count != 0) {
      continue;
    }
    // The CQ is empty. On a DEFER_TASKRUN ring, Linux 6.13+ runs at most 20 deferred task-work
    // items (e.g. multishot receives of ready sockets) per pass and at most two passes per
    // io_uring_enter, leaving the rest queued. A full share means more may be waiting: run
    // another pass now instead of leaving ready sockets unread until the next turn. Submit
    // first: a handler that paused reading has queued a receive cancel, and the kernel must see
    // it before it runs that connection's receive again (else a paused flood keeps being read
    // into the stash, and backpressure is lost for the rest of this reap).
    if (!deferred_task_work || since_enter < kTaskWorkPerPass) {
      break;
    }
    ++stats_.extra_task_work_runs;
    (void)io_uring_submit_and_get_events(&ring_);
    since_enter = 0;
  }
  stats_.completions += total;
  return total;
}

unsigned IoUringBackend::reap_batch(BackendEvents& events) noexcept {
  io_uring_cqe* cqes[kReapBatch];
  const unsigned count = io_uring_peek_batch_cqe(&ring_, cqes, kReapBatch);
  // Copy and release the CQ slots first: handlers may start operations whose completions the
  // kernel can post while we are still dispatching this batch.
  for (unsigned i = 0; i < count; ++i) {
    batch_[i] = {cqes[i]->user_data, cqes[i]->res, cqes[i]->flags};
  }
  io_uring_cq_advance(&ring_, count);
  for (unsigned i = 0; i < count; ++i) {
    dispatch(batch_[i], events);
  }
  return count;
}

void IoUringBackend::dispatch(const Completion& completion, BackendEvents& events) noexcept {
  const OpTarget target = detail::unpack_target(completion.user_data);
  const bool more = (completion.flags & IORING_CQE_F_MORE) != 0;
  switch (detail::unpack_op(completion.user_data)) {
    case OpType::kAccept: {
      const std::uint32_t listener = target.slot;
      const auto current = [&] {
        return listener < listeners_.size() && listeners_[listener].active &&
               listeners_[listener].generation == target.generation;
      };
      if (!current()) {
        if (completion.result >= 0) {
          ::close(completion.result);  // raced with cancel_accept: nobody wants it
        }
        return;
      }
      if (completion.result != -ECANCELED) {
        events.on_accepted(listener, completion.result);
      }
      if (!more && current()) {
        prep_accept(listener);  // the kernel ended the multishot accept: keep accepting
      }
      return;
    }
    case OpType::kReceive: {
      if ((completion.flags & IORING_CQE_F_BUFFER) != 0) {
        const auto id = static_cast<std::uint16_t>(completion.flags >> IORING_CQE_BUFFER_SHIFT);
        buffers_->note_taken();
        if (completion.result > 0) {
          events.on_received(target,
                             buffers_->view(id, static_cast<std::size_t>(completion.result)));
        }
        buffers_->recycle(id);
      }
      if (!more) {
        // Data without F_MORE: the kernel ended the multishot receive; report it like a cancel
        // so the reactor re-arms if it still wants data.
        events.on_receive_stopped(target, completion.result > 0 ? -ECANCELED : completion.result);
      }
      return;
    }
    case OpType::kSend:
      events.on_sent(target, completion.result);
      return;
    case OpType::kConnect:
      events.on_connected(target, completion.result);
      return;
    case OpType::kWake:
      arm_wake_read();
      return;
    default:
      return;  // cancel results and unknown ops carry nothing to dispatch
  }
}

void IoUringBackend::submit_and_wait(std::uint64_t timeout_ns) noexcept {
  ++stats_.submits;
  if (timeout_ns == 0) {
    // Submit and run deferred task work so completions are ready for the next reap, no sleep.
    (void)io_uring_submit_and_get_events(&ring_);
    return;
  }
  if (timeout_ns == UINT64_MAX) {
    (void)io_uring_submit_and_wait(&ring_, 1);
    return;
  }
  __kernel_timespec timeout{};
  timeout.tv_sec = static_cast<long long>(timeout_ns / 1'000'000'000ull);
  timeout.tv_nsec = static_cast<long long>(timeout_ns % 1'000'000'000ull);
  io_uring_cqe* cqe = nullptr;
  (void)io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, &timeout, nullptr);
}

void IoUringBackend::wake() noexcept {
  const std::uint64_t one = 1;
  // Async-signal-safe; a full counter (EAGAIN) still means a wake-up is pending.
  (void)!::write(wake_fd_, &one, sizeof(one));
}

BackendStats IoUringBackend::stats() const noexcept {
  BackendStats out = stats_;
  out.buffers_in_use = buffers_ ? buffers_->in_use() : 0;
  out.syscalls = stats_.submits + stats_.extra_task_work_runs;
  return out;
}

}  // namespace hexwire::core
