// Provided-buffer ring registration and recycling (see buffer_ring.hpp).
#include "core/buffer_ring.hpp"

#include <liburing.h>
#include <sys/mman.h>

#include <cassert>
#include <stdexcept>
#include <string>
#include <system_error>

namespace hexwire::core {
namespace {

void* map_anonymous(std::size_t bytes, int extra_flags = 0) {
  void* memory =
      ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | extra_flags, -1, 0);
  if (memory == MAP_FAILED) {
    throw std::system_error(errno, std::generic_category(),
                            "mmap of " + std::to_string(bytes) + " bytes for the buffer ring");
  }
  return memory;
}

}  // namespace

BufferRing::BufferRing(io_uring& ring, std::uint16_t group_id, unsigned count, unsigned size)
    : ring_(&ring), group_id_(group_id), count_(count), size_(size) {
  if (count == 0 || count > 32768 || (count & (count - 1)) != 0 || size == 0) {
    throw std::invalid_argument(
        "buffer ring: count must be a power of two in [1, 32768] and size > 0");
  }
  ring_bytes_ = sizeof(io_uring_buf) * count;
  memory_bytes_ = static_cast<std::size_t>(count) * size;
  shared_ = static_cast<io_uring_buf_ring*>(map_anonymous(ring_bytes_));
  try {
    // Populated up front: the kernel hands buffers out in ring order, so under load every buffer
    // is touched anyway. Faulting them in now keeps page faults off the receive path and makes
    // the ring a fixed start-up cost rather than memory that seems to grow with connections.
    memory_ = static_cast<std::byte*>(map_anonymous(memory_bytes_, MAP_POPULATE));
  } catch (...) {
    ::munmap(shared_, ring_bytes_);
    throw;
  }
  io_uring_buf_ring_init(shared_);
  io_uring_buf_reg registration{};
  registration.ring_addr = reinterpret_cast<std::uint64_t>(shared_);
  registration.ring_entries = count;
  registration.bgid = group_id;
  const int rc = io_uring_register_buf_ring(ring_, &registration, 0);
  if (rc != 0) {
    ::munmap(memory_, memory_bytes_);
    ::munmap(shared_, ring_bytes_);
    throw std::system_error(-rc, std::generic_category(),
                            "io_uring_register_buf_ring (provided buffers need Linux >= 5.19)");
  }
  const int mask = io_uring_buf_ring_mask(count);
  for (unsigned id = 0; id < count; ++id) {
    io_uring_buf_ring_add(shared_, memory_ + static_cast<std::size_t>(id) * size, size,
                          static_cast<unsigned short>(id), mask, static_cast<int>(id));
  }
  io_uring_buf_ring_advance(shared_, static_cast<int>(count));
}

BufferRing::~BufferRing() {
  (void)io_uring_unregister_buf_ring(ring_, group_id_);
  ::munmap(memory_, memory_bytes_);
  ::munmap(shared_, ring_bytes_);
}

std::span<const std::byte> BufferRing::view(std::uint16_t id, std::size_t length) const noexcept {
  assert(id < count_ && length <= size_);
  return {memory_ + static_cast<std::size_t>(id) * size_, length};
}

void BufferRing::recycle(std::uint16_t id) noexcept {
  assert(id < count_ && in_use_ > 0);
  io_uring_buf_ring_add(shared_, memory_ + static_cast<std::size_t>(id) * size_, size_, id,
                        io_uring_buf_ring_mask(count_), 0);
  io_uring_buf_ring_advance(shared_, 1);
  --in_use_;
}

}  // namespace hexwire::core
