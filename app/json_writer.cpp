// FrameWriter internals: RFC 8259 string escaping with a byte-class table (runs of plain bytes are
// copied with one memcpy), integer and shortest-round-trip double formatting with std::to_chars,
// and the in-place RFC 6455 header in front of the payload.
#include "app/json_writer.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>

namespace hexwire::app {

namespace {

constexpr std::array<bool, 256> make_escape_table() noexcept {
  std::array<bool, 256> table{};
  for (int c = 0; c < 0x20; ++c)
    table[static_cast<std::size_t>(c)] = true;
  table['"'] = true;
  table['\\'] = true;
  return table;
}
constexpr std::array<bool, 256> kNeedsEscape = make_escape_table();
constexpr char kHex[] = "0123456789abcdef";

}  // namespace

FrameWriter::FrameWriter(std::size_t initial_capacity)
    : buffer_(new char[initial_capacity + kHeaderRoom]),
      capacity_(initial_capacity + kHeaderRoom) {}

void FrameWriter::grow(std::size_t needed) {
  std::size_t capacity = capacity_ * 2;
  while (capacity < needed) {
    capacity *= 2;
  }
  std::unique_ptr<char[]> bigger(new char[capacity]);
  std::memcpy(bigger.get(), buffer_.get(), size_);
  buffer_ = std::move(bigger);
  capacity_ = capacity;
}

void FrameWriter::trim(std::size_t keep_bytes) {
  keep_bytes = std::max(keep_bytes, kHeaderRoom + 64);
  if (capacity_ <= keep_bytes) {
    return;
  }
  buffer_.reset(new char[keep_bytes]);
  capacity_ = keep_bytes;
  size_ = kHeaderRoom;
}

void FrameWriter::string(std::string_view text) {
  // Worst case every byte becomes \u00XX (6 bytes) plus quotes.
  ensure(text.size() * 6 + 2);
  char* out = buffer_.get() + size_;
  *out++ = '"';
  const char* p = text.data();
  const char* end = p + text.size();
  while (p < end) {
    const char* run = p;
    while (p < end && !kNeedsEscape[static_cast<unsigned char>(*p)]) {
      ++p;
    }
    std::memcpy(out, run, static_cast<std::size_t>(p - run));
    out += p - run;
    if (p == end) {
      break;
    }
    const auto c = static_cast<unsigned char>(*p++);
    *out++ = '\\';
    switch (c) {
      case '"':
        *out++ = '"';
        break;
      case '\\':
        *out++ = '\\';
        break;
      case '\b':
        *out++ = 'b';
        break;
      case '\f':
        *out++ = 'f';
        break;
      case '\n':
        *out++ = 'n';
        break;
      case '\r':
        *out++ = 'r';
        break;
      case '\t':
        *out++ = 't';
        break;
      default:
        *out++ = 'u';
        *out++ = '0';
        *out++ = '0';
        *out++ = kHex[c >> 4];
        *out++ = kHex[c & 0xF];
    }
  }
  *out++ = '"';
  size_ = static_cast<std::size_t>(out - buffer_.get());
}

void FrameWriter::string_concat(std::initializer_list<std::string_view> pieces) {
  // Escape each piece into place, then merge: drop the closing quote of one and the opening quote
  // of the next.
  bool first = true;
  for (std::string_view piece : pieces) {
    if (!first) {
      size_ -= 1;  // the previous closing quote
    }
    const std::size_t start = size_;
    string(piece);
    if (!first) {
      std::memmove(buffer_.get() + start, buffer_.get() + start + 1, size_ - start - 1);
      size_ -= 1;
    }
    first = false;
  }
  if (first) {
    raw("\"\"");
  }
}

void FrameWriter::uint(std::uint64_t value) {
  ensure(20);
  auto [end, ec] = std::to_chars(buffer_.get() + size_, buffer_.get() + capacity_, value);
  size_ = static_cast<std::size_t>(end - buffer_.get());
}

void FrameWriter::int64(std::int64_t value) {
  ensure(21);
  auto [end, ec] = std::to_chars(buffer_.get() + size_, buffer_.get() + capacity_, value);
  size_ = static_cast<std::size_t>(end - buffer_.get());
}

void FrameWriter::number(double value) {
  if (!std::isfinite(value)) {
    raw("null");
    return;
  }
  ensure(32);
  auto [end, ec] = std::to_chars(buffer_.get() + size_, buffer_.get() + capacity_, value);
  size_ = static_cast<std::size_t>(end - buffer_.get());
}

core::SharedBuffer FrameWriter::finish_text_frame() {
  const std::size_t payload_size = size_ - kHeaderRoom;
  std::array<unsigned char, kHeaderRoom> header{};
  std::size_t header_size = 2;
  header[0] = 0x81;  // FIN + TEXT
  if (payload_size < 126) {
    header[1] = static_cast<unsigned char>(payload_size);
  } else if (payload_size <= 0xFFFF) {
    header[1] = 126;
    header[2] = static_cast<unsigned char>(payload_size >> 8);
    header[3] = static_cast<unsigned char>(payload_size);
    header_size = 4;
  } else {
    header[1] = 127;
    for (int i = 0; i < 8; ++i) {
      header[2 + i] =
          static_cast<unsigned char>(static_cast<std::uint64_t>(payload_size) >> (56 - 8 * i));
    }
    header_size = 10;
  }
  // The header goes right before the payload in the scratch, so the frame is one contiguous copy.
  char* frame = buffer_.get() + kHeaderRoom - header_size;
  std::memcpy(frame, header.data(), header_size);
  return core::SharedBuffer::copy_of(std::string_view(frame, header_size + payload_size));
}

core::SharedBuffer FrameWriter::finish_payload() const {
  return core::SharedBuffer::copy_of(payload());
}

}  // namespace hexwire::app
