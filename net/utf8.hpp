// UTF-8 validation for WebSocket text messages (RFC 6455 section 8.1). Whole buffers go straight to
// simdjson's SIMD validator; fragmented messages use Utf8StreamValidator, which carries up to three
// bytes of a sequence cut by a fragment boundary and fails as soon as a prefix can no longer become
// valid UTF-8 (the "fail fast" behaviour Autobahn 6.4.x checks).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace hexwire::net {

/// Whole-buffer check (simdjson).
[[nodiscard]] bool is_valid_utf8(std::span<const std::byte> bytes) noexcept;
[[nodiscard]] inline bool is_valid_utf8(std::string_view text) noexcept {
  return is_valid_utf8(std::as_bytes(std::span<const char>(text.data(), text.size())));
}

enum class Utf8Status : std::uint8_t {
  kComplete,    // everything so far is valid and ends on a character boundary
  kIncomplete,  // valid so far, but the last sequence still needs more bytes
  kInvalid,     // the bytes so far can never become valid UTF-8
};

/// Streaming validator for one message fed in pieces. Holds no heap memory. After kInvalid the
/// validator stays invalid until reset().
class Utf8StreamValidator {
 public:
  /// Validates the next piece of the message.
  Utf8Status feed(std::span<const std::byte> piece) noexcept;
  /// End of message: kComplete, or kInvalid when a sequence is left unfinished.
  [[nodiscard]] Utf8Status finish() const noexcept;
  void reset() noexcept {
    carry_length_ = 0;
    invalid_ = false;
  }
  [[nodiscard]] bool invalid() const noexcept { return invalid_; }

 private:
  std::array<std::uint8_t, 4> carry_{};
  std::uint8_t carry_length_ = 0;
  bool invalid_ = false;
};

/// Plain byte-at-a-time validator (Unicode table 3-7): the reference in tests and the baseline in
/// benchmarks.
[[nodiscard]] bool is_valid_utf8_scalar(std::span<const std::byte> bytes) noexcept;

}  // namespace hexwire::net
