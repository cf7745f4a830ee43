// The io_uring implementation of Backend: a single-issuer ring with deferred task running (when
// the kernel has it), multishot accept per listener, multishot receive into a provided buffer ring
// (buffers recycled right after the handler returns), sendmsg with gathered iovecs, an eventfd read
// kept armed for wake-ups, and one submit per loop turn. Internal to core; use make_backend().
#pragma once

#include <liburing.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "core/backend.hpp"
#include "core/buffer_ring.hpp"

namespace hexwire::core {

class IoUringBackend final : public Backend {
 public:
  /// Creates the ring on the calling thread, trying SINGLE_ISSUER|DEFER_TASKRUN, then
  /// COOP_TASKRUN, then no flags when setup returns EINVAL. Throws std::system_error otherwise.
  explicit IoUringBackend(const BackendConfig& config);
  ~IoUringBackend() override;

  [[nodiscard]] BackendKind kind() const noexcept override { return BackendKind::kIoUring; }
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
  [[nodiscard]] BackendStats stats() const noexcept override;

  /// The IORING_SETUP_* flags the ring was finally created with (for logs and tests).
  [[nodiscard]] unsigned setup_flags() const noexcept { return setup_flags_; }
  [[nodiscard]] const BufferRing& buffers() const noexcept { return *buffers_; }

 private:
  struct Completion {
    std::uint64_t user_data;
    std::int32_t result;
    std::uint32_t flags;
  };
  struct ListenerState {
    int fd = -1;
    bool active = false;
    std::uint32_t generation = 0;  // bumped by arm_accept: CQEs of an older arming are ignored
  };

  io_uring_sqe* next_sqe() noexcept;
  void arm_wake_read() noexcept;
  void prep_accept(std::uint32_t listener) noexcept;
  unsigned reap_batch(BackendEvents& events) noexcept;
  void dispatch(const Completion& completion, BackendEvents& events) noexcept;

  BackendConfig config_;
  io_uring ring_{};
  unsigned setup_flags_ = 0;
  std::unique_ptr<BufferRing> buffers_;
  int wake_fd_ = -1;
  std::uint64_t wake_value_ = 0;
  std::vector<ListenerState> listeners_;
  std::vector<Completion> batch_;
  BackendStats stats_;
};

}  // namespace hexwire::core
