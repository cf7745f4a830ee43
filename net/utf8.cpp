// Streaming UTF-8 validation: simdjson validates every complete run of characters; only the (at
// most 3-byte) unfinished tail of a piece is checked byte by byte and carried to the next piece.
#include "net/utf8.hpp"

#include <simdjson.h>

namespace hexwire::net {
namespace {

/// Sequence length announced by a lead byte; 0 for bytes that cannot start a sequence.
constexpr int sequence_length(std::uint8_t lead) noexcept {
  if (lead < 0x80) {
    return 1;
  }
  if (lead >= 0xC2 && lead <= 0xDF) {
    return 2;
  }
  if (lead >= 0xE0 && lead <= 0xEF) {
    return 3;
  }
  if (lead >= 0xF0 && lead <= 0xF4) {
    return 4;
  }
  return 0;
}

/// Allowed range of the byte right after `lead` (excludes overlongs, surrogates, > U+10FFFF).
constexpr bool second_byte_ok(std::uint8_t lead, std::uint8_t next) noexcept {
  switch (lead) {
    case 0xE0:
      return next >= 0xA0 && next <= 0xBF;
    case 0xED:
      return next >= 0x80 && next <= 0x9F;
    case 0xF0:
      return next >= 0x90 && next <= 0xBF;
    case 0xF4:
      return next >= 0x80 && next <= 0x8F;
    default:
      return next >= 0x80 && next <= 0xBF;
  }
}

/// True when bytes[0..count) is a valid (possibly unfinished) prefix of one multi-byte sequence.
bool valid_sequence_prefix(const std::uint8_t* bytes, int count) noexcept {
  const int length = sequence_length(bytes[0]);
  if (length < 2 || count > length) {
    return false;
  }
  if (count >= 2 && !second_byte_ok(bytes[0], bytes[1])) {
    return false;
  }
  for (int i = 2; i < count; ++i) {
    if ((bytes[i] & 0xC0) != 0x80) {
      return false;
    }
  }
  return true;
}

}  // namespace

bool is_valid_utf8(std::span<const std::byte> bytes) noexcept {
  return simdjson::validate_utf8(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

Utf8Status Utf8StreamValidator::feed(std::span<const std::byte> piece) noexcept {
  if (invalid_) {
    return Utf8Status::kInvalid;
  }
  const auto* data = reinterpret_cast<const std::uint8_t*>(piece.data());
  std::size_t size = piece.size();

  // Finish the sequence carried over from the previous piece first.
  if (carry_length_ > 0) {
    const int needed = sequence_length(carry_[0]);
    while (carry_length_ < needed && size > 0) {
      carry_[carry_length_++] = *data++;
      --size;
      if (!valid_sequence_prefix(carry_.data(), carry_length_)) {
        invalid_ = true;
        return Utf8Status::kInvalid;
      }
    }
    if (carry_length_ < needed) {
      return Utf8Status::kIncomplete;
    }
    carry_length_ = 0;
  }

  // Find where the last character starts: an unfinished sequence there is carried, not validated.
  std::size_t body = size;
  for (std::size_t back = 1; back <= 3 && back <= size; ++back) {
    const std::uint8_t byte = data[size - back];
    if ((byte & 0xC0) == 0x80) {
      continue;
    }
    const int length = sequence_length(byte);
    if (length > static_cast<int>(back)) {
      body = size - back;
    }
    break;
  }
  if (!simdjson::validate_utf8(reinterpret_cast<const char*>(data), body)) {
    invalid_ = true;
    return Utf8Status::kInvalid;
  }
  const auto tail = static_cast<int>(size - body);
  if (tail == 0) {
    return Utf8Status::kComplete;
  }
  if (!valid_sequence_prefix(data + body, tail)) {
    invalid_ = true;
    return Utf8Status::kInvalid;
  }
  for (int i = 0; i < tail; ++i) {
    carry_[static_cast<std::size_t>(i)] = data[body + static_cast<std::size_t>(i)];
  }
  carry_length_ = static_cast<std::uint8_t>(tail);
  return Utf8Status::kIncomplete;
}

Utf8Status Utf8StreamValidator::finish() const noexcept {
  if (invalid_ || carry_length_ != 0) {
    return Utf8Status::kInvalid;
  }
  return Utf8Status::kComplete;
}

bool is_valid_utf8_scalar(std::span<const std::byte> bytes) noexcept {
  const auto* data = reinterpret_cast<const std::uint8_t*>(bytes.data());
  const std::size_t size = bytes.size();
  std::size_t i = 0;
  while (i < size) {
    const std::uint8_t lead = data[i];
    if (lead < 0x80) {
      ++i;
      continue;
    }
    const int length = sequence_length(lead);
    if (length == 0 || i + static_cast<std::size_t>(length) > size) {
      return false;
    }
    if (!second_byte_ok(lead, data[i + 1])) {
      return false;
    }
    for (int k = 2; k < length; ++k) {
      if ((data[i + static_cast<std::size_t>(k)] & 0xC0) != 0x80) {
        return false;
      }
    }
    i += static_cast<std::size_t>(length);
  }
  return true;
}

}  // namespace hexwire::net
