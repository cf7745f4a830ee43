// The Redis keys of one channel. Every key carries the channel name as its hash tag, `{name}`,
// so all of a channel's state lives in one cluster slot and one Lua script can touch it
// atomically. Channel names are [A-Za-z0-9_.:@-] (app/channel_name.hpp): no braces, so the tag is
// always exactly the name. docs/scale-out.md, "Redis keys", lists what each key holds.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

namespace hexwire::scaleout {

/// Index of each key in ChannelKeys::keys (also the order scripts receive them in KEYS).
enum ChannelKey : std::size_t {
  kMeta = 0,   // hash: seq (last sequence number), epoch (16 hex digits), x (TTL refresh due)
  kLog,        // stream: one entry per message, id <seq>-0, fields f (from), t (ts µs), d (data)
  kShard,      // pub/sub channel (SPUBLISH) that carries new messages and presence to nodes
  kMembers,    // hash: member -> read cursor (seq)
  kOffline,    // zset: offline member -> ms since epoch when they went offline
  kQueue,      // hash: offline member -> seq up to which notifications were delivered
  kNodes,      // hash: "user|node" -> 1 for every node where the user has a subscribed connection
  kNodeCount,  // hash: user -> number of nodes where the user is subscribed
  kOnline,     // zset: online users (score 0, ordered by name for paging)
  kChannelKeyCount,
};

struct ChannelKeys {
  std::array<std::string, kChannelKeyCount> keys;
  [[nodiscard]] const std::string& operator[](ChannelKey key) const noexcept { return keys[key]; }
};

/// `prefix` namespaces several pools sharing one Redis ("hw" by default).
[[nodiscard]] inline ChannelKeys channel_keys(std::string_view prefix, std::string_view channel) {
  static constexpr std::array<std::string_view, kChannelKeyCount> kSuffix = {
      "m", "l", "p", "b", "o", "q", "n", "c", "z"};
  ChannelKeys out;
  for (std::size_t i = 0; i < kChannelKeyCount; ++i) {
    out.keys[i].reserve(prefix.size() + channel.size() + 5);
    out.keys[i].append(prefix).append(":{").append(channel).append("}:").append(kSuffix[i]);
  }
  return out;
}

/// The channel name inside a key or shard channel built by channel_keys (empty if none).
[[nodiscard]] inline std::string_view channel_of_key(std::string_view key) noexcept {
  const std::size_t open = key.find('{');
  const std::size_t close = key.rfind('}');
  if (open == std::string_view::npos || close == std::string_view::npos || close <= open) {
    return {};
  }
  return key.substr(open + 1, close - open - 1);
}

}  // namespace hexwire::scaleout
