// Fuzzes WsFrameDecoder: the input is fed once whole and once split into receive buffers at
// fuzzer-chosen points, in both roles and both delivery modes. The decoder must never crash,
// must report at most one error, must stop consuming after close/error, must hold no heap once
// idle, must respect the limits, and both feedings must produce the same messages, control
// frames and close code (differential oracle). Compressed messages are inflated with a limit.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "net/ws_deflate.hpp"
#include "net/ws_frame.hpp"

using namespace hexwire::net;

namespace {

class CheckingSink final : public WsFrameSink {
 public:
  explicit CheckingSink(const WsFrameDecoder& decoder) : decoder_(decoder) {}
  void on_message(Opcode opcode, std::span<std::byte> payload, bool final) noexcept override {
    // Events: pieces of one streamed message are joined, so both feedings compare equal.
    if (!joining_) {
      message_start_ = events.size();
      events += "M" + std::to_string(static_cast<int>(opcode)) + ":";
    }
    events.append(reinterpret_cast<const char*>(payload.data()), payload.size());
    joining_ = !final;
    if (final) {
      events += "|";
    }
    if (opcode != Opcode::kText && opcode != Opcode::kBinary) {
      std::abort();
    }
    if (!decoder_.options().stream_fragments &&
        (!final || payload.size() > decoder_.options().max_message_size)) {
      std::abort();
    }
    if (decoder_.message_compressed() && final && !decoder_.options().stream_fragments) {
      std::vector<std::byte> plain;
      (void)inflater_.decompress(payload, 4096, plain);
    } else if (opcode == Opcode::kText && !decoder_.options().stream_fragments &&
               !is_valid_utf8(payload)) {
      std::abort();  // the decoder let invalid UTF-8 through
    }
    for (auto& byte : payload) {
      byte ^= std::byte{0x5a};  // payload must be writable memory of the stated size
    }
  }
  void on_control(Opcode opcode, std::span<const std::byte> payload) noexcept override {
    events += "C" + std::to_string(static_cast<int>(opcode)) + ":";
    events.append(reinterpret_cast<const char*>(payload.data()), payload.size());
    events += "|";
    if (payload.size() > 125 || !is_control(opcode)) {
      std::abort();
    }
    if (opcode == Opcode::kClose) {
      const auto parsed = parse_close_payload(payload);
      if (parsed.status != ClosePayloadStatus::kOk && parsed.status != ClosePayloadStatus::kEmpty) {
        std::abort();
      }
    }
  }
  void on_error(CloseCode code, std::string_view) noexcept override {
    if (++errors > 1) {
      std::abort();
    }
    if (joining_) {
      // Streamed pieces delivered before the error depend on where buffers were cut; drop them.
      events.resize(message_start_);
    }
    events += "E" + std::to_string(static_cast<int>(code)) + "|";
  }
  int errors = 0;
  std::string events;

 private:
  const WsFrameDecoder& decoder_;
  WsInflater inflater_{15, false};
  bool joining_ = false;
  std::size_t message_start_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) {
    return 0;
  }
  const std::uint8_t config = data[0];
  const std::uint8_t split_seed = data[1];
  data += 2;
  size -= 2;
  WsDecoderOptions options;
  options.max_frame_payload = (config & 0x01) ? 64 : 1u << 16;
  options.max_message_size = (config & 0x02) ? 100 : 1u << 17;
  options.allow_rsv1 = (config & 0x04) != 0;
  options.stream_fragments = (config & 0x08) != 0;
  const Role role = (config & 0x10) ? Role::kClient : Role::kServer;

  // Whole: one receive buffer holding everything.
  WsFrameDecoder whole_decoder(role, options);
  CheckingSink whole_sink(whole_decoder);
  std::vector<std::byte> whole(reinterpret_cast<const std::byte*>(data),
                               reinterpret_cast<const std::byte*>(data) + size);
  const std::size_t whole_consumed = whole_decoder.feed(whole, whole_sink);
  if (whole_decoder.state() == WsDecoderState::kOpen && whole_consumed != size) {
    std::abort();
  }

  // Split: many receive buffers, each in its own heap block so ASan sees any read past it.
  WsFrameDecoder decoder(role, options);
  CheckingSink sink(decoder);
  std::size_t at = 0;
  std::size_t step = 1 + split_seed % 37;
  while (at < size) {
    const std::size_t length = std::min(step, size - at);
    std::vector<std::byte> piece(reinterpret_cast<const std::byte*>(data) + at,
                                 reinterpret_cast<const std::byte*>(data) + at + length);
    const std::size_t consumed = decoder.feed(piece, sink);
    if (consumed > piece.size()) {
      std::abort();
    }
    if (decoder.state() == WsDecoderState::kOpen && consumed != piece.size()) {
      std::abort();
    }
    at += length;
    step = 1 + (step * 7 + split_seed) % 97;
  }
  if (decoder.state() == WsDecoderState::kFailed && sink.errors != 1) {
    std::abort();
  }
  if (!decoder.in_message() && decoder.heap_bytes() != 0) {
    std::abort();
  }
  // Same messages, control frames and verdict whichever way the bytes were cut.
  if (decoder.state() != whole_decoder.state() || sink.events != whole_sink.events) {
    std::abort();
  }
  return 0;
}
