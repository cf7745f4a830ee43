// RFC 6455 frame codec, buffer level, no sockets. WsFrameDecoder is a per-connection state machine
// fed straight from receive buffers: it unmasks in place and hands out payload spans that point
// into the caller's buffer whenever a whole unfragmented frame is in it; it copies only when a
// message spans feed() calls or is fragmented. The encoders write server (unmasked) or client
// (masked) frames into core::SharedBuffer, ready to be shared by many connections.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "core/shared_buffer.hpp"
#include "net/utf8.hpp"
#include "net/ws_close.hpp"
#include "net/ws_mask.hpp"

namespace hexwire::net {

enum class Opcode : std::uint8_t {
  kContinuation = 0x0,
  kText = 0x1,
  kBinary = 0x2,
  kClose = 0x8,
  kPing = 0x9,
  kPong = 0xA,
};

[[nodiscard]] constexpr bool is_control(Opcode opcode) noexcept {
  return (static_cast<std::uint8_t>(opcode) & 0x8) != 0;
}

/// Which end of the connection the decoder serves: a server requires masked frames from its
/// client, a client requires unmasked frames from its server.
enum class Role : std::uint8_t { kServer, kClient };

struct WsDecoderOptions {
  /// Largest payload of a single frame; above it: close 1009 (checked on the header, before any
  /// payload byte is read). Limits above 4 GiB - 1 act as 4 GiB - 1.
  std::size_t max_frame_payload = 1u << 20;
  /// Largest data message (sum of its fragments; compressed size when deflate is on); above: 1009.
  /// Limits above 4 GiB - 1 act as 4 GiB - 1.
  std::size_t max_message_size = 1u << 20;
  /// Accept RSV1 on the first frame of a data message (permessage-deflate negotiated).
  bool allow_rsv1 = false;
  /// Check that text messages are UTF-8 (1007). Skipped for compressed messages, which the session
  /// must check after inflating.
  bool validate_utf8 = true;
  /// Deliver each piece of a data message as it arrives (never copies) instead of assembling
  /// fragmented/split messages; on_message's `final` marks the last piece.
  bool stream_fragments = false;
};

/// Callbacks of WsFrameDecoder::feed(). Spans are valid only during the call. Callbacks must not
/// call feed() on the same decoder.
class WsFrameSink {
 public:
  /// A text/binary message, unmasked (and UTF-8 checked for uncompressed text). Whole messages
  /// unless stream_fragments is set; then `final` is false on all but the last piece. The payload
  /// is writable (it is the receive buffer or the decoder's assembly buffer).
  virtual void on_message(Opcode opcode, std::span<std::byte> payload, bool final) noexcept = 0;
  /// A ping, pong or close frame (also between fragments of a message). A close payload has been
  /// validated already (parse_close_payload() returns kOk or kEmpty for it); after a close the
  /// decoder ignores further input.
  virtual void on_control(Opcode opcode, std::span<const std::byte> payload) noexcept = 0;
  /// The peer broke the protocol: send a close with `code` (reason is a constant string) and stop
  /// reading. The decoder ignores further input.
  virtual void on_error(CloseCode code, std::string_view reason) noexcept = 0;

 protected:
  ~WsFrameSink() = default;
};

enum class WsDecoderState : std::uint8_t { kOpen, kClosed, kFailed };

namespace detail {
struct WsAssembly;
}  // namespace detail

/// One per connection, so its size is paid per connection (72 bytes, asserted in ws_frame.cpp;
/// docs/capacity.md): the limits are kept as 32-bit counts (a frame or message above 4 GiB - 1 is
/// refused whatever the options say), and the buffers for split control frames and assembled
/// messages live on the heap only while they are in use.
class WsFrameDecoder {
 public:
  explicit WsFrameDecoder(Role role = Role::kServer, WsDecoderOptions options = {}) noexcept;
  WsFrameDecoder(const WsFrameDecoder&) = delete;
  WsFrameDecoder& operator=(const WsFrameDecoder&) = delete;
  ~WsFrameDecoder() { release_assembly(); }

  /// Decodes as much of `bytes` as possible, unmasking in place, and reports through `sink`.
  /// Returns the number of bytes consumed: all of them while the state stays kOpen; fewer once a
  /// close frame arrived (kClosed) or an error was reported (kFailed). Partial frames are kept
  /// inside the decoder, so the caller may recycle `bytes` after the call.
  std::size_t feed(std::span<std::byte> bytes, WsFrameSink& sink) noexcept;

  [[nodiscard]] WsDecoderState state() const noexcept { return state_; }
  /// True while a fragmented message has started and its final frame has not arrived.
  [[nodiscard]] bool in_message() const noexcept {
    return message_opcode_ != Opcode::kContinuation;
  }
  /// True while a data message is under way: a fragmented message has started, or the payload of
  /// a data frame is only partly in.
  [[nodiscard]] bool in_data_frame() const noexcept {
    return in_message() || (in_payload_ && !is_control(frame_opcode_));
  }
  /// RSV1 of the current message's first frame (permessage-deflate); valid inside on_message.
  [[nodiscard]] bool message_compressed() const noexcept { return message_compressed_; }
  /// Heap bytes held for assembling a message (0 when idle).
  [[nodiscard]] std::size_t heap_bytes() const noexcept;
  /// The options in force (limits as clamped to 32 bits).
  [[nodiscard]] WsDecoderOptions options() const noexcept;
  /// Enables RSV1 after permessage-deflate was negotiated.
  void set_allow_rsv1(bool allow) noexcept { allow_rsv1_ = allow; }

 private:
  bool begin_frame(const std::uint8_t* header, WsFrameSink& sink) noexcept;
  bool consume_payload(std::byte* data, std::size_t size, WsFrameSink& sink) noexcept;
  bool finish_frame(WsFrameSink& sink) noexcept;
  bool deliver_control(std::span<const std::byte> payload, WsFrameSink& sink) noexcept;
  bool append_assembly(const std::byte* data, std::size_t size) noexcept;
  bool fail(WsFrameSink& sink, CloseCode code, std::string_view reason) noexcept;
  void end_message() noexcept;
  void release_assembly() noexcept;

  // Limits (WsDecoderOptions, clamped to 32 bits).
  std::uint32_t max_frame_payload_;
  std::uint32_t max_message_size_;

  // Current frame (its length is at most max_frame_payload_, or 125 for control frames).
  std::uint32_t frame_length_ = 0;
  std::uint32_t frame_done_ = 0;
  MaskKey mask_{};

  // Current data message: bytes so far (at most max_message_size_).
  std::uint32_t message_size_ = 0;

  // A split or fragmented message is assembled here; null unless one is under way.
  detail::WsAssembly* assembly_ = nullptr;
  // A control frame split across feeds is gathered here. Allocated the first time that happens
  // (rare: control payloads are at most 125 bytes), so an idle session does not carry it.
  std::unique_ptr<std::array<std::byte, 125>> control_;

  // Partial header (at most 2 + 8 + 4 bytes).
  std::array<std::uint8_t, 14> header_{};
  std::uint8_t header_have_ = 0;

  Role role_;
  WsDecoderState state_ = WsDecoderState::kOpen;
  Opcode frame_opcode_ = Opcode::kContinuation;
  Opcode message_opcode_ = Opcode::kContinuation;
  bool allow_rsv1_ : 1;
  bool validate_utf8_ : 1;
  bool stream_fragments_ : 1;
  bool in_payload_ : 1 = false;
  bool frame_fin_ : 1 = false;
  bool frame_masked_ : 1 = false;
  bool message_compressed_ : 1 = false;
  Utf8StreamValidator utf8_;
};

/// Frame bits for the encoders.
struct FrameFlags {
  bool fin = true;
  bool rsv1 = false;  // set on the first frame of a compressed message
};

/// Bytes of header for a payload of `size` (2, 4 or 10, plus 4 when masked).
[[nodiscard]] constexpr std::size_t frame_header_size(std::size_t size, bool masked) noexcept {
  const std::size_t base = size < 126 ? 2 : (size <= 0xFFFF ? 4 : 10);
  return base + (masked ? 4 : 0);
}

/// Writes a frame header into `out` (room for 14 bytes); `mask` null for server frames. Returns
/// the header length.
std::size_t write_frame_header(std::byte* out, Opcode opcode, std::size_t payload_size,
                               FrameFlags flags, const MaskKey* mask) noexcept;

/// Server-role frame (unmasked), header and payload in one buffer.
[[nodiscard]] core::SharedBuffer encode_frame(Opcode opcode, std::span<const std::byte> payload,
                                              FrameFlags flags = {});
[[nodiscard]] core::SharedBuffer encode_text_frame(std::string_view text, FrameFlags flags = {});
/// Server-role close frame carrying `code` and `reason` (truncated to 123 bytes).
[[nodiscard]] core::SharedBuffer encode_close_frame(std::uint16_t code, std::string_view reason);

/// Client-role frame: masked with a fresh key from `keys`.
[[nodiscard]] core::SharedBuffer encode_masked_frame(Opcode opcode,
                                                     std::span<const std::byte> payload,
                                                     MaskKeyGenerator& keys, FrameFlags flags = {});

}  // namespace hexwire::net
