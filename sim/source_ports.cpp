// SourcePorts: the system's ephemeral range and the cursor of port windows over it.
#include "sim/source_ports.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <iterator>
#include <string>

namespace hexwire::sim {
namespace {

constexpr core::PortRange kDefaultRange{32768, 60999};  // Linux's default ip_local_port_range

std::optional<std::uint16_t> parse_port(std::string_view text) noexcept {
  unsigned value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size() || value == 0 || value > 65535) {
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(value);
}

std::string_view trim(std::string_view text) noexcept {
  const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!text.empty() && is_space(text.front())) {
    text.remove_prefix(1);
  }
  while (!text.empty() && is_space(text.back())) {
    text.remove_suffix(1);
  }
  return text;
}

}  // namespace

std::optional<core::PortRange> parse_port_range(std::string_view text) noexcept {
  text = trim(text);
  const std::size_t gap = text.find_first_of(" \t");
  if (gap == std::string_view::npos) {
    return std::nullopt;
  }
  const auto low = parse_port(text.substr(0, gap));
  const auto high = parse_port(trim(text.substr(gap)));
  if (!low || !high || *low > *high) {
    return std::nullopt;
  }
  return core::PortRange{*low, *high};
}

core::PortRange system_port_range() {
  std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return parse_port_range(text).value_or(kDefaultRange);
}

SourcePorts SourcePorts::from_system(std::uint64_t seed) {
  return SourcePorts(system_port_range(), seed);
}

SourcePorts::SourcePorts(core::PortRange range, std::uint64_t seed) noexcept
    : range_(range),
      starts_(range.high - range.low + 1u > kWindow ? range.high - range.low + 2u - kWindow : 1u),
      cursor_(static_cast<std::uint32_t>(seed % starts_)) {}

core::PortRange SourcePorts::next() noexcept {
  const auto low = static_cast<std::uint16_t>(range_.low + cursor_);
  const auto high = static_cast<std::uint16_t>(
      std::min<std::uint32_t>(range_.high, std::uint32_t{low} + kWindow - 1));
  cursor_ = (cursor_ + 1) % starts_;
  return core::PortRange{low, high};
}

}  // namespace hexwire::sim
