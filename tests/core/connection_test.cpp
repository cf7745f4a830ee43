// Connection behaviour over loopback on both backends, one reactor driven by the test thread:
// orderly close flushes everything queued, abort resets, pause/resume loses and reorders nothing,
// on_drained follows the soft limit, and one SharedBuffer fans out to many connections uncopied.
#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <unistd.h>

#include <functional>
#include <string>
#include <vector>

#include "core/reactor.hpp"
#include "core/testing/loopback_support.hpp"

using namespace hexwire::core;
using namespace hexwire::core::testing;

namespace {

ReactorConfig config_for(BackendKind kind) {
  return test_reactor_config(kind, 64, 16384);
}

/// A handler assembled from lambdas; the state it writes lives in the test.
struct Hooks : ConnectionHandler {
  std::function<void(Connection&)> open;
  std::function<void(Connection&, std::span<const std::byte>)> data;
  std::function<void(Connection&)> drained;
  std::function<void(Connection&, CloseReason)> close;
  void on_open(Connection& c) noexcept override {
    if (open) {
      open(c);
    }
  }
  void on_data(Connection& c, std::span<const std::byte> bytes) noexcept override {
    if (data) {
      data(c, bytes);
    }
  }
  void on_drained(Connection& c) noexcept override {
    if (drained) {
      drained(c);
    }
  }
  void on_close(Connection& c, CloseReason reason) noexcept override {
    if (close) {
      close(c, reason);
    }
  }
};

SharedBuffer pattern(std::size_t size, unsigned seed) {
  SharedBuffer buffer = SharedBuffer::allocate(size);
  for (std::size_t i = 0; i < size; ++i) {
    buffer.mutable_data()[i] = static_cast<std::byte>((i * 31 + seed) & 0xFF);
  }
  return buffer;
}

std::uint16_t add_listener(Reactor& reactor, BackendKind kind, std::function<void(Hooks&)> setup) {
  const LoopbackListener listener = open_loopback_listener(kind);
  reactor.add_listener(listener.fd, [setup](Connection&) {
    auto hooks = std::make_unique<Hooks>();
    setup(*hooks);
    return hooks;
  });
  return listener.port;
}

Connection* connect(Reactor& reactor, std::uint16_t port, std::unique_ptr<Hooks> hooks) {
  return reactor.connect(SocketAddress::parse("127.0.0.1", port), std::move(hooks));
}

void orderly_close_flushes(BackendKind kind) {
  skip_unless_supported(kind);
  Reactor reactor(config_for(kind));
  const SharedBuffer block = pattern(65'536, 7);
  constexpr int kBlocks = 64;  // 4 MiB queued, far more than the socket buffers take at once
  CloseReason server_reason{};
  bool server_closed = false;
  const std::uint16_t port = add_listener(reactor, kind, [&](Hooks& h) {
    h.open = [&](Connection& c) {
      for (int i = 0; i < kBlocks; ++i) {
        c.send(block);
      }
      c.close();
      CHECK_FALSE(c.send(block));  // closing: no more sends accepted
    };
    h.close = [&](Connection&, CloseReason r) {
      server_closed = true;
      server_reason = r;
    };
  });
  std::size_t received = 0;
  bool intact = true;
  bool client_closed = false;
  CloseReason client_reason{};
  auto client = std::make_unique<Hooks>();
  client->data = [&](Connection&, std::span<const std::byte> bytes) {
    for (const std::byte b : bytes) {
      intact = intact && b == block.data()[received % block.size()];
      ++received;
    }
  };
  client->close = [&](Connection&, CloseReason r) {
    client_closed = true;
    client_reason = r;
  };
  REQUIRE(connect(reactor, port, std::move(client)) != nullptr);
  REQUIRE(run_until(reactor, [&] { return client_closed && server_closed; }));
  CHECK(received == block.size() * kBlocks);
  CHECK(intact);
  CHECK(client_reason == CloseReason::kPeerClosed);
  CHECK(server_reason == CloseReason::kLocalClose);
  CHECK(block.use_count() == 1);
}

void abort_resets(BackendKind kind) {
  skip_unless_supported(kind);
  Reactor reactor(config_for(kind));
  CloseReason server_reason{};
  const std::uint16_t port = add_listener(reactor, kind, [&](Hooks& h) {
    h.data = [](Connection& c, std::span<const std::byte>) { c.abort(); };
    h.close = [&](Connection&, CloseReason r) { server_reason = r; };
  });
  bool client_closed = false;
  CloseReason client_reason{};
  int client_error = 0;
  auto client = std::make_unique<Hooks>();
  client->open = [](Connection& c) { c.send(SharedBuffer::copy_of("x")); };
  client->close = [&](Connection& c, CloseReason r) {
    client_closed = true;
    client_reason = r;
    client_error = c.last_error();
  };
  REQUIRE(connect(reactor, port, std::move(client)) != nullptr);
  REQUIRE(run_until(reactor, [&] { return client_closed && reactor.connection_count() == 0; }));
  CHECK(server_reason == CloseReason::kLocalAbort);
  CHECK(client_reason == CloseReason::kPeerClosed);
  CHECK(client_error == ECONNRESET);
}

/// Aborts `kConnections` server connections in one go while every one of them (and its client
/// peer, on the same reactor) has a receive armed: each abort cancels that connection's own
/// operations (io_uring: by user_data, not by fd), every connection closes and every peer sees
/// the reset. Their 3,000 cancel requests (one per kind of operation) overflow the 256-entry
/// submission queue several times over.
void mass_abort(BackendKind kind) {
  skip_unless_supported(kind);
  constexpr std::size_t kConnections = 1000;
  Reactor reactor(config_for(kind));
  std::vector<Connection*> servers;
  std::size_t servers_closed = 0;
  std::size_t aborted_reason = 0;
  const std::uint16_t port = add_listener(reactor, kind, [&](Hooks& h) {
    h.data = [&](Connection& c, std::span<const std::byte>) { servers.push_back(&c); };
    h.close = [&](Connection&, CloseReason r) {
      ++servers_closed;
      aborted_reason += r == CloseReason::kLocalAbort ? 1 : 0;
    };
  });
  std::size_t clients_reset = 0;
  std::size_t clients_closed = 0;
  for (std::size_t i = 0; i < kConnections; ++i) {
    auto client = std::make_unique<Hooks>();
    client->open = [](Connection& c) { c.send(SharedBuffer::copy_of("x")); };
    client->close = [&](Connection& c, CloseReason r) {
      ++clients_closed;
      clients_reset += r == CloseReason::kPeerClosed && c.last_error() == ECONNRESET ? 1 : 0;
    };
    REQUIRE(connect(reactor, port, std::move(client)) != nullptr);
  }
  REQUIRE(run_until(reactor, [&] { return servers.size() == kConnections; }));
  for (Connection* server : servers) {
    server->abort();  // all in one turn of the reactor
  }
  REQUIRE(run_until(reactor, [&] { return reactor.connection_count() == 0; }));
  CHECK(servers_closed == kConnections);
  CHECK(aborted_reason == kConnections);
  CHECK(clients_closed == kConnections);
  CHECK(clients_reset == kConnections);
}

void pause_and_resume(BackendKind kind) {
  skip_unless_supported(kind);
  Reactor reactor(config_for(kind));
  const SharedBuffer payload = pattern(300'000, 3);
  Connection* server = nullptr;
  std::size_t received = 0;
  std::size_t calls_while_paused = 0;
  bool intact = true;
  bool paused_once = false;
  const std::uint16_t port = add_listener(reactor, kind, [&](Hooks& h) {
    h.open = [&](Connection& c) { server = &c; };
    h.data = [&](Connection& c, std::span<const std::byte> bytes) {
      if (c.reading_paused()) {
        ++calls_while_paused;
      }
      for (const std::byte b : bytes) {
        intact = intact && b == payload.data()[received];
        ++received;
      }
      if (received == payload.size()) {
        c.close();
      } else if (!paused_once) {
        paused_once = true;
        c.pause_reading();  // pause from inside on_data: later bytes must wait
      }
    };
  });
  bool client_closed = false;
  auto client = std::make_unique<Hooks>();
  client->open = [&](Connection& c) { c.send(payload); };
  client->close = [&](Connection&, CloseReason) { client_closed = true; };
  REQUIRE(connect(reactor, port, std::move(client)) != nullptr);
  REQUIRE(run_until(reactor, [&] { return server != nullptr && received > 0; }));
  REQUIRE(server->reading_paused());
  // Many turns while paused: the client's bytes wait (in the kernel, or stashed in order).
  const std::size_t at_pause = received;
  for (int turn = 0; turn < 50; ++turn) {
    reactor.run_once(1'000'000);
  }
  CHECK(received == at_pause);
  server->resume_reading();
  REQUIRE(run_until(reactor, [&] { return client_closed && reactor.connection_count() == 0; }));
  CHECK(received == payload.size());
  CHECK(intact);
  CHECK(calls_while_paused == 0);
}

void drained_after_soft_limit(BackendKind kind) {
  skip_unless_supported(kind);
  ReactorConfig config = config_for(kind);
  config.send_soft_limit = 64 * 1024;
  config.send_low_water = 16 * 1024;
  Reactor reactor(config);
  const SharedBuffer block = pattern(1 << 20, 9);
  constexpr int kBlocks = 24;  // 24 MiB: more than loopback socket buffers absorb
  int drained_calls = 0;
  std::size_t buffered_at_drain = SIZE_MAX;
  bool over_after_queueing = false;
  const std::uint16_t port = add_listener(reactor, kind, [&](Hooks& h) {
    h.open = [&](Connection& c) {
      for (int i = 0; i < kBlocks; ++i) {
        c.send(block);
      }
      over_after_queueing = c.over_soft_limit() && c.buffered_bytes() == block.size() * kBlocks;
    };
    h.drained = [&](Connection& c) {
      ++drained_calls;
      buffered_at_drain = c.buffered_bytes();
      c.close();
    };
  });
  Connection* client_connection = nullptr;
  std::size_t received = 0;
  bool client_closed = false;
  auto client = std::make_unique<Hooks>();
  client->open = [&](Connection& c) {
    client_connection = &c;
    c.pause_reading();
  };
  client->data = [&](Connection&, std::span<const std::byte> bytes) { received += bytes.size(); };
  client->close = [&](Connection&, CloseReason) { client_closed = true; };
  REQUIRE(connect(reactor, port, std::move(client)) != nullptr);
  REQUIRE(run_until(reactor, [&] { return client_connection != nullptr && over_after_queueing; }));
  for (int turn = 0; turn < 20; ++turn) {
    reactor.run_once(1'000'000);
  }
  CHECK(drained_calls == 0);  // the peer is not reading: nothing drains
  client_connection->resume_reading();
  REQUIRE(run_until(reactor, [&] { return client_closed; }));
  CHECK(drained_calls == 1);
  CHECK(buffered_at_drain <= config.send_low_water);
  CHECK(received == block.size() * kBlocks);
}

void fan_out_one_buffer(BackendKind kind) {
  skip_unless_supported(kind);
  Reactor reactor(config_for(kind));
  const SharedBuffer frame = pattern(40'000, 5);
  const std::uint16_t port = add_listener(reactor, kind, [&](Hooks& h) {
    h.open = [&](Connection& c) {
      c.send(frame, 0, 10'000);  // ranges of the same buffer, no copies
      c.send(frame, 10'000, 30'000);
      c.close();
    };
  });
  constexpr int kClients = 100;
  int complete = 0;
  int closed = 0;
  std::vector<std::size_t> received(kClients, 0);
  for (int i = 0; i < kClients; ++i) {
    auto client = std::make_unique<Hooks>();
    client->data = [&, i](Connection&, std::span<const std::byte> bytes) {
      for (const std::byte b : bytes) {
        if (b == frame.data()[received[i]]) {
          ++received[i];
        }
      }
    };
    client->close = [&, i](Connection&, CloseReason) {
      complete += received[i] == frame.size() ? 1 : 0;
      ++closed;
    };
    REQUIRE(connect(reactor, port, std::move(client)) != nullptr);
  }
  REQUIRE(
      run_until(reactor, [&] { return closed == kClients && reactor.connection_count() == 0; }));
  CHECK(complete == kClients);
  CHECK(frame.use_count() == 1);
}

/// First handler of an "upgrade": on its first bytes it installs the second handler from inside
/// its own callback and keeps using its own members afterwards (must still be alive).
struct Upgrading : ConnectionHandler {
  int* destroyed;
  std::string seen;
  explicit Upgrading(int* destroyed_count) : destroyed(destroyed_count) {}
  ~Upgrading() override { ++*destroyed; }
  void on_data(Connection& c, std::span<const std::byte> bytes) noexcept override;
  void on_close(Connection&, CloseReason) noexcept override {}
};

struct Upgraded : ConnectionHandler {
  void on_data(Connection& c, std::span<const std::byte> bytes) noexcept override {
    c.send(SharedBuffer::copy_of("B:"));
    c.send(SharedBuffer::copy_of(bytes));
  }
  void on_close(Connection&, CloseReason) noexcept override {}
};

void Upgrading::on_data(Connection& c, std::span<const std::byte> bytes) noexcept {
  c.set_handler(std::make_unique<Upgraded>());
  seen.assign(reinterpret_cast<const char*>(bytes.data()), bytes.size());  // still alive here
  c.send(SharedBuffer::copy_of("A:" + seen));
}

void handler_swap(BackendKind kind) {
  skip_unless_supported(kind);
  Reactor reactor(config_for(kind));
  int destroyed = 0;
  const LoopbackListener listener = open_loopback_listener(kind);
  const std::uint16_t port = listener.port;
  reactor.add_listener(listener.fd,
                       [&](Connection&) { return std::make_unique<Upgrading>(&destroyed); });
  std::string reply;
  bool closed = false;
  auto client = std::make_unique<Hooks>();
  client->open = [](Connection& c) { c.send(SharedBuffer::copy_of("one")); };
  client->data = [&](Connection& c, std::span<const std::byte> bytes) {
    reply.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    if (reply == "A:one") {
      c.send(SharedBuffer::copy_of("two"));
    } else if (reply == "A:oneB:two") {
      c.close();
    }
  };
  client->close = [&](Connection&, CloseReason) { closed = true; };
  REQUIRE(connect(reactor, port, std::move(client)) != nullptr);
  REQUIRE(run_until(reactor, [&] { return closed && reactor.connection_count() == 0; }));
  CHECK(reply == "A:oneB:two");
  CHECK(destroyed == 1);
}

/// The peer sends several buffers' worth and its FIN before the server runs; the server pauses
/// on the first bytes. Everything sent before the FIN must still be delivered after resume, and
/// only then does the connection close with peer_closed.
void eof_behind_paused_bytes(BackendKind kind) {
  skip_unless_supported(kind);
  ReactorConfig config = config_for(kind);
  config.backend_config.buffer_size = 4096;
  Reactor reactor(config);
  Connection* server = nullptr;
  std::size_t received = 0;
  bool server_closed = false;
  CloseReason reason{};
  const std::uint16_t port = add_listener(reactor, kind, [&](Hooks& h) {
    h.data = [&](Connection& c, std::span<const std::byte> bytes) {
      received += bytes.size();
      if (server == nullptr) {
        server = &c;
        c.pause_reading();
      }
    };
    h.close = [&](Connection&, CloseReason r) {
      server_closed = true;
      reason = r;
    };
  });
  const int fd = connect_plain(port);
  REQUIRE(fd >= 0);
  const std::vector<char> payload(5 * 4096 + 17, 'x');
  REQUIRE(::send(fd, payload.data(), payload.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(payload.size()));
  REQUIRE(::shutdown(fd, SHUT_WR) == 0);
  REQUIRE(run_until(reactor, [&] { return server != nullptr; }));
  for (int turn = 0; turn < 20; ++turn) {
    reactor.run_once(1'000'000);
  }
  CHECK_FALSE(server_closed);  // paused: the close waits behind the undelivered bytes
  server->resume_reading();
  REQUIRE(run_until(reactor, [&] { return server_closed; }));
  CHECK(received == payload.size());
  CHECK(reason == CloseReason::kPeerClosed);
  ::close(fd);
}

/// close() while the peer reads nothing: after close_flush_timeout_ns the queued bytes are given
/// up and the connection is aborted (last_error ETIMEDOUT) instead of lingering forever.
void close_gives_up_on_a_stalled_peer(BackendKind kind) {
  skip_unless_supported(kind);
  ReactorConfig config = config_for(kind);
  config.close_flush_timeout_ns = 100'000'000;
  Reactor reactor(config);
  const SharedBuffer block = pattern(1 << 20, 1);
  bool closed = false;
  int error = 0;
  CloseReason reason{};
  const std::uint16_t port = add_listener(reactor, kind, [&](Hooks& h) {
    h.open = [&](Connection& c) {
      for (int i = 0; i < 32; ++i) {
        c.send(block);  // 32 MiB: more than the socket buffers hold
      }
      c.close();
    };
    h.close = [&](Connection& c, CloseReason r) {
      closed = true;
      error = c.last_error();
      reason = r;
    };
  });
  const int fd = connect_plain(port);
  REQUIRE(fd >= 0);  // and never reads
  REQUIRE(run_until(reactor, [&] { return closed; }));
  CHECK(reason == CloseReason::kLocalClose);
  CHECK(error == ETIMEDOUT);
  CHECK(block.use_count() == 1);
  ::close(fd);
}

/// close() to a peer that reads everything but never closes its side: after our FIN the reactor
/// waits close_linger_ns for the peer's FIN, then closes anyway.
void linger_ends_without_peer_fin(BackendKind kind) {
  skip_unless_supported(kind);
  ReactorConfig config = config_for(kind);
  config.close_linger_ns = 50'000'000;
  Reactor reactor(config);
  bool closed = false;
  const std::uint16_t port = add_listener(reactor, kind, [&](Hooks& h) {
    h.open = [](Connection& c) {
      c.send(SharedBuffer::copy_of("bye"));
      c.close();
    };
    h.close = [&](Connection&, CloseReason) { closed = true; };
  });
  const int fd = connect_plain(port);
  REQUIRE(fd >= 0);
  REQUIRE(run_until(reactor, [&] { return closed && reactor.connection_count() == 0; }));
  char reply[8] = {};
  CHECK(::recv(fd, reply, sizeof(reply), MSG_WAITALL) == 3);  // "bye", then EOF
  CHECK(std::string(reply) == "bye");
  ::close(fd);
}

/// A connection stuck draining toward a peer that never reads (long flush timeout) does not hold
/// up a later connection's shorter linger: the deadline check follows the earliest deadline, not
/// the first one registered.
void short_linger_behind_a_long_drain(BackendKind kind) {
  skip_unless_supported(kind);
  ReactorConfig config = config_for(kind);
  config.close_flush_timeout_ns = 60'000'000'000;
  config.close_linger_ns = 50'000'000;
  // Declared before the reactor: the stalled connection is still draining when the reactor is
  // destroyed, and its close hook runs then.
  const SharedBuffer block = pattern(1 << 20, 2);
  int opened = 0;
  const Connection* first = nullptr;
  bool stalled_closed = false;
  bool lingering_closed = false;
  Reactor reactor(config);
  const std::uint16_t port = add_listener(reactor, kind, [&](Hooks& h) {
    h.open = [&](Connection& c) {
      if (opened++ == 0) {
        first = &c;
        for (int i = 0; i < 32; ++i) {
          c.send(block);  // 32 MiB toward a peer that never reads: drains until the timeout
        }
      } else {
        c.send(SharedBuffer::copy_of("bye"));  // read, but the peer never sends its FIN
      }
      c.close();
    };
    h.close = [&](Connection& c, CloseReason) { (&c == first ? stalled_closed : lingering_closed) = true; };
  });
  const int stalled = connect_plain(port);
  REQUIRE(stalled >= 0);
  REQUIRE(run_until(reactor, [&] { return opened == 1; }));
  const int lingering = connect_plain(port);
  REQUIRE(lingering >= 0);
  const std::uint64_t start = monotonic_ns();
  REQUIRE(run_until(reactor, [&] { return lingering_closed; }));
  CHECK(monotonic_ns() - start < 5'000'000'000ull);  // the 50 ms linger, not the 60 s drain
  CHECK_FALSE(stalled_closed);
  CHECK(reactor.connection_count() == 1);
  ::close(lingering);
  ::close(stalled);
}

}  // namespace

TEST_CASE("io_uring connection: a short linger is not held up by a long drain", "[connection]") {
  short_linger_behind_a_long_drain(BackendKind::kIoUring);
}
TEST_CASE("epoll connection: a short linger is not held up by a long drain", "[connection]") {
  short_linger_behind_a_long_drain(BackendKind::kEpoll);
}

TEST_CASE("io_uring connection: orderly close sends everything queued first", "[connection]") {
  orderly_close_flushes(BackendKind::kIoUring);
}
TEST_CASE("epoll connection: orderly close sends everything queued first", "[connection]") {
  orderly_close_flushes(BackendKind::kEpoll);
}
TEST_CASE("io_uring connection: abort resets the peer", "[connection]") {
  abort_resets(BackendKind::kIoUring);
}
TEST_CASE("epoll connection: abort resets the peer", "[connection]") {
  abort_resets(BackendKind::kEpoll);
}
TEST_CASE(
    "io_uring connection: a thousand aborts in one turn close every connection and reset "
    "every peer",
    "[connection]") {
  mass_abort(BackendKind::kIoUring);
}
TEST_CASE(
    "epoll connection: a thousand aborts in one turn close every connection and reset every "
    "peer",
    "[connection]") {
  mass_abort(BackendKind::kEpoll);
}
TEST_CASE("io_uring connection: pause_reading holds bytes back, resume delivers them in order",
          "[connection]") {
  pause_and_resume(BackendKind::kIoUring);
}
TEST_CASE("epoll connection: pause_reading holds bytes back, resume delivers them in order",
          "[connection]") {
  pause_and_resume(BackendKind::kEpoll);
}
TEST_CASE("io_uring connection: on_drained follows the soft limit and low-water mark",
          "[connection]") {
  drained_after_soft_limit(BackendKind::kIoUring);
}
TEST_CASE("epoll connection: on_drained follows the soft limit and low-water mark",
          "[connection]") {
  drained_after_soft_limit(BackendKind::kEpoll);
}
TEST_CASE("io_uring connection: one SharedBuffer fans out to many connections", "[connection]") {
  fan_out_one_buffer(BackendKind::kIoUring);
}
TEST_CASE("epoll connection: one SharedBuffer fans out to many connections", "[connection]") {
  fan_out_one_buffer(BackendKind::kEpoll);
}
TEST_CASE("io_uring connection: set_handler from inside a callback hands over later bytes",
          "[connection]") {
  handler_swap(BackendKind::kIoUring);
}
TEST_CASE("epoll connection: set_handler from inside a callback hands over later bytes",
          "[connection]") {
  handler_swap(BackendKind::kEpoll);
}
TEST_CASE("io_uring connection: bytes before the peer's FIN survive a pause", "[connection]") {
  eof_behind_paused_bytes(BackendKind::kIoUring);
}
TEST_CASE("epoll connection: bytes before the peer's FIN survive a pause", "[connection]") {
  eof_behind_paused_bytes(BackendKind::kEpoll);
}
TEST_CASE("io_uring connection: close() gives up on a peer that stops reading", "[connection]") {
  close_gives_up_on_a_stalled_peer(BackendKind::kIoUring);
}
TEST_CASE("epoll connection: close() gives up on a peer that stops reading", "[connection]") {
  close_gives_up_on_a_stalled_peer(BackendKind::kEpoll);
}
TEST_CASE("io_uring connection: close() ends after the linger time without the peer's FIN",
          "[connection]") {
  linger_ends_without_peer_fin(BackendKind::kIoUring);
}
TEST_CASE("epoll connection: close() ends after the linger time without the peer's FIN",
          "[connection]") {
  linger_ends_without_peer_fin(BackendKind::kEpoll);
}
