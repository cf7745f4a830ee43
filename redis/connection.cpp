// RedisConnection: connect, pipeline, match replies to requests (and pushes on subscriber
// connections), drop an unresponsive server after the command timeout, reconnect with backoff.
#include "redis/connection.hpp"

#include <algorithm>
#include <utility>

#include <spdlog/spdlog.h>

#include "core/clock.hpp"

namespace hexwire::redis {

std::string_view to_string(RedisStatus status) noexcept {
  switch (status) {
    case RedisStatus::kOk:
      return "ok";
    case RedisStatus::kUnavailable:
      return "unavailable";
    case RedisStatus::kTimeout:
      return "timeout";
    case RedisStatus::kDisconnected:
      return "disconnected";
    case RedisStatus::kOverloaded:
      return "overloaded";
  }
  return "?";
}

/// The reactor-owned handler of the current socket; forwards to the RedisConnection until that
/// detaches it (on destruction).
class RedisConnection::Link final : public core::ConnectionHandler {
 public:
  explicit Link(RedisConnection* owner) noexcept : owner_(owner) {}
  void detach() noexcept { owner_ = nullptr; }

  void on_open(core::Connection& /*connection*/) noexcept override {
    if (owner_ != nullptr) {
      owner_->on_open();
    }
  }
  void on_data(core::Connection& /*connection*/,
               std::span<const std::byte> bytes) noexcept override {
    if (owner_ != nullptr) {
      owner_->on_bytes(bytes);
    }
  }
  void on_close(core::Connection& connection, core::CloseReason /*reason*/) noexcept override {
    if (owner_ != nullptr) {
      owner_->on_link_closed(connection.last_error());
    }
  }

 private:
  RedisConnection* owner_;
};

namespace {

bool is_message_push(std::string_view kind) noexcept {
  return kind == "message" || kind == "smessage" || kind == "pmessage";
}

bool is_subscribe_confirmation(std::string_view kind) noexcept {
  return kind == "subscribe" || kind == "ssubscribe";
}

bool is_unsubscribe_confirmation(std::string_view kind) noexcept {
  return kind == "unsubscribe" || kind == "sunsubscribe";
}

}  // namespace

RedisConnection::RedisConnection(core::Reactor& reactor, core::TimerWheel& timers,
                                 Endpoint endpoint, ConnectionOptions options,
                                 ConnectionOwner& owner)
    : reactor_(reactor),
      timers_(timers),
      endpoint_(std::move(endpoint)),
      options_(std::move(options)),
      owner_(owner),
      jitter_state_(core::monotonic_ns() ^ reinterpret_cast<std::uintptr_t>(this)),
      last_ready_ns_(core::monotonic_ns()) {
  connect();
}

RedisConnection::~RedisConnection() {
  for (core::TimerId id : {deferred_timer_, watchdog_, retry_timer_, connect_timer_}) {
    if (id != 0) {
      timers_.cancel(id);
    }
  }
  if (link_ != nullptr) {
    link_->detach();
    socket_->abort();
  }
}

void RedisConnection::connect() {
  state_ = State::kConnecting;
  timed_out_ = false;
  int error = 0;
  auto link = std::make_unique<Link>(this);
  Link* raw = link.get();
  core::Connection* socket = nullptr;
  try {
    socket = reactor_.connect(core::SocketAddress::parse(endpoint_.host, endpoint_.port),
                              std::move(link), &error);
  } catch (const std::exception& e) {
    spdlog::warn("redis {}: cannot connect: {}", endpoint_.to_string(), e.what());
  }
  if (socket == nullptr) {
    enter_backoff();
    return;
  }
  link_ = raw;
  socket_ = socket;
  connect_timer_ = timers_.add_after(options_.connect_timeout_ns, [this] {
    connect_timer_ = 0;
    if (state_ == State::kConnecting && socket_ != nullptr) {
      socket_->abort();
    }
  });
  if (!options_.password.empty()) {
    Request auth;
    auth.kind = Request::Kind::kInternal;
    auth.bytes = encode_command({"AUTH", options_.password});
    auth.deadline_ns = core::monotonic_ns() + options_.command_timeout_ns;
    send(std::move(auth));
  }
  if (!options_.subscriber) {
    for (const Script* script : options_.scripts) {
      Request load;
      load.kind = Request::Kind::kInternal;
      load.bytes = encode_command({"SCRIPT", "LOAD", script->source()});
      load.deadline_ns = core::monotonic_ns() + options_.command_timeout_ns;
      send(std::move(load));
    }
  }
}

void RedisConnection::on_open() {
  state_ = State::kReady;
  last_ready_ns_ = core::monotonic_ns();
  backoff_ns_ = 0;
  ++stats_.connects;
  if (connect_timer_ != 0) {
    timers_.cancel(std::exchange(connect_timer_, 0));
  }
  owner_.on_state(*this, true);
}

void RedisConnection::send(Request&& request) {
  ++stats_.requests;
  if (state_ == State::kBackoff || socket_ == nullptr) {
    defer_failure(std::move(request), RedisStatus::kUnavailable);
    return;
  }
  if (in_flight_.size() >= options_.max_in_flight) {
    defer_failure(std::move(request), RedisStatus::kOverloaded);
    return;
  }
  if (!socket_->send(request.bytes)) {
    defer_failure(std::move(request), RedisStatus::kDisconnected);
    return;
  }
  in_flight_.push_back(std::move(request));
  if (watchdog_ == 0) {
    arm_watchdog();
  }
}

void RedisConnection::on_bytes(std::span<const std::byte> bytes) {
  if (!reader_.feed(bytes)) {
    spdlog::warn("redis {}: reply parser refused input: {}", endpoint_.to_string(),
                 reader_.error());
    socket_->abort();
    return;
  }
  Reply reply;
  for (;;) {
    switch (reader_.next(&reply)) {
      case ReplyReader::Next::kReply:
        dispatch_reply(std::move(reply));
        if (socket_ == nullptr || !socket_->is_open()) {
          return;
        }
        break;
      case ReplyReader::Next::kNeedMore:
        return;
      case ReplyReader::Next::kError:
        spdlog::warn("redis {}: protocol error: {}", endpoint_.to_string(), reader_.error());
        socket_->abort();
        return;
    }
  }
}

bool RedisConnection::answers_front(ReplyView reply) const noexcept {
  if (in_flight_.empty()) {
    return false;
  }
  const Request& front = in_flight_.front();
  const std::string_view kind = reply[0].str();
  const bool family =
      (front.kind == Request::Kind::kSubscribe && is_subscribe_confirmation(kind)) ||
      (front.kind == Request::Kind::kUnsubscribe && is_unsubscribe_confirmation(kind));
  return family && reply[1].str() == front.channel;
}

void RedisConnection::dispatch_reply(Reply&& reply) {
  const ReplyView view = reply.view();
  if (options_.subscriber && view.is_array() && view[0].type() == ReplyType::kString) {
    const std::string_view kind = view[0].str();
    const bool confirmation = is_subscribe_confirmation(kind) || is_unsubscribe_confirmation(kind);
    if (is_message_push(kind) || (confirmation && !answers_front(view))) {
      owner_.on_push(*this, view);
      return;
    }
  }
  if (in_flight_.empty()) {
    spdlog::warn("redis {}: unexpected reply {} with nothing in flight", endpoint_.to_string(),
                 view.describe());
    socket_->abort();
    return;
  }
  Request request = std::move(in_flight_.front());
  in_flight_.pop_front();
  ++stats_.replies;
  if (request.kind == Request::Kind::kInternal) {
    if (view.is_error()) {
      spdlog::warn("redis {}: {}", endpoint_.to_string(), view.str());
    }
    return;
  }
  owner_.on_reply(*this, std::move(request), view);
}

void RedisConnection::on_link_closed(int error) {
  const bool was_ready = state_ == State::kReady;
  if (was_ready) {
    last_ready_ns_ = core::monotonic_ns();
  }
  link_ = nullptr;
  socket_ = nullptr;
  if (connect_timer_ != 0) {
    timers_.cancel(std::exchange(connect_timer_, 0));
  }
  if (was_ready || timed_out_) {
    spdlog::warn("redis {}: connection lost ({})", endpoint_.to_string(),
                 timed_out_ ? "no answer within the command timeout"
                            : (error != 0 ? std::system_category().message(error) : "closed"));
  }
  const RedisStatus status = timed_out_  ? RedisStatus::kTimeout
                             : was_ready ? RedisStatus::kDisconnected
                                         : RedisStatus::kUnavailable;
  reader_.reset();
  enter_backoff();
  fail_all(status);
  if (was_ready) {
    owner_.on_state(*this, false);
  }
}

void RedisConnection::fail_all(RedisStatus status) {
  std::deque<Request> failed;
  failed.swap(in_flight_);
  for (Request& request : failed) {
    ++stats_.failures;
    if (request.kind != Request::Kind::kInternal) {
      owner_.on_failed(*this, std::move(request), status);
    }
  }
}

void RedisConnection::enter_backoff() {
  state_ = State::kBackoff;
  backoff_ns_ = backoff_ns_ == 0 ? options_.reconnect_min_ns
                                 : std::min(backoff_ns_ * 2, options_.reconnect_max_ns);
  // +-25% jitter so that the nodes of a pool do not reconnect in lockstep.
  jitter_state_ ^= jitter_state_ << 13;
  jitter_state_ ^= jitter_state_ >> 7;
  jitter_state_ ^= jitter_state_ << 17;
  const std::uint64_t spread = backoff_ns_ / 2;
  const std::uint64_t delay = backoff_ns_ - backoff_ns_ / 4 + (spread ? jitter_state_ % spread : 0);
  retry_timer_ = timers_.add_after(delay, [this] {
    retry_timer_ = 0;
    connect();
  });
}

void RedisConnection::arm_watchdog() {
  if (in_flight_.empty()) {
    return;
  }
  watchdog_ = timers_.add_at(in_flight_.front().deadline_ns, [this] {
    watchdog_ = 0;
    on_watchdog();
  });
}

void RedisConnection::on_watchdog() {
  if (in_flight_.empty() || socket_ == nullptr) {
    return;
  }
  if (in_flight_.front().deadline_ns <= core::monotonic_ns()) {
    timed_out_ = true;
    ++stats_.timeouts;
    socket_->abort();
    return;
  }
  arm_watchdog();
}

void RedisConnection::defer_failure(Request&& request, RedisStatus status) {
  ++stats_.failures;
  deferred_.emplace_back(std::move(request), status);
  if (deferred_timer_ == 0) {
    deferred_timer_ = timers_.add_after(0, [this] {
      deferred_timer_ = 0;
      run_deferred();
    });
  }
}

void RedisConnection::run_deferred() {
  std::deque<std::pair<Request, RedisStatus>> batch;
  batch.swap(deferred_);
  for (auto& [request, status] : batch) {
    if (request.kind != Request::Kind::kInternal) {
      owner_.on_failed(*this, std::move(request), status);
    }
  }
}

}  // namespace hexwire::redis
