// FrameWriter: a small JSON writer that builds one WebSocket TEXT frame. It writes the payload
// after kHeaderRoom reserved bytes of a reusable per-shard scratch buffer, then writes the frame
// header in place right before the payload and copies header + payload into one SharedBuffer, so a
// frame is encoded once and shared by every subscriber. Strings are escaped per RFC 8259.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <string_view>

#include "core/shared_buffer.hpp"

namespace hexwire::app {

class FrameWriter {
 public:
  /// Largest server frame header: 2 bytes + 8-byte extended length, no mask.
  static constexpr std::size_t kHeaderRoom = 10;

  explicit FrameWriter(std::size_t initial_capacity = 4096);
  FrameWriter(const FrameWriter&) = delete;
  FrameWriter& operator=(const FrameWriter&) = delete;

  /// Starts a new frame (keeps the scratch memory).
  void reset() noexcept { size_ = kHeaderRoom; }

  /// Bytes copied as they are (must already be JSON: punctuation, keys, pre-validated values).
  void raw(std::string_view text) {
    ensure(text.size());
    std::memcpy(buffer_.get() + size_, text.data(), text.size());
    size_ += text.size();
  }
  void raw(char c) {
    ensure(1);
    buffer_[size_++] = c;
  }
  /// A JSON string literal with quotes, escaping '"', '\\' and control characters.
  void string(std::string_view text);
  /// A string literal made of several pieces (for composed error messages).
  void string_concat(std::initializer_list<std::string_view> pieces);
  void uint(std::uint64_t value);
  void int64(std::int64_t value);
  /// Shortest text that reads back as the same double; NaN and infinities become null.
  void number(double value);
  void boolean(bool value) { raw(value ? std::string_view("true") : std::string_view("false")); }

  /// Gives memory back after an unusually large frame (call between frames): when the scratch
  /// grew beyond `keep_bytes`, it shrinks to that size.
  void trim(std::size_t keep_bytes);

  /// The JSON written since reset().
  [[nodiscard]] std::string_view payload() const noexcept {
    return {buffer_.get() + kHeaderRoom, size_ - kHeaderRoom};
  }
  /// Wraps the payload in a server TEXT frame (FIN, unmasked) in a new SharedBuffer.
  [[nodiscard]] core::SharedBuffer finish_text_frame();
  /// The payload alone in a new SharedBuffer (e.g. a stored message body).
  [[nodiscard]] core::SharedBuffer finish_payload() const;

 private:
  void ensure(std::size_t more) {
    if (size_ + more > capacity_) {
      grow(size_ + more);
    }
  }
  void grow(std::size_t needed);

  std::unique_ptr<char[]> buffer_;
  std::size_t capacity_ = 0;
  std::size_t size_ = kHeaderRoom;
};

}  // namespace hexwire::app
