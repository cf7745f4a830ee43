// The /ws application: protocol v1 over WebSocket, joining net sessions to the pubsub Broker.
// WsService (one per node) holds the identity rules and limits and answers ops through the node's
// Broker and DispatchService, which it uses but does not own (app/node_services.hpp builds them as
// siblings). WsConnection is one client's protocol state (identity, rate limit, op handlers); it
// talks to its transport through ClientLink, so it runs the same over a real WsSession or an
// in-memory link in tests.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/auth.hpp"
#include "app/protocol.hpp"
#include "app/rate_limiter.hpp"
#include "app/ws_app_config.hpp"
#include "core/executor.hpp"
#include "core/shared_buffer.hpp"
#include "net/http_session.hpp"
#include "net/ws_session.hpp"
#include "pubsub/broker.hpp"

namespace hexwire::app {

class DispatchService;  // app/dispatch_ops.hpp
class WsService;
class WsShards;  // app/ws_app_state.hpp
struct WsShardState;

/// Where a connection's frames go. Every call happens on the connection's shard; frames leave in
/// call order (a stream included: what is sent after it waits behind it).
class ClientLink {
 public:
  /// Queues one prebuilt server TEXT frame (possibly shared with other connections). kData may be
  /// dropped by the slow-consumer policy; kReply never is (net::WsSendKind).
  virtual net::WsSendResult send_frame(core::SharedBuffer frame, net::WsSendKind kind) noexcept = 0;
  /// Queues frames produced as the connection drains (a resume backlog, an offline drain): never
  /// dropped, whatever their total size.
  virtual net::WsSendResult send_stream(std::unique_ptr<net::WsFrameStream> stream) noexcept = 0;
  /// Starts closing the connection with `code` (the reason is a constant string).
  virtual void close(std::uint16_t code, std::string_view reason) noexcept = 0;

 protected:
  ~ClientLink() = default;
};

/// One /ws client. Created on its shard when the upgrade is accepted; opened() once the session
/// can send; closed() exactly once when it ends (the destructor calls it if needed).
class WsConnection {
 public:
  /// `url_token`: the ?token= of the upgrade request (empty when none).
  WsConnection(WsService& service, ClientLink& link, std::string url_token);
  ~WsConnection();
  WsConnection(const WsConnection&) = delete;
  WsConnection& operator=(const WsConnection&) = delete;

  void opened() noexcept;
  /// One whole text message; `received_ns` is the monotonic time the session handed it over.
  void on_text(std::string_view text, std::uint64_t received_ns) noexcept;
  /// Binary messages are not part of protocol v1: answered with bad_request.
  void on_binary() noexcept;
  void closed() noexcept;

  [[nodiscard]] pubsub::SubscriberId id() const noexcept { return id_; }
  [[nodiscard]] const Identity* identity() const noexcept {
    return identity_ ? &*identity_ : nullptr;
  }
  [[nodiscard]] ClientLink& link() noexcept { return link_; }
  /// Sends an event frame and counts it as a delivery or a drop.
  bool deliver(const core::SharedBuffer& frame) noexcept;
  /// Queues a stream of event frames (a resume backlog, an offline drain) pulled as the connection
  /// drains: nothing in it is dropped. False when the connection is closing.
  bool deliver_stream(std::unique_ptr<net::WsFrameStream> stream) noexcept;
  /// The {"op":"dropped"} notice for `count` events dropped by the slow-consumer policy.
  core::SharedBuffer drop_notice(std::uint64_t count) noexcept;

 private:
  friend class WsOpHandlers;
  /// A publication waiting for its ack (request id and channel for the reply).
  struct PendingPublish {
    std::string id;
    std::string channel;
    std::uint64_t received_ns = 0;
  };
  /// Stores a pending publication in a free slot (reused, so no allocation after warm-up).
  std::uint32_t hold_publish(std::string_view id, std::string_view channel,
                             std::uint64_t received_ns);

  /// Sends a reply (never dropped).
  void send(core::SharedBuffer frame) noexcept;
  void send_error(std::string_view id, ErrorCode code,
                  std::initializer_list<std::string_view> message) noexcept;
  /// True for "user:<id>" of the authenticated user.
  [[nodiscard]] bool is_own_channel(std::string_view channel) const noexcept;
  /// Sends `unauthorized` with `reason`, then closes with 1008.
  void refuse_and_close(std::string_view reason) noexcept;
  void authenticated(Identity identity, std::string_view request_id) noexcept;
  /// (Re)arms the timer that closes the connection when its token expires (exp + clock skew).
  void arm_token_expiry() noexcept;
  void token_expiry_due() noexcept;
  /// Takes a token from the bucket of `parsed`'s op (null: a message that was not parsed, such as
  /// a binary or oversized one; it counts as a cheap op, as does one that failed to parse);
  /// answers rate_limited and returns false when the bucket is empty.
  bool admit(const ParseResult* parsed) noexcept;
  void dispatch(const ParseResult& parsed, std::uint64_t received_ns) noexcept;

  WsService& service_;
  ClientLink& link_;
  WsShardState& shard_;
  pubsub::SubscriberId id_;
  std::string url_token_;
  std::optional<Identity> identity_;
  // Rate limits: the rates are the service's (WsService::rates()), the levels are this client's.
  TokenBucket publish_bucket_;
  TokenBucket op_bucket_;         // cheap ops (all but pub and the expensive ones)
  TokenBucket expensive_bucket_;  // sub, history, presence, nearby, ride
  std::vector<PendingPublish> publish_slots_;
  std::vector<std::uint32_t> free_publish_slots_;
  core::TimerId auth_timer_ = 0;
  core::TimerId expiry_timer_ = 0;
  std::uint64_t expiry_deadline_ns_ = 0;  // timer-wheel time at which the token expires
  bool open_ = false;
  bool closed_ = false;
};

/// The /ws service of a node. Build before the executor runs tasks (the node does); destroy after
/// it stopped. Every other method runs on a shard thread.
/// The rates of a service's per-connection token buckets (from WsAppConfig).
struct WsOpRates {
  TokenRate publish;
  TokenRate cheap;
  TokenRate expensive;
};

class WsService {
 public:
  /// `shards`, `broker` and `dispatch` (null: dispatch ops are answered `unavailable`) must
  /// outlive the service.
  WsService(WsShards& shards, pubsub::Broker& broker, DispatchService* dispatch,
            WsAppConfig config);
  ~WsService();
  WsService(const WsService&) = delete;
  WsService& operator=(const WsService&) = delete;

  [[nodiscard]] pubsub::Broker& broker() noexcept { return broker_; }
  [[nodiscard]] DispatchService* dispatch() noexcept { return dispatch_; }
  [[nodiscard]] const WsAppConfig& config() const noexcept { return config_; }
  [[nodiscard]] const Authenticator& authenticator() const noexcept { return authenticator_; }
  [[nodiscard]] const WsOpRates& rates() const noexcept { return rates_; }
  [[nodiscard]] core::Executor& executor() noexcept;
  /// The calling shard's state (parser, writer, connection table, metrics).
  [[nodiscard]] WsShardState& shard() noexcept;
  /// The connection `id` of the calling shard, or null when it has gone.
  [[nodiscard]] WsConnection* find(pubsub::SubscriberId id) noexcept;

  /// The factory for net::HttpServer::add_websocket("/ws", ...). The service must outlive every
  /// session it creates.
  [[nodiscard]] net::WsApplicationFactory application_factory();

 private:
  WsShards& shards_;
  pubsub::Broker& broker_;
  DispatchService* dispatch_;
  WsAppConfig config_;
  Authenticator authenticator_;
  WsOpRates rates_;
};

/// The session settings for /ws: the engine's, with the whole-message limit raised to the frame
/// limit, so that messages above config.max_message_bytes but within a frame get too_large
/// (connection stays open) and only larger ones close with 1009.
[[nodiscard]] net::WsSessionConfig ws_app_session_config(net::WsSessionConfig engine_session,
                                                         const WsAppConfig& config);

}  // namespace hexwire::app
