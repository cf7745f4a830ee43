// A Redis request as it travels through RedisClient and RedisConnection: the encoded command,
// who waits for the answer and when it stops waiting, plus the routing state (slot, redirects).
// Moved, never copied, so a redirected command is re-sent without re-encoding or allocating.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/shared_buffer.hpp"
#include "core/unique_function.hpp"
#include "redis/resp.hpp"

namespace hexwire::redis {

/// How a request ended when it got no usable answer. `ok` means the server answered: the reply
/// may still be an error reply (ReplyView::is_error), e.g. a script error or WRONGTYPE.
enum class RedisStatus : std::uint8_t {
  kOk,
  kUnavailable,   // not connected (connecting failed, backing off, cluster slot unserved)
  kTimeout,       // no answer within the command timeout (the command may have run)
  kDisconnected,  // the connection broke while the command was in flight (it may have run)
  kOverloaded,    // too many requests in flight on the connection
};
[[nodiscard]] std::string_view to_string(RedisStatus status) noexcept;

/// Called exactly once per request, on the client's shard, never inline from the call that
/// queued it. The view is valid only during the call.
using ReplyCallback = core::UniqueFunction<void(RedisStatus, ReplyView)>;

class Script;

struct Request {
  enum class Kind : std::uint8_t {
    kCommand,      // an ordinary command
    kInternal,     // sent by the client itself (ASKING, SCRIPT LOAD, AUTH): reply ignored
    kSubscribe,    // (S)SUBSCRIBE `channel`: answered by its confirmation push
    kUnsubscribe,  // (S)UNSUBSCRIBE `channel`: answered by its confirmation push
  };
  core::SharedBuffer bytes;
  ReplyCallback callback;
  std::uint64_t deadline_ns = 0;   // give up (unavailable/timeout) after this monotonic time
  const Script* script = nullptr;  // EVALSHA of this script: NOSCRIPT -> SCRIPT LOAD + resend
  std::string channel;             // subscribe / unsubscribe only
  std::uint64_t token = 0;         // subscribe: which subscription attempt this confirms
  std::int32_t slot = -1;          // cluster slot of the command's keys, -1: any node
  std::uint8_t redirects = 0;      // MOVED/ASK/TRYAGAIN followed so far
  Kind kind = Kind::kCommand;
};

}  // namespace hexwire::redis
