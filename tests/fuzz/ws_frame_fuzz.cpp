// Fuzzes WsFrameDecoder: the input is split into receive buffers at fuzzer-chosen points and fed
// in both roles and both delivery modes; the decoder must never crash, must report at most one
// error, must stop consuming after close/error, must hold no heap once idle, and every delivered
// whole message must respect the limits. Compressed messages are inflated with a size limit.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "net/ws_deflate.hpp"
#include "net/ws_frame.hpp"

using namespace hexwire::net;

namespace {

class CheckingSink final : public WsFrameSink {
 public:
  explicit CheckingSink(const WsFrameDecoder& decoder) : decoder_(decoder) {}
  void on_message(Opcode opcode, std::span<std::byte> payload, bool final) noexcept override {
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
    (void)code;
  }
  int errors = 0;

 private:
  const WsFrameDecoder& decoder_;
  WsInflater inflater_{15, false};
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

  WsFrameDecoder decoder(role, options);
  CheckingSink sink(decoder);
  std::vector<std::byte> buffer(reinterpret_cast<const std::byte*>(data),
                                reinterpret_cast<const std::byte*>(data) + size);
  std::size_t at = 0;
  std::size_t step = 1 + split_seed % 37;
  while (at < buffer.size()) {
    const std::size_t length = std::min(step, buffer.size() - at);
    // Each piece lives in its own heap block, like a recycled receive buffer, so ASan sees
    // any read past the piece.
    std::vector<std::byte> piece(buffer.begin() + static_cast<std::ptrdiff_t>(at),
                                 buffer.begin() + static_cast<std::ptrdiff_t>(at + length));
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
  return 0;
}
