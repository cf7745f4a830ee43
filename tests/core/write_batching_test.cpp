// Adaptive write batching. The controller alone (fed numbers, no clock): a shard with room never
// holds, a busy one grows its hold geometrically up to the cap and gives it back when the load
// goes, a load inside the band keeps the hold where it is, and a busy shard whose connections get
// too few frames for any hold to merge them does not hold. Then a reactor in adaptive mode on
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

constexpr std::uint64_t kWindow = 10'000'000;  // 10 ms

/// `windows` windows at the given busy share, with `writes_per_s` frames per second queued on
/// each of 1,000 connections (the default: plenty to merge within any hold).
std::uint64_t feed(BatchingController& controller, double busy, int windows,
                   double writes_per_s = 10'000.0) {
  constexpr std::uint64_t kConnections = 1'000;
  const auto writes = static_cast<std::uint64_t>(writes_per_s * kConnections * 0.01);
  for (int i = 0; i < windows; ++i) {
    controller.update({.busy_ns = static_cast<std::uint64_t>(busy * kWindow),
                       .wall_ns = kWindow,
                       .writes = writes,
                       .connections = kConnections});
  }
  return controller.delay_ns();
}

}  // namespace

TEST_CASE("batching controller: a shard with room sends at once") {
  BatchingController controller(AdaptiveBatchingConfig{});
  CHECK(feed(controller, 0.0, 50) == 0);
  CHECK(feed(controller, 0.3, 50) == 0);
  CHECK(feed(controller, 0.7, 50) == 0);  // inside the band: no reason to start holding
  CHECK(controller.update({.busy_ns = 5, .wall_ns = 0}) == 0);  // an empty window changes nothing
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

TEST_CASE("batching controller: no hold when connections get too few frames to merge") {
  AdaptiveBatchingConfig config;  // cap 20 ms, min_merge_frames 1
  BatchingController controller(config);
  // 30 frames/s per connection: even a 20 ms hold catches 0.6 more on average. However busy the
  // shard, a hold would only add latency.
  CHECK(feed(controller, 1.0, 100, 30.0) == 0);
  CHECK(controller.merge_frames() == Approx(0.6).epsilon(0.01));
  // 100 frames/s per connection: 2 per 20 ms, worth holding for.
  CHECK(feed(controller, 1.0, 100, 100.0) == config.max_delay_ns);
  // The rate falls to 40 frames/s (0.8 per 20 ms): a hold in use is kept (a shard that falls
  // behind queues fewer frames than are offered; letting go would make it fall further) ...
  CHECK(feed(controller, 1.0, 100, 40.0) == config.max_delay_ns);
  // ... down to keep_merge_frames: at 10 frames/s the hold steps back down to none, and does not
  // start again at 40.
  CHECK(feed(controller, 1.0, 100, 10.0) == 0);
  CHECK(feed(controller, 1.0, 100, 40.0) == 0);
  // The check can be turned off: busy share alone decides.
  config.min_merge_frames = 0.0;
  config.keep_merge_frames = 0.0;
  BatchingController unchecked(config);
  CHECK(feed(unchecked, 1.0, 100, 30.0) == config.max_delay_ns);
}

namespace {

/// An adaptive-batching reactor with the given controller settings.
ReactorConfig adaptive_config(BackendKind kind, const AdaptiveBatchingConfig& batching) {
  ReactorConfig c = test_reactor_config(kind, 64, 16384);
  c.write_batching = WriteBatching::kAdaptive;
  c.adaptive_batching = batching;
  return c;
}

/// high_busy below zero: every window (1 µs, so every turn) counts as overloaded and the hold
/// climbs from 1 ms, doubling, to `max_delay_ns`.
AdaptiveBatchingConfig always_overloaded(std::uint64_t max_delay_ns, double min_merge_frames) {
  return {.window_ns = 1'000,
          .min_delay_ns = 1'000'000,
          .max_delay_ns = max_delay_ns,
          .high_busy = -1.0,
          .low_busy = -2.0,
          .step = 2.0,
          .smoothing = 1.0,
          .min_merge_frames = min_merge_frames,
          .keep_merge_frames = min_merge_frames / 2};
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
  // The hold climbs to the cap before anything is queued (merge check off). The cap is long
  // (200 ms) so that the 50 sends below fall into one hold even on a loaded machine.
  SingleConnection f(adaptive_config(kind, always_overloaded(200'000'000, 0.0)));
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

// Overloaded as above, but with the merge check on (min_merge_frames 1): while the shard queues
// nothing there is nothing a hold could merge, so it does not hold; once its connection gets a
// frame every turn, it does. Shows that the reactor counts the frames it queues per window.
void overloaded_shard_holds_only_frames_it_can_merge(BackendKind kind) {
  skip_unless_supported(kind);
  SingleConnection f(adaptive_config(kind, always_overloaded(20'000'000, 1.0)));
  for (int turn = 0; turn < 30; ++turn) {
    f.reactor.run_once(0);
    ::usleep(100);
  }
  CHECK(f.reactor.write_delay_ns() == 0);
  int frames = 0;
  for (; f.reactor.write_delay_ns() == 0 && frames < 100; ++frames) {
    f.send_text("x");
    f.reactor.run_once(0);
    ::usleep(100);
  }
  CHECK(f.reactor.write_delay_ns() > 0);
  CHECK(f.read_exactly(static_cast<std::size_t>(frames)) == std::string(frames, 'x'));
}

}  // namespace

TEST_CASE("io_uring adaptive batching: a busy shard holds only when there are frames to merge",
          "[write_batching]") {
  overloaded_shard_holds_only_frames_it_can_merge(BackendKind::kIoUring);
}
TEST_CASE("epoll adaptive batching: a busy shard holds only when there are frames to merge",
          "[write_batching]") {
  overloaded_shard_holds_only_frames_it_can_merge(BackendKind::kEpoll);
}
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
