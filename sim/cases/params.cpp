// ParamSpec constructors and checks; Params storage and typed getters.
#include "sim/cases/params.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <stdexcept>

#include "sim/cases/latency.hpp"

namespace hexwire::sim::cases {
namespace {

std::optional<double> parse_real(std::string_view text) {
  double value = 0.0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc{} || end != text.data() + text.size() ||
      !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

std::optional<std::int64_t> parse_integer(std::string_view text) {
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc{} || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

std::string join(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (const std::string& item : items) {
    out += (out.empty() ? "" : std::string(separator)) + item;
  }
  return out;
}

}  // namespace

ParamSpec ParamSpec::integer(std::string name, std::int64_t fallback, std::int64_t min,
                             std::int64_t max, std::string help) {
  ParamSpec spec;
  spec.name = std::move(name);
  spec.kind = ParamKind::kInteger;
  spec.default_value = std::to_string(fallback);
  spec.min = static_cast<double>(min);
  spec.max = static_cast<double>(max);
  spec.help = std::move(help);
  return spec;
}

ParamSpec ParamSpec::number(std::string name, double fallback, double min, double max,
                            std::string help) {
  ParamSpec spec;
  spec.name = std::move(name);
  spec.kind = ParamKind::kNumber;
  spec.default_value = fmt::format("{}", fallback);
  spec.min = min;
  spec.max = max;
  spec.help = std::move(help);
  return spec;
}

ParamSpec ParamSpec::duration(std::string name, std::string fallback, double min_s, double max_s,
                              std::string help) {
  ParamSpec spec;
  spec.name = std::move(name);
  spec.kind = ParamKind::kDuration;
  spec.default_value = std::move(fallback);
  spec.min = min_s;
  spec.max = max_s;
  spec.help = std::move(help);
  return spec;
}

ParamSpec ParamSpec::choice(std::string name, std::string fallback,
                            std::vector<std::string> choices, std::string help) {
  ParamSpec spec;
  spec.name = std::move(name);
  spec.kind = ParamKind::kChoice;
  spec.default_value = std::move(fallback);
  spec.choices = std::move(choices);
  spec.help = std::move(help);
  return spec;
}

ParamSpec ParamSpec::text(std::string name, std::string fallback,
                          std::function<std::string(std::string_view)> validate,
                          std::string help) {
  ParamSpec spec;
  spec.name = std::move(name);
  spec.kind = ParamKind::kText;
  spec.default_value = std::move(fallback);
  spec.validate = std::move(validate);
  spec.help = std::move(help);
  return spec;
}

ParamSpec ParamSpec::distribution(std::string name, std::string fallback, std::string help) {
  std::string flag = "--" + name;
  return text(
      std::move(name), std::move(fallback),
      [flag](std::string_view value) {
        std::string error;
        return LatencyDistribution::parse(value, error) ? std::string() : flag + " " + error;
      },
      std::move(help));
}

std::string ParamSpec::check(std::string_view value) const {
  const auto out_of_range = [&](auto shown) {
    return fmt::format("--{} {}: must be from {} to {}", name, value, shown(min), shown(max));
  };
  switch (kind) {
    case ParamKind::kInteger: {
      const std::optional<std::int64_t> v = parse_integer(value);
      if (!v) {
        return fmt::format("--{} {}: not a whole number", name, value);
      }
      if (static_cast<double>(*v) < min || static_cast<double>(*v) > max) {
        return out_of_range([](double x) { return fmt::format("{}", static_cast<std::int64_t>(x)); });
      }
      return {};
    }
    case ParamKind::kNumber: {
      const std::optional<double> v = parse_real(value);
      if (!v) {
        return fmt::format("--{} {}: not a number", name, value);
      }
      if (*v < min || *v > max) {
        return out_of_range([](double x) { return fmt::format("{}", x); });
      }
      return {};
    }
    case ParamKind::kDuration: {
      const std::optional<SimTime> v = parse_duration(value, "s");
      if (!v) {
        return fmt::format("--{} {}: not a duration such as 600s, 10m, 125ms", name, value);
      }
      const double seconds = to_seconds(*v);
      if (seconds < min || seconds > max) {
        return out_of_range([](double x) { return format_duration(from_seconds(x)); });
      }
      return {};
    }
    case ParamKind::kChoice:
      for (const std::string& choice : choices) {
        if (choice == value) {
          return {};
        }
      }
      return fmt::format("--{} {}: must be one of {}", name, value, join(choices, ", "));
    case ParamKind::kText:
      return validate ? validate(value) : std::string();
  }
  return {};
}

void Params::set(const ParamSpec& spec, std::string value) {
  Value v{.kind = spec.kind, .text = value};
  if (spec.kind == ParamKind::kInteger || spec.kind == ParamKind::kNumber) {
    v.number = parse_real(value).value_or(0.0);
  } else if (spec.kind == ParamKind::kDuration) {
    v.duration = parse_duration(value, "s").value_or(0);
  }
  settings_.emplace_back(spec.name, value);
  values_.insert_or_assign(spec.name, std::move(v));
}

const Params::Value& Params::find(std::string_view name, ParamKind kind) const {
  const auto it = values_.find(name);
  const bool text_ok = kind == ParamKind::kText &&
                       it != values_.end() && it->second.kind == ParamKind::kChoice;
  if (it == values_.end() || (it->second.kind != kind && !text_ok)) {
    throw std::logic_error(fmt::format("experiment reads undeclared or mistyped knob '{}'", name));
  }
  return it->second;
}

std::int64_t Params::integer(std::string_view name) const {
  return static_cast<std::int64_t>(find(name, ParamKind::kInteger).number);
}

double Params::number(std::string_view name) const {
  const auto it = values_.find(name);
  if (it != values_.end() && it->second.kind == ParamKind::kInteger) {
    return it->second.number;
  }
  return find(name, ParamKind::kNumber).number;
}

SimTime Params::duration(std::string_view name) const {
  return find(name, ParamKind::kDuration).duration;
}

const std::string& Params::text(std::string_view name) const {
  return find(name, ParamKind::kText).text;
}

bool Params::given(std::string_view name) const {
  const auto it = values_.find(name);
  return it != values_.end() && it->second.given;
}

void Params::mark_given(std::string_view name) {
  const auto it = values_.find(name);
  if (it != values_.end()) {
    it->second.given = true;
  }
}

}  // namespace hexwire::sim::cases
