// Write coalescing (ReactorConfig::write_delay_ns) on both backends: bytes queued over several
// loop turns wait and leave in one sendmsg, a connection reaching write_delay_max_bytes goes at
// once, a held connection is released when its delay is over, and an orderly close sends held
// bytes without waiting. No assertion depends on how fast the machine is.
#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "core/reactor.hpp"
#include "core/testing/single_connection.hpp"

using namespace hexwire::core;
using namespace hexwire::core::testing;

namespace {

constexpr std::uint64_t kForeverNs = 3'600'000'000'000ull;  // an hour: never reached by a test

/// A fixed-delay reactor: output waits up to `delay_ns` or until `max_bytes` are queued.
ReactorConfig delay_config(BackendKind kind, std::uint64_t delay_ns, std::size_t max_bytes) {
  ReactorConfig c = test_reactor_config(kind, 64, 16384);
  c.write_delay_ns = delay_ns;
  c.write_delay_max_bytes = max_bytes;
  return c;
}

void held_until_max_bytes(BackendKind kind) {
  skip_unless_supported(kind);
  SingleConnection f(delay_config(kind, kForeverNs, 64));
  std::string expected;
  for (int turn = 0; turn < 5; ++turn) {
    const std::string piece = "turn" + std::to_string(turn) + ";";
    f.send_text(piece);
    expected += piece;
    f.reactor.run_once(0);
  }
  CHECK(f.sends.value() == 0);
  CHECK(f.held.value() == 1);  // one hold covers every later send
  CHECK(f.read_available().empty());
  CHECK(f.server->buffered_bytes() == expected.size());

  const std::string big(64, 'x');  // reaching write_delay_max_bytes sends at once
  f.send_text(big);
  expected += big;
  CHECK(f.read_exactly(expected.size()) == expected);
  CHECK(f.sends.value() == 1);  // every queued frame in one sendmsg
}

void released_after_delay(BackendKind kind) {
  skip_unless_supported(kind);
  SingleConnection f(delay_config(kind, 20'000'000, 1 << 16));
  f.reactor.run_once(0);
  f.send_text("a;");
  f.send_text("b;");
  f.send_text("c;");
  CHECK(f.reactor.ns_until_held_write(monotonic_ns()) <= 20'000'000);
  CHECK(f.read_exactly(6) == "a;b;c;");  // the reactor's sleep ends when the hold is due
  CHECK(f.sends.value() == 1);
  CHECK(f.reactor.ns_until_held_write(monotonic_ns()) == UINT64_MAX);
}

void close_sends_held_bytes(BackendKind kind) {
  skip_unless_supported(kind);
  SingleConnection f(delay_config(kind, kForeverNs, 1 << 16));
  f.send_text("last words");
  f.reactor.run_once(0);
  CHECK(f.read_available().empty());
  f.server->close();
  CHECK(f.read_exactly(10) == "last words");
}

void no_delay_sends_each_turn(BackendKind kind) {
  skip_unless_supported(kind);
  SingleConnection f(delay_config(kind, 0, 1 << 16));
  f.send_text("one;");
  f.send_text("two;");
  CHECK(f.read_exactly(8) == "one;two;");
  CHECK(f.held.value() == 0);
  CHECK(f.sends.value() == 1);  // sends of one turn already share a sendmsg
  CHECK(f.reactor.ns_until_held_write(monotonic_ns()) == UINT64_MAX);
}

}  // namespace

TEST_CASE("io_uring write delay: frames of several turns wait, then leave in one send",
          "[write_delay]") {
  held_until_max_bytes(BackendKind::kIoUring);
}
TEST_CASE("epoll write delay: frames of several turns wait, then leave in one send",
          "[write_delay]") {
  held_until_max_bytes(BackendKind::kEpoll);
}
TEST_CASE("io_uring write delay: a held connection is sent when its delay is over",
          "[write_delay]") {
  released_after_delay(BackendKind::kIoUring);
}
TEST_CASE("epoll write delay: a held connection is sent when its delay is over", "[write_delay]") {
  released_after_delay(BackendKind::kEpoll);
}
TEST_CASE("io_uring write delay: an orderly close sends held bytes at once", "[write_delay]") {
  close_sends_held_bytes(BackendKind::kIoUring);
}
TEST_CASE("epoll write delay: an orderly close sends held bytes at once", "[write_delay]") {
  close_sends_held_bytes(BackendKind::kEpoll);
}
TEST_CASE("io_uring write delay 0: nothing is held", "[write_delay]") {
  no_delay_sends_each_turn(BackendKind::kIoUring);
}
TEST_CASE("epoll write delay 0: nothing is held", "[write_delay]") {
  no_delay_sends_each_turn(BackendKind::kEpoll);
}
