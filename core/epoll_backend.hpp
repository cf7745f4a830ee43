// The epoll implementation of Backend, for kernels without io_uring and for comparison: level-
// triggered readiness turned into completions. Receives go into one per-shard scratch buffer (no
// per-connection read buffer); sends are written at flush (sendmsg over the gathered iovecs) and
// wait for EPOLLOUT only when the kernel buffer is full; an eventfd in the set wakes the loop.
// Internal to core; use make_backend().
#pragma once

#include <sys/epoll.h>

#include <cstdint>
#include <vector>

#include "core/backend.hpp"

namespace hexwire::core {

class EpollBackend final : public Backend {
 public:
  /// Throws std::system_error if epoll_create1/eventfd fail.
  explicit EpollBackend(const BackendConfig& config);
  ~EpollBackend() override;

  [[nodiscard]] BackendKind kind() const noexcept override { return BackendKind::kEpoll; }
  void arm_accept(std::uint32_t listener, int fd) noexcept override;
  void cancel_accept(std::uint32_t listener, int fd) noexcept override;
  void arm_receive(OpTarget target, int fd) noexcept override;
  void cancel_receive(OpTarget target, int fd) noexcept override;
  void start_send(OpTarget target, int fd, const msghdr* msg) noexcept override;
  void start_connect(OpTarget target, int fd, const sockaddr* address,
                     socklen_t length) noexcept override;
  void cancel_all(OpTarget target, int fd) noexcept override;
  std::size_t reap(BackendEvents& events) noexcept override;
  void submit_and_wait(std::uint64_t timeout_ns) noexcept override;
  void wake() noexcept override;
  [[nodiscard]] BackendStats stats() const noexcept override { return stats_; }

 private:
  /// What the reactor asked of one connection slot (indexed by OpTarget::slot).
  struct SlotState {
    int fd = -1;
    std::uint32_t generation = 0;
    std::uint32_t registered_events = 0;  // what epoll currently watches
    bool registered = false;
    bool receive_armed = false;
    bool connecting = false;
    const msghdr* pending_send = nullptr;  // waiting for EPOLLOUT
  };
  /// A completion produced synchronously (e.g. a send that wrote at once), delivered at reap.
  struct Deferred {
    std::uint8_t op;
    OpTarget target;
    int result;
  };

  SlotState& state_for(OpTarget target, int fd) noexcept;
  [[nodiscard]] SlotState* live_state(OpTarget target) noexcept;
  void update_interest(OpTarget target, SlotState& state) noexcept;
  void forget(SlotState& state) noexcept;
  void on_socket_ready(OpTarget target, std::uint32_t events, BackendEvents& sink) noexcept;
  void receive_ready(OpTarget target, BackendEvents& sink) noexcept;
  void accept_ready(std::uint32_t listener, BackendEvents& sink) noexcept;
  void deliver(const Deferred& deferred, BackendEvents& sink) noexcept;

  BackendConfig config_;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  std::vector<std::byte> scratch_;
  std::vector<SlotState> slots_;
  std::vector<int> listener_fds_;  // -1 once cancelled
  std::vector<Deferred> deferred_;
  std::vector<Deferred> delivering_;
  std::vector<epoll_event> ready_;
  int ready_count_ = 0;
  BackendStats stats_;
};

}  // namespace hexwire::core
