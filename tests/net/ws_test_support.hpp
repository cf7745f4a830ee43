// Test helpers for the frame codec: a recording sink and builders of raw (client-masked) frames.
#pragma once

#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "net/ws_frame.hpp"

namespace hexwire::net::testing {

inline std::vector<std::byte> bytes_of(std::string_view text) {
  std::vector<std::byte> out(text.size());
  if (!text.empty()) {
    std::memcpy(out.data(), text.data(), text.size());
  }
  return out;
}

inline std::string text_of(std::span<const std::byte> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

struct RecordedMessage {
  Opcode opcode;
  std::string payload;
  bool final;
  bool in_place;  // payload pointed into the fed buffer
};

class RecordingSink final : public WsFrameSink {
 public:
  void on_message(Opcode opcode, std::span<std::byte> payload, bool final) noexcept override {
    const bool in_place = !fed_.empty() && payload.data() >= fed_.data() &&
                          payload.data() < fed_.data() + fed_.size();
    messages.push_back({opcode, text_of(payload), final, in_place});
  }
  void on_control(Opcode opcode, std::span<const std::byte> payload) noexcept override {
    controls.push_back({opcode, text_of(payload), true, false});
  }
  void on_error(CloseCode code, std::string_view reason) noexcept override {
    errors.push_back(code);
    error_reason = reason;
  }
  /// Tells the sink which buffer is being fed, to detect zero-copy delivery.
  void watch(std::span<std::byte> fed) { fed_ = fed; }

  std::vector<RecordedMessage> messages;
  std::vector<RecordedMessage> controls;
  std::vector<CloseCode> errors;
  std::string error_reason;

 private:
  std::span<std::byte> fed_;
};

/// A raw frame as a client would send it. `mask` false builds an (illegal for clients) unmasked
/// frame; `rsv` sets bits 0x70 as given; `opcode` is the raw 4-bit value.
inline std::vector<std::byte> raw_frame(std::uint8_t opcode, std::string_view payload,
                                        bool fin = true, bool mask = true, std::uint8_t rsv = 0,
                                        std::uint32_t mask_seed = 0x12345678) {
  std::vector<std::byte> out(14 + payload.size());
  const MaskKey key = {
      static_cast<std::uint8_t>(mask_seed >> 24), static_cast<std::uint8_t>(mask_seed >> 16),
      static_cast<std::uint8_t>(mask_seed >> 8), static_cast<std::uint8_t>(mask_seed)};
  std::size_t header =
      write_frame_header(out.data(), static_cast<Opcode>(opcode & 0x0f), payload.size(),
                         FrameFlags{fin, false}, mask ? &key : nullptr);
  out[0] = static_cast<std::byte>((std::to_integer<std::uint8_t>(out[0]) & 0x80) | (rsv & 0x70) |
                                  (opcode & 0x0f));
  if (!payload.empty()) {
    std::memcpy(out.data() + header, payload.data(), payload.size());
  }
  if (mask) {
    apply_mask_bytewise(out.data() + header, payload.size(), key, 0);
  }
  out.resize(header + payload.size());
  return out;
}

inline void append(std::vector<std::byte>& to, const std::vector<std::byte>& from) {
  to.insert(to.end(), from.begin(), from.end());
}

/// Feeds `wire` in one call; returns bytes consumed.
inline std::size_t feed_all(WsFrameDecoder& decoder, std::vector<std::byte>& wire,
                            RecordingSink& sink) {
  sink.watch(wire);
  return decoder.feed(wire, sink);
}

/// Feeds `wire` in pieces of `step` bytes through a scratch buffer (like recycled receive buffers).
inline void feed_in_steps(WsFrameDecoder& decoder, const std::vector<std::byte>& wire,
                          std::size_t step, RecordingSink& sink) {
  for (std::size_t at = 0; at < wire.size(); at += step) {
    std::vector<std::byte> piece(
        wire.begin() + static_cast<std::ptrdiff_t>(at),
        wire.begin() + static_cast<std::ptrdiff_t>(std::min(at + step, wire.size())));
    sink.watch(piece);
    decoder.feed(piece, sink);
  }
}

inline std::string random_text(std::mt19937_64& rng, std::size_t size) {
  std::string out(size, '\0');
  for (auto& c : out) {
    c = static_cast<char>(rng());
  }
  return out;
}

}  // namespace hexwire::net::testing
