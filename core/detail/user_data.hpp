// Packing of an operation's identity into the 64 bits the kernel hands back with a completion
// (io_uring user_data, epoll_event.data.u64): op type (8 bits) | generation (24) | slot (32).
#pragma once

#include <cstdint>

#include "core/backend.hpp"

namespace hexwire::core::detail {

enum class OpType : std::uint8_t {
  kNone = 0,
  kAccept = 1,  // slot = listener id
  kReceive = 2,
  kSend = 3,
  kConnect = 4,
  kWake = 5,    // the eventfd read / eventfd readiness
  kCancel = 6,  // completions of cancel requests themselves (ignored)
  kSocket = 7,  // epoll: readiness of a connection socket
};

[[nodiscard]] constexpr std::uint64_t pack_user_data(OpType op, OpTarget target) noexcept {
  return (static_cast<std::uint64_t>(op) << 56) |
         (static_cast<std::uint64_t>(target.generation & kGenerationMask) << 32) | target.slot;
}

[[nodiscard]] constexpr OpType unpack_op(std::uint64_t user_data) noexcept {
  return static_cast<OpType>(user_data >> 56);
}

[[nodiscard]] constexpr OpTarget unpack_target(std::uint64_t user_data) noexcept {
  return {static_cast<std::uint32_t>(user_data),
          static_cast<std::uint32_t>(user_data >> 32) & kGenerationMask};
}

}  // namespace hexwire::core::detail
