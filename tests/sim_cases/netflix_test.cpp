// The netflix case's logic on its own. The Hystrix-style breaker and bulkhead: the rolling window
// drops whole buckets, the breaker needs both the volume and the error percentage, reads a health snapshot at most every
// interval, lets exactly one trial through after the sleep window, reopens on its failure and
// closes (with a clean window) on its success; the pool rejects when every thread is busy. BBA-0's
// and the rate-based player's bitrate choices, and the player's stalls.
#include <catch2/catch.hpp>

#include "sim/cases/netflix/abr.hpp"
#include "sim/cases/netflix/circuit_breaker.hpp"

namespace nf = hexwire::sim::cases::netflix;
using hexwire::sim::cases::kMillisecond;
using hexwire::sim::cases::kSecond;
using nf::Admission;
using nf::Outcome;

TEST_CASE("the rolling window counts errors and drops buckets older than the window") {
  nf::RollingCounts counts(10 * kSecond, 10);
  counts.add(0, Outcome::kFailure);
  counts.add(500 * kMillisecond, Outcome::kSuccess);
  counts.add(3 * kSecond, Outcome::kTimeout);
  counts.add(3 * kSecond, Outcome::kShortCircuited);  // not part of health
  auto h = counts.health(9 * kSecond + 999 * kMillisecond);
  CHECK(h.total == 3);
  CHECK(h.errors == 2);
  h = counts.health(10 * kSecond);  // bucket [0, 1 s) has left the window
  CHECK(h.total == 1);
  CHECK(h.errors == 1);
  counts.add(13 * kSecond, Outcome::kRejected);  // reuses the slot of the bucket at 3 s
  h = counts.health(13 * kSecond);
  CHECK(h.total == 1);
  CHECK(h.error_pct() == 100.0);
}

TEST_CASE("the breaker opens only with enough volume and enough errors, at a snapshot") {
  nf::BreakerSettings s;  // Hystrix's defaults
  nf::CircuitBreaker b(s);
  CHECK(b.admit(0) == Admission::kRun);  // first snapshot: empty
  for (int i = 0; i < 19; ++i) {
    b.record(i * 10 * kMillisecond, Outcome::kFailure, Admission::kRun);
  }
  CHECK(b.admit(600 * kMillisecond) == Admission::kRun);  // 19 < volume 20
  b.record(610 * kMillisecond, Outcome::kFailure, Admission::kRun);
  // 20 failures now, but the snapshot taken at 600 ms is reused until 1100 ms.
  CHECK(b.admit(1000 * kMillisecond) == Admission::kRun);
  CHECK(b.admit(1100 * kMillisecond) == Admission::kShortCircuit);
  CHECK(b.state() == nf::BreakerState::kOpen);
  REQUIRE(b.opened_at().size() == 1);
  CHECK(b.opened_at()[0] == 1100 * kMillisecond);
}

TEST_CASE("below the error percentage it stays closed") {
  nf::BreakerSettings s;
  s.snapshot_interval = 0;
  nf::CircuitBreaker b(s);
  for (int i = 0; i < 40; ++i) {
    b.record(i * kMillisecond, i % 2 == 0 ? Outcome::kSuccess : Outcome::kFailure, Admission::kRun);
    if (i == 38) {
      CHECK(b.admit(i * kMillisecond) == Admission::kRun);  // 19 of 39: 48.7%
    }
  }
  CHECK(b.admit(50 * kMillisecond) == Admission::kShortCircuit);  // 20 of 40: 50%
}

TEST_CASE("one half-open trial after the sleep window, failure reopens, success closes") {
  nf::BreakerSettings s;
  s.snapshot_interval = 0;
  s.volume_threshold = 1;
  nf::CircuitBreaker b(s);
  b.record(0, Outcome::kFailure, Admission::kRun);
  CHECK(b.admit(kSecond) == Admission::kShortCircuit);  // opens at 1 s
  CHECK(b.admit(5 * kSecond) == Admission::kShortCircuit);
  CHECK(b.admit(6 * kSecond) == Admission::kTrial);
  CHECK(b.admit(6 * kSecond + 1) == Admission::kShortCircuit);  // the trial is out
  b.record(6 * kSecond + 1, Outcome::kSuccess, Admission::kRun);  // an older call: no effect
  CHECK(b.state() == nf::BreakerState::kHalfOpen);
  b.record(7 * kSecond, Outcome::kTimeout, Admission::kTrial);  // reopens from 7 s
  CHECK(b.state() == nf::BreakerState::kOpen);
  CHECK(b.admit(11 * kSecond) == Admission::kShortCircuit);
  CHECK(b.admit(12 * kSecond) == Admission::kTrial);
  b.record(12 * kSecond + 20 * kMillisecond, Outcome::kSuccess, Admission::kTrial);
  CHECK(b.state() == nf::BreakerState::kClosed);
  CHECK(b.admit(12 * kSecond + 30 * kMillisecond) == Admission::kRun);  // the window was cleared
  CHECK(b.trials_at().size() == 2);
  CHECK(b.opened_at().size() == 2);
  REQUIRE(b.closed_at().size() == 1);
  CHECK(b.closed_at()[0] == 12 * kSecond + 20 * kMillisecond);
}

TEST_CASE("a pool rejects when every thread is busy") {
  nf::Bulkhead pool(2);
  CHECK(pool.acquire());
  CHECK(pool.acquire());
  CHECK_FALSE(pool.acquire());
  pool.release();
  CHECK(pool.acquire());
  CHECK(pool.busy() == 2);
}

// ---- adaptive bitrate (abr.hpp) ----

TEST_CASE("BBA-0: lowest rate in the reservoir, highest past the cushion, hysteresis between") {
  nf::PlayerConfig c;  // ladder 235..5800, reservoir 20 s, cushion 80 s
  CHECK(nf::bba_choice(c, 5, 4) == 0);     // in the reservoir: the lowest rate
  CHECK(nf::bba_choice(c, 20, 9) == 0);
  CHECK(nf::bba_choice(c, 100, 0) == 9);   // f = 5800: the top rate
  CHECK(nf::bba_choice(c, 120, 9) == 9);
  // buffer 60 s: f = 235 + 5565 * 40 / 80 = 3017.5: from 1750 up to the highest rate below f (3000)
  CHECK(nf::bba_choice(c, 60, 5) == 7);
  // from 3000 (index 7): f sits between its neighbours 2350 and 4300: stay
  CHECK(nf::bba_choice(c, 60, 7) == 7);
  // from 5800 with f = 3017.5: down to the lowest rate above f (4300)
  CHECK(nf::bba_choice(c, 60, 9) == 8);
}

TEST_CASE("rate-based: the highest rate under safety x the harmonic mean of recent throughputs") {
  nf::PlayerConfig c;  // history 5, safety 0.9
  CHECK(nf::rate_choice(c, {}) == 0);
  CHECK(nf::rate_choice(c, {4000, 4000}) == 7);             // budget 3600: 3000
  CHECK(nf::rate_choice(c, {100000, 1000, 1000, 1000, 1000, 1000}) == 3);  // only the last 5: 900 -> 750
  CHECK(nf::rate_choice(c, {8000, 2000}) == 6);             // harmonic mean 3200, budget 2880: 2350
}

TEST_CASE("a player over a flat trace never stalls below capacity, and stalls in an outage") {
  nf::PlayerConfig c;
  c.video_s = 120;
  nf::BandwidthTrace flat;
  flat.kbps.assign(2000, 10000.0);
  for (const auto algo : {nf::AbrAlgorithm::kBuffer, nf::AbrAlgorithm::kRate}) {
    const nf::SessionResult r = nf::play(c, algo, flat);
    CHECK(r.rebuffer_s == 0);
    CHECK(r.play_s == Approx(120));
  }
  nf::BandwidthTrace dead = flat;
  std::fill(dead.kbps.begin() + 10, dead.kbps.begin() + 200, 1.0);  // 190 s at 1 kbit/s
  const nf::SessionResult r = nf::play(c, nf::AbrAlgorithm::kBuffer, dead);
  CHECK(r.rebuffers > 0);
  CHECK(r.rebuffer_s > 100);
  CHECK(r.play_s == Approx(120));
}
