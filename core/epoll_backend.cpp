// epoll backend: readiness (level-triggered) emulated as completions for the reactor. Receives use
// one scratch buffer per shard; at most max_buffers_per_turn reads per connection per turn keep the
// loop fair; sends are attempted at once and park on EPOLLOUT only when the socket is full.
#include "core/epoll_backend.hpp"

#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <system_error>

#include "core/detail/user_data.hpp"

namespace hexwire::core {

using detail::OpType;
using detail::pack_user_data;

namespace {
constexpr int kAcceptsPerTurn = 64;
constexpr std::size_t kReadyEvents = 512;
}  // namespace

EpollBackend::EpollBackend(const BackendConfig& config) : config_(config) {
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) {
    throw std::system_error(errno, std::generic_category(), "epoll_create1");
  }
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) {
    const int error = errno;
    ::close(epoll_fd_);
    throw std::system_error(error, std::generic_category(), "eventfd for shard wake-ups");
  }
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.u64 = pack_user_data(OpType::kWake, {});
  (void)::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &event);
  scratch_.resize(config.buffer_size);
  ready_.resize(kReadyEvents);
  deferred_.reserve(256);
  delivering_.reserve(256);
}

EpollBackend::~EpollBackend() {
  ::close(wake_fd_);
  ::close(epoll_fd_);
}

EpollBackend::SlotState& EpollBackend::state_for(OpTarget target, int fd) noexcept {
  if (slots_.size() <= target.slot) {
    slots_.resize(target.slot + 1);
  }
  SlotState& state = slots_[target.slot];
  if (state.generation != target.generation || state.fd != fd) {
    state = SlotState{};  // a new connection in this slot
    state.fd = fd;
    state.generation = target.generation;
  }
  return state;
}

EpollBackend::SlotState* EpollBackend::live_state(OpTarget target) noexcept {
  if (target.slot >= slots_.size()) {
    return nullptr;
  }
  SlotState& state = slots_[target.slot];
  return state.generation == target.generation && state.fd >= 0 ? &state : nullptr;
}

void EpollBackend::update_interest(OpTarget target, SlotState& state) noexcept {
  std::uint32_t wanted = 0;
  if (state.receive_armed) {
    wanted |= EPOLLIN | EPOLLRDHUP;
  }
  if (state.connecting || state.pending_send != nullptr) {
    wanted |= EPOLLOUT;
  }
  if (wanted == 0) {
    // EPOLLERR/EPOLLHUP are reported even with an empty mask; unregister so a paused, reset
    // connection cannot spin the loop. Re-arming registers again and sees the error then.
    forget(state);
    return;
  }
  if (state.registered && wanted == state.registered_events) {
    return;
  }
  epoll_event event{};
  event.events = wanted;
  event.data.u64 = pack_user_data(OpType::kSocket, target);
  const int op = state.registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
  ++stats_.syscalls;
  if (::epoll_ctl(epoll_fd_, op, state.fd, &event) == 0) {
    state.registered = true;
    state.registered_events = wanted;
  }
}

void EpollBackend::forget(SlotState& state) noexcept {
  if (state.registered) {
    ++stats_.syscalls;
    (void)::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, state.fd, nullptr);
    state.registered = false;
    state.registered_events = 0;
  }
}

void EpollBackend::arm_accept(std::uint32_t listener, int fd) noexcept {
  if (listener_fds_.size() <= listener) {
    listener_fds_.resize(listener + 1, -1);
  }
  listener_fds_[listener] = fd;
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.u64 = pack_user_data(OpType::kAccept, {listener, 0});
  (void)::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event);
}

void EpollBackend::cancel_accept(std::uint32_t listener, int fd) noexcept {
  if (listener < listener_fds_.size() && listener_fds_[listener] >= 0) {
    (void)::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
    listener_fds_[listener] = -1;
  }
}

void EpollBackend::arm_receive(OpTarget target, int fd) noexcept {
  SlotState& state = state_for(target, fd);
  state.receive_armed = true;
  update_interest(target, state);
}

void EpollBackend::cancel_receive(OpTarget target, int /*fd*/) noexcept {
  SlotState* state = live_state(target);
  if (state == nullptr || !state->receive_armed) {
    return;
  }
  state->receive_armed = false;
  update_interest(target, *state);
  deferred_.push_back({static_cast<std::uint8_t>(OpType::kReceive), target, -ECANCELED});
}

void EpollBackend::start_send(OpTarget target, int fd, const msghdr* msg) noexcept {
  SlotState& state = state_for(target, fd);
  ++stats_.syscalls;
  const ssize_t written = ::sendmsg(fd, msg, MSG_NOSIGNAL | MSG_DONTWAIT);
  if (written < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
    state.pending_send = msg;  // kernel buffer full: wait for EPOLLOUT
    update_interest(target, state);
    return;
  }
  deferred_.push_back({static_cast<std::uint8_t>(OpType::kSend), target,
                       written >= 0 ? static_cast<int>(written) : -errno});
}

void EpollBackend::start_connect(OpTarget target, int fd, const sockaddr* address,
                                 socklen_t length) noexcept {
  SlotState& state = state_for(target, fd);
  if (::connect(fd, address, length) == 0) {
    deferred_.push_back({static_cast<std::uint8_t>(OpType::kConnect), target, 0});
    return;
  }
  if (errno != EINPROGRESS) {
    deferred_.push_back({static_cast<std::uint8_t>(OpType::kConnect), target, -errno});
    return;
  }
  state.connecting = true;
  update_interest(target, state);
}

void EpollBackend::cancel_all(OpTarget target, int /*fd*/) noexcept {
  SlotState* state = live_state(target);
  if (state == nullptr) {
    return;
  }
  if (state->receive_armed) {
    deferred_.push_back({static_cast<std::uint8_t>(OpType::kReceive), target, -ECANCELED});
  }
  if (state->pending_send != nullptr) {
    deferred_.push_back({static_cast<std::uint8_t>(OpType::kSend), target, -ECANCELED});
  }
  if (state->connecting) {
    deferred_.push_back({static_cast<std::uint8_t>(OpType::kConnect), target, -ECANCELED});
  }
  forget(*state);
  *state = SlotState{};
}

void EpollBackend::deliver(const Deferred& deferred, BackendEvents& sink) noexcept {
  switch (static_cast<OpType>(deferred.op)) {
    case OpType::kReceive:
      sink.on_receive_stopped(deferred.target, deferred.result);
      return;
    case OpType::kSend:
      sink.on_sent(deferred.target, deferred.result);
      return;
    case OpType::kConnect:
      sink.on_connected(deferred.target, deferred.result);
      return;
    default:
      return;
  }
}

std::size_t EpollBackend::reap(BackendEvents& sink) noexcept {
  std::size_t handled = 0;
  // Completions produced since the last reap first (they happened earlier), then readiness.
  delivering_.swap(deferred_);
  for (const Deferred& deferred : delivering_) {
    deliver(deferred, sink);
  }
  handled += delivering_.size();
  delivering_.clear();

  const int count = ready_count_;
  ready_count_ = 0;
  for (int i = 0; i < count; ++i) {
    const epoll_event event = ready_[static_cast<std::size_t>(i)];
    const OpTarget target = detail::unpack_target(event.data.u64);
    switch (detail::unpack_op(event.data.u64)) {
      case OpType::kWake: {
        std::uint64_t value = 0;
        (void)!::read(wake_fd_, &value, sizeof(value));
        break;
      }
      case OpType::kAccept:
        accept_ready(target.slot, sink);
        break;
      case OpType::kSocket:
        on_socket_ready(target, event.events, sink);
        break;
      default:
        break;
    }
  }
  handled += static_cast<std::size_t>(count);
  stats_.completions += handled;
  return handled;
}

void EpollBackend::accept_ready(std::uint32_t listener, BackendEvents& sink) noexcept {
  for (int i = 0; i < kAcceptsPerTurn; ++i) {
    if (listener >= listener_fds_.size() || listener_fds_[listener] < 0) {
      return;  // cancelled by a handler during this loop
    }
    ++stats_.syscalls;
    const int fd =
        ::accept4(listener_fds_[listener], nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
      sink.on_accepted(listener, fd);
      continue;
    }
    if (errno == EINTR || errno == ECONNABORTED) {
      continue;
    }
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      sink.on_accepted(listener, -errno);
    }
    return;
  }
}

void EpollBackend::on_socket_ready(OpTarget target, std::uint32_t events,
                                   BackendEvents& sink) noexcept {
  SlotState* state = live_state(target);
  if (state == nullptr) {
    return;  // stale event for a connection already cancelled
  }
  const bool failed = (events & (EPOLLERR | EPOLLHUP)) != 0;
  if (state->receive_armed && ((events & (EPOLLIN | EPOLLRDHUP)) != 0 || failed)) {
    receive_ready(target, sink);
    state = live_state(target);
    if (state == nullptr) {
      return;
    }
  }
  if ((events & EPOLLOUT) == 0 && !failed) {
    return;
  }
  if (state->connecting) {
    int error = 0;
    socklen_t length = sizeof(error);
    (void)::getsockopt(state->fd, SOL_SOCKET, SO_ERROR, &error, &length);
    state->connecting = false;
    update_interest(target, *state);
    sink.on_connected(target, -error);
    return;
  }
  if (state->pending_send != nullptr) {
    ++stats_.syscalls;
    const ssize_t written = ::sendmsg(state->fd, state->pending_send, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (written < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return;
    }
    const int result = written >= 0 ? static_cast<int>(written) : -errno;
    state->pending_send = nullptr;
    update_interest(target, *state);
    sink.on_sent(target, result);
  }
}

void EpollBackend::receive_ready(OpTarget target, BackendEvents& sink) noexcept {
  for (unsigned reads = 0; reads < config_.max_buffers_per_turn; ++reads) {
    SlotState* state = live_state(target);
    if (state == nullptr || !state->receive_armed) {
      return;  // the handler paused or closed the connection
    }
    ++stats_.syscalls;
    const ssize_t got = ::recv(state->fd, scratch_.data(), scratch_.size(), MSG_DONTWAIT);
    if (got > 0) {
      sink.on_received(target, {scratch_.data(), static_cast<std::size_t>(got)});
      if (static_cast<std::size_t>(got) < scratch_.size()) {
        return;  // drained what the kernel had
      }
      continue;
    }
    if (got < 0 && errno == EINTR) {
      continue;
    }
    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return;
    }
    const int result = got == 0 ? 0 : -errno;
    state->receive_armed = false;
    update_interest(target, *state);
    sink.on_receive_stopped(target, result);
    return;
  }
}

void EpollBackend::submit_and_wait(std::uint64_t timeout_ns) noexcept {
  ++stats_.submits;
  ++stats_.syscalls;
  if (!deferred_.empty()) {
    timeout_ns = 0;  // emulated completions are already due
  }
  timespec timeout{};
  timespec* timeout_ptr = nullptr;
  if (timeout_ns != UINT64_MAX) {
    timeout.tv_sec = static_cast<time_t>(timeout_ns / 1'000'000'000ull);
    timeout.tv_nsec = static_cast<long>(timeout_ns % 1'000'000'000ull);
    timeout_ptr = &timeout;
  }
  const int count = ::epoll_pwait2(epoll_fd_, ready_.data(), static_cast<int>(ready_.size()),
                                   timeout_ptr, nullptr);
  ready_count_ = count > 0 ? count : 0;
}

void EpollBackend::wake() noexcept {
  const std::uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof(one));
}

}  // namespace hexwire::core
