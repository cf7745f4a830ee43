// Open-loop schedules: rates and inter-arrival distributions (statistical checks with fixed seeds
// and generous tolerances), catch-up semantics for a stalled consumer, multi-stream ordering and
// the ramp-up schedule. No wall-clock time is involved: "now" is always a number we choose.
#include "sim/schedule.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

using namespace hexwire::sim;

namespace {
constexpr std::uint64_t kSecond = 1'000'000'000ull;

std::vector<double> gaps_ns(ArrivalSchedule& schedule, std::size_t count) {
  std::vector<double> gaps;
  std::uint64_t previous = schedule.pop();
  for (std::size_t i = 0; i < count; ++i) {
    const std::uint64_t next = schedule.pop();
    gaps.push_back(static_cast<double>(next - previous));
    previous = next;
  }
  return gaps;
}
}  // namespace

TEST_CASE("constant schedule spaces sends exactly 1/rate apart without drift") {
  ArrivalSchedule schedule(ArrivalProcess::kConstant, 3000.0, 5 * kSecond, 1);
  // 3000/s does not divide a second into whole nanoseconds; the millionth send must still land at
  // start + 1e6/3000 s, rounded once (no accumulated error).
  std::uint64_t last = 0;
  for (int i = 1; i <= 1'000'000; ++i) {
    last = schedule.pop();
  }
  CHECK(last == 5 * kSecond + static_cast<std::uint64_t>(std::llround(1e6 * 1e9 / 3000.0)));
  CHECK(schedule.issued() == 1'000'000);
}

TEST_CASE("poisson schedule has the requested mean rate") {
  for (const std::uint64_t seed : {1ull, 2ull, 99ull}) {
    ArrivalSchedule schedule(ArrivalProcess::kPoisson, 10'000.0, 0, seed);
    std::size_t in_ten_seconds = 0;
    while (schedule.pop() < 10 * kSecond) {
      ++in_ten_seconds;
    }
    // Expected 100,000 with standard deviation ~316: 2% is over 6 sigma.
    CHECK(std::abs(static_cast<double>(in_ten_seconds) - 100'000.0) < 2'000.0);
  }
}

TEST_CASE("poisson inter-arrival gaps are exponential") {
  ArrivalSchedule schedule(ArrivalProcess::kPoisson, 1000.0, 0, 7);
  const std::vector<double> gaps = gaps_ns(schedule, 200'000);
  const double mean_ns = 1e6;
  double sum = 0.0;
  double sum_sq = 0.0;
  for (const double g : gaps) {
    sum += g;
    sum_sq += g * g;
  }
  const double mean = sum / gaps.size();
  const double variance = sum_sq / gaps.size() - mean * mean;
  CHECK(mean == Approx(mean_ns).epsilon(0.02));
  // Exponential: standard deviation equals the mean (coefficient of variation 1).
  CHECK(std::sqrt(variance) / mean == Approx(1.0).epsilon(0.03));
  // Survival function P(gap > t) = exp(-t/mean) at a few points.
  for (const double multiple : {0.1, 0.5, 1.0, 2.0, 4.0}) {
    const auto above =
        std::count_if(gaps.begin(), gaps.end(), [&](double g) { return g > multiple * mean_ns; });
    const double observed = static_cast<double>(above) / gaps.size();
    CHECK(observed == Approx(std::exp(-multiple)).epsilon(0.05).margin(0.002));
  }
  // Memorylessness shows up as no correlation between successive gaps.
  double cov = 0.0;
  for (std::size_t i = 1; i < gaps.size(); ++i) {
    cov += (gaps[i] - mean) * (gaps[i - 1] - mean);
  }
  CHECK(std::abs(cov / (gaps.size() - 1) / variance) < 0.02);
}

TEST_CASE("schedules are deterministic for a seed and differ across seeds") {
  ArrivalSchedule a(ArrivalProcess::kPoisson, 500.0, 0, 42);
  ArrivalSchedule b(ArrivalProcess::kPoisson, 500.0, 0, 42);
  ArrivalSchedule c(ArrivalProcess::kPoisson, 500.0, 0, 43);
  bool all_same_as_c = true;
  for (int i = 0; i < 1000; ++i) {
    const auto ta = a.pop();
    REQUIRE(ta == b.pop());
    all_same_as_c = all_same_as_c && ta == c.pop();
  }
  CHECK_FALSE(all_same_as_c);
}

TEST_CASE("a stalled consumer catches up with every missed send at its intended time") {
  ArrivalSchedule reference(ArrivalProcess::kPoisson, 1000.0, 0, 5);
  ArrivalSchedule schedule(ArrivalProcess::kPoisson, 1000.0, 0, 5);
  std::vector<std::uint64_t> expected;
  while (reference.next_ns() <= 350'000'000ull) {
    expected.push_back(reference.pop());
  }

  std::vector<std::uint64_t> seen;
  // The consumer polls every millisecond for 100 ms, then stalls for 250 ms.
  for (std::uint64_t now = 0; now <= 100'000'000ull; now += 1'000'000ull) {
    schedule.drain_due(now, [&](std::uint64_t intended) {
      CHECK(intended <= now);
      seen.push_back(intended);
    });
  }
  const std::size_t before_stall = seen.size();
  const std::uint64_t wake = 350'000'000ull;
  std::size_t caught_up = 0;
  schedule.drain_due(wake, [&](std::uint64_t intended) {
    seen.push_back(intended);
    ++caught_up;
  });
  // About 250 sends were due during the stall; all of them go out now, each carrying the time it
  // should have been sent, not the wake-up time.
  CHECK(caught_up > 150);
  CHECK(seen == expected);
  CHECK(seen[before_stall] < 101'000'000ull + 20'000'000ull);
  CHECK(std::all_of(seen.begin(), seen.end(), [&](std::uint64_t t) { return t <= wake; }));
  CHECK(schedule.next_ns() > wake);
}

TEST_CASE("drain_due respects max_sends and leaves the rest due") {
  ArrivalSchedule schedule(ArrivalProcess::kConstant, 1000.0, 0, 1);
  std::vector<std::uint64_t> first;
  CHECK(schedule.drain_due(
            10'000'000ull, [&](std::uint64_t t) { first.push_back(t); }, 4) == 4);
  CHECK(first == std::vector<std::uint64_t>{1'000'000, 2'000'000, 3'000'000, 4'000'000});
  CHECK(schedule.due(10'000'000ull));
  CHECK(schedule.drain_due(10'000'000ull, [](std::uint64_t) {}) == 6);
  CHECK_FALSE(schedule.due(10'000'000ull));
}

TEST_CASE("a schedule ends before its end time and a zero rate never fires") {
  ArrivalSchedule schedule(ArrivalProcess::kConstant, 10.0, 0, 1, kSecond);
  CHECK(schedule.drain_due(100 * kSecond, [](std::uint64_t t) { CHECK(t < kSecond); }) == 9);
  CHECK(schedule.next_ns() == kNever);
  CHECK(schedule.pop() == kNever);

  ArrivalSchedule idle(ArrivalProcess::kPoisson, 0.0, 0, 1);
  CHECK(idle.next_ns() == kNever);
  CHECK(idle.drain_due(kNever - 1, [](std::uint64_t) {}) == 0);
}

TEST_CASE("send scheduler merges streams in intended-time order and honours removal") {
  SendScheduler scheduler(ArrivalProcess::kPoisson, 11);
  for (SendScheduler::StreamId id = 0; id < 100; ++id) {
    scheduler.add(id, 50.0, 0);
  }
  CHECK(scheduler.active_count() == 100);
  std::vector<std::size_t> per_stream(100, 0);
  std::uint64_t previous = 0;
  bool ordered = true;
  scheduler.drain_due(kSecond, [&](SendScheduler::StreamId id, std::uint64_t intended) {
    ordered = ordered && intended >= previous && intended <= kSecond;
    previous = intended;
    ++per_stream[id];
  });
  CHECK(ordered);
  std::size_t total = 0;
  for (const auto n : per_stream) {
    total += n;
  }
  // 100 streams x 50/s for 1 s = 5000 expected (sd ~71).
  CHECK(std::abs(static_cast<double>(total) - 5000.0) < 400.0);

  scheduler.remove(3);
  CHECK_FALSE(scheduler.active(3));
  CHECK(scheduler.active_count() == 99);
  std::size_t from_removed = 0;
  scheduler.drain_due(2 * kSecond, [&](SendScheduler::StreamId id, std::uint64_t) {
    from_removed += id == 3 ? 1 : 0;
  });
  CHECK(from_removed == 0);

  // Restarting a stream from inside the callback continues only the new life of it.
  scheduler.add(3, 1000.0, 2 * kSecond);
  std::size_t restarted = 0;
  scheduler.drain_due(3 * kSecond, [&](SendScheduler::StreamId id, std::uint64_t intended) {
    if (id == 3) {
      ++restarted;
      CHECK(intended > 2 * kSecond);
    }
  });
  CHECK(restarted > 800);
  CHECK(restarted < 1200);
}

TEST_CASE("ramp schedule opens connections at the ramp rate, late opens keep intended times") {
  RampSchedule ramp(10, 100.0, kSecond);  // one connection every 10 ms from t = 1 s
  CHECK(ramp.due_count(kSecond - 1) == 0);
  CHECK(ramp.due_count(kSecond) == 1);
  CHECK(ramp.due_count(kSecond + 10'000'000ull) == 2);
  CHECK(ramp.due_count(kSecond + 10'000'000ull - 1) == 1);
  CHECK(ramp.finish_ns() == kSecond + 90'000'000ull);

  std::vector<std::uint64_t> intended;
  ramp.drain_due(kSecond + 35'000'000ull, [&](std::uint64_t index, std::uint64_t t) {
    CHECK(index == intended.size());
    intended.push_back(t);
  });
  CHECK(intended == std::vector<std::uint64_t>{kSecond, kSecond + 10'000'000ull,
                                               kSecond + 20'000'000ull, kSecond + 30'000'000ull});
  // The opener stalls until 5 s: the remaining six are opened at once with their own times.
  ramp.drain_due(5 * kSecond, [&](std::uint64_t, std::uint64_t t) { intended.push_back(t); });
  CHECK(intended.size() == 10);
  CHECK(intended.back() == kSecond + 90'000'000ull);
  CHECK(ramp.done());
  CHECK(ramp.next_ns() == kNever);

  RampSchedule all_at_once(1000, 0.0, 7);
  CHECK(all_at_once.due_count(7) == 1000);
  CHECK(all_at_once.intended_ns(999) == 7);
}

TEST_CASE("jittered backoff doubles per retry up to its cap and waits between half and all of it") {
  constexpr std::uint64_t kMs = 1'000'000;
  CHECK(jittered_backoff_ns(1, 200 * kMs, 5'000 * kMs, 0.0) == 100 * kMs);  // half of 200 ms
  CHECK(jittered_backoff_ns(1, 200 * kMs, 5'000 * kMs, 0.999999) <= 200 * kMs);
  CHECK(jittered_backoff_ns(1, 200 * kMs, 5'000 * kMs, 0.999999) > 199 * kMs);
  CHECK(jittered_backoff_ns(2, 200 * kMs, 5'000 * kMs, 0.0) == 200 * kMs);  // of 400 ms
  CHECK(jittered_backoff_ns(5, 200 * kMs, 5'000 * kMs, 0.0) == 1'600 * kMs);  // of 3.2 s
  // From the sixth retry on the backoff is the 5 s cap, however many retries came before.
  CHECK(jittered_backoff_ns(6, 200 * kMs, 5'000 * kMs, 0.0) == 2'500 * kMs);
  CHECK(jittered_backoff_ns(100, 200 * kMs, 5'000 * kMs, 0.0) == 2'500 * kMs);
  CHECK(jittered_backoff_ns(100, 200 * kMs, 5'000 * kMs, 0.5) == 3'750 * kMs);
  // A first backoff above the cap is capped too.
  CHECK(jittered_backoff_ns(1, 900 * kMs, 300 * kMs, 0.0) == 150 * kMs);
}
