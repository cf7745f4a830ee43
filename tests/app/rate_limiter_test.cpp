// TokenBucket under a TokenRate: burst, refill at the configured rate, no overflow after long idle
// periods, and one rate shared by independent buckets.
#include <catch2/catch.hpp>

#include "app/rate_limiter.hpp"

using hexwire::app::TokenBucket;
using hexwire::app::TokenRate;

TEST_CASE("a full bucket allows exactly the burst, then refills at the rate") {
  const std::uint64_t t0 = 5'000'000'000;
  const TokenRate rate(1000, 1000);
  TokenBucket bucket(rate, t0);
  int taken = 0;
  while (bucket.try_take(rate, t0)) {
    ++taken;
  }
  CHECK(taken == 1000);
  CHECK_FALSE(bucket.try_take(rate, t0 + 999'999));  // less than 1 ms: no whole token yet
  CHECK(bucket.try_take(rate, t0 + 1'000'000));      // 1 ms at 1000/s = one token
  CHECK_FALSE(bucket.try_take(rate, t0 + 1'000'000));
  CHECK(bucket.available(rate, t0 + 1'000'000 + 500'000'000) == 500);
}

TEST_CASE("long idle time refills to the burst and never beyond") {
  const TokenRate rate(1'000'000, 10);
  TokenBucket bucket(rate, 0);
  for (int i = 0; i < 10; ++i) {
    REQUIRE(bucket.try_take(rate, 0));
  }
  CHECK(bucket.available(rate, 1'000'000'000ull * 3600 * 24 * 365) == 10);
}

TEST_CASE("rate 0 is unlimited and a clock going backwards is harmless") {
  const TokenRate unlimited_rate(0, 1);
  TokenBucket unlimited(unlimited_rate, 0);
  for (int i = 0; i < 10'000; ++i) {
    REQUIRE(unlimited.try_take(unlimited_rate, 0));
  }
  const TokenRate rate(10, 2);
  TokenBucket bucket(rate, 1'000'000'000);
  CHECK(bucket.try_take(rate, 1'000'000'000));
  CHECK(bucket.try_take(rate, 500));
  CHECK_FALSE(bucket.try_take(rate, 600));
  CHECK(bucket.try_take(rate, 1'100'000'000));  // 100 ms at 10/s
}

TEST_CASE("buckets sharing one rate drain independently") {
  const TokenRate rate(1, 2);
  TokenBucket a(rate, 0);
  TokenBucket b(rate, 0);
  CHECK(a.try_take(rate, 0));
  CHECK(a.try_take(rate, 0));
  CHECK_FALSE(a.try_take(rate, 0));
  CHECK(b.available(rate, 0) == 2);  // b is untouched by a's draining
  CHECK(b.try_take(rate, 0));
  CHECK(a.try_take(rate, 1'000'000'000));  // one second refills one token of a
}
