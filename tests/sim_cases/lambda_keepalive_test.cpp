// The hybrid histogram policy's windows (fallback, histogram, prediction) and the trace and
// policy text.
#include <catch2/catch.hpp>

#include "sim/cases/lambda/keepalive_policy.hpp"
#include "sim/cases/lambda/traces.hpp"

namespace cases = hexwire::sim::cases;
namespace lambda = hexwire::sim::cases::lambda;
using cases::kHour;
using cases::kMinute;

TEST_CASE("hybrid: keep the whole range until enough idle times are known") {
  const lambda::HybridSettings settings;
  lambda::IdleHistogram h(settings);
  for (int i = 0; i < 9; ++i) {
    h.record(59 * kMinute);
  }
  const lambda::KeepWindow w = h.window();
  CHECK(w.source == lambda::KeepWindow::Source::kFallback);
  CHECK(w.prewarm == 0);
  CHECK(w.keepalive == 4 * kHour);
}

TEST_CASE("hybrid: a regular function is pre-warmed just before its next call") {
  const lambda::HybridSettings settings;
  lambda::IdleHistogram h(settings);
  for (int i = 0; i < 20; ++i) {
    h.record(59 * kMinute + 30 * cases::kSecond);
  }
  const lambda::KeepWindow w = h.window();
  REQUIRE(w.source == lambda::KeepWindow::Source::kHistogram);
  // Bin 59: pre-warm at 59 min minus 10%, keep to 60 min plus 10%.
  CHECK(w.prewarm == 59 * kMinute * 9 / 10);
  CHECK(w.prewarm + w.keepalive == 66 * kMinute);
}

TEST_CASE("hybrid: a flat histogram is not trusted") {
  const lambda::HybridSettings settings;
  lambda::IdleHistogram h(settings);
  for (int minute = 0; minute < 240; ++minute) {
    h.record(minute * kMinute + kMinute / 2);
  }
  CHECK(h.window().source == lambda::KeepWindow::Source::kFallback);
}

TEST_CASE("hybrid: idle times beyond the range are predicted from the recent ones") {
  const lambda::HybridSettings settings;
  lambda::IdleHistogram h(settings);
  for (int i = 0; i < 4; ++i) {
    h.record(6 * kHour);
  }
  const lambda::KeepWindow w = h.window();
  REQUIRE(w.source == lambda::KeepWindow::Source::kPredicted);
  CHECK(w.prewarm < 6 * kHour);
  CHECK(w.prewarm + w.keepalive > 6 * kHour);
}

TEST_CASE("trace and policy text") {
  std::string error;
  const auto periodic = lambda::parse_trace("periodic:60m", error);
  REQUIRE(periodic);
  CHECK(periodic->period == 60 * kMinute);
  const auto poisson = lambda::parse_trace("poisson:2/h", error);
  REQUIRE(poisson);
  CHECK(poisson->rate_per_s == Approx(2.0 / 3600));
  CHECK(lambda::parse_trace("poisson:0.5", error)->rate_per_s == Approx(0.5 / 60));
  CHECK(lambda::parse_trace("bursty:10,2h", error)->burst_gap == 2 * kHour);
  CHECK(lambda::parse_trace("azure", error));
  CHECK_FALSE(lambda::parse_trace("poisson:-1", error));
  CHECK_FALSE(lambda::parse_trace("weekly", error));
  CHECK(error.find("periodic:PERIOD") != std::string::npos);
  CHECK(lambda::parse_policy("fixed:20m", error)->fixed == 20 * kMinute);
  CHECK(lambda::parse_policy("hybrid", error)->hybrid);
  CHECK_FALSE(lambda::parse_policy("lru", error));
}

TEST_CASE("the azure mix matches the trace's frequency statistics") {
  std::string error;
  const auto spec = lambda::parse_trace("azure", error);
  hexwire::sim::Rng rng(5);
  std::string summary;
  const auto sources = lambda::make_sources(*spec, 2000, rng, &summary);
  CHECK(sources.size() == 2000);
  // "NN% invoked at most hourly, MM% at most once a minute"
  const auto percent_before = [&](std::string_view marker) {
    const std::size_t at = summary.find(marker);
    REQUIRE(at != std::string::npos);
    const std::size_t start = summary.rfind(' ', at - 2) + 1;
    return std::stod(summary.substr(start, at - start));
  };
  CHECK(percent_before("% invoked at most hourly") == Approx(45).margin(4));
  CHECK(percent_before("% at most once a minute") == Approx(81).margin(4));
}
