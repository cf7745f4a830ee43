// WebSocket frame decoder state machine and frame encoders (see ws_frame.hpp). The decoder parses
// headers straight from the input when they are whole (copying only split headers, at most 14
// bytes), unmasks payload in place, and copies payload only to assemble split or fragmented
// messages; its assembly buffer is freed as soon as the message has been delivered.
#include "net/ws_frame.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>

namespace hexwire::net {
namespace {

constexpr std::size_t header_length(std::uint8_t second_byte) noexcept {
  const std::uint8_t length7 = second_byte & 0x7f;
  std::size_t length = 2;
  if (length7 == 126) {
    length += 2;
  } else if (length7 == 127) {
    length += 8;
  }
  if ((second_byte & 0x80) != 0) {
    length += 4;
  }
  return length;
}

constexpr bool is_known_opcode(std::uint8_t opcode) noexcept {
  return opcode <= 0x2 || (opcode >= 0x8 && opcode <= 0xA);
}

constexpr std::uint32_t clamp_limit(std::size_t limit) noexcept {
  return static_cast<std::uint32_t>(std::min<std::size_t>(limit, UINT32_MAX));
}

}  // namespace

namespace detail {

/// A message being assembled: one realloc'd block, the bytes follow the header.
struct WsAssembly {
  std::size_t size;
  std::size_t capacity;
  [[nodiscard]] std::byte* bytes() noexcept { return reinterpret_cast<std::byte*>(this + 1); }
};

}  // namespace detail

static_assert(sizeof(WsFrameDecoder) <= 72, "the decoder is paid per connection: docs/capacity.md");

WsFrameDecoder::WsFrameDecoder(Role role, WsDecoderOptions options) noexcept
    : max_frame_payload_(clamp_limit(options.max_frame_payload)),
      max_message_size_(clamp_limit(options.max_message_size)),
      role_(role),
      allow_rsv1_(options.allow_rsv1),
      validate_utf8_(options.validate_utf8),
      stream_fragments_(options.stream_fragments) {}

std::size_t WsFrameDecoder::heap_bytes() const noexcept {
  return assembly_ != nullptr ? assembly_->capacity : 0;
}

WsDecoderOptions WsFrameDecoder::options() const noexcept {
  return WsDecoderOptions{.max_frame_payload = max_frame_payload_,
                          .max_message_size = max_message_size_,
                          .allow_rsv1 = allow_rsv1_,
                          .validate_utf8 = validate_utf8_,
                          .stream_fragments = stream_fragments_};
}

std::size_t WsFrameDecoder::feed(std::span<std::byte> bytes, WsFrameSink& sink) noexcept {
  if (state_ != WsDecoderState::kOpen) {
    return 0;
  }
  std::byte* const data = bytes.data();
  const std::size_t size = bytes.size();
  std::size_t pos = 0;
  while (pos < size) {
    if (!in_payload_) {
      const std::uint8_t* header = nullptr;
      const std::size_t available = size - pos;
      const std::size_t direct_length =
          available >= 2 ? header_length(std::to_integer<std::uint8_t>(data[pos + 1])) : 14;
      if (header_have_ == 0 && available >= direct_length) {
        header = reinterpret_cast<const std::uint8_t*>(data + pos);
        pos += direct_length;
      } else {
        while (header_have_ < 2 && pos < size) {
          header_[header_have_++] = std::to_integer<std::uint8_t>(data[pos++]);
        }
        if (header_have_ < 2) {
          break;
        }
        const std::size_t needed = header_length(header_[1]);
        while (header_have_ < needed && pos < size) {
          header_[header_have_++] = std::to_integer<std::uint8_t>(data[pos++]);
        }
        if (header_have_ < needed) {
          break;
        }
        header_have_ = 0;
        header = header_.data();
      }
      if (!begin_frame(header, sink)) {
        return pos;
      }
      if (frame_length_ == 0 && !consume_payload(data + pos, 0, sink)) {
        return pos;
      }
      continue;
    }
    const auto chunk = std::min<std::size_t>(frame_length_ - frame_done_, size - pos);
    if (!consume_payload(data + pos, chunk, sink)) {
      return state_ == WsDecoderState::kClosed ? pos + chunk : pos;
    }
    pos += chunk;
  }
  return pos;
}

bool WsFrameDecoder::begin_frame(const std::uint8_t* header, WsFrameSink& sink) noexcept {
  const std::uint8_t first = header[0];
  const std::uint8_t second = header[1];
  const std::uint8_t raw_opcode = first & 0x0f;
  if (!is_known_opcode(raw_opcode)) {
    return fail(sink, CloseCode::kProtocolError, "unknown opcode");
  }
  const auto opcode = static_cast<Opcode>(raw_opcode);
  const bool fin = (first & 0x80) != 0;
  const bool rsv1 = (first & 0x40) != 0;
  if ((first & 0x30) != 0) {
    return fail(sink, CloseCode::kProtocolError, "reserved bits set");
  }
  if (rsv1 && (!allow_rsv1_ || is_control(opcode) || opcode == Opcode::kContinuation)) {
    return fail(sink, CloseCode::kProtocolError, "RSV1 set without a negotiated extension");
  }
  const bool masked = (second & 0x80) != 0;
  if (role_ == Role::kServer && !masked) {
    return fail(sink, CloseCode::kProtocolError, "client frame not masked");
  }
  if (role_ == Role::kClient && masked) {
    return fail(sink, CloseCode::kProtocolError, "server frame masked");
  }
  std::uint64_t length = second & 0x7f;
  const std::uint8_t* cursor = header + 2;
  if (length == 126) {
    length = (static_cast<std::uint64_t>(cursor[0]) << 8) | cursor[1];
    cursor += 2;
    if (length < 126) {
      return fail(sink, CloseCode::kProtocolError, "length not minimally encoded");
    }
  } else if (length == 127) {
    length = 0;
    for (int i = 0; i < 8; ++i) {
      length = (length << 8) | cursor[i];
    }
    cursor += 8;
    if ((length >> 63) != 0) {
      return fail(sink, CloseCode::kProtocolError, "frame length has the top bit set");
    }
    if (length <= 0xFFFF) {
      return fail(sink, CloseCode::kProtocolError, "length not minimally encoded");
    }
  }
  if (masked) {
    std::memcpy(mask_.data(), cursor, 4);
  }
  if (is_control(opcode)) {
    if (!fin) {
      return fail(sink, CloseCode::kProtocolError, "fragmented control frame");
    }
    if (length > 125) {
      return fail(sink, CloseCode::kProtocolError, "control frame payload above 125 bytes");
    }
  } else {
    if (opcode == Opcode::kContinuation && !in_message()) {
      return fail(sink, CloseCode::kProtocolError, "continuation frame without a message");
    }
    if (opcode != Opcode::kContinuation && in_message()) {
      return fail(sink, CloseCode::kProtocolError, "data frame inside a fragmented message");
    }
    if (length > max_frame_payload_) {
      return fail(sink, CloseCode::kMessageTooBig, "frame too big");
    }
    if (opcode != Opcode::kContinuation) {
      message_opcode_ = opcode;
      message_compressed_ = rsv1;
      message_size_ = 0;
      utf8_.reset();
    }
    if (message_size_ + length > max_message_size_) {
      return fail(sink, CloseCode::kMessageTooBig, "message too big");
    }
    message_size_ += static_cast<std::uint32_t>(length);
  }
  frame_opcode_ = opcode;
  frame_fin_ = fin;
  frame_masked_ = masked;
  frame_length_ = static_cast<std::uint32_t>(length);  // <= max_frame_payload_ or 125
  frame_done_ = 0;
  in_payload_ = true;
  return true;
}

bool WsFrameDecoder::consume_payload(std::byte* data, std::size_t size,
                                     WsFrameSink& sink) noexcept {
  if (frame_masked_) {
    apply_mask(data, size, mask_, static_cast<std::size_t>(frame_done_));
  }
  const bool whole_frame = frame_done_ == 0 && size == frame_length_;
  frame_done_ += static_cast<std::uint32_t>(size);
  const bool frame_end = frame_done_ == frame_length_;
  if (frame_end) {
    in_payload_ = false;
  }

  if (is_control(frame_opcode_)) {
    if (whole_frame) {
      return deliver_control({data, size}, sink);
    }
    if (!control_) {
      control_.reset(new (std::nothrow) std::array<std::byte, 125>);
      if (!control_) {
        return fail(sink, CloseCode::kInternalError, "out of memory");
      }
    }
    std::memcpy(control_->data() + (frame_done_ - size), data, size);
    if (frame_end) {
      return deliver_control({control_->data(), static_cast<std::size_t>(frame_length_)}, sink);
    }
    return true;
  }

  const bool last_piece = frame_end && frame_fin_;
  const bool check_text =
      message_opcode_ == Opcode::kText && validate_utf8_ && !message_compressed_;

  if (stream_fragments_) {
    if (check_text) {
      if (utf8_.feed({data, size}) == Utf8Status::kInvalid ||
          (last_piece && utf8_.finish() != Utf8Status::kComplete)) {
        return fail(sink, CloseCode::kInvalidPayload, "text message is not valid UTF-8");
      }
    }
    if (size > 0 || last_piece) {
      sink.on_message(message_opcode_, {data, size}, last_piece);
    }
    if (last_piece) {
      end_message();
    }
    return true;
  }

  if (whole_frame && frame_fin_ && frame_opcode_ != Opcode::kContinuation) {
    // The common case: a whole unfragmented message inside this buffer, delivered in place.
    if (check_text && !is_valid_utf8(std::span<const std::byte>(data, size))) {
      return fail(sink, CloseCode::kInvalidPayload, "text message is not valid UTF-8");
    }
    sink.on_message(message_opcode_, {data, size}, true);
    end_message();
    return true;
  }

  if (check_text && utf8_.feed({data, size}) == Utf8Status::kInvalid) {
    return fail(sink, CloseCode::kInvalidPayload, "text message is not valid UTF-8");
  }
  if (!append_assembly(data, size)) {
    return fail(sink, CloseCode::kInternalError, "out of memory");
  }
  if (last_piece) {
    if (check_text && utf8_.finish() != Utf8Status::kComplete) {
      return fail(sink, CloseCode::kInvalidPayload, "text message is not valid UTF-8");
    }
    sink.on_message(message_opcode_, {assembly_->bytes(), assembly_->size}, true);
    end_message();
  }
  return true;
}

bool WsFrameDecoder::deliver_control(std::span<const std::byte> payload,
                                     WsFrameSink& sink) noexcept {
  if (frame_opcode_ != Opcode::kClose) {
    sink.on_control(frame_opcode_, payload);
    return true;
  }
  const ClosePayload parsed = parse_close_payload(payload);
  if (parsed.status == ClosePayloadStatus::kBadUtf8) {
    // RFC 6455 section 8.1: a reason that is not UTF-8 is invalid payload data, as in a text frame.
    return fail(sink, CloseCode::kInvalidPayload, "close reason is not valid UTF-8");
  }
  if (parsed.status != ClosePayloadStatus::kOk && parsed.status != ClosePayloadStatus::kEmpty) {
    return fail(sink, CloseCode::kProtocolError, "invalid close frame payload");
  }
  state_ = WsDecoderState::kClosed;
  release_assembly();
  sink.on_control(Opcode::kClose, payload);
  return false;
}

bool WsFrameDecoder::append_assembly(const std::byte* data, std::size_t size) noexcept {
  const std::size_t have = assembly_ != nullptr ? assembly_->size : 0;
  const std::size_t capacity = assembly_ != nullptr ? assembly_->capacity : 0;
  if (have + size > capacity || assembly_ == nullptr) {
    // Room for the rest of the current frame at once; grow geometrically across fragments.
    const std::size_t frame_rest = static_cast<std::size_t>(frame_length_ - (frame_done_ - size));
    const std::size_t needed = have + frame_rest;
    const std::size_t doubled = std::min<std::size_t>(capacity * 2, max_message_size_);
    const std::size_t grown_capacity = std::max(needed, doubled);
    auto* grown = static_cast<detail::WsAssembly*>(
        std::realloc(assembly_, sizeof(detail::WsAssembly) + grown_capacity));
    if (grown == nullptr) {
      return false;
    }
    grown->size = have;
    grown->capacity = grown_capacity;
    assembly_ = grown;
  }
  if (size > 0) {
    std::memcpy(assembly_->bytes() + assembly_->size, data, size);
  }
  assembly_->size += size;
  return true;
}

bool WsFrameDecoder::fail(WsFrameSink& sink, CloseCode code, std::string_view reason) noexcept {
  state_ = WsDecoderState::kFailed;
  release_assembly();
  sink.on_error(code, reason);
  return false;
}

void WsFrameDecoder::end_message() noexcept {
  message_opcode_ = Opcode::kContinuation;
  message_compressed_ = false;
  message_size_ = 0;
  utf8_.reset();
  release_assembly();
}

void WsFrameDecoder::release_assembly() noexcept {
  if (assembly_ == nullptr) {
    return;  // the common case: nothing was assembled; skip the call into free()
  }
  std::free(assembly_);
  assembly_ = nullptr;
}

std::size_t write_frame_header(std::byte* out, Opcode opcode, std::size_t payload_size,
                               FrameFlags flags, const MaskKey* mask) noexcept {
  out[0] = static_cast<std::byte>((flags.fin ? 0x80 : 0) | (flags.rsv1 ? 0x40 : 0) |
                                  static_cast<std::uint8_t>(opcode));
  const std::uint8_t mask_bit = mask != nullptr ? 0x80 : 0;
  std::size_t length = 2;
  if (payload_size < 126) {
    out[1] = static_cast<std::byte>(mask_bit | payload_size);
  } else if (payload_size <= 0xFFFF) {
    out[1] = static_cast<std::byte>(mask_bit | 126);
    out[2] = static_cast<std::byte>(payload_size >> 8);
    out[3] = static_cast<std::byte>(payload_size & 0xff);
    length = 4;
  } else {
    out[1] = static_cast<std::byte>(mask_bit | 127);
    const auto wide = static_cast<std::uint64_t>(payload_size);
    for (int i = 0; i < 8; ++i) {
      out[2 + i] = static_cast<std::byte>((wide >> (56 - 8 * i)) & 0xff);
    }
    length = 10;
  }
  if (mask != nullptr) {
    std::memcpy(out + length, mask->data(), 4);
    length += 4;
  }
  return length;
}

core::SharedBuffer encode_frame(Opcode opcode, std::span<const std::byte> payload,
                                FrameFlags flags) {
  auto buffer =
      core::SharedBuffer::allocate(frame_header_size(payload.size(), false) + payload.size());
  std::byte* out = buffer.mutable_data();
  const std::size_t header = write_frame_header(out, opcode, payload.size(), flags, nullptr);
  if (!payload.empty()) {
    std::memcpy(out + header, payload.data(), payload.size());
  }
  return buffer;
}

core::SharedBuffer encode_text_frame(std::string_view text, FrameFlags flags) {
  return encode_frame(Opcode::kText, std::as_bytes(std::span<const char>(text.data(), text.size())),
                      flags);
}

core::SharedBuffer encode_close_frame(std::uint16_t code, std::string_view reason) {
  std::array<std::byte, 125> payload;
  const std::size_t length = close_frame_payload(code, reason, payload);
  return encode_frame(Opcode::kClose, std::span<const std::byte>(payload.data(), length));
}

core::SharedBuffer encode_masked_frame(Opcode opcode, std::span<const std::byte> payload,
                                       MaskKeyGenerator& keys, FrameFlags flags) {
  const MaskKey key = keys.next_key();
  auto buffer =
      core::SharedBuffer::allocate(frame_header_size(payload.size(), true) + payload.size());
  std::byte* out = buffer.mutable_data();
  const std::size_t header = write_frame_header(out, opcode, payload.size(), flags, &key);
  if (!payload.empty()) {
    std::memcpy(out + header, payload.data(), payload.size());
    apply_mask(out + header, payload.size(), key, 0);
  }
  return buffer;
}

}  // namespace hexwire::net
