// WsShards, WsService and WsConnection life cycle: per-shard state, metrics, authentication (URL
// token or auth op, with an auth timeout), the implicit subscription to the user's own `user:<id>`
// channel, and the adapter from net::WsApplication to WsConnection.
#include "app/ws_app.hpp"

#include <algorithm>
#include <exception>
#include <limits>
#include <utility>

#include "app/channel_name.hpp"
#include "app/dispatch_ops.hpp"
#include "app/protocol_encode.hpp"
#include "app/ws_app_state.hpp"
#include "core/clock.hpp"

namespace hexwire::app {

namespace {
constexpr std::uint64_t kNsPerMs = 1'000'000;
constexpr std::uint16_t kPolicyViolation = 1008;
}  // namespace

WsAppMetrics bind_ws_app_metrics(core::MetricsRegistry& r, unsigned shard) {
  WsAppMetrics m;
  m.connections = &r.gauge("ws_app_connections", "Authenticated /ws connections", shard);
  m.ops = &r.counter("ws_app_ops_total", "Client ops parsed on /ws", shard);
  m.errors = &r.counter("ws_app_errors_total", "Error replies sent on /ws", shard);
  m.auth_failures = &r.counter("ws_app_auth_failures_total", "Refused /ws authentications", shard);
  m.publishes = &r.counter("ws_app_publishes_total", "Publications acknowledged", shard);
  m.auth_timeouts = &r.counter("ws_app_auth_timeouts_total",
                               "/ws connections closed for not authenticating in time", shard);
  m.token_expiries = &r.counter("ws_app_token_expiries_total",
                                "/ws connections closed because their token expired", shard);
  m.token_refreshes = &r.counter("ws_app_token_refreshes_total", "Tokens replaced by refresh", shard);
  m.rate_limited =
      &r.counter("ws_app_rate_limited_total", "Ops refused by a rate limit (every bucket)", shard);
  m.rate_limited_publish = &r.counter("ws_app_rate_limited_publish_total",
                                      "Publications refused by the publish rate limit", shard);
  m.rate_limited_cheap = &r.counter("ws_app_rate_limited_cheap_total",
                                    "Cheap ops refused by the op rate limit", shard);
  m.rate_limited_expensive =
      &r.counter("ws_app_rate_limited_expensive_total",
                 "Expensive ops (sub, history, presence, nearby, ride) refused by their rate limit",
                 shard);
  m.deliveries =
      &r.counter("ws_app_deliveries_total", "Message frames queued on connections", shard);
  m.drops = &r.counter("ws_app_drops_total",
                       "Message frames refused by a connection (slow consumer or closing)", shard);
  m.resumes = &r.counter("ws_app_resumes_total", "Subscriptions resumed with since", shard);
  m.resume_unrecovered = &r.counter("ws_app_resumes_unrecovered_total",
                                    "Resumes whose history no longer reached since", shard);
  m.stage_parse = &r.histogram("ws_stage_parse_seconds", "Message received -> op parsed", shard);
  m.stage_route = &r.histogram("ws_stage_route_seconds",
                               "Pub received -> ack (sequenced by the owner shard)", shard);
  m.stage_fanout = &r.histogram("ws_stage_fanout_seconds",
                                "Message sequenced -> live delivery starts on a subscriber shard "
                                "(wall clock, microsecond resolution; resume backlogs excluded)",
                                shard);
  m.stage_send = &r.histogram("ws_stage_send_seconds",
                              "Live delivery starts -> frame queued on every local subscriber",
                              shard);
  return m;
}

// ---------------------------------------------------------------------------------------------
// WsShards and WsService

WsShards::WsShards(core::Executor& executor, core::MetricsRegistry& metrics,
                   std::size_t max_message_bytes)
    : executor_(executor) {
  for (unsigned shard = 0; shard < executor.shard_count(); ++shard) {
    auto state = std::make_unique<WsShardState>(max_message_bytes);
    state->metrics = bind_ws_app_metrics(metrics, shard);
    shards_.push_back(std::move(state));
  }
}

WsShards::~WsShards() = default;

WsConnection* WsShards::find(pubsub::SubscriberId id) noexcept {
  return here().connections.find(id);
}

WsService::WsService(WsShards& shards, pubsub::Broker& broker, DispatchService* dispatch,
                     WsAppConfig config)
    : shards_(shards),
      broker_(broker),
      dispatch_(dispatch),
      config_(std::move(config)),
      authenticator_(config_.auth),
      rates_{TokenRate(config_.publish_rate_per_s, config_.publish_burst),
             TokenRate(config_.op_rate_per_s, config_.op_burst),
             TokenRate(config_.expensive_op_rate_per_s, config_.expensive_op_burst)} {}

WsService::~WsService() = default;

core::Executor& WsService::executor() noexcept {
  return shards_.executor();
}

WsShardState& WsService::shard() noexcept {
  return shards_.here();
}

WsConnection* WsService::find(pubsub::SubscriberId id) noexcept {
  return shards_.find(id);
}

// ---------------------------------------------------------------------------------------------
// WsConnection

WsConnection::WsConnection(WsService& service, ClientLink& link, std::string url_token)
    : service_(service),
      link_(link),
      shard_(service.shard()),
      id_(shard_.connections.add(this)),
      url_token_(std::move(url_token)),
      publish_bucket_(service.rates().publish, core::monotonic_ns()),
      op_bucket_(service.rates().cheap, core::monotonic_ns()),
      expensive_bucket_(service.rates().expensive, core::monotonic_ns()) {}

WsConnection::~WsConnection() {
  closed();
}

void WsConnection::opened() noexcept {
  open_ = true;
  if (!url_token_.empty()) {
    const std::string token = std::exchange(url_token_, std::string());
    AuthOutcome outcome = service_.authenticator().with_token(token, core::wall_us() / 1'000'000);
    if (!outcome.ok) {
      shard_.metrics.auth_failures->add();
      refuse_and_close(outcome.reason);
      return;
    }
    authenticated(std::move(outcome.identity), {});
    return;
  }
  if (service_.config().auth_timeout_ms > 0) {
    const pubsub::SubscriberId id = id_;
    WsService* service = &service_;
    auth_timer_ = service_.executor().timers().add_after(
        std::uint64_t{service_.config().auth_timeout_ms} * kNsPerMs, [service, id] {
          WsConnection* connection = service->find(id);
          if (connection != nullptr && !connection->identity_) {
            connection->auth_timer_ = 0;
            connection->shard_.metrics.auth_timeouts->add();
            connection->refuse_and_close("authentication timeout");
          }
        });
  }
}

void WsConnection::closed() noexcept {
  if (closed_) {
    return;
  }
  closed_ = true;
  open_ = false;
  for (core::TimerId* timer : {&auth_timer_, &expiry_timer_}) {
    if (*timer != 0) {
      service_.executor().timers().cancel(*timer);
      *timer = 0;
    }
  }
  shard_.connections.remove(id_);
  if (identity_) {
    shard_.metrics.connections->add(-1);
    service_.broker().connection_closed(id_);
    // A driver whose connection is gone must not be offered trips until it reports again (its
    // next `loc`, from this or another device, makes it available once more).
    if (identity_->role == "driver" && service_.dispatch() != nullptr) {
      service_.dispatch()->driver_offline(identity_->user);
    }
  }
}

void WsConnection::on_binary() noexcept {
  if (!admit(nullptr)) {
    return;
  }
  send_error({}, ErrorCode::kBadRequest, {"binary messages are not part of protocol v1"});
}

void WsConnection::on_text(std::string_view text, std::uint64_t received_ns) noexcept {
  if (closed_) {
    return;
  }
  if (text.size() > service_.config().max_message_bytes) {
    if (!admit(nullptr)) {
      return;
    }
    // Too big to parse: answer without an id rather than spend time looking for it.
    send_error({}, ErrorCode::kTooLarge, {"message larger than the /ws limit"});
    return;
  }
  const ParseResult parsed = shard_.parser.parse(text);
  shard_.metrics.ops->add();
  shard_.metrics.stage_parse->record(core::monotonic_ns() - received_ns);
  if (!admit(&parsed)) {
    return;
  }
  if (!parsed.ok()) {
    shard_.metrics.errors->add();
    try {
      send(encode_parse_error(shard_.writer, parsed));
    } catch (...) {
      link_.close(1011, "out of memory");
    }
    return;
  }
  dispatch(parsed, received_ns);
}

void WsConnection::send(core::SharedBuffer frame) noexcept {
  if (open_) {
    (void)link_.send_frame(std::move(frame), net::WsSendKind::kReply);
  }
}

bool WsConnection::deliver(const core::SharedBuffer& frame) noexcept {
  if (!open_) {
    shard_.metrics.drops->add();
    return false;
  }
  if (link_.send_frame(frame, net::WsSendKind::kData) != net::WsSendResult::kQueued) {
    shard_.metrics.drops->add();
    return false;
  }
  shard_.metrics.deliveries->add();
  return true;
}

bool WsConnection::deliver_stream(std::unique_ptr<net::WsFrameStream> stream) noexcept {
  return open_ && link_.send_stream(std::move(stream)) == net::WsSendResult::kQueued;
}

core::SharedBuffer WsConnection::drop_notice(std::uint64_t count) noexcept {
  try {
    return encode_dropped(shard_.writer, count);
  } catch (const std::exception&) {
    return {};  // out of memory: the gap still shows in the channels' seqs
  }
}

void WsConnection::send_error(std::string_view id, ErrorCode code,
                              std::initializer_list<std::string_view> message) noexcept {
  shard_.metrics.errors->add();
  try {
    send(encode_error(shard_.writer, id, code, message));
  } catch (...) {
    link_.close(1011, "out of memory");
  }
}

void WsConnection::refuse_and_close(std::string_view reason) noexcept {
  send_error({}, ErrorCode::kUnauthorized, {reason});
  link_.close(kPolicyViolation, reason);
}

void WsConnection::arm_token_expiry() noexcept {
  core::TimerWheel& timers = service_.executor().timers();
  if (expiry_timer_ != 0) {
    timers.cancel(expiry_timer_);
    expiry_timer_ = 0;
  }
  if (!identity_ || !identity_->expires_at_s) {
    return;  // anonymous identities do not expire
  }
  // exp and the skew are clamped (app/jwt.hpp), so this cannot overflow; beyond ~500 years the
  // deadline saturates and the timer never fires.
  const std::int64_t now_s = core::wall_us() / 1'000'000;
  const std::int64_t left_s =
      std::max<std::int64_t>(0, *identity_->expires_at_s + service_.authenticator().clock_skew_s() -
                                    now_s);
  constexpr std::int64_t kLongest = std::numeric_limits<std::int64_t>::max() / 1'000'000'000;
  const std::uint64_t delay_ns =
      left_s >= kLongest ? UINT64_MAX : static_cast<std::uint64_t>(left_s) * 1'000'000'000;
  expiry_deadline_ns_ = timers.now_ns() > UINT64_MAX - delay_ns ? UINT64_MAX
                                                                 : timers.now_ns() + delay_ns;
  const pubsub::SubscriberId id = id_;
  WsService* service = &service_;
  expiry_timer_ = timers.add_at(expiry_deadline_ns_, [service, id] {
    if (WsConnection* connection = service->find(id)) {
      connection->expiry_timer_ = 0;
      connection->token_expiry_due();
    }
  });
}

bool WsConnection::is_own_channel(std::string_view channel) const noexcept {
  return identity_ && user_of_channel(channel) == std::string_view(identity_->user);
}

void WsConnection::token_expiry_due() noexcept {
  shard_.metrics.token_expiries->add();
  refuse_and_close("token expired");
}

void WsConnection::authenticated(Identity identity, std::string_view request_id) noexcept {
  if (auth_timer_ != 0) {
    service_.executor().timers().cancel(auth_timer_);
    auth_timer_ = 0;
  }
  identity_ = std::move(identity);
  arm_token_expiry();
  shard_.metrics.connections->add(1);
  pubsub::Broker& broker = service_.broker();
  (void)broker.connection_opened(id_, identity_->user);
  // The user's own events arrive without an explicit sub. A broker with personal channels
  // (LocalBroker) hands them to every connection of the user through the user's home record, at
  // no cost per connection; any other (the Redis broker) gets a quiet subscription. An explicit
  // sub to the same channel later is answered without subscribing (each event arrives once).
  if (!broker.delivers_personal_channels()) {
    (void)broker.subscribe(id_, std::string(kUserPrefix) + identity_->user, std::nullopt,
                           [](const pubsub::SubscribeResult&) {});
  }
  send(encode_auth_ok(shard_.writer, request_id, identity_->user));
}

// ---------------------------------------------------------------------------------------------
// net adapter and registration

namespace {

class WsEndpointApplication final : public net::WsApplication, public ClientLink {
 public:
  WsEndpointApplication(WsService& service, std::string token)
      : connection_(service, *this, std::move(token)) {}

  void on_open(net::WsSession& session) noexcept override {
    session_ = &session;
    connection_.opened();
  }
  void on_message(net::WsSession& session, net::Opcode opcode,
                  std::span<const std::byte> payload) noexcept override {
    const std::uint64_t received_ns = core::monotonic_ns();
    session_ = &session;
    if (opcode != net::Opcode::kText) {
      connection_.on_binary();
      return;
    }
    connection_.on_text(
        std::string_view(reinterpret_cast<const char*>(payload.data()), payload.size()),
        received_ns);
  }
  void on_close(net::WsSession& /*session*/, std::uint16_t /*code*/) noexcept override {
    connection_.closed();
    session_ = nullptr;
  }
  core::SharedBuffer drop_notice(net::WsSession& /*session*/,
                                 std::uint64_t dropped) noexcept override {
    return connection_.drop_notice(dropped);
  }

  net::WsSendResult send_frame(core::SharedBuffer frame, net::WsSendKind kind) noexcept override {
    if (session_ == nullptr) {
      return net::WsSendResult::kClosed;
    }
    return session_->send_frame(std::move(frame), kind);
  }
  net::WsSendResult send_stream(std::unique_ptr<net::WsFrameStream> stream) noexcept override {
    if (session_ == nullptr) {
      return net::WsSendResult::kClosed;
    }
    return session_->send_stream(std::move(stream));
  }
  void close(std::uint16_t code, std::string_view reason) noexcept override {
    if (session_ != nullptr) {
      session_->close(code, reason);
    }
  }

 private:
  net::WsSession* session_ = nullptr;
  WsConnection connection_;
};

}  // namespace

net::WsApplicationFactory WsService::application_factory() {
  return [this](const net::WsUpgradeInfo& info) -> std::unique_ptr<net::WsApplication> {
    return std::make_unique<WsEndpointApplication>(*this, std::string(info.token));
  };
}

net::WsSessionConfig ws_app_session_config(net::WsSessionConfig session,
                                           const WsAppConfig& config) {
  session.max_message_size = std::max(session.max_frame_payload, config.max_message_bytes);
  session.max_frame_payload = std::max(session.max_frame_payload, config.max_message_bytes);
  return session;
}

}  // namespace hexwire::app
