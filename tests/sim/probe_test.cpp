// Message probes: round trip at every size, exact lengths, JSON-safe characters, and rejection of
// corrupted, truncated or mixed-up payloads (what --verify relies on for echo replies).
#include "sim/probe.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

using namespace hexwire::sim;

TEST_CASE("a probe round-trips at every size and has exactly the requested length") {
  const Probe probe{0x0123456789abcdefull, 4'000'000'000u, 0xfedcba9876543210ull};
  for (std::size_t size = 0; size <= 300; ++size) {
    std::string text;
    write_probe_text(probe, size, text);
    CHECK(text.size() == std::max(size, kProbeTextSize));
    const auto read = read_probe_text(text);
    REQUIRE(read.has_value());
    CHECK(*read == probe);

    std::string json;
    write_probe_json(probe, size, json);
    CHECK(json.size() == std::max(size, kProbeJsonSize));
    CHECK(json.front() == '"');
    CHECK(json.back() == '"');
    CHECK(read_probe_text(std::string_view(json).substr(1, json.size() - 2)) == probe);
  }
}

TEST_CASE("probe text needs no JSON escaping") {
  std::string text;
  write_probe_text(Probe{1, 2, 3}, 4096, text);
  CHECK(std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  }));
}

TEST_CASE("corrupted, truncated and mixed-up probes are rejected") {
  std::string text;
  write_probe_text(Probe{111, 7, 42}, 200, text);
  REQUIRE(read_probe_text(text).has_value());

  std::string flipped = text;
  flipped[150] = flipped[150] == 'a' ? 'b' : 'a';
  CHECK_FALSE(read_probe_text(flipped).has_value());

  CHECK_FALSE(read_probe_text(std::string_view(text).substr(0, 30)).has_value());
  std::string bad_header = text;
  bad_header[0] = 'X';
  CHECK_FALSE(read_probe_text(bad_header).has_value());
  std::string bad_hex = text;
  bad_hex[5] = 'g';
  CHECK_FALSE(read_probe_text(bad_hex).has_value());

  // The header of one message with the padding of another (same size) does not pass.
  std::string other;
  write_probe_text(Probe{111, 7, 43}, 200, other);
  std::string mixed = text.substr(0, kProbeTextSize) + other.substr(kProbeTextSize);
  CHECK_FALSE(read_probe_text(mixed).has_value());
}
