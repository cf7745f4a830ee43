// Pooled outbound state for connections: queue chunks (a SharedBuffer reference plus a byte
// range, linked intrusively so a connection's queue costs two pointers) and send operations (the
// msghdr and iovec array a sendmsg needs, held only while a send is in flight). Both are recycled
// through per-reactor free lists, so steady-state sending does not allocate.
#pragma once

#include <sys/socket.h>
#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/shared_buffer.hpp"

namespace hexwire::core::detail {

inline constexpr unsigned kMaxIovecs = 64;

struct OutboundChunk {
  SharedBuffer buffer;
  std::size_t offset = 0;  // first unsent byte
  std::size_t length = 0;  // unsent bytes from offset
  OutboundChunk* next = nullptr;
};

struct SendOp {
  msghdr message{};
  iovec iov[kMaxIovecs]{};
  std::size_t bytes = 0;  // total bytes offered to the kernel
  SendOp* next_free = nullptr;
};

/// Free lists of chunks and send ops (single thread: the owning reactor).
class OutboundPool {
 public:
  OutboundPool() = default;
  OutboundPool(const OutboundPool&) = delete;
  OutboundPool& operator=(const OutboundPool&) = delete;

  /// A chunk from the free list (allocates a block of 256 when empty).
  OutboundChunk* take_chunk() {
    if (free_chunks_ == nullptr) {
      grow_chunks();
    }
    OutboundChunk* chunk = free_chunks_;
    free_chunks_ = chunk->next;
    chunk->next = nullptr;
    return chunk;
  }
  /// Releases the buffer reference and returns the chunk to the free list.
  void give_back(OutboundChunk* chunk) noexcept {
    chunk->buffer = SharedBuffer();
    chunk->next = free_chunks_;
    free_chunks_ = chunk;
  }

  SendOp* take_send_op() {
    if (free_ops_ == nullptr) {
      op_blocks_.push_back(std::make_unique<SendOp>());
      return op_blocks_.back().get();
    }
    SendOp* op = free_ops_;
    free_ops_ = op->next_free;
    op->next_free = nullptr;
    return op;
  }
  void give_back(SendOp* op) noexcept {
    op->next_free = free_ops_;
    free_ops_ = op;
  }

  [[nodiscard]] std::size_t send_ops_allocated() const noexcept { return op_blocks_.size(); }

 private:
  void grow_chunks() {
    constexpr std::size_t kBlock = 256;
    auto block = std::make_unique<OutboundChunk[]>(kBlock);
    for (std::size_t i = 0; i < kBlock; ++i) {
      block[i].next = free_chunks_;
      free_chunks_ = &block[i];
    }
    chunk_blocks_.push_back(std::move(block));
  }

  OutboundChunk* free_chunks_ = nullptr;
  SendOp* free_ops_ = nullptr;
  std::vector<std::unique_ptr<OutboundChunk[]>> chunk_blocks_;
  std::vector<std::unique_ptr<SendOp>> op_blocks_;
};

}  // namespace hexwire::core::detail
