// A burst of data arriving on many connections at once is read in the next loop turn, not spread
// over many turns: Linux 6.13+ runs at most 20 deferred task-work items (multishot receives) per
// pass on a DEFER_TASKRUN ring, and the io_uring backend asks for further passes while passes
// come back full. Also holds for the epoll backend. Counts turns, never time.
#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <unistd.h>

#include <vector>

#include "core/reactor.hpp"
#include "core/testing/loopback_support.hpp"

using namespace hexwire::core;
using namespace hexwire::core::testing;

namespace {

constexpr int kConnections = 200;  // ten times the kernel's per-pass task-work share

struct CountBytes : ConnectionHandler {
  std::size_t* received;
  explicit CountBytes(std::size_t* counter) : received(counter) {}
  void on_data(Connection&, std::span<const std::byte> bytes) noexcept override {
    *received += bytes.size();
  }
  void on_close(Connection&, CloseReason) noexcept override {}
};

void burst_read_in_one_turn(BackendKind kind) {
  skip_unless_supported(kind);
  ReactorConfig config = test_reactor_config(kind, 1024, 4096);
  Reactor reactor(config);
  std::size_t received = 0;
  std::size_t accepted = 0;
  const LoopbackListener listener = open_loopback_listener(kind);
  reactor.add_listener(listener.fd, [&](Connection&) {
    ++accepted;
    return std::make_unique<CountBytes>(&received);
  });
  std::vector<int> clients;
  for (int i = 0; i < kConnections; ++i) {
    clients.push_back(connect_plain(listener.port));
    REQUIRE(clients.back() >= 0);
  }
  REQUIRE(run_until(reactor, [&] { return accepted == kConnections; }));
  for (int i = 0; i < 3; ++i) {
    reactor.run_once(0);  // every accepted connection's receive is armed and submitted
  }
  // Loopback delivers synchronously: when send() returns, the data is queued on the server
  // socket and its receive is ready to run.
  const char message[] = "ping";
  for (const int fd : clients) {
    REQUIRE(::send(fd, message, 4, MSG_NOSIGNAL) == 4);
  }
  // Turn 1 enters the kernel (which runs a first share of the receives); turn 2 reaps them and
  // must not leave the others for later turns.
  reactor.run_once(0);
  reactor.run_once(0);
  CHECK(received == 4u * kConnections);
  for (const int fd : clients) {
    ::close(fd);
  }
}

}  // namespace

TEST_CASE("io_uring: receives ready on 200 connections are all read within two turns",
          "[reactor]") {
  burst_read_in_one_turn(BackendKind::kIoUring);
}
TEST_CASE("epoll: receives ready on 200 connections are all read within two turns", "[reactor]") {
  burst_read_in_one_turn(BackendKind::kEpoll);
}
