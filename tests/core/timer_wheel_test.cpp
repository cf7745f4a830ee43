// TimerWheel behaviour: deadline order with insertion-order ties, cancel semantics, callbacks that
// add or cancel timers, cascading across every level over long spans, far-future deadlines, and
// ns_until_next never sleeping past the earliest deadline. Checked against a brute-force model.
#include "core/timer_wheel.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

using hexwire::core::TimerId;
using hexwire::core::TimerWheel;

namespace {
constexpr std::uint64_t kMs = 1'000'000;
constexpr std::uint64_t kStart = 5'000'000'000;  // an arbitrary non-zero monotonic origin
}  // namespace

TEST_CASE("timers fire in deadline order and never early") {
  TimerWheel wheel(kStart);
  std::vector<int> fired;
  wheel.add_at(kStart + 30 * kMs, [&] { fired.push_back(3); });
  wheel.add_at(kStart + 10 * kMs, [&] { fired.push_back(1); });
  wheel.add_at(kStart + 20 * kMs + 500'000, [&] { fired.push_back(2); });
  REQUIRE(wheel.size() == 3);
  CHECK(wheel.advance(kStart + 9 * kMs) == 0);
  CHECK(wheel.advance(kStart + 20 * kMs + 499'999) == 1);  // only the 10 ms one
  CHECK(fired == std::vector<int>{1});
  CHECK(wheel.advance(kStart + 20 * kMs + 500'000) == 1);  // exactly at the deadline
  CHECK(wheel.advance(kStart + 100 * kMs) == 1);
  CHECK(fired == std::vector<int>{1, 2, 3});
  CHECK(wheel.size() == 0);
}

TEST_CASE(
    "one advance over many deadlines runs them in deadline order with ties in insertion order") {
  TimerWheel wheel(kStart);
  std::vector<int> fired;
  // Same deadline, inserted in order 0..4, interleaved with other deadlines in other slots/levels.
  for (int i = 0; i < 5; ++i) {
    wheel.add_at(kStart + 5000 * kMs, [&fired, i] { fired.push_back(i); });
    wheel.add_at(kStart + (7000 + static_cast<std::uint64_t>(i)) * kMs,
                 [&fired, i] { fired.push_back(100 + i); });
    wheel.add_at(kStart + 3 * kMs + static_cast<std::uint64_t>(4 - i) * 1000,
                 [&fired, i] { fired.push_back(-1 - i); });
  }
  CHECK(wheel.advance(kStart + 10'000 * kMs) == 15);
  CHECK(fired == std::vector<int>{-5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 100, 101, 102, 103, 104});
}

TEST_CASE(
    "cancel removes a pending timer and cancelling a fired or cancelled or unknown id is a no-op") {
  TimerWheel wheel(kStart);
  int runs = 0;
  const TimerId a = wheel.add_after(5 * kMs, [&] { ++runs; });
  const TimerId b = wheel.add_after(5 * kMs, [&] { runs += 10; });
  CHECK(a != 0);
  CHECK(a != b);
  CHECK(wheel.cancel(b));
  CHECK_FALSE(wheel.cancel(b));
  CHECK(wheel.size() == 1);
  CHECK(wheel.advance(kStart + 5 * kMs) == 1);
  CHECK(runs == 1);
  CHECK_FALSE(wheel.cancel(a));  // already fired
  CHECK_FALSE(wheel.cancel(0));
  CHECK_FALSE(wheel.cancel(0xdeadbeef00000007ull));
  // The freed slot is reused, but the old ids stay dead.
  const TimerId c = wheel.add_after(1 * kMs, [&] { runs += 100; });
  CHECK(c != a);
  CHECK(c != b);
  CHECK_FALSE(wheel.cancel(a));
  CHECK_FALSE(wheel.cancel(b));
  CHECK(wheel.size() == 1);
  CHECK(wheel.cancel(c));
  CHECK(wheel.advance(kStart + 50 * kMs) == 0);
  CHECK(runs == 1);
}

TEST_CASE("callbacks may add and cancel timers during advance") {
  TimerWheel wheel(kStart);
  std::vector<std::string> log;
  TimerId victim = 0;
  wheel.add_at(kStart + 1 * kMs, [&] {
    log.emplace_back("first");
    CHECK(wheel.cancel(victim));  // collected by this same advance but not run yet
    wheel.add_after(1 * kMs, [&] { log.emplace_back("re-armed"); });
    wheel.add_at(kStart, [&] { log.emplace_back("already-due"); });  // runs at the next advance
  });
  victim = wheel.add_at(kStart + 2 * kMs, [&] { log.emplace_back("victim"); });
  wheel.add_at(kStart + 3 * kMs, [&] { log.emplace_back("third"); });
  CHECK(wheel.advance(kStart + 4 * kMs) == 2);
  CHECK(log == std::vector<std::string>{"first", "third"});
  CHECK(wheel.size() == 2);
  CHECK(wheel.ns_until_next(kStart + 4 * kMs) == 0);  // the already-due one
  CHECK(wheel.advance(kStart + 4 * kMs) == 1);
  CHECK(log.back() == "already-due");
  CHECK(wheel.ns_until_next(kStart + 4 * kMs) == 1 * kMs);
  CHECK(wheel.advance(kStart + 5 * kMs) == 1);
  CHECK(log.back() == "re-armed");
}

TEST_CASE(
    "a timer cancelling itself from its own callback gets false and self re-arming does not loop") {
  TimerWheel wheel(kStart);
  TimerId self = 0;
  int runs = 0;
  bool cancel_result = true;
  std::function<void()> body;
  body = [&] {
    ++runs;
    cancel_result = wheel.cancel(self);
    self = wheel.add_after(0, [&] { body(); });
  };
  self = wheel.add_after(1 * kMs, [&] { body(); });
  CHECK(wheel.advance(kStart + 1 * kMs) == 1);
  CHECK_FALSE(cancel_result);
  CHECK(wheel.advance(kStart + 1 * kMs) == 1);
  CHECK(runs == 2);
  CHECK(wheel.cancel(self));
}

TEST_CASE("deadlines in the past fire at the next advance") {
  TimerWheel wheel(kStart);
  wheel.advance(kStart + 100 * kMs);
  int runs = 0;
  wheel.add_at(kStart + 3 * kMs, [&] { ++runs; });
  wheel.add_at(0, [&] { ++runs; });
  CHECK(wheel.ns_until_next(kStart + 100 * kMs) == 0);
  CHECK(wheel.advance(kStart + 100 * kMs) == 2);
  CHECK(runs == 2);
  CHECK(wheel.ns_until_next(kStart + 100 * kMs) == UINT64_MAX);
}

TEST_CASE("far-future deadlines beyond the top level are kept and fire on time") {
  TimerWheel wheel(kStart, 1000);  // 1 us ticks: the six levels cover 2^36 us (~19 h)
  const std::uint64_t hour = 3600ull * 1'000'000'000;
  std::vector<int> fired;
  wheel.add_at(kStart + 100 * hour, [&] { fired.push_back(100); });
  wheel.add_at(kStart + 30 * hour + 7, [&] { fired.push_back(30); });
  wheel.add_at(UINT64_MAX, [&] { fired.push_back(-1); });
  CHECK(wheel.ns_until_next(kStart) <= 30 * hour + 7);
  CHECK(wheel.advance(kStart + 30 * hour) == 0);
  CHECK(wheel.advance(kStart + 30 * hour + 1000) == 1);
  CHECK(wheel.advance(kStart + 100 * hour - 1) == 0);
  CHECK(wheel.advance(kStart + 100 * hour) == 1);
  CHECK(fired == std::vector<int>{30, 100});
  CHECK(wheel.size() == 1);
  CHECK(wheel.ns_until_next(kStart + 100 * hour) > 0);
}

namespace {
// Drives a wheel and a brute-force model through the same random schedule of adds, cancels and
// advances with jumps from sub-tick to days, checking firing order and ns_until_next each step.
void run_against_model(std::uint64_t tick_ns, std::uint64_t max_delay, std::uint64_t max_step,
                       unsigned seed) {
  std::mt19937_64 rng(seed);
  TimerWheel wheel(kStart, tick_ns);
  std::uint64_t now = kStart;
  std::uint64_t seq = 0;
  std::map<std::pair<std::uint64_t, std::uint64_t>, TimerId> model;  // (deadline, seq) -> id
  std::map<TimerId, std::pair<std::uint64_t, std::uint64_t>> by_id;
  std::vector<std::uint64_t> fired_seqs;
  for (int step = 0; step < 3000; ++step) {
    const auto op = rng() % 10;
    if (op < 6) {
      const std::uint64_t delay = rng() % 3 == 0 ? rng() % (4 * tick_ns) : rng() % max_delay;
      const std::uint64_t deadline = now + delay;
      const std::uint64_t s = seq++;
      const TimerId id = wheel.add_at(deadline, [&fired_seqs, s] { fired_seqs.push_back(s); });
      model[{deadline, s}] = id;
      by_id[id] = {deadline, s};
    } else if (op < 8 && !by_id.empty()) {
      auto it = by_id.begin();
      std::advance(it, static_cast<long>(rng() % by_id.size()));
      REQUIRE(wheel.cancel(it->first));
      model.erase(it->second);
      by_id.erase(it);
    } else {
      // ns_until_next must never point past the earliest deadline.
      const std::uint64_t wait = wheel.ns_until_next(now);
      if (model.empty()) {
        REQUIRE(wait == UINT64_MAX);
      } else {
        const std::uint64_t earliest = model.begin()->first.first;
        REQUIRE(wait <= (earliest > now ? earliest - now : 0));
      }
      const std::uint64_t step_ns =
          rng() % 4 == 0 ? wait == UINT64_MAX ? 0 : std::min(wait, max_step) : rng() % max_step;
      now += step_ns;
      std::vector<std::uint64_t> expected;
      while (!model.empty() && model.begin()->first.first <= now) {
        expected.push_back(model.begin()->first.second);
        by_id.erase(model.begin()->second);
        model.erase(model.begin());
      }
      fired_seqs.clear();
      REQUIRE(wheel.advance(now) == expected.size());
      REQUIRE(fired_seqs == expected);
    }
    REQUIRE(wheel.size() == model.size());
  }
}
}  // namespace

TEST_CASE("random schedules match a brute-force model over short spans with a 1 ms tick") {
  run_against_model(kMs, 200 * kMs, 30 * kMs, 1);
}

TEST_CASE("random schedules match a brute-force model across every level and wrap-around") {
  // 1 ns ticks make the wheel wrap its top level (2^36 ns ~ 69 s) many times.
  run_against_model(1, 1ull << 40, 1ull << 37, 2);
  run_against_model(7, 1ull << 30, 1ull << 28, 3);
  run_against_model(kMs, 90ull * 24 * 3600 * 1'000'000'000, 7ull * 24 * 3600 * 1'000'000'000, 4);
}

TEST_CASE("ns_until_next is exact for near timers and UINT64_MAX when empty") {
  TimerWheel wheel(kStart);
  CHECK(wheel.ns_until_next(kStart) == UINT64_MAX);
  const TimerId id = wheel.add_after(2 * kMs + 300, [] {});
  CHECK(wheel.ns_until_next(kStart) == 2 * kMs + 300);
  CHECK(wheel.ns_until_next(kStart + kMs) == kMs + 300);
  wheel.add_after(2 * kMs + 900, [] {});
  CHECK(wheel.cancel(id));
  CHECK(wheel.ns_until_next(kStart) == 2 * kMs + 900);  // minimum recomputed after cancel
  CHECK(wheel.advance(kStart + 2 * kMs + 100) == 0);    // same tick, not yet due
  CHECK(wheel.ns_until_next(kStart + 2 * kMs + 100) == 800);
  CHECK(wheel.now_ns() == kStart + 2 * kMs + 100);
  CHECK(wheel.advance(kStart + 2 * kMs + 900) == 1);
  CHECK(wheel.ns_until_next(kStart + 2 * kMs + 900) == UINT64_MAX);
}

TEST_CASE("add_after is relative to the wheel time and destruction releases pending callbacks") {
  auto token = std::make_shared<int>(0);
  {
    TimerWheel wheel(kStart);
    wheel.advance(kStart + 10 * kMs);
    int runs = 0;
    wheel.add_after(5 * kMs, [&runs, token] { ++runs; });
    wheel.add_after(500 * kMs, [token] {});
    CHECK(token.use_count() == 3);
    CHECK(wheel.advance(kStart + 14 * kMs) == 0);
    CHECK(wheel.advance(kStart + 15 * kMs) == 1);
    CHECK(runs == 1);
    CHECK(token.use_count() == 2);  // the fired callback was destroyed
  }
  CHECK(token.use_count() == 1);
}

TEST_CASE("a throwing callback propagates and the timers after it stay pending") {
  TimerWheel wheel(kStart);
  std::vector<int> fired;
  wheel.add_at(kStart + 1 * kMs, [&] {
    fired.push_back(1);
    throw std::runtime_error("boom");
  });
  wheel.add_at(kStart + 1 * kMs, [&] { fired.push_back(2); });
  wheel.add_at(kStart + 2 * kMs, [&] { fired.push_back(3); });
  CHECK_THROWS_AS(wheel.advance(kStart + 3 * kMs), std::runtime_error);
  CHECK(fired == std::vector<int>{1});
  CHECK(wheel.size() == 2);
  CHECK(wheel.advance(kStart + 3 * kMs) == 2);
  CHECK(fired == std::vector<int>{1, 2, 3});
  CHECK(wheel.size() == 0);
}
