// Reference-counted, immutable byte buffers. One encoded frame is built once and handed to many
// connections (fan-out); each holds a reference until its send completes. The count is atomic so a
// buffer may cross shards through a mailbox; increments are relaxed, the last decrement acq_rel.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <span>
#include <string_view>
#include <utility>

namespace hexwire::core {

class SharedBuffer {
 public:
  SharedBuffer() noexcept = default;

  /// Allocates `size` writable bytes (uninitialised). Fill them through mutable_data() before the
  /// buffer is shared; after that it must not change.
  static SharedBuffer allocate(std::size_t size) {
    if (size > SIZE_MAX - sizeof(Header)) {  // the header + size sum would wrap around
      throw std::bad_alloc();
    }
    void* raw = std::malloc(sizeof(Header) + (size == 0 ? 1 : size));
    if (raw == nullptr) {
      throw std::bad_alloc();
    }
    auto* header = new (raw) Header{};
    header->size = size;
    return SharedBuffer(header);
  }

  static SharedBuffer copy_of(std::span<const std::byte> bytes) {
    SharedBuffer buffer = allocate(bytes.size());
    if (!bytes.empty()) {
      std::memcpy(buffer.mutable_data(), bytes.data(), bytes.size());
    }
    return buffer;
  }

  static SharedBuffer copy_of(std::string_view text) {
    return copy_of(std::as_bytes(std::span<const char>(text.data(), text.size())));
  }

  SharedBuffer(const SharedBuffer& other) noexcept : header_(other.header_) { retain(); }
  SharedBuffer(SharedBuffer&& other) noexcept : header_(std::exchange(other.header_, nullptr)) {}
  SharedBuffer& operator=(const SharedBuffer& other) noexcept {
    if (header_ != other.header_) {
      // Read and retain `other` before releasing ours; `other` is not touched after the release.
      Header* incoming = other.header_;
      if (incoming) {
        incoming->refs.fetch_add(1, std::memory_order_relaxed);
      }
      release();
      header_ = incoming;
    }
    return *this;
  }
  SharedBuffer& operator=(SharedBuffer&& other) noexcept {
    if (this != &other) {
      release();
      header_ = std::exchange(other.header_, nullptr);
    }
    return *this;
  }
  ~SharedBuffer() { release(); }

  [[nodiscard]] const std::byte* data() const noexcept {
    return header_ ? reinterpret_cast<const std::byte*>(header_ + 1) : nullptr;
  }
  [[nodiscard]] std::byte* mutable_data() noexcept {
    return header_ ? reinterpret_cast<std::byte*>(header_ + 1) : nullptr;
  }
  [[nodiscard]] std::size_t size() const noexcept { return header_ ? header_->size : 0; }
  [[nodiscard]] bool empty() const noexcept { return size() == 0; }
  [[nodiscard]] std::span<const std::byte> bytes() const noexcept { return {data(), size()}; }
  [[nodiscard]] std::string_view view() const noexcept {
    return {reinterpret_cast<const char*>(data()), size()};
  }
  /// Number of live references (for tests and metrics; racy when other threads hold references).
  [[nodiscard]] std::uint32_t use_count() const noexcept {
    return header_ ? header_->refs.load(std::memory_order_relaxed) : 0;
  }
  explicit operator bool() const noexcept { return header_ != nullptr; }

 private:
  struct alignas(16) Header {
    std::atomic<std::uint32_t> refs{1};
    std::size_t size = 0;
  };

  explicit SharedBuffer(Header* header) noexcept : header_(header) {}

  void retain() noexcept {
    if (header_) {
      // Relaxed: a new reference is made from an existing one, which already orders the bytes.
      header_->refs.fetch_add(1, std::memory_order_relaxed);
    }
  }
  void release() noexcept {
    // acq_rel: the last owner must see every other owner's reads finished before it frees.
    if (header_ && header_->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      header_->~Header();
      std::free(header_);
    }
    header_ = nullptr;
  }

  Header* header_ = nullptr;
};

}  // namespace hexwire::core
