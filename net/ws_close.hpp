// RFC 6455 close status codes (section 7.4) and the checks a peer's close frame must pass.
// The decoder validates every close frame it receives with parse_close_payload(); sessions use the
// constants to pick the code they send and close_frame_payload() to build the payload bytes.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "net/utf8.hpp"

namespace hexwire::net {

/// Close status codes the engine sends or must recognise.
enum class CloseCode : std::uint16_t {
  kNormal = 1000,           // orderly close
  kGoingAway = 1001,        // server shutting down / client navigating away
  kProtocolError = 1002,    // any framing violation
  kUnsupportedData = 1003,  // data type the endpoint cannot accept
  kNoStatus = 1005,         // never on the wire: "close frame had no code"
  kAbnormal = 1006,         // never on the wire: "connection dropped without close"
  kInvalidPayload = 1007,   // text message that is not UTF-8
  kPolicyViolation = 1008,  // generic policy (auth, origin, rate)
  kMessageTooBig = 1009,    // frame or message above the configured limit
  kMandatoryExtension = 1010,
  kInternalError = 1011,
  kServiceRestart = 1012,
  kTryAgainLater = 1013,  // overloaded: outbound queue full, too many connections
  kBadGateway = 1014,
};

[[nodiscard]] constexpr std::uint16_t to_wire(CloseCode code) noexcept {
  return static_cast<std::uint16_t>(code);
}

/// True when `code` may appear in a close frame on the wire: 1000-1003, 1007-1014 (IANA registry)
/// and the application ranges 3000-4999. 1004 (reserved), 1005, 1006 and 1015 (local-only codes),
/// everything below 1000 and the unassigned 1016-2999 are protocol errors.
[[nodiscard]] constexpr bool is_valid_wire_close_code(std::uint16_t code) noexcept {
  if (code >= 1000 && code <= 1003) {
    return true;
  }
  if (code >= 1007 && code <= 1014) {
    return true;
  }
  return code >= 3000 && code <= 4999;
}

enum class ClosePayloadStatus : std::uint8_t {
  kOk,         // code (and possibly a reason) present and valid
  kEmpty,      // no payload: the peer gave no code (report as 1005 locally)
  kBadLength,  // exactly one byte: a code needs two
  kBadCode,    // code not allowed on the wire
  kBadUtf8,    // reason is not valid UTF-8
};

struct ClosePayload {
  ClosePayloadStatus status = ClosePayloadStatus::kEmpty;
  std::uint16_t code = to_wire(CloseCode::kNoStatus);
  std::string_view reason;
};

/// Parses and validates a received close frame payload (at most 125 bytes). kBadUtf8 must be
/// answered with a 1007 close (RFC 6455 section 8.1), every other status but kOk/kEmpty with 1002.
[[nodiscard]] inline ClosePayload parse_close_payload(std::span<const std::byte> payload) noexcept {
  ClosePayload result;
  if (payload.empty()) {
    return result;
  }
  if (payload.size() == 1) {
    result.status = ClosePayloadStatus::kBadLength;
    return result;
  }
  result.code = static_cast<std::uint16_t>((std::to_integer<unsigned>(payload[0]) << 8) |
                                           std::to_integer<unsigned>(payload[1]));
  if (!is_valid_wire_close_code(result.code)) {
    result.status = ClosePayloadStatus::kBadCode;
    return result;
  }
  const auto reason = payload.subspan(2);
  if (!is_valid_utf8(reason)) {
    result.status = ClosePayloadStatus::kBadUtf8;
    return result;
  }
  result.reason = {reinterpret_cast<const char*>(reason.data()), reason.size()};
  result.status = ClosePayloadStatus::kOk;
  return result;
}

/// Largest reason that fits a control frame (125 - 2 code bytes).
inline constexpr std::size_t kMaxCloseReason = 123;

/// Writes code + reason (truncated to kMaxCloseReason bytes) into `out`; returns the length used.
inline std::size_t close_frame_payload(std::uint16_t code, std::string_view reason,
                                       std::array<std::byte, 125>& out) noexcept {
  out[0] = static_cast<std::byte>(code >> 8);
  out[1] = static_cast<std::byte>(code & 0xff);
  if (reason.size() > kMaxCloseReason) {
    std::size_t cut = kMaxCloseReason;  // back off so no UTF-8 sequence is split
    while (cut > 0 && (static_cast<unsigned char>(reason[cut]) & 0xC0) == 0x80) {
      --cut;
    }
    reason = reason.substr(0, cut);
  }
  for (std::size_t i = 0; i < reason.size(); ++i) {
    out[2 + i] = static_cast<std::byte>(reason[i]);
  }
  return 2 + reason.size();
}

}  // namespace hexwire::net
