// Adaptive write batching. The controller alone (fed numbers, no clock): a shard with room never
// holds, a busy one grows its hold geometrically up to the cap and gives it back when the load
// goes, and a load inside the band keeps the hold where it is. Then a reactor in adaptive mode on
// both backends: an idle shard sends at once, and one told that it is overloaded holds output,
// still delivers every byte in order, and reports its hold in the write_delay_us gauge.
#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "core/reactor.hpp"
#include "core/write_batching.hpp"
#include "core/testing/single_connection.hpp"

using namespace hexwire::core;
using namespace hexwire::core::testing;

namespace {

constexpr std::uint64_t kWindow = 10'000'000;

std::uint64_t feed(BatchingController& controller, double busy, int windows) {
  for (int i = 0; i < windows; ++i) {
    controller.update(static_cast<std::uint64_t>(busy * kWindow), kWindow);
  }
  return controller.delay_ns();
}

}  // namespace

TEST_CASE("batching controller: a shard with room sends at once") {
  BatchingController controller(AdaptiveBatchingConfig{});
  CHECK(feed(controller, 0.0, 50) == 0);
  CHECK(feed(controller, 0.3, 50) == 0);
  CHECK(feed(controller, 0.7, 50) == 0);  // inside the band: no reason to start holding
  CHECK(controller.update(5, 0) == 0);    // an empty window changes nothing
}

TEST_CASE("batching controller: a busy shard holds longer, up to the cap, and lets go again") {
  AdaptiveBatchingConfig config;
  config.min_delay_ns = 100'000;
  config.max_delay_ns = 2'000'000;
  config.step = 2.0;
  config.smoothing = 1.0;  // no averaging: each window decides alone
  BatchingController controller(config);
  CHECK(feed(controller, 0.95, 1) == 100'000);
  CHECK(feed(controller, 0.95, 1) == 200'000);
  CHECK(feed(controller, 0.95, 1) == 400'000);
  CHECK(feed(controller, 0.95, 10) == 2'000'000);  // capped
  // Inside the band the hold stays: the step's own effect must not make it oscillate.
  CHECK(feed(controller, 0.6, 10) == 2'000'000);
  CHECK(feed(controller, 0.1, 1) == 1'000'000);
  CHECK(feed(controller, 0.1, 3) == 125'000);
  CHECK(feed(controller, 0.1, 1) == 0);  // below the first step: no hold at all
}

TEST_CASE("batching controller: smoothing ignores a single busy window") {
  AdaptiveBatchingConfig config;  // smoothing 0.5, high mark 0.8
  BatchingController controller(config);
  feed(controller, 0.2, 20);
  CHECK(feed(controller, 1.0, 1) == 0);  // (1.0 + 0.2) / 2 = 0.6: inside the band
  CHECK(feed(controller, 1.0, 2) > 0);   // a sustained burst does count
}

namespace {

/// An adaptive-batching reactor with the given controller settings.
ReactorConfig adaptive_config(BackendKind kind, const AdaptiveBatchingConfig& batching) {
  ReactorConfig c = test_reactor_config(kind, 64, 16384);
  c.write_batching = WriteBatching::kAdaptive;
  c.adaptive_batching = batching;
  return c;
}

void idle_shard_sends_at_once(BackendKind kind) {
  skip_unless_supported(kind);
  SingleConnection f(adaptive_config(kind, AdaptiveBatchingConfig{.window_ns = 1'000'000}));
  for (int i = 0; i < 20; ++i) {
    f.send_text("x");
    f.reactor.run_once(0);
    ::usleep(2000);  // off CPU most of each window: far below the high mark
  }
  CHECK(f.read_exactly(20) == std::string(20, 'x'));
  CHECK(f.held.value() == 0);
  CHECK(f.reactor.write_delay_ns() == 0);
}

void overloaded_shard_holds_and_delivers(BackendKind kind) {
  skip_unless_supported(kind);
  // high_busy below zero: every window counts as overloaded, so the hold climbs to the cap. The cap
  // is long (200 ms) so that the 50 sends below fall into one hold even on a loaded machine.
  const AdaptiveBatchingConfig always_overloaded{.window_ns = 1'000,
                                                 .min_delay_ns = 1'000'000,
                                                 .max_delay_ns = 200'000'000,
                                                 .high_busy = -1.0,
                                                 .low_busy = -2.0,
                                                 .step = 2.0,
                                                 .smoothing = 1.0};
  SingleConnection f(adaptive_config(kind, always_overloaded));
  std::string expected;
  for (int turn = 0; f.reactor.write_delay_ns() < 200'000'000 && turn < 100; ++turn) {
    f.reactor.run_once(0);
    ::usleep(100);  // let a window pass
  }
  REQUIRE(f.reactor.write_delay_ns() == 200'000'000);
  CHECK(f.delay_us.value() == 200'000);
  for (int i = 0; i < 50; ++i) {
    const std::string piece = std::to_string(i) + ";";
    f.send_text(piece);
    expected += piece;
    f.reactor.run_once(0);
  }
  CHECK(f.read_exactly(expected.size()) == expected);
  CHECK(f.held.value() >= 1);
  CHECK(f.sends.value() < 50);  // frames queued during a hold shared a send
}

}  // namespace

TEST_CASE("io_uring adaptive batching: an idle shard sends at once", "[write_batching]") {
  idle_shard_sends_at_once(BackendKind::kIoUring);
}
TEST_CASE("epoll adaptive batching: an idle shard sends at once", "[write_batching]") {
  idle_shard_sends_at_once(BackendKind::kEpoll);
}
TEST_CASE("io_uring adaptive batching: an overloaded shard holds output and delivers it all",
          "[write_batching]") {
  overloaded_shard_holds_and_delivers(BackendKind::kIoUring);
}
TEST_CASE("epoll adaptive batching: an overloaded shard holds output and delivers it all",
          "[write_batching]") {
  overloaded_shard_holds_and_delivers(BackendKind::kEpoll);
}
