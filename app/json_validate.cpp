// check_json_value: a byte loop over one JSON value with a 64-bit stack of container kinds
// (object/array), strings checked for escapes and raw control characters, numbers against the
// RFC 8259 grammar, literals compared whole.
#include "app/json_validate.hpp"

#include <cstdint>
#include <cstring>

namespace hexwire::app {

namespace {

bool is_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}
bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}

/// The value of 4 hex digits at `p`, or -1.
int hex4(const char* p) noexcept {
  int value = 0;
  for (int i = 0; i < 4; ++i) {
    const char c = p[i];
    int digit = 0;
    if (c >= '0' && c <= '9') {
      digit = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      digit = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      digit = c - 'A' + 10;
    } else {
      return -1;
    }
    value = value * 16 + digit;
  }
  return value;
}

const char* skip_space(const char* p) noexcept {
  while (is_space(*p)) {
    ++p;
  }
  return p;
}

constexpr std::uint64_t kOnes = 0x0101010101010101ull;
constexpr std::uint64_t kHighs = 0x8080808080808080ull;

/// Bit 7 of each byte of the result is set at the first byte of `w` that is '"', '\\' or below
/// 0x20 (bytes above the first such byte may be marked too; only the lowest one is used).
std::uint64_t special_bytes(std::uint64_t w) noexcept {
  const std::uint64_t quote = w ^ (kOnes * '"');
  const std::uint64_t backslash = w ^ (kOnes * '\\');
  const std::uint64_t zero_quote = (quote - kOnes) & ~quote;
  const std::uint64_t zero_backslash = (backslash - kOnes) & ~backslash;
  const std::uint64_t control = (w - kOnes * 0x20) & ~w;
  return (zero_quote | zero_backslash | control) & kHighs;
}

/// `p` at the opening quote; returns one past the closing quote, or null. Plain runs are skipped
/// 8 bytes at a time (little-endian word loads; the padding makes over-reads safe).
const char* scan_string(const char* p) noexcept {
  ++p;
  for (;;) {
    std::uint64_t word;
    std::memcpy(&word, p, sizeof(word));
    const std::uint64_t special = special_bytes(word);
    if (special == 0) {
      p += 8;
      continue;
    }
    p += __builtin_ctzll(special) / 8;
    const auto c = static_cast<unsigned char>(*p);
    if (c == '"') {
      return p + 1;
    }
    if (c < 0x20) {
      return nullptr;  // raw control character (or the NUL terminator: unterminated string)
    }
    if (c == '\\') {
      const char e = p[1];
      if (e == 'u') {
        const int unit = hex4(p + 2);
        if (unit < 0 || (unit >= 0xDC00 && unit <= 0xDFFF)) {
          return nullptr;  // not 4 hex digits, or a low surrogate without its high half
        }
        p += 6;
        if (unit >= 0xD800 && unit <= 0xDBFF) {
          // A high surrogate must be followed by an escaped low surrogate (as simdjson requires).
          const int low = p[0] == '\\' && p[1] == 'u' ? hex4(p + 2) : -1;
          if (low < 0xDC00 || low > 0xDFFF) {
            return nullptr;
          }
          p += 6;
        }
        continue;
      }
      if (std::strchr("\"\\/bfnrt", e) == nullptr || e == '\0') {
        return nullptr;
      }
      p += 2;
      continue;
    }
    ++p;
  }
}

/// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
const char* scan_number(const char* p) noexcept {
  if (*p == '-') {
    ++p;
  }
  if (*p == '0') {
    ++p;
  } else if (is_digit(*p)) {
    while (is_digit(*p))
      ++p;
  } else {
    return nullptr;
  }
  if (*p == '.') {
    ++p;
    if (!is_digit(*p))
      return nullptr;
    while (is_digit(*p))
      ++p;
  }
  if (*p == 'e' || *p == 'E') {
    ++p;
    if (*p == '+' || *p == '-')
      ++p;
    if (!is_digit(*p))
      return nullptr;
    while (is_digit(*p))
      ++p;
  }
  return p;
}

const char* scan_literal(const char* p, const char* literal, std::size_t size) noexcept {
  return std::memcmp(p, literal, size) == 0 ? p + size : nullptr;
}

}  // namespace

JsonValueEnd check_json_value(const char* p, std::size_t max_depth) noexcept {
  if (max_depth > kMaxJsonCheckDepth) {
    max_depth = kMaxJsonCheckDepth;
  }
  std::uint64_t in_object = 0;  // bit d: the container at depth d+1 is an object
  std::size_t depth = 0;
  const JsonValueEnd invalid{JsonCheck::kInvalid, nullptr};

  p = skip_space(p);
  for (;;) {
    // ---- a value starts at p ----
    switch (*p) {
      case '{':
      case '[': {
        if (depth == max_depth) {
          return {JsonCheck::kTooDeep, nullptr};
        }
        const bool object = *p == '{';
        in_object = (in_object & ~(std::uint64_t{1} << depth)) | (std::uint64_t{object} << depth);
        ++depth;
        p = skip_space(p + 1);
        if (*p == (object ? '}' : ']')) {
          --depth;
          ++p;
          break;  // empty container: a complete value
        }
        if (object) {
          if (*p != '"' || (p = scan_string(p)) == nullptr)
            return invalid;
          p = skip_space(p);
          if (*p != ':')
            return invalid;
          p = skip_space(p + 1);
        }
        continue;  // the first element's value starts at p
      }
      case '"':
        p = scan_string(p);
        break;
      case 't':
        p = scan_literal(p, "true", 4);
        break;
      case 'f':
        p = scan_literal(p, "false", 5);
        break;
      case 'n':
        p = scan_literal(p, "null", 4);
        break;
      default:
        p = scan_number(p);
        break;
    }
    if (p == nullptr) {
      return invalid;
    }
    // ---- a value ended just before p: close containers or move to the next element ----
    for (;;) {
      if (depth == 0) {
        return {JsonCheck::kOk, p};
      }
      const bool object = (in_object >> (depth - 1)) & 1u;
      const char* q = skip_space(p);
      if (*q == ',') {
        q = skip_space(q + 1);
        if (object) {
          if (*q != '"' || (q = scan_string(q)) == nullptr)
            return invalid;
          q = skip_space(q);
          if (*q != ':')
            return invalid;
          q = skip_space(q + 1);
        }
        p = q;
        break;  // next element's value
      }
      if (*q != (object ? '}' : ']')) {
        return invalid;
      }
      --depth;
      p = q + 1;
    }
  }
}

}  // namespace hexwire::app
