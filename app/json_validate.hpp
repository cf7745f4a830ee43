// A strict RFC 8259 validator for one JSON value in place: it returns where the value ends, so a
// parser can keep the value's raw text (the `data` of a pub) without building or re-serialising
// anything. Iterative, with a depth limit; reads no further than the first byte that cannot
// continue the value, so a NUL-padded buffer is always safe.
#pragma once

#include <cstddef>

namespace hexwire::app {

enum class JsonCheck : unsigned char { kOk, kInvalid, kTooDeep };

struct JsonValueEnd {
  JsonCheck status = JsonCheck::kInvalid;
  const char* end = nullptr;  // one past the value (before any trailing whitespace) when kOk
};

inline constexpr std::size_t kMaxJsonCheckDepth = 64;

/// Validates the JSON value starting at `p` (leading whitespace allowed). The input must be
/// terminated by a byte that no JSON value may contain unescaped (e.g. NUL padding or the rest of
/// a larger JSON text), followed by at least 8 readable bytes (strings are scanned a word at a
/// time; simdjson's 64-byte padding satisfies this). UTF-8 is not checked here (the WebSocket layer
/// checked it already). Nesting deeper than `max_depth` arrays/objects (at most kMaxJsonCheckDepth)
/// is kTooDeep.
[[nodiscard]] JsonValueEnd check_json_value(const char* p,
                                            std::size_t max_depth = kMaxJsonCheckDepth) noexcept;

}  // namespace hexwire::app
