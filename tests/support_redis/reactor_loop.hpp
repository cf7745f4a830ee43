// Test support: one core::Reactor and TimerWheel driven by the test's own thread, for code that
// runs on a shard (the Redis client) without starting a Runtime. run_until() turns the loop until
// a condition holds or a hang guard expires; it never asserts on speed.
#pragma once

#include <cstdint>
#include <memory>

#include "core/clock.hpp"
#include "core/reactor.hpp"
#include "core/timer_wheel.hpp"

namespace hexwire::testing {

class ReactorLoop {
 public:
  explicit ReactorLoop(core::BackendKind backend = core::BackendKind::kIoUring)
      : reactor_(make_config(backend)), timers_(core::monotonic_ns()) {}

  [[nodiscard]] core::Reactor& reactor() noexcept { return reactor_; }
  [[nodiscard]] core::TimerWheel& timers() noexcept { return timers_; }

  /// One loop turn: completions, timers, sends, then a sleep of at most 1 ms.
  void turn() {
    reactor_.reap();
    timers_.advance(core::monotonic_ns());
    reactor_.flush();
    reactor_.submit_and_wait(reactor_.has_pending_work() ? 0 : 1'000'000);
  }

  /// Turns until `done()` or `limit_ns` passed; returns done().
  template <typename Done>
  bool run_until(Done done, std::uint64_t limit_ns = 20'000'000'000ull) {
    const std::uint64_t give_up = core::monotonic_ns() + limit_ns;
    while (!done() && core::monotonic_ns() < give_up) {
      turn();
    }
    return done();
  }

  /// Turns for `ns` whatever happens.
  void run_for(std::uint64_t ns) {
    const std::uint64_t end = core::monotonic_ns() + ns;
    while (core::monotonic_ns() < end) {
      turn();
    }
  }

 private:
  static core::ReactorConfig make_config(core::BackendKind backend) {
    core::ReactorConfig config;
    config.backend = backend;
    config.backend_config.ring_entries = 256;
    config.backend_config.buffer_count = 64;
    config.backend_config.buffer_size = 16 * 1024;
    return config;
  }

  core::Reactor reactor_;
  core::TimerWheel timers_;
};

}  // namespace hexwire::testing
