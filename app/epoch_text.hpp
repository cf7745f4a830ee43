// The wire form of a channel epoch (pubsub::Message::epoch and friends): exactly 16 lowercase
// hex digits in a JSON string, e.g. "epoch":"00c0ffee12345678". A string, not a number, because
// JavaScript numbers lose integers above 2^53. Used by the encoders, the op parser and clients.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace hexwire::app {

inline constexpr std::size_t kEpochHexDigits = 16;

/// The 16 hex digits of `epoch` (most significant first).
[[nodiscard]] constexpr std::array<char, kEpochHexDigits> epoch_to_hex(std::uint64_t epoch) noexcept {
  constexpr std::string_view kDigits = "0123456789abcdef";
  std::array<char, kEpochHexDigits> out{};
  for (std::size_t i = 0; i < kEpochHexDigits; ++i) {
    out[kEpochHexDigits - 1 - i] = kDigits[(epoch >> (4 * i)) & 0xf];
  }
  return out;
}

/// The epoch named by `text` (1-16 hex digits, either case), or nullopt.
[[nodiscard]] constexpr std::optional<std::uint64_t> epoch_from_hex(std::string_view text) noexcept {
  if (text.empty() || text.size() > kEpochHexDigits) {
    return std::nullopt;
  }
  std::uint64_t value = 0;
  for (const char c : text) {
    unsigned digit = 0;
    if (c >= '0' && c <= '9') {
      digit = static_cast<unsigned>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      digit = static_cast<unsigned>(c - 'a' + 10);
    } else if (c >= 'A' && c <= 'F') {
      digit = static_cast<unsigned>(c - 'A' + 10);
    } else {
      return std::nullopt;
    }
    value = (value << 4) | digit;
  }
  return value;
}

}  // namespace hexwire::app
