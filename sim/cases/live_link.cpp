// LiveLink: ClientPool slots with the auth -> sub handshake, publish ids and ack counting.
#include "sim/cases/live_link.hpp"

#include <fmt/format.h>

#include <stdexcept>
#include <vector>

#include "core/clock.hpp"
#include "core/reactor.hpp"
#include "core/socket.hpp"
#include "sim/client_pool.hpp"
#include "sim/runner.hpp"
#include "sim/wire.hpp"

namespace hexwire::sim::cases {
namespace {

constexpr std::uint64_t kAuthId = 1;
constexpr std::uint64_t kSubId = 2;
constexpr std::uint64_t kFirstPublishId = 100;

enum class Stage : std::uint8_t { kClosed, kConnecting, kAuthenticating, kSubscribing, kReady };

}  // namespace

class LiveLink::Impl final : public ClientEvents {
 public:
  struct Slot {
    std::string user;
    std::string channel;
    std::uint32_t pool_index = 0;
    Stage stage = Stage::kClosed;
    std::string failure;  // why it last failed to open
  };

  Impl(LiveLink& link, const std::string& url, std::string token)
      : link_(link), token_(std::move(token)), started_ns_(core::monotonic_ns()),
        wheel_(started_ns_, 100'000) {
    std::string host;
    std::uint16_t port = 0;
    parse_ws_url(url, host, port);
    reactor_ = std::make_unique<core::Reactor>(client_reactor_config(64));
    ClientPoolConfig pool_config;
    pool_config.servers.push_back(core::SocketAddress::parse(host, port));
    pool_config.host_header = host;
    pool_ = std::make_unique<ClientPool>(*reactor_, std::move(pool_config), *this);
  }

  ~Impl() override {
    // The run is over: the model that set the pending timers may already be gone, so closing
    // turns only the sockets, never the timers.
    closing_ = true;
    pool_->close_all();
    const std::uint64_t deadline = core::monotonic_ns() + 1'000'000'000;
    while (pool_->open_count() + pool_->connecting_count() > 0 && core::monotonic_ns() < deadline) {
      turn(10'000'000);
    }
    reactor_.reset();  // aborts what is left; its callbacks still find the pool
  }

  std::uint32_t add(std::string user, std::string channel) {
    Slot slot;
    slot.user = std::move(user);
    slot.channel = std::move(channel);
    slot.pool_index = pool_->add(ClientKind::kChat, static_cast<std::uint32_t>(slots_.size()),
                                 static_cast<std::uint32_t>(slots_.size()));
    slots_.push_back(std::move(slot));
    return static_cast<std::uint32_t>(slots_.size() - 1);
  }

  void open(std::uint32_t i) {
    Slot& s = slots_[i];
    if (s.stage != Stage::kClosed) {
      return;
    }
    s.stage = Stage::kConnecting;
    s.failure.clear();
    if (!pool_->connect(s.pool_index, core::monotonic_ns()) && s.failure.empty()) {
      // The previous session of this slot is still closing: try again shortly.
      s.stage = Stage::kClosed;
      wheel_.add_after(100'000'000, [this, i] { open(i); });
    }
  }

  void close(std::uint32_t i) {
    Slot& s = slots_[i];
    if (s.stage != Stage::kClosed) {
      pool_->close(s.pool_index);
      s.stage = Stage::kClosed;
    }
  }

  bool ready(std::uint32_t i) const { return slots_[i].stage == Stage::kReady; }
  Slot& slot(std::uint32_t i) { return slots_[i]; }
  std::size_t size() const { return slots_.size(); }

  bool publish(std::uint32_t i, std::string_view channel, std::string_view data_json) {
    if (!ready(i)) {
      ++link_.stats_.refused;
      return false;
    }
    scratch_.clear();
    encode_pub_json(scratch_, next_publish_id_++, channel, data_json);
    if (!pool_->send(slots_[i].pool_index, scratch_)) {
      ++link_.stats_.refused;
      return false;
    }
    ++link_.stats_.publishes;
    return true;
  }

  void turn(std::uint64_t max_wait_ns) {
    reactor_->reap();
    if (!closing_) {
      wheel_.advance(core::monotonic_ns());
    }
    reactor_->flush();
    const std::uint64_t now = core::monotonic_ns();
    const std::uint64_t wait =
        closing_ ? max_wait_ns : std::min(max_wait_ns, wheel_.ns_until_next(now));
    reactor_->submit_and_wait(reactor_->has_pending_work() ? 0 : wait);
  }

  core::TimerWheel& wheel() noexcept { return wheel_; }
  void end_timers() noexcept { closing_ = true; }
  std::uint64_t started_ns() const noexcept { return started_ns_; }

  // ---- ClientEvents ----
  void on_open(ClientSlot& pool_slot) noexcept override {
    Slot& s = slots_[pool_slot.global];
    s.stage = Stage::kAuthenticating;
    scratch_.clear();
    if (token_.empty()) {
      encode_auth(scratch_, kAuthId, s.user);
    } else {
      encode_auth_token(scratch_, kAuthId, token_);
    }
    pool_->send(s.pool_index, scratch_);
  }

  void on_text(ClientSlot& pool_slot, std::string_view text) noexcept override {
    Slot& s = slots_[pool_slot.global];
    if (parser_.parse(text, event_) != ParseStatus::kOk) {
      return;
    }
    switch (event_.op) {
      case ServerOp::kAuth:
        if (s.stage == Stage::kAuthenticating) {
          if (s.channel.empty()) {
            s.stage = Stage::kReady;
          } else {
            s.stage = Stage::kSubscribing;
            scratch_.clear();
            encode_sub(scratch_, kSubId, s.channel);
            pool_->send(s.pool_index, scratch_);
          }
        }
        break;
      case ServerOp::kSubbed:
        if (s.stage == Stage::kSubscribing) {
          s.stage = Stage::kReady;
        }
        break;
      case ServerOp::kAck:
        ++link_.stats_.acks;
        break;
      case ServerOp::kMsg:
        ++link_.stats_.received;
        if (link_.receiver_ && !event_.data_text.empty()) {
          link_.receiver_(pool_slot.global, event_.data_text);
        }
        break;
      case ServerOp::kError:
        on_error(s, event_.has_id ? event_.id : 0);
        break;
      default:
        break;
    }
  }

  void on_closed(ClientSlot& pool_slot, bool was_open, bool /*by_us*/, std::uint16_t code,
                 std::string_view why) noexcept override {
    Slot& s = slots_[pool_slot.global];
    if (s.stage != Stage::kReady && s.stage != Stage::kClosed && s.failure.empty()) {
      s.failure = was_open ? fmt::format("closed by the engine (code {})", code)
                           : fmt::format("cannot connect: {}", why);
    }
    s.stage = Stage::kClosed;
  }

 private:
  void on_error(Slot& s, std::uint64_t id) {
    const std::string text = fmt::format("{}: {}", event_.code, event_.message);
    if (id == kAuthId || id == kSubId) {
      s.failure = fmt::format("{} refused ({}){}", id == kAuthId ? "auth" : "sub", text,
                              token_.empty() && id == kAuthId
                                  ? "; start the engine with --anonymous, or pass --token"
                                  : "");
      pool_->close(s.pool_index);
      s.stage = Stage::kClosed;
      return;
    }
    ++link_.stats_.errors;
    if (link_.stats_.first_error.empty()) {
      link_.stats_.first_error = text;
    }
  }

  LiveLink& link_;
  std::string token_;
  std::uint64_t started_ns_;
  core::TimerWheel wheel_;
  bool closing_ = false;  // the run is over (end_timers) or closing: timers no longer run
  std::unique_ptr<core::Reactor> reactor_;
  std::unique_ptr<ClientPool> pool_;
  std::vector<Slot> slots_;
  ServerFrameParser parser_;
  ServerEvent event_;
  std::string scratch_;
  std::uint64_t next_publish_id_ = kFirstPublishId;
};

LiveLink::LiveLink(const std::string& url, std::string token)
    : impl_(std::make_unique<Impl>(*this, url, std::move(token))), url_(url) {}

LiveLink::~LiveLink() = default;

std::uint32_t LiveLink::add(std::string user, std::string channel) {
  return impl_->add(std::move(user), std::move(channel));
}

void LiveLink::open_all(std::uint64_t timeout_ns) {
  for (std::uint32_t i = 0; i < impl_->size(); ++i) {
    impl_->open(i);
  }
  const std::uint64_t deadline = core::monotonic_ns() + timeout_ns;
  while (true) {
    bool all_ready = true;
    for (std::uint32_t i = 0; i < impl_->size(); ++i) {
      const Impl::Slot& s = impl_->slot(i);
      if (!s.failure.empty()) {
        throw std::runtime_error(fmt::format("{} ({}): {}", url_, s.user, s.failure));
      }
      all_ready = all_ready && s.stage == Stage::kReady;
    }
    if (all_ready) {
      return;
    }
    if (core::monotonic_ns() >= deadline) {
      throw std::runtime_error(fmt::format(
          "{}: connections not ready after {} ms (is a hexwire engine listening there?)", url_,
          timeout_ns / 1'000'000));
    }
    impl_->turn(5'000'000);
  }
}

void LiveLink::reopen(std::uint32_t connection) {
  impl_->open(connection);
}

void LiveLink::close(std::uint32_t connection) {
  impl_->close(connection);
}

bool LiveLink::ready(std::uint32_t connection) const {
  return impl_->ready(connection);
}

bool LiveLink::publish(std::uint32_t connection, std::string_view channel,
                       std::string_view data_json) {
  return impl_->publish(connection, channel, data_json);
}

void LiveLink::end_timers() noexcept { impl_->end_timers(); }

void LiveLink::pump(std::uint64_t max_wait_ns) {
  impl_->turn(max_wait_ns);
}

bool LiveLink::wait_for_acks(std::uint64_t timeout_ns) {
  const std::uint64_t deadline = core::monotonic_ns() + timeout_ns;
  while (stats_.acks + stats_.errors < stats_.publishes) {
    if (core::monotonic_ns() >= deadline) {
      return false;
    }
    impl_->turn(5'000'000);
  }
  return true;
}

core::TimerWheel& LiveLink::timers() noexcept {
  return impl_->wheel();
}

std::uint64_t LiveLink::now_ns() const noexcept {
  return core::monotonic_ns() - impl_->started_ns();
}

}  // namespace hexwire::sim::cases
