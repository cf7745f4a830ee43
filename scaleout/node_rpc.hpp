// NodeRpc: request/reply between the nodes of a pool over Redis pub/sub. Every shard of a node has
// an RpcEndpoint with its own RedisClient, subscribed to `<prefix>:{rpc:<node>:<shard>}`; requests
// go to shard 0 of the target node, replies to the asking shard. A request waits for its reply at
// most `deadline_ns` and then answers kUnavailable (also at once when nobody listens on the target
// channel or Redis cannot be reached); the number of requests waiting per shard is bounded.
// Payloads are opaque bytes. Everything runs on the endpoint's shard; nothing blocks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/reactor.hpp"
#include "core/timer_wheel.hpp"
#include "core/unique_function.hpp"
#include "redis/client.hpp"

namespace hexwire::scaleout {

struct RpcConfig {
  std::string prefix = "hw";
  std::string node_id;
  redis::ClientConfig redis;
  std::uint64_t deadline_ns = 1'000'000'000;  ///< a request without reply by then: unavailable
  std::size_t max_pending = 4096;             ///< per shard; beyond: kOverloaded at once
};

enum class RpcStatus : std::uint8_t {
  kOk,
  kUnavailable,  ///< no reply within the deadline, no listener, or Redis unreachable
  kOverloaded    ///< too many requests of this shard waiting
};

/// Who sent a request, and where its reply goes. id 0: a one-way message (no reply expected).
struct RpcFrom {
  std::string node;
  unsigned shard = 0;
  std::uint64_t id = 0;
};

class RpcEndpoint final : private redis::SubscriptionHandler {
 public:
  using RequestHandler = std::function<void(std::string_view payload, const RpcFrom& from)>;
  using ReplyCallback = core::UniqueFunction<void(RpcStatus, std::string_view payload)>;

  /// `reactor` and `timers` are the calling shard's and must outlive the endpoint. Requests that
  /// reach this endpoint (shard 0 of a node) go to `on_request`, on this shard.
  RpcEndpoint(core::Reactor& reactor, core::TimerWheel& timers, const RpcConfig& config,
              unsigned shard, RequestHandler on_request);
  ~RpcEndpoint();
  RpcEndpoint(const RpcEndpoint&) = delete;
  RpcEndpoint& operator=(const RpcEndpoint&) = delete;

  /// Sends `payload` to shard 0 of `node`; `done` runs exactly once, later, on this shard.
  void request(std::string_view node, std::string_view payload, ReplyCallback done);
  /// Sends `payload` to shard 0 of `node`, expecting no reply (lost if nobody listens).
  void send(std::string_view node, std::string_view payload);
  /// Answers a request (any shard of the receiving node may answer through its own endpoint).
  void reply(const RpcFrom& to, std::string_view payload);

  /// The endpoint's Redis client (other commands of the same shard may share its connection).
  [[nodiscard]] redis::RedisClient& client() noexcept { return *client_; }
  /// True once this endpoint's own channel is subscribed (requests to it can be received).
  [[nodiscard]] bool listening() const;
  [[nodiscard]] std::size_t pending() const noexcept { return pending_.size(); }
  /// The channel of shard `shard` of `node`.
  [[nodiscard]] std::string channel_of(std::string_view node, unsigned shard) const;

 private:
  struct Pending {
    ReplyCallback done;
    core::TimerId timer = 0;
  };

  // redis::SubscriptionHandler
  void on_subscribed(std::string_view channel) override;
  void on_interrupted(std::string_view channel) override;
  void on_message(std::string_view channel, std::string_view payload) override;

  void publish(std::string_view node, unsigned shard, std::string frame, std::uint64_t id);
  void complete(std::uint64_t id, RpcStatus status, std::string_view payload);

  core::TimerWheel& timers_;
  RpcConfig config_;
  unsigned shard_;
  RequestHandler on_request_;
  std::string own_channel_;
  std::unique_ptr<redis::RedisClient> client_;
  std::unordered_map<std::uint64_t, Pending> pending_;
  std::uint64_t next_id_ = 1;
};

}  // namespace hexwire::scaleout
