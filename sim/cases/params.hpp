// The knobs of an experiment: each declared once (name, kind, default, range, help), turned into
// a validated --flag by the command line, and read back by the model with typed getters. Declaring
// a knob here is all a case needs to do to get parsing, range errors, --help text and its value in
// the report's "settings".
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/cases/event_loop.hpp"

namespace hexwire::sim::cases {

enum class ParamKind : std::uint8_t { kInteger, kNumber, kDuration, kChoice, kText };

struct ParamSpec {
  std::string name;  // the flag without dashes: "vnodes" is --vnodes
  ParamKind kind = ParamKind::kInteger;
  std::string default_value;  // text, as a user would type it: "10", "600s", "static"
  std::string help;
  double min = 0.0;  // integers and numbers: inclusive range; durations: in seconds
  double max = 1e15;
  std::vector<std::string> choices;                        // kChoice
  std::function<std::string(std::string_view)> validate;  // kText: "" or the error

  static ParamSpec integer(std::string name, std::int64_t fallback, std::int64_t min,
                           std::int64_t max, std::string help);
  static ParamSpec number(std::string name, double fallback, double min, double max,
                          std::string help);
  /// A duration flag ("600s", "10m", "125ms"; a plain number is seconds), within [min_s, max_s].
  static ParamSpec duration(std::string name, std::string fallback, double min_s, double max_s,
                            std::string help);
  static ParamSpec choice(std::string name, std::string fallback, std::vector<std::string> choices,
                          std::string help);
  /// A latency distribution in LatencyDistribution's text form ("exponential:0.1ms").
  static ParamSpec distribution(std::string name, std::string fallback, std::string help);
  /// Free text checked by `validate` (returns an error text, or empty when fine).
  static ParamSpec text(std::string name, std::string fallback,
                        std::function<std::string(std::string_view)> validate, std::string help);

  /// Checks one value; empty when valid, else an error naming the flag and the valid range.
  [[nodiscard]] std::string check(std::string_view value) const;
};

/// The values an experiment runs with, every declared knob present (given or default).
class Params {
 public:
  Params() = default;
  /// Adds `value` for `spec` (already checked).
  void set(const ParamSpec& spec, std::string value);

  [[nodiscard]] std::int64_t integer(std::string_view name) const;
  [[nodiscard]] double number(std::string_view name) const;
  [[nodiscard]] SimTime duration(std::string_view name) const;
  [[nodiscard]] const std::string& text(std::string_view name) const;  // choices and text
  /// Whether the user gave the flag (false: the default is in use).
  [[nodiscard]] bool given(std::string_view name) const;
  void mark_given(std::string_view name);

  /// name -> value text, in declaration order, for reports.
  [[nodiscard]] const std::vector<std::pair<std::string, std::string>>& settings() const noexcept {
    return settings_;
  }

 private:
  struct Value {
    ParamKind kind;
    std::string text;
    double number = 0.0;
    SimTime duration = 0;
    bool given = false;
  };
  const Value& find(std::string_view name, ParamKind kind) const;
  std::map<std::string, Value, std::less<>> values_;
  std::vector<std::pair<std::string, std::string>> settings_;
};

}  // namespace hexwire::sim::cases
