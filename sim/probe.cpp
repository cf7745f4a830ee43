// Probe encoding: fixed-width hex fields and a self-checking padding pattern (see probe.hpp).
#include "sim/probe.hpp"

namespace hexwire::sim {
namespace {

constexpr char kHex[] = "0123456789abcdef";
constexpr char kPadAlphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
constexpr std::size_t kPadAlphabetSize = sizeof(kPadAlphabet) - 1;

void put_hex(std::string& out, std::uint64_t value, int digits) {
  for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4) {
    out.push_back(kHex[(value >> shift) & 0xf]);
  }
}

bool get_hex(std::string_view text, std::size_t at, int digits, std::uint64_t& value) noexcept {
  value = 0;
  for (int i = 0; i < digits; ++i) {
    const char c = text[at + i];
    std::uint64_t nibble;
    if (c >= '0' && c <= '9') {
      nibble = static_cast<std::uint64_t>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      nibble = static_cast<std::uint64_t>(c - 'a' + 10);
    } else {
      return false;
    }
    value = (value << 4) | nibble;
  }
  return true;
}

// Padding byte i of a probe: depends on all three fields, so padding copied from another message
// of the same size does not pass.
char pad_char(const Probe& p, std::size_t i) noexcept {
  const std::uint64_t mix = (p.number * 0x9E3779B97F4A7C15ull) ^ (p.intended_ns >> 7) ^ p.sender;
  return kPadAlphabet[(mix + i * 7) % kPadAlphabetSize];
}

}  // namespace

void write_probe_text(const Probe& probe, std::size_t size, std::string& out) {
  out.push_back('T');
  put_hex(out, probe.intended_ns, 16);
  out.push_back('P');
  put_hex(out, probe.sender, 8);
  out.push_back('N');
  put_hex(out, probe.number, 16);
  for (std::size_t i = kProbeTextSize; i < size; ++i) {
    out.push_back(pad_char(probe, i));
  }
}

void write_probe_json(const Probe& probe, std::size_t size, std::string& out) {
  out.push_back('"');
  write_probe_text(probe, size >= kProbeJsonSize ? size - 2 : kProbeTextSize, out);
  out.push_back('"');
}

std::optional<Probe> read_probe_text(std::string_view text) noexcept {
  if (text.size() < kProbeTextSize || text[0] != 'T' || text[17] != 'P' || text[26] != 'N') {
    return std::nullopt;
  }
  Probe probe;
  std::uint64_t sender = 0;
  if (!get_hex(text, 1, 16, probe.intended_ns) || !get_hex(text, 18, 8, sender) ||
      !get_hex(text, 27, 16, probe.number)) {
    return std::nullopt;
  }
  probe.sender = static_cast<std::uint32_t>(sender);
  for (std::size_t i = kProbeTextSize; i < text.size(); ++i) {
    if (text[i] != pad_char(probe, i)) {
      return std::nullopt;
    }
  }
  return probe;
}

}  // namespace hexwire::sim
