// RedisConnection: connect, pipeline, match replies to requests (and pushes on subscriber
// connections), fail a late request alone and discard its reply, drop a server silent for the
// liveness interval, reconnect with backoff.
#include "redis/connection.hpp"

#include <algorithm>
#include <limits>
#include <utility>
#include <vector>

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

void bump(core::Counter* counter) noexcept {
  if (counter != nullptr) {
    counter->add();
  }
}

// Admission: once the oldest queued command has used half its deadline, the queue holds more work
// than finishes in time and a new command would only expire in it (or be sent too late to be
// answered in time: deadline collapse, every command failing). It is refused at once instead,
// costing nothing, so that the ones admitted complete.
bool queue_too_old(const std::deque<Request>& queued, std::uint64_t command_timeout_ns) noexcept {
  return !queued.empty() &&
         queued.front().deadline_ns < core::monotonic_ns() + command_timeout_ns / 2;
}

ConnectionOptions checked(ConnectionOptions options) {
  options.liveness_timeout_ns = std::max(options.liveness_timeout_ns, options.command_timeout_ns);
  return options;
}

}  // namespace

RedisConnection::RedisConnection(core::Reactor& reactor, core::TimerWheel& timers,
                                 Endpoint endpoint, ConnectionOptions options,
                                 ConnectionOwner& owner)
    : reactor_(reactor),
      timers_(timers),
      endpoint_(std::move(endpoint)),
      options_(checked(std::move(options))),
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
  if (in_flight() >= options_.max_in_flight ||
      queue_too_old(queued_, options_.command_timeout_ns)) {
    ++stats_.refused;
    bump(options_.metrics.refused);
    defer_failure(std::move(request), RedisStatus::kOverloaded);
    return;
  }
  if (queued_.empty() && in_flight_.size() < options_.max_sent) {
    write(std::move(request));
  } else {
    queued_.push_back(std::move(request));
  }
  if (watchdog_ == 0) {
    arm_watchdog();
  }
}

void RedisConnection::write(Request&& request) {
  if (!socket_->send(request.bytes)) {
    defer_failure(std::move(request), RedisStatus::kDisconnected);
    return;
  }
  in_flight_.push_back(InFlight{std::move(request), core::monotonic_ns(), false});
}

void RedisConnection::pump() {
  while (!queued_.empty() && in_flight_.size() < options_.max_sent && socket_ != nullptr &&
         state_ != State::kBackoff) {
    Request next = std::move(queued_.front());
    queued_.pop_front();
    write(std::move(next));
  }
}

void RedisConnection::on_bytes(std::span<const std::byte> bytes) {
  last_read_ns_ = core::monotonic_ns();
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
        pump();  // replies freed room on the wire
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
  const Request& front = in_flight_.front().request;
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
  InFlight slot = std::move(in_flight_.front());
  in_flight_.pop_front();
  ++stats_.replies;
  if (slot.abandoned) {
    --abandoned_;
    ++stats_.late_replies;
    bump(options_.metrics.late_replies);
    return;  // its request already failed at its deadline
  }
  if (options_.metrics.reply_wait != nullptr) {
    options_.metrics.reply_wait->record(core::monotonic_ns() - slot.sent_ns);
  }
  Request& request = slot.request;
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
                 timed_out_ ? "nothing received within the liveness timeout"
                            : (error != 0 ? std::system_category().message(error) : "closed"));
  }
  if (was_ready) {
    bump(options_.metrics.lost);
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
  std::deque<InFlight> failed;
  failed.swap(in_flight_);
  abandoned_ = 0;
  std::deque<Request> unsent;
  unsent.swap(queued_);
  for (InFlight& slot : failed) {
    if (slot.abandoned) {
      continue;  // failed at its deadline already
    }
    ++stats_.failures;
    if (slot.request.kind != Request::Kind::kInternal) {
      owner_.on_failed(*this, std::move(slot.request), status);
    }
  }
  for (Request& request : unsent) {  // never reached Redis
    ++stats_.failures;
    if (request.kind != Request::Kind::kInternal) {
      owner_.on_failed(*this, std::move(request), RedisStatus::kUnavailable);
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

// One timer per connection: at the oldest live request's deadline or at the liveness deadline,
// whichever comes first. A request resent behind newer ones (a redirect keeps its deadline) fails
// at the latest when the requests before it do.
void RedisConnection::arm_watchdog() {
  if (in_flight_.empty() && queued_.empty()) {
    return;
  }
  std::uint64_t due =
      in_flight_.empty() ? std::numeric_limits<std::uint64_t>::max() : liveness_deadline();
  if (abandoned_ < in_flight_.size()) {
    due = std::min(due, in_flight_[abandoned_].request.deadline_ns);
  }
  if (!queued_.empty()) {
    due = std::min(due, queued_.front().deadline_ns);
  }
  watchdog_ = timers_.add_at(due, [this] {
    watchdog_ = 0;
    on_watchdog();
  });
}

std::uint64_t RedisConnection::liveness_deadline() const noexcept {
  return std::max(last_read_ns_, in_flight_.front().sent_ns) + options_.liveness_timeout_ns;
}

void RedisConnection::on_watchdog() {
  if ((in_flight_.empty() && queued_.empty()) || socket_ == nullptr) {
    return;
  }
  const std::uint64_t now = core::monotonic_ns();
  if (!in_flight_.empty() && liveness_deadline() <= now) {
    timed_out_ = true;
    ++stats_.timeouts;
    bump(options_.metrics.unresponsive);
    socket_->abort();
    return;
  }
  expire_overdue(now);
  if (watchdog_ == 0 && socket_ != nullptr) {
    arm_watchdog();
  }
}

void RedisConnection::expire_overdue(std::uint64_t now) {
  std::vector<Request> expired;
  while (abandoned_ < in_flight_.size() && in_flight_[abandoned_].request.deadline_ns <= now) {
    InFlight& slot = in_flight_[abandoned_++];
    slot.abandoned = true;
    ++stats_.commands_timed_out;
    bump(options_.metrics.commands_timed_out);
    if (slot.request.kind == Request::Kind::kInternal) {
      continue;
    }
    // The slot keeps what matches its reply (a subscriber's confirmation names kind and channel).
    Request husk;
    husk.kind = slot.request.kind;
    husk.channel = slot.request.channel;
    expired.push_back(std::exchange(slot.request, std::move(husk)));
  }
  while (!queued_.empty() && queued_.front().deadline_ns <= now) {
    ++stats_.commands_timed_out;
    ++stats_.expired_queued;
    bump(options_.metrics.commands_timed_out);
    bump(options_.metrics.expired_queued);
    if (queued_.front().kind != Request::Kind::kInternal) {
      expired.push_back(std::move(queued_.front()));
    }
    queued_.pop_front();
  }
  // Told after the scan: an owner may send again from on_failed.
  for (Request& request : expired) {
    ++stats_.failures;
    owner_.on_failed(*this, std::move(request), RedisStatus::kTimeout);
  }
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
