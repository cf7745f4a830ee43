// --fail parsing: kind, node lists (with n0..2 ranges), factor, start and duration.
#include "sim/cases/faults.hpp"

#include <fmt/format.h>

#include <charconv>

#include "sim/cases/latency.hpp"

namespace hexwire::sim::cases {
namespace {

constexpr std::string_view kForms =
    "use crash:NODES@START[+DURATION], wipe:NODES@START[+DURATION], "
    "partition:NODES|NODES@START[+DURATION] or slow:NODES*FACTOR@START[+DURATION], e.g. "
    "crash:n2@10s+30s (NODES: names or ranges such as n0..2, comma-separated)";

bool valid_name(std::string_view name) {
  if (name.empty() || name.size() > 32) {
    return false;
  }
  for (const char ch : name) {
    const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                    (ch >= '0' && ch <= '9') || ch == '_' || ch == '-';
    if (!ok) {
      return false;
    }
  }
  return true;
}

std::optional<unsigned> parse_unsigned(std::string_view text) {
  unsigned value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc{} || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

// "n0..12" -> n0 ... n12
bool expand_range(std::string_view item, std::vector<std::string>& out) {
  const std::size_t dots = item.find("..");
  if (dots == std::string_view::npos) {
    if (!valid_name(item)) {
      return false;
    }
    out.emplace_back(item);
    return true;
  }
  std::size_t digits = dots;
  while (digits > 0 && item[digits - 1] >= '0' && item[digits - 1] <= '9') {
    --digits;
  }
  const std::string_view prefix = item.substr(0, digits);
  const std::optional<unsigned> first = parse_unsigned(item.substr(digits, dots - digits));
  const std::optional<unsigned> last = parse_unsigned(item.substr(dots + 2));
  if (!first || !last || *last < *first || *last - *first > 10'000) {
    return false;
  }
  for (unsigned i = *first; i <= *last; ++i) {
    std::string name = fmt::format("{}{}", prefix, i);
    if (!valid_name(name)) {
      return false;
    }
    out.push_back(std::move(name));
  }
  return true;
}

}  // namespace

std::optional<std::vector<std::string>> expand_node_list(std::string_view text) {
  std::vector<std::string> names;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = text.find(',', start);
    const std::string_view item =
        text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    if (!expand_range(item, names)) {
      return std::nullopt;
    }
    if (comma == std::string_view::npos) {
      break;
    }
    start = comma + 1;
  }
  return names;
}

std::optional<FaultSpec> parse_fault(std::string_view text, std::string& error) {
  FaultSpec spec;
  spec.text = std::string(text);
  const auto fail = [&](std::string_view why) {
    error = fmt::format("--fail '{}': {}; {}", text, why, kForms);
    return std::nullopt;
  };
  const std::size_t colon = text.find(':');
  const std::size_t at = text.rfind('@');
  if (colon == std::string_view::npos || at == std::string_view::npos || at < colon) {
    return fail("expected KIND:NODES@START");
  }
  const std::string_view kind = text.substr(0, colon);
  std::string_view nodes = text.substr(colon + 1, at - colon - 1);
  std::string_view when = text.substr(at + 1);
  if (kind == "crash") {
    spec.kind = FaultKind::kCrash;
  } else if (kind == "wipe") {
    spec.kind = FaultKind::kWipe;
  } else if (kind == "partition") {
    spec.kind = FaultKind::kPartition;
  } else if (kind == "slow") {
    spec.kind = FaultKind::kSlow;
    const std::size_t star = nodes.find('*');
    if (star == std::string_view::npos) {
      return fail("slow needs a factor (slow:n4*10@0s)");
    }
    const std::string factor_text(nodes.substr(star + 1));
    char* end = nullptr;
    spec.slow_factor = std::strtod(factor_text.c_str(), &end);
    if (factor_text.empty() || *end != '\0' || !(spec.slow_factor >= 1.0) ||
        spec.slow_factor > 1e6) {
      return fail("the slow factor must be a number from 1 to 1000000");
    }
    nodes = nodes.substr(0, star);
  } else {
    return fail(fmt::format("unknown kind '{}'", kind));
  }
  std::size_t start = 0;
  while (true) {
    const std::size_t bar = nodes.find('|', start);
    const std::string_view side =
        nodes.substr(start, bar == std::string_view::npos ? std::string_view::npos : bar - start);
    std::optional<std::vector<std::string>> names = expand_node_list(side);
    if (!names) {
      return fail(fmt::format("'{}' is not a list of node names", side));
    }
    spec.groups.push_back(std::move(*names));
    if (bar == std::string_view::npos) {
      break;
    }
    start = bar + 1;
  }
  if ((spec.kind == FaultKind::kPartition) != (spec.groups.size() >= 2)) {
    return fail(spec.kind == FaultKind::kPartition ? "a partition needs two sides A|B"
                                                    : "'|' only separates partition sides");
  }
  const std::size_t plus = when.find('+');
  const std::optional<SimTime> start_time = parse_duration(when.substr(0, plus), "s");
  if (!start_time) {
    return fail(fmt::format("'{}' is not a start time such as 10s", when.substr(0, plus)));
  }
  spec.at = *start_time;
  if (plus != std::string_view::npos) {
    spec.duration = parse_duration(when.substr(plus + 1), "s");
    if (!spec.duration || *spec.duration <= 0) {
      return fail(fmt::format("'{}' is not a duration such as 30s", when.substr(plus + 1)));
    }
  }
  return spec;
}

}  // namespace hexwire::sim::cases
