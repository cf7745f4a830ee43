// TokenBucket: burst, refill at the configured rate, no overflow after long idle periods.
#include <catch2/catch.hpp>

#include "app/rate_limiter.hpp"

using hexwire::app::TokenBucket;

TEST_CASE("a full bucket allows exactly the burst, then refills at the rate") {
  const std::uint64_t t0 = 5'000'000'000;
  TokenBucket bucket(1000, 1000, t0);
  int taken = 0;
  while (bucket.try_take(t0)) {
    ++taken;
  }
  CHECK(taken == 1000);
  CHECK_FALSE(bucket.try_take(t0 + 999'999));  // less than 1 ms: no whole token yet
  CHECK(bucket.try_take(t0 + 1'000'000));      // 1 ms at 1000/s = one token
  CHECK_FALSE(bucket.try_take(t0 + 1'000'000));
  CHECK(bucket.available(t0 + 1'000'000 + 500'000'000) == 500);
}

TEST_CASE("long idle time refills to the burst and never beyond") {
  TokenBucket bucket(1'000'000, 10, 0);
  for (int i = 0; i < 10; ++i) {
    REQUIRE(bucket.try_take(0));
  }
  CHECK(bucket.available(1'000'000'000ull * 3600 * 24 * 365) == 10);
}

TEST_CASE("rate 0 is unlimited and a clock going backwards is harmless") {
  TokenBucket unlimited(0, 1, 0);
  for (int i = 0; i < 10'000; ++i) {
    REQUIRE(unlimited.try_take(0));
  }
  TokenBucket bucket(10, 2, 1'000'000'000);
  CHECK(bucket.try_take(1'000'000'000));
  CHECK(bucket.try_take(500));
  CHECK_FALSE(bucket.try_take(600));
  CHECK(bucket.try_take(1'100'000'000));  // 100 ms at 10/s
}
