// Fuzzes the streaming UTF-8 validator: the input (after a split seed) is fed in random-sized
// pieces and the verdict must equal simdjson's on the whole buffer and the scalar reference; a
// kInvalid status must never appear for a prefix of valid UTF-8.
#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "net/utf8.hpp"

using namespace hexwire::net;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) {
    return 0;
  }
  std::uint32_t seed = data[0] * 2654435761u + 1;
  data += 1;
  size -= 1;
  const auto* bytes = reinterpret_cast<const std::byte*>(data);
  const bool whole = simdjson::validate_utf8(reinterpret_cast<const char*>(data), size);
  if (whole != is_valid_utf8_scalar({bytes, size})) {
    std::abort();
  }
  Utf8StreamValidator validator;
  std::size_t at = 0;
  bool failed = false;
  while (at < size) {
    seed = seed * 1103515245u + 12345u;
    const std::size_t length = std::min<std::size_t>(1 + (seed >> 16) % 23, size - at);
    if (validator.feed({bytes + at, length}) == Utf8Status::kInvalid) {
      failed = true;
      if (whole) {
        std::abort();  // flagged a valid text as invalid
      }
      break;
    }
    at += length;
  }
  const bool streamed = !failed && validator.finish() == Utf8Status::kComplete;
  if (streamed != whole) {
    std::abort();
  }
  return 0;
}
