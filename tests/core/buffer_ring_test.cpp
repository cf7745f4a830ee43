// Provided-buffer ring behaviour through the io_uring reactor: far more messages than buffers flow
// through without loss (buffers are recycled after each read), -ENOBUFS with a tiny ring is flow
// control (re-armed, nothing lost), idle connections hold no buffer, and the per-turn fairness cap
// defers a flooding connection without starving it.
#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <thread>
#include <vector>

#include "core/reactor.hpp"
#include "core/testing/loopback_support.hpp"

using namespace hexwire::core;
using namespace hexwire::core::testing;

namespace {

ReactorConfig tiny_ring(unsigned count, unsigned size) {
  return test_reactor_config(BackendKind::kIoUring, count, size);
}

std::byte byte_at(std::size_t stream, std::size_t index) {
  return static_cast<std::byte>((index * 131 + stream * 17 + (index >> 9)) & 0xFF);
}

/// Server side: checks each connection's bytes against byte_at(stream id, index); the stream id
/// is the first byte the client sends.
struct Checker {
  std::vector<std::size_t> received;
  bool intact = true;

  /// True when every stream has delivered exactly `bytes` bytes.
  [[nodiscard]] bool all_received(std::size_t bytes) const {
    return std::all_of(received.begin(), received.end(),
                       [bytes](std::size_t got) { return got == bytes; });
  }
};

struct CheckingHandler : ConnectionHandler {
  Checker* checker;
  int stream = -1;
  std::size_t index = 0;
  explicit CheckingHandler(Checker* c) : checker(c) {}
  void on_data(Connection&, std::span<const std::byte> bytes) noexcept override {
    for (const std::byte b : bytes) {
      if (stream < 0) {
        stream = static_cast<int>(b);
        continue;
      }
      checker->intact = checker->intact && b == byte_at(static_cast<std::size_t>(stream), index);
      ++index;
    }
    if (stream >= 0) {
      checker->received[static_cast<std::size_t>(stream)] = index;
    }
  }
  void on_close(Connection&, CloseReason) noexcept override {}
};

std::uint16_t listen_checked(Reactor& reactor, Checker& checker) {
  const LoopbackListener listener = open_loopback_listener(BackendKind::kIoUring);
  reactor.add_listener(
      listener.fd, [&checker](Connection&) { return std::make_unique<CheckingHandler>(&checker); });
  return listener.port;
}

/// A plain blocking client socket (not on the reactor), so its writes happen before the reactor
/// runs at all.
int plain_client(std::uint16_t port) {
  const int fd = connect_plain(port);
  REQUIRE(fd >= 0);
  return fd;
}

void write_stream(int fd, std::size_t stream, std::size_t bytes) {
  std::vector<std::byte> data(bytes + 1);
  data[0] = static_cast<std::byte>(stream);
  for (std::size_t i = 0; i < bytes; ++i) {
    data[i + 1] = byte_at(stream, i);
  }
  std::size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    REQUIRE(n > 0);
    sent += static_cast<std::size_t>(n);
  }
}

}  // namespace

TEST_CASE("io_uring buffer ring: far more reads than buffers arrive without loss",
          "[buffer_ring]") {
  skip_unless_supported(BackendKind::kIoUring);
  Reactor reactor(tiny_ring(4, 256));
  Checker checker;
  checker.received.assign(1, 0);
  const std::uint16_t port = listen_checked(reactor, checker);
  constexpr std::size_t kBytes = 2'000'000;  // ~8000 buffer fills through 4 buffers
  const int fd = plain_client(port);
  std::thread writer([&] { write_stream(fd, 0, kBytes); });
  const bool done = run_until(reactor, [&] { return checker.received[0] == kBytes; });
  writer.join();
  ::close(fd);
  REQUIRE(done);
  CHECK(checker.intact);
  CHECK(reactor.backend_stats().buffers_in_use == 0);
}

TEST_CASE("io_uring buffer ring: ENOBUFS with a 2-buffer ring is flow control, nothing lost",
          "[buffer_ring]") {
  skip_unless_supported(BackendKind::kIoUring);
  Reactor reactor(tiny_ring(2, 512));
  Checker checker;
  constexpr std::size_t kClients = 8;
  constexpr std::size_t kBytes = 60'000;
  checker.received.assign(kClients, 0);
  const std::uint16_t port = listen_checked(reactor, checker);
  std::vector<int> fds;
  for (std::size_t i = 0; i < kClients; ++i) {
    fds.push_back(plain_client(port));
    write_stream(fds.back(), i, kBytes);  // all waiting in the kernel before the first turn
  }
  const bool done = run_until(reactor, [&] { return checker.all_received(kBytes); });
  for (const int fd : fds) {
    ::close(fd);
  }
  REQUIRE(done);
  CHECK(checker.intact);
  CHECK(reactor.metrics().recv_enobufs_rearms->value() > 0);
}

TEST_CASE("io_uring buffer ring: idle connections hold no buffer, more connections than buffers",
          "[buffer_ring]") {
  skip_unless_supported(BackendKind::kIoUring);
  Reactor reactor(tiny_ring(4, 1024));
  Checker checker;
  constexpr std::size_t kClients = 64;  // 16x the number of buffers
  checker.received.assign(kClients, 0);
  const std::uint16_t port = listen_checked(reactor, checker);
  std::vector<int> fds;
  for (std::size_t i = 0; i < kClients; ++i) {
    fds.push_back(plain_client(port));
  }
  REQUIRE(run_until(reactor, [&] { return reactor.connection_count() == kClients; }));
  for (int turn = 0; turn < 10; ++turn) {
    reactor.run_once(1'000'000);
  }
  // Every connection has its receive armed, yet none holds a buffer while idle.
  CHECK(reactor.backend_stats().buffers_in_use == 0);
  for (std::size_t i = 0; i < kClients; ++i) {
    write_stream(fds[i], i, 3000);
  }
  const bool done = run_until(reactor, [&] { return checker.all_received(3000); });
  for (const int fd : fds) {
    ::close(fd);
  }
  REQUIRE(done);
  CHECK(checker.intact);
}

TEST_CASE("io_uring buffer ring: the per-turn cap defers a flooding connection, others progress",
          "[buffer_ring]") {
  skip_unless_supported(BackendKind::kIoUring);
  ReactorConfig config = tiny_ring(64, 1024);
  config.backend_config.max_buffers_per_turn = 2;
  Reactor reactor(config);
  Checker checker;
  checker.received.assign(2, 0);
  const std::uint16_t port = listen_checked(reactor, checker);
  const int flood = plain_client(port);
  const int trickle = plain_client(port);
  std::thread writer([&] { write_stream(flood, 0, 3'000'000); });
  write_stream(trickle, 1, 100);
  const bool done = run_until(
      reactor, [&] { return checker.received[0] == 3'000'000 && checker.received[1] == 100; });
  writer.join();
  ::close(flood);
  ::close(trickle);
  REQUIRE(done);
  CHECK(checker.intact);
  CHECK(reactor.metrics().recv_budget_deferrals->value() > 0);
}
