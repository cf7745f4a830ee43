// Reactor tests over loopback sockets, one reactor driven by the test thread, both backends:
// a client connection and the server connection it reaches on the same reactor echo bytes intact;
// connect failures are reported; a client can choose its source address and narrow the kernel's
// choice of source port (a full window falls back to the whole range); the send iovec state is
// pooled, not per connection.
#include <catch2/catch.hpp>

#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "core/reactor.hpp"
#include "core/testing/loopback_support.hpp"

using namespace hexwire::core;
using namespace hexwire::core::testing;

namespace {

ReactorConfig config_for(BackendKind kind) {
  return test_reactor_config(kind, 64, 4096);
}

struct EchoServer : ConnectionHandler {
  int* closed;
  explicit EchoServer(int* closed_count) : closed(closed_count) {}
  void on_data(Connection& c, std::span<const std::byte> bytes) noexcept override {
    c.send(SharedBuffer::copy_of(bytes));
  }
  void on_close(Connection&, CloseReason) noexcept override { ++*closed; }
};

/// What a client connection observed; owned by the test because the handler is destroyed after
/// on_close.
struct ClientLog {
  std::vector<std::byte> expected;
  std::size_t verified = 0;
  bool mismatch = false;
  bool opened = false;
  bool closed = false;
  CloseReason reason{};
  int error = 0;
};

struct Client : ConnectionHandler {
  ClientLog* log;
  explicit Client(ClientLog* client_log) : log(client_log) {}
  void on_open(Connection&) noexcept override { log->opened = true; }
  void on_data(Connection& c, std::span<const std::byte> bytes) noexcept override {
    for (const std::byte b : bytes) {
      if (log->verified >= log->expected.size() || log->expected[log->verified] != b) {
        log->mismatch = true;
      }
      ++log->verified;
    }
    if (log->verified == log->expected.size()) {
      c.close();
    }
  }
  void on_close(Connection& c, CloseReason r) noexcept override {
    log->closed = true;
    log->reason = r;
    log->error = c.last_error();
  }
};

void echo_round_trip(BackendKind kind, RingSetup setup = RingSetup::kBest) {
  skip_unless_supported(kind);
  ReactorConfig config = config_for(kind);
  config.backend_config.ring_setup = setup;
  Reactor reactor(config);
  int server_closed = 0;
  const LoopbackListener listener = open_loopback_listener(kind);
  const std::uint16_t port = listener.port;
  reactor.add_listener(listener.fd,
                       [&](Connection&) { return std::make_unique<EchoServer>(&server_closed); });
  ClientLog client;
  Connection* connection =
      reactor.connect(SocketAddress::parse("127.0.0.1", port), std::make_unique<Client>(&client));
  REQUIRE(connection != nullptr);
  REQUIRE(connection->is_connecting());

  // Payloads of many sizes (1 byte up to several receive buffers), queued before the connect
  // completes, all from one SharedBuffer sliced with offsets.
  std::mt19937 rng(42);
  SharedBuffer pool = SharedBuffer::allocate(300'000);
  for (std::size_t i = 0; i < pool.size(); ++i) {
    pool.mutable_data()[i] = static_cast<std::byte>(rng());
  }
  const std::size_t sizes[] = {1, 7, 4096, 4097, 100, 65'536, 1, 12'345, 200'000};
  std::size_t offset = 0;
  for (const std::size_t size : sizes) {
    REQUIRE(connection->send(pool, offset % 50'000, size));
    client.expected.insert(client.expected.end(), pool.data() + offset % 50'000,
                           pool.data() + offset % 50'000 + size);
    offset += size;
  }
  REQUIRE(run_until(reactor, [&] { return client.closed && server_closed == 1; }));
  CHECK(client.opened);
  CHECK_FALSE(client.mismatch);
  CHECK(client.verified == client.expected.size());
  CHECK(client.reason == CloseReason::kLocalClose);
  CHECK(reactor.connection_count() == 0);
  CHECK(pool.use_count() == 1);  // every queued reference was released
}

void connect_refused(BackendKind kind) {
  skip_unless_supported(kind);
  Reactor reactor(config_for(kind));
  const LoopbackListener listener = open_loopback_listener(kind);
  const std::uint16_t port = listener.port;
  ::close(listener.fd);  // nothing listens on `port` any more
  ClientLog client;
  REQUIRE(reactor.connect(SocketAddress::parse("127.0.0.1", port),
                          std::make_unique<Client>(&client)) != nullptr);
  REQUIRE(run_until(reactor, [&] { return client.closed; }));
  CHECK_FALSE(client.opened);
  CHECK(client.reason == CloseReason::kConnectFailed);
  CHECK(client.error == ECONNREFUSED);
  CHECK(reactor.connection_count() == 0);
}

/// A client bound to source 127.0.0.2 reaches a listener on 127.0.0.1; the server's connection
/// reports 127.0.0.2 as its peer (the whole 127/8 block is on the loopback interface).
void connect_from_chosen_source(BackendKind kind) {
  skip_unless_supported(kind);
  Reactor reactor(config_for(kind));
  int server_closed = 0;
  std::string server_saw_peer;
  const LoopbackListener listener = open_loopback_listener(kind);
  reactor.add_listener(listener.fd, [&](Connection& c) {
    server_saw_peer = c.peer().to_string();
    return std::make_unique<EchoServer>(&server_closed);
  });
  ClientLog client;
  client.expected = {std::byte{'h'}, std::byte{'i'}};
  const SocketAddress source = SocketAddress::parse("127.0.0.2", 0);
  int error = 0;
  Connection* connection = reactor.connect(SocketAddress::parse("127.0.0.1", listener.port),
                                           std::make_unique<Client>(&client), &error, &source);
  REQUIRE(connection != nullptr);
  REQUIRE(connection->send(SharedBuffer::copy_of(std::string_view("hi"))));
  REQUIRE(run_until(reactor, [&] { return client.closed && server_closed == 1; }));
  CHECK(client.opened);
  CHECK_FALSE(client.mismatch);
  CHECK(error == 0);
  CHECK(server_saw_peer.rfind("127.0.0.2:", 0) == 0);
}

/// An ephemeral port of `source` free a moment ago; skips the test (exit 4) on a kernel without
/// port windows (IP_LOCAL_PORT_RANGE).
std::uint16_t free_port_for_windows(const SocketAddress& source) {
  const int probe = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const bool supported = set_local_port_range(probe, PortRange{40000, 40003}) == 0;
  REQUIRE(::bind(probe, source.data(), source.size()) == 0);
  const std::uint16_t free_port = bound_port(probe);
  ::close(probe);
  if (!supported) {
    std::puts("SKIPPED: this kernel has no IP_LOCAL_PORT_RANGE (Linux >= 6.3)");
    std::exit(4);
  }
  return free_port;
}

/// A port window narrows the kernel's choice of source port: the server sees the connection come
/// from a port inside it (the simulator gives each connection such a window; see
/// sim/source_ports.hpp).
void connect_within_port_window(BackendKind kind) {
  skip_unless_supported(kind);
  const std::uint16_t free_port = free_port_for_windows(SocketAddress::parse("127.0.0.4", 0));
  Reactor reactor(config_for(kind));
  int server_closed = 0;
  std::uint16_t server_saw_port = 0;
  const LoopbackListener listener = open_loopback_listener(kind);
  reactor.add_listener(listener.fd, [&](Connection& c) {
    server_saw_port = c.peer().port();
    return std::make_unique<EchoServer>(&server_closed);
  });
  ClientLog client;
  client.expected = {std::byte{'o'}, std::byte{'k'}};
  const PortRange window{free_port, static_cast<std::uint16_t>(std::min(free_port + 3, 65535))};
  const SocketAddress source = SocketAddress::parse("127.0.0.4", 0);
  int error = 0;
  Connection* connection = reactor.connect(SocketAddress::parse("127.0.0.1", listener.port),
                                           std::make_unique<Client>(&client), &error, &source,
                                           window);
  REQUIRE(connection != nullptr);
  REQUIRE(connection->send(SharedBuffer::copy_of(std::string_view("ok"))));
  REQUIRE(run_until(reactor, [&] { return client.closed && server_closed == 1; }));
  CHECK(client.opened);
  CHECK(server_saw_port >= window.low);
  CHECK(server_saw_port <= window.high);
}

/// A port window is a hint, never a reason to fail: a second connection to the same server given
/// the same one-port window (its port held by the first connection) falls back to the whole
/// ephemeral range and connects, from another port.
void connect_past_a_full_port_window(BackendKind kind) {
  skip_unless_supported(kind);
  const SocketAddress source = SocketAddress::parse("127.0.0.5", 0);
  const std::uint16_t free_port = free_port_for_windows(source);
  Counter fallbacks;
  ReactorMetrics metrics;
  metrics.connect_port_fallbacks = &fallbacks;
  Reactor reactor(config_for(kind), metrics);
  int server_closed = 0;
  std::vector<std::uint16_t> server_saw_ports;
  const LoopbackListener listener = open_loopback_listener(kind);
  reactor.add_listener(listener.fd, [&](Connection& c) {
    server_saw_ports.push_back(c.peer().port());
    return std::make_unique<EchoServer>(&server_closed);
  });
  const SocketAddress server = SocketAddress::parse("127.0.0.1", listener.port);
  const PortRange window{free_port, free_port};
  ClientLog first;  // stays open (expects bytes it never asks for), holding the window's port
  first.expected = {std::byte{'x'}};
  int error = 0;
  Connection* holder =
      reactor.connect(server, std::make_unique<Client>(&first), &error, &source, window);
  REQUIRE(holder != nullptr);
  REQUIRE(run_until(reactor, [&] { return first.opened && server_saw_ports.size() == 1; }));
  REQUIRE(server_saw_ports[0] == free_port);

  ClientLog second;
  second.expected = {std::byte{'o'}, std::byte{'k'}};
  Connection* connection =
      reactor.connect(server, std::make_unique<Client>(&second), &error, &source, window);
  REQUIRE(connection != nullptr);
  REQUIRE(connection->send(SharedBuffer::copy_of(std::string_view("ok"))));
  REQUIRE(run_until(reactor, [&] { return second.closed && server_closed == 1; }));
  CHECK(second.opened);
  CHECK(second.reason == CloseReason::kLocalClose);
  CHECK_FALSE(second.mismatch);
  REQUIRE(server_saw_ports.size() == 2);
  CHECK(server_saw_ports[1] != free_port);
  CHECK(fallbacks.value() == 1);
  holder->close();
  REQUIRE(run_until(reactor, [&] { return first.closed && server_closed == 2; }));
}

/// A source address not on this host (192.0.2.1, TEST-NET-1) cannot be bound: connect returns
/// nullptr with EADDRNOTAVAIL before anything is sent, and no connection is left behind.
void connect_from_foreign_source_fails(BackendKind kind) {
  skip_unless_supported(kind);
  Reactor reactor(config_for(kind));
  const LoopbackListener listener = open_loopback_listener(kind);
  ClientLog client;
  const SocketAddress source = SocketAddress::parse("192.0.2.1", 0);
  int error = 0;
  CHECK(reactor.connect(SocketAddress::parse("127.0.0.1", listener.port),
                        std::make_unique<Client>(&client), &error, &source) == nullptr);
  CHECK(error == EADDRNOTAVAIL);
  CHECK(reactor.connection_count() == 0);
  CHECK_FALSE(client.opened);
  ::close(listener.fd);
}

/// Descriptors run out while connections wait in the backlog: the listener pauses (instead of
/// spinning on EMFILE) and, once descriptors are available again, accepts every one of them.
void accept_survives_descriptor_exhaustion(BackendKind kind) {
  skip_unless_supported(kind);
  ReactorConfig config = config_for(kind);
  config.accept_retry_ns = 20'000'000;
  Reactor reactor(config);
  int server_closed = 0;
  int accepted = 0;
  const LoopbackListener listener = open_loopback_listener(kind);
  const std::uint16_t port = listener.port;
  reactor.add_listener(listener.fd, [&](Connection&) {
    ++accepted;
    return std::make_unique<EchoServer>(&server_closed);
  });
  constexpr int kClients = 8;
  std::vector<int> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));  // before the limit drops
  }
  rlimit original{};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &original) == 0);
  const int lowest_free = ::dup(0);
  ::close(lowest_free);
  rlimit exhausted = original;
  exhausted.rlim_cur = static_cast<rlim_t>(lowest_free);  // no new descriptor can be created
  REQUIRE(::setrlimit(RLIMIT_NOFILE, &exhausted) == 0);
  const SocketAddress address = SocketAddress::parse("127.0.0.1", port);
  for (const int fd : clients) {
    REQUIRE(::connect(fd, address.data(), address.size()) == 0);  // completes in the backlog
  }
  const bool paused =
      run_until(reactor, [&] { return reactor.metrics().accept_pauses->value() > 0; });
  const int accepted_while_exhausted = accepted;
  REQUIRE(::setrlimit(RLIMIT_NOFILE, &original) == 0);
  CHECK(paused);
  CHECK(accepted_while_exhausted == 0);
  CHECK(run_until(reactor, [&] { return accepted == kClients; }));
  for (const int fd : clients) {
    ::close(fd);
  }
  CHECK(run_until(reactor, [&] { return reactor.connection_count() == 0; }));
}

}  // namespace

TEST_CASE("io_uring reactor: client and server connections echo every byte", "[reactor]") {
  echo_round_trip(BackendKind::kIoUring);
}

TEST_CASE("epoll reactor: client and server connections echo every byte", "[reactor]") {
  echo_round_trip(BackendKind::kEpoll);
}

TEST_CASE("io_uring reactor: echo also works on the COOP_TASKRUN fallback ring", "[reactor]") {
  echo_round_trip(BackendKind::kIoUring, RingSetup::kCoopTaskrun);
}

TEST_CASE("io_uring reactor: echo also works on a ring set up without flags", "[reactor]") {
  echo_round_trip(BackendKind::kIoUring, RingSetup::kPlain);
}

TEST_CASE("io_uring reactor: connect to a closed port ends with connect_failed", "[reactor]") {
  connect_refused(BackendKind::kIoUring);
}

TEST_CASE("epoll reactor: connect to a closed port ends with connect_failed", "[reactor]") {
  connect_refused(BackendKind::kEpoll);
}

TEST_CASE("io_uring reactor: a client bound to 127.0.0.2 is seen from 127.0.0.2", "[reactor]") {
  connect_from_chosen_source(BackendKind::kIoUring);
}

TEST_CASE("epoll reactor: a client bound to 127.0.0.2 is seen from 127.0.0.2", "[reactor]") {
  connect_from_chosen_source(BackendKind::kEpoll);
}

TEST_CASE("io_uring reactor: a port window narrows the kernel's choice of source port",
          "[reactor]") {
  connect_within_port_window(BackendKind::kIoUring);
}

TEST_CASE("epoll reactor: a port window narrows the kernel's choice of source port", "[reactor]") {
  connect_within_port_window(BackendKind::kEpoll);
}

TEST_CASE("io_uring reactor: a connect whose port window is taken falls back to the whole range",
          "[reactor]") {
  connect_past_a_full_port_window(BackendKind::kIoUring);
}

TEST_CASE("epoll reactor: a connect whose port window is taken falls back to the whole range",
          "[reactor]") {
  connect_past_a_full_port_window(BackendKind::kEpoll);
}

TEST_CASE("io_uring reactor: a source address not on this host fails with EADDRNOTAVAIL",
          "[reactor]") {
  connect_from_foreign_source_fails(BackendKind::kIoUring);
}

TEST_CASE("epoll reactor: a source address not on this host fails with EADDRNOTAVAIL",
          "[reactor]") {
  connect_from_foreign_source_fails(BackendKind::kEpoll);
}

TEST_CASE("io_uring reactor: a listener pauses when descriptors run out, then accepts all",
          "[reactor]") {
  accept_survives_descriptor_exhaustion(BackendKind::kIoUring);
}

TEST_CASE("epoll reactor: a listener pauses when descriptors run out, then accepts all",
          "[reactor]") {
  accept_survives_descriptor_exhaustion(BackendKind::kEpoll);
}

TEST_CASE("an idle connection costs well under 1 KiB of user space", "[reactor]") {
  // The Connection object is the whole per-connection state while idle: send iovecs live in a
  // pooled SendOp only during a send and read buffers belong to the shard.
  STATIC_REQUIRE(sizeof(Connection) < 512);
}

TEST_CASE("backend names parse and print", "[reactor]") {
  CHECK(parse_backend_kind("io_uring") == BackendKind::kIoUring);
  CHECK(parse_backend_kind("epoll") == BackendKind::kEpoll);
  CHECK(to_string(BackendKind::kEpoll) == "epoll");
  CHECK_THROWS_AS(parse_backend_kind("kqueue"), std::invalid_argument);
}
