// Latency distributions and duration text: parsing, exact means and quantiles, and samples that
// follow them (checked on a fixed seed with generous bounds).
#include <catch2/catch.hpp>

#include <algorithm>
#include <vector>

#include "sim/cases/latency.hpp"
#include "sim/cases/rng_streams.hpp"
#include "sim/cases/stats.hpp"

namespace cases = hexwire::sim::cases;
using cases::kMillisecond;
using cases::LatencyDistribution;

namespace {

LatencyDistribution parse_ok(std::string_view text) {
  std::string error;
  const auto d = LatencyDistribution::parse(text, error);
  INFO(error);
  REQUIRE(d);
  return *d;
}

std::vector<double> draw(const LatencyDistribution& d, int n) {
  hexwire::sim::Rng rng = cases::RngStreams(3).stream("latency-test");
  std::vector<double> values;
  for (int i = 0; i < n; ++i) {
    values.push_back(static_cast<double>(d.sample(rng)));
  }
  return values;
}

double mean_of(const std::vector<double>& v) {
  double sum = 0.0;
  for (const double x : v) {
    sum += x;
  }
  return sum / static_cast<double>(v.size());
}

}  // namespace

TEST_CASE("durations: units, default unit, and refusals") {
  CHECK(cases::parse_duration("125ms") == 125 * kMillisecond);
  CHECK(cases::parse_duration("1.5s") == 1'500 * kMillisecond);
  CHECK(cases::parse_duration("10m") == 10 * cases::kMinute);
  CHECK(cases::parse_duration("4h") == 4 * cases::kHour);
  CHECK(cases::parse_duration("7d") == 7 * cases::kDay);
  CHECK(cases::parse_duration("5us") == 5'000);
  CHECK(cases::parse_duration("30") == 30 * cases::kSecond);
  CHECK(cases::parse_duration("30", "ms") == 30 * kMillisecond);
  CHECK_FALSE(cases::parse_duration("-1s"));
  CHECK_FALSE(cases::parse_duration("10 s"));
  CHECK_FALSE(cases::parse_duration("10parsecs"));
  CHECK_FALSE(cases::parse_duration(""));
  CHECK(cases::format_duration(125 * kMillisecond) == "125ms");
  CHECK(cases::format_duration(10 * cases::kMinute) == "10m");
}

TEST_CASE("constant and exponential: exact moments, samples that follow them") {
  const LatencyDistribution constant = parse_ok("constant:2ms");
  CHECK(constant.mean() == 2.0 * kMillisecond);
  CHECK(draw(constant, 10) == std::vector<double>(10, 2.0 * kMillisecond));

  const LatencyDistribution exponential = parse_ok("exponential:1ms");
  CHECK(exponential.mean() == Approx(1.0 * kMillisecond));
  CHECK(exponential.quantile(0.5) == Approx(std::log(2.0) * kMillisecond));
  const auto values = draw(exponential, 200'000);
  CHECK(mean_of(values) == Approx(1.0 * kMillisecond).epsilon(0.01));
  CHECK(cases::sample_quantile(values, 0.99) == Approx(std::log(100.0) * kMillisecond).epsilon(0.03));
}

TEST_CASE("log-normal: the median and sigma given, its mean and tail") {
  const LatencyDistribution d = parse_ok("lognormal:1ms,0.6");
  CHECK(d.quantile(0.5) == Approx(1.0 * kMillisecond));
  CHECK(d.mean() == Approx(std::exp(0.18) * kMillisecond));
  CHECK(d.quantile(0.99) == Approx(std::exp(0.6 * 2.3263478740408408) * kMillisecond));
  const auto values = draw(d, 200'000);
  CHECK(cases::sample_quantile(values, 0.5) == Approx(1.0 * kMillisecond).epsilon(0.01));
  CHECK(cases::sample_quantile(values, 0.99) == Approx(d.quantile(0.99)).epsilon(0.03));
  CHECK(mean_of(values) == Approx(d.mean()).epsilon(0.01));
}

TEST_CASE("empirical: draws stay within the samples and interpolate between them") {
  const LatencyDistribution d = parse_ok("empirical:7ms,0.4ms,0.5ms,0.9ms");
  CHECK(d.quantile(0.0) == Approx(0.4 * kMillisecond));
  CHECK(d.quantile(1.0) == Approx(7.0 * kMillisecond));
  CHECK(d.quantile(0.5) == Approx(0.7 * kMillisecond));
  const auto values = draw(d, 100'000);
  CHECK(*std::min_element(values.begin(), values.end()) >= 0.4 * kMillisecond);
  CHECK(*std::max_element(values.begin(), values.end()) <= 7.0 * kMillisecond);
  CHECK(mean_of(values) == Approx(d.mean()).epsilon(0.02));
  CHECK(d.describe() == "empirical:400us,500us,900us,7ms");
}

TEST_CASE("bad distributions are refused with the forms that work") {
  std::string error;
  CHECK_FALSE(LatencyDistribution::parse("gaussian:1ms", error));
  CHECK(error.find("lognormal:1ms,0.6") != std::string::npos);
  CHECK_FALSE(LatencyDistribution::parse("lognormal:1ms", error));
  CHECK_FALSE(LatencyDistribution::parse("lognormal:1ms,9", error));
  CHECK_FALSE(LatencyDistribution::parse("exponential:0ms", error));
  CHECK_FALSE(LatencyDistribution::parse("empirical:1ms,fast", error));
  CHECK(error.find("'fast'") != std::string::npos);
}

TEST_CASE("inverse normal CDF and incomplete gamma against known values") {
  CHECK(cases::inverse_normal_cdf(0.975) == Approx(1.959963984540054).epsilon(1e-12));
  CHECK(cases::inverse_normal_cdf(0.001) == Approx(-3.090232306167813).epsilon(1e-12));
  CHECK(cases::regularized_gamma_p(1.0, 2.0) == Approx(1.0 - std::exp(-2.0)).epsilon(1e-12));
  CHECK(cases::regularized_gamma_p(3.0, 2.0) ==
        Approx(1.0 - std::exp(-2.0) * (1.0 + 2.0 + 2.0)).epsilon(1e-12));
  CHECK(cases::regularized_gamma_p(100.0, 100.0) == Approx(0.5132987982791486).epsilon(1e-10));
  // E[max of n Exp(1)] is the harmonic number H_n.
  CHECK(cases::expected_max_gamma(10, 1.0) == Approx(2.9289682539682538).epsilon(1e-6));
}
