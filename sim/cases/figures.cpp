// Figure verdicts and constructors.
#include "sim/cases/figures.hpp"

#include <cmath>
#include <utility>

namespace hexwire::sim::cases {

std::string_view to_string(Compare compare) noexcept {
  switch (compare) {
    case Compare::kWithin:
      return "within";
    case Compare::kAtMost:
      return "at_most";
    case Compare::kAtLeast:
      return "at_least";
    case Compare::kInfo:
      return "info";
  }
  return "info";
}

bool Figure::ok() const noexcept {
  if (compare == Compare::kInfo || !reference) {
    return true;
  }
  if (!std::isfinite(measured)) {
    return false;
  }
  // A hair of slack so that a tolerance written as a decimal is not missed by rounding.
  const double slack = tolerance + 1e-12 * std::max(1.0, std::fabs(*reference));
  switch (compare) {
    case Compare::kWithin:
      return std::fabs(measured - *reference) <= slack;
    case Compare::kAtMost:
      return measured <= *reference + slack;
    case Compare::kAtLeast:
      return measured >= *reference - slack;
    case Compare::kInfo:
      break;
  }
  return true;
}

Figure Figure::within(std::string name, double measured, double reference, double tolerance,
                      std::string source, std::string unit) {
  return Figure{std::move(name), measured,       reference,       tolerance,
                Compare::kWithin, std::move(unit), std::move(source)};
}

Figure Figure::within_relative(std::string name, double measured, double reference,
                               double relative, std::string source, std::string unit) {
  return within(std::move(name), measured, reference, relative * std::fabs(reference),
                std::move(source), std::move(unit));
}

Figure Figure::at_most(std::string name, double measured, double bound, std::string source,
                       std::string unit) {
  return Figure{std::move(name), measured,        bound,           0.0,
                Compare::kAtMost, std::move(unit), std::move(source)};
}

Figure Figure::at_least(std::string name, double measured, double bound, std::string source,
                        std::string unit) {
  return Figure{std::move(name), measured,         bound,           0.0,
                Compare::kAtLeast, std::move(unit), std::move(source)};
}

Figure Figure::info(std::string name, double measured, std::string unit) {
  return Figure{std::move(name), measured, std::nullopt, 0.0, Compare::kInfo, std::move(unit), {}};
}

bool Outcome::ok() const noexcept {
  return misses() == 0;
}

std::size_t Outcome::misses() const noexcept {
  std::size_t count = 0;
  for (const Figure& figure : figures) {
    count += figure.ok() ? 0 : 1;
  }
  return count;
}

}  // namespace hexwire::sim::cases
