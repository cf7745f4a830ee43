// A provided-buffer ring for io_uring multishot receives: `count` buffers of `size` bytes that the
// kernel picks from as data arrives, so a connection holds a read buffer only while its data is
// being handed to the handler. Registered by hand (liburing 2.3 has no io_uring_setup_buf_ring):
// page-aligned mmap for the ring, io_uring_register_buf_ring, then init/add/advance.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

struct io_uring;
struct io_uring_buf_ring;

namespace hexwire::core {

class BufferRing {
 public:
  /// Registers `count` (power of two, 1..32768) buffers of `size` bytes as buffer group `group_id`
  /// on `ring`, all handed to the kernel. Throws std::system_error if the kernel refuses.
  BufferRing(io_uring& ring, std::uint16_t group_id, unsigned count, unsigned size);
  /// Unregisters and unmaps.
  ~BufferRing();
  BufferRing(const BufferRing&) = delete;
  BufferRing& operator=(const BufferRing&) = delete;

  [[nodiscard]] std::uint16_t group_id() const noexcept { return group_id_; }
  [[nodiscard]] unsigned count() const noexcept { return count_; }
  [[nodiscard]] unsigned buffer_size() const noexcept { return size_; }

  /// The first `length` bytes of buffer `id` (the id the CQE carried in its flags).
  [[nodiscard]] std::span<const std::byte> view(std::uint16_t id,
                                                std::size_t length) const noexcept;

  /// Gives buffer `id` back to the kernel (made visible immediately with a release store).
  void recycle(std::uint16_t id) noexcept;

  /// Buffers currently taken by the kernel's completions and not yet recycled.
  [[nodiscard]] unsigned in_use() const noexcept { return in_use_; }
  /// Bookkeeping for in_use(): the backend calls this for each buffer a completion delivered.
  void note_taken() noexcept { ++in_use_; }

 private:
  io_uring* ring_;
  io_uring_buf_ring* shared_ = nullptr;  // the ring the kernel reads (mmap'd, page aligned)
  std::byte* memory_ = nullptr;          // count_ * size_ bytes (mmap'd)
  std::size_t ring_bytes_ = 0;
  std::size_t memory_bytes_ = 0;
  std::uint16_t group_id_;
  unsigned count_;
  unsigned size_;
  unsigned in_use_ = 0;
};

}  // namespace hexwire::core
