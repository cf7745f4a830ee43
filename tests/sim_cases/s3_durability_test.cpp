// The durability chain: scheme text, the closed form against a hand-worked case, the MTTR^M law,
// and the Monte Carlo estimator: unbiased with failure biasing, blind without it.
#include <catch2/catch.hpp>

#include <cmath>

#include "sim/cases/rng_streams.hpp"
#include "sim/cases/s3/durability.hpp"

namespace s3 = hexwire::sim::cases::s3;

namespace {

s3::DurabilityModel model(std::string_view scheme, double afr, double mttr_days) {
  std::string error;
  s3::DurabilityModel m;
  m.scheme = *s3::parse_scheme(scheme, error);
  m.failures_per_year = afr;
  m.repairs_per_year = 365.0 / mttr_days;
  return m;
}

}  // namespace

TEST_CASE("scheme text: rs:K+M and replica:R, with errors that list the forms") {
  std::string error;
  const auto rs = s3::parse_scheme("rs:5+4", error);
  REQUIRE(rs);
  CHECK(rs->fragments() == 9);
  CHECK(rs->overhead() == Approx(1.8));
  const auto replica = s3::parse_scheme("replica:3", error);
  REQUIRE(replica);
  CHECK(replica->parity == 2);
  CHECK(replica->overhead() == 3.0);
  CHECK_FALSE(s3::parse_scheme("rs:5", error));
  CHECK_FALSE(s3::parse_scheme("rs:0+4", error));
  CHECK_FALSE(s3::parse_scheme("replica:1", error));
  CHECK(error.find("rs:K+M") != std::string::npos);
}

TEST_CASE("closed form: two replicas by hand, and the references of the issue") {
  // Two copies, serial repair: tau0 = 1/(2l), tau1 = (1 + m tau0)/l; MTTDL = tau0 + tau1.
  const s3::DurabilityModel two = model("replica:2", 0.1, 10);
  const double l = 0.1, m = 36.5;
  CHECK(s3::mean_time_to_loss_years(two) == Approx(1 / (2 * l) + (1 + m / (2 * l)) / l));
  CHECK(1 / s3::mean_time_to_loss_years(model("rs:5+4", 0.02, 1)) == Approx(2.7e-15).epsilon(0.02));
  CHECK(1 / s3::mean_time_to_loss_years(model("rs:5+4", 0.02, 6.5)) == Approx(4.9e-12).epsilon(0.02));
  CHECK(1 / s3::mean_time_to_loss_years(model("replica:3", 0.02, 1)) == Approx(3.6e-10).epsilon(0.02));
}

TEST_CASE("loss grows as MTTR^M, with serial and parallel repair") {
  for (const auto repair : {s3::Repair::kSerial, s3::Repair::kParallel}) {
    s3::DurabilityModel a = model("rs:6+3", 0.03, 1);
    a.repair = repair;
    s3::DurabilityModel b = a;
    b.repairs_per_year /= 2;
    const double slope = std::log(s3::mean_time_to_loss_years(a) / s3::mean_time_to_loss_years(b)) /
                         std::log(2.0);
    CHECK(slope == Approx(3.0).epsilon(0.01));
  }
  s3::DurabilityModel serial = model("rs:6+3", 0.03, 1);
  s3::DurabilityModel parallel = serial;
  parallel.repair = s3::Repair::kParallel;
  // Parallel rebuild of i fragments is i times faster in state i: 3! = 6 times fewer losses.
  CHECK(s3::approximate_loss_per_year(serial) / s3::approximate_loss_per_year(parallel) ==
        Approx(6.0));
}

TEST_CASE("importance sampling recovers a 1e-15 loss rate, naive sampling sees nothing") {
  const s3::DurabilityModel m = model("rs:5+4", 0.02, 1);
  const double exact = 1 / s3::mean_time_to_loss_years(m);
  hexwire::sim::Rng rng = hexwire::sim::cases::RngStreams(3).stream("test");
  const s3::MonteCarloEstimate biased = s3::monte_carlo_loss(m, 100'000, 0.5, rng);
  CHECK(std::fabs(biased.loss_per_year - exact) < 4 * biased.standard_error);
  CHECK(biased.standard_error < 0.05 * exact);
  const s3::MonteCarloEstimate naive = s3::monte_carlo_loss(m, 100'000, 0.0, rng);
  CHECK(naive.paths_lost == 0);
  CHECK(naive.loss_per_year == 0.0);
}
