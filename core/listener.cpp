// The reactor's server role: listening sockets handed to the backend (multishot accept or
// EPOLLIN + accept4), and each accepted socket turned into a Connection whose handler comes from
// the listener's factory — or, when the engine-wide ConnectionCap is full, into a short-lived
// connection that sends the refusal bytes and closes in order.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <span>
#include <string_view>

#include "core/clock.hpp"
#include "core/detail/reactor_listener.hpp"
#include "core/reactor.hpp"

namespace hexwire::core {

namespace {

/// Refuses a connection over the cap: the refusal bytes, then an orderly close (flush, FIN, and
/// the peer's input read and dropped for a moment, so its request does not turn our close into a
/// reset that destroys the answer).
class RefusalHandler final : public ConnectionHandler {
 public:
  RefusalHandler(std::string_view refusal, std::size_t& refusing)
      : refusal_(refusal), refusing_(refusing) {
    ++refusing_;
  }
  ~RefusalHandler() override { --refusing_; }
  void on_open(Connection& connection) noexcept override {
    if (!refusal_.empty()) {
      connection.send(SharedBuffer::copy_of(std::as_bytes(std::span(refusal_))));
    }
    connection.close();
  }
  void on_data(Connection& /*connection*/, std::span<const std::byte> /*bytes*/) noexcept override {}
  void on_close(Connection& /*connection*/, CloseReason /*reason*/) noexcept override {}

 private:
  std::string_view refusal_;
  std::size_t& refusing_;
};

/// Refused connections still being answered per reactor; past this a refusal is a plain close,
/// so a connection storm cannot pile up answers (and descriptors) beyond the cap.
constexpr std::size_t kMaxRefusing = 64;

}  // namespace

ListenerId Reactor::add_listener(int fd, AcceptHandlerFactory factory) {
  const auto id = static_cast<ListenerId>(listeners_.size());
  auto listener = std::make_unique<Listener>();
  listener->fd = fd;
  listener->factory = std::move(factory);
  listeners_.push_back(std::move(listener));
  backend_->arm_accept(id, fd);
  return id;
}

void Reactor::close_listener(ListenerId id) noexcept {
  if (id >= listeners_.size() || !listeners_[id]) {
    return;
  }
  if (listeners_[id]->paused_until_ns != 0) {
    --paused_listeners_;
  }
  backend_->cancel_accept(id, listeners_[id]->fd);
  ::close(listeners_[id]->fd);
  listeners_[id].reset();
}

void Reactor::close_listeners() noexcept {
  for (ListenerId id = 0; id < listeners_.size(); ++id) {
    close_listener(id);
  }
}

std::size_t Reactor::listener_count() const noexcept {
  std::size_t open = 0;
  for (const auto& listener : listeners_) {
    open += listener ? 1 : 0;
  }
  return open;
}

void Reactor::resume_listeners() noexcept {
  const std::uint64_t now = monotonic_ns();
  for (ListenerId id = 0; id < listeners_.size(); ++id) {
    Listener* listener = listeners_[id].get();
    if (listener != nullptr && listener->paused_until_ns != 0 && now >= listener->paused_until_ns) {
      listener->paused_until_ns = 0;
      --paused_listeners_;
      backend_->arm_accept(id, listener->fd);
    }
  }
}

void Reactor::on_accepted(std::uint32_t listener, int fd) noexcept {
  const bool known = listener < listeners_.size() && listeners_[listener];
  if (fd < 0) {
    // Out of descriptors or memory: retrying at once would spin the shard (the pending connection
    // stays in the backlog and fails again). Stop accepting on this listener for a while.
    const bool exhausted = fd == -EMFILE || fd == -ENFILE || fd == -ENOBUFS || fd == -ENOMEM;
    if (exhausted && known && listeners_[listener]->paused_until_ns == 0) {
      backend_->cancel_accept(listener, listeners_[listener]->fd);
      listeners_[listener]->paused_until_ns = monotonic_ns() + config_.accept_retry_ns;
      ++paused_listeners_;
      metrics_.accept_pauses->add();
    }
    return;
  }
  if (!known || listeners_[listener]->paused_until_ns != 0) {
    ::close(fd);
    return;
  }
  const bool capped = config_.connection_cap != nullptr;
  const bool admitted = !capped || config_.connection_cap->try_acquire();
  if (!admitted) {
    metrics_.connections_refused->add();
    if (refusing_ >= kMaxRefusing) {
      ::close(fd);
      return;
    }
  }
  (void)set_no_delay(fd);
  sockaddr_storage storage{};
  socklen_t length = sizeof(storage);
  (void)::getpeername(fd, reinterpret_cast<sockaddr*>(&storage), &length);
  Connection& c = allocate_connection(
      fd, SocketAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&storage), length));
  metrics_.connections_accepted->add();
  std::unique_ptr<ConnectionHandler> handler;
  try {
    if (admitted) {
      if (capped) {
        c.flags_ |= Connection::kCapped;
      }
      handler = listeners_[listener]->factory(c);
    } else {
      handler = std::make_unique<RefusalHandler>(config_.connection_cap->refusal(), refusing_);
    }
  } catch (...) {
    handler.reset();  // a throwing factory refuses the connection like a null one
  }
  if (!handler) {
    (void)set_linger_zero(fd);
    ::close(fd);
    release_slot(c);
    metrics_.connections_closed->add();
    return;
  }
  c.handler_ = std::move(handler);
  arm_receive(c);
  c.handler_->on_open(c);
}

}  // namespace hexwire::core
