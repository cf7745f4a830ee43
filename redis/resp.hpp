// RESP, the Redis wire format, as hexwire uses it: commands are encoded by us straight into one
// SharedBuffer (an array of bulk strings, the only form a client sends), replies are parsed by
// hiredis's reader and handed out as a read-only Reply tree. Also the cluster key-slot function
// (CRC16 of the key or of its {hash tag}, mod 16384).
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "core/shared_buffer.hpp"

struct redisReply;  // hiredis (hiredis/hiredis.h); kept out of this header

namespace hexwire::redis {

/// Encodes one command as a RESP array of bulk strings: "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n".
/// One allocation of the exact size; arguments may hold any bytes.
[[nodiscard]] core::SharedBuffer encode_command(std::span<const std::string_view> args);
[[nodiscard]] core::SharedBuffer encode_command(std::initializer_list<std::string_view> args);

/// Redis Cluster's slot of a key: CRC16-XMODEM of the key, or of the part between the first '{'
/// and the next '}' when that part is not empty, modulo 16384.
[[nodiscard]] std::uint16_t key_slot(std::string_view key) noexcept;
inline constexpr std::uint16_t kSlotCount = 16384;

enum class ReplyType : std::uint8_t { kString, kArray, kInteger, kNil, kStatus, kError };
[[nodiscard]] std::string_view to_string(ReplyType type) noexcept;

/// A read-only view of one node of a parsed reply. Valid while the owning Reply lives. An
/// out-of-range element is a nil view, so a malformed reply reads as nil instead of crashing.
class ReplyView {
 public:
  ReplyView() noexcept = default;
  explicit ReplyView(const redisReply* reply) noexcept : reply_(reply) {}

  [[nodiscard]] ReplyType type() const noexcept;
  [[nodiscard]] bool is_error() const noexcept { return type() == ReplyType::kError; }
  [[nodiscard]] bool is_nil() const noexcept { return type() == ReplyType::kNil; }
  [[nodiscard]] bool is_array() const noexcept { return type() == ReplyType::kArray; }
  /// The bytes of a string, status or error reply (empty for the other types).
  [[nodiscard]] std::string_view str() const noexcept;
  /// An integer reply, or a string reply holding a decimal integer; `fallback` otherwise.
  [[nodiscard]] long long integer(long long fallback = 0) const noexcept;
  /// Number of elements of an array reply (0 for the other types).
  [[nodiscard]] std::size_t size() const noexcept;
  [[nodiscard]] ReplyView operator[](std::size_t index) const noexcept;
  /// "string \"OK\"", "array[3]", ...: for logs and test failures.
  [[nodiscard]] std::string describe() const;

 private:
  const redisReply* reply_ = nullptr;
};

/// Owns one parsed reply (the hiredis object tree). Move-only. An empty Reply views as nil.
class Reply {
 public:
  Reply() noexcept = default;
  explicit Reply(redisReply* owned) noexcept : reply_(owned) {}
  [[nodiscard]] ReplyView view() const noexcept { return ReplyView(reply_.get()); }
  [[nodiscard]] ReplyView operator[](std::size_t index) const noexcept { return view()[index]; }
  [[nodiscard]] bool empty() const noexcept { return reply_ == nullptr; }

 private:
  struct Free {
    void operator()(redisReply* reply) const noexcept;
  };
  std::unique_ptr<redisReply, Free> reply_;
};

/// Incremental reply parser over hiredis's redisReader: feed bytes as they arrive, take whole
/// replies out. Bounded: a protocol error (garbage from the peer) is sticky and reported once.
class ReplyReader {
 public:
  ReplyReader();
  ~ReplyReader();
  ReplyReader(const ReplyReader&) = delete;
  ReplyReader& operator=(const ReplyReader&) = delete;

  /// Appends received bytes. Returns false on a parser error (see error()).
  bool feed(std::span<const std::byte> bytes) noexcept;
  enum class Next : std::uint8_t { kReply, kNeedMore, kError };
  /// Takes the next complete reply into *out.
  Next next(Reply* out) noexcept;
  [[nodiscard]] std::string_view error() const noexcept;
  /// Forgets buffered bytes and any error (after a reconnect).
  void reset();

 private:
  void* reader_ = nullptr;  // redisReader*
};

}  // namespace hexwire::redis
