// Close code rules (RFC 6455 7.4 and the IANA registry) and close payload parsing/building.
#include <catch2/catch.hpp>

#include <array>
#include <string>

#include "net/ws_close.hpp"

using namespace hexwire::net;

namespace {
std::span<const std::byte> as_span(const std::string& text) {
  return std::as_bytes(std::span<const char>(text.data(), text.size()));
}
}  // namespace

TEST_CASE("wire close code ranges") {
  for (unsigned code = 0; code < 70000; ++code) {
    const bool expected = (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
                          (code >= 3000 && code <= 4999);
    if (code <= 0xFFFF) {
      REQUIRE(is_valid_wire_close_code(static_cast<std::uint16_t>(code)) == expected);
    }
  }
  CHECK_FALSE(is_valid_wire_close_code(to_wire(CloseCode::kNoStatus)));
  CHECK_FALSE(is_valid_wire_close_code(to_wire(CloseCode::kAbnormal)));
  CHECK(is_valid_wire_close_code(to_wire(CloseCode::kTryAgainLater)));
}

TEST_CASE("close payload parsing") {
  CHECK(parse_close_payload({}).status == ClosePayloadStatus::kEmpty);
  CHECK(parse_close_payload({}).code == 1005);
  CHECK(parse_close_payload(as_span(std::string("\x03"))).status == ClosePayloadStatus::kBadLength);
  CHECK(parse_close_payload(as_span(std::string("\x03\xEC", 2))).status ==
        ClosePayloadStatus::kBadCode);  // 1004
  const std::string normal = std::string("\x03\xE8", 2) + "bye";
  const auto ok = parse_close_payload(as_span(normal));
  CHECK(ok.status == ClosePayloadStatus::kOk);
  CHECK(ok.code == 1000);
  CHECK(ok.reason == "bye");
  CHECK(parse_close_payload(as_span(std::string("\x03\xE8\xFF", 3))).status ==
        ClosePayloadStatus::kBadUtf8);
}

TEST_CASE("close payload builder truncates on a character boundary") {
  std::array<std::byte, 125> out;
  std::string reason;
  for (int i = 0; i < 60; ++i) {
    reason += "\xC3\xA9";  // 120 bytes
  }
  reason = "x" + reason + "\xE2\x82\xAC";  // 124 bytes: the euro sign straddles the limit
  const std::size_t length = close_frame_payload(1001, reason, out);
  CHECK(length <= 125);
  const auto parsed = parse_close_payload(std::span<const std::byte>(out.data(), length));
  CHECK(parsed.status == ClosePayloadStatus::kOk);
  CHECK(parsed.code == 1001);
  CHECK(parsed.reason.size() == 121);
}
