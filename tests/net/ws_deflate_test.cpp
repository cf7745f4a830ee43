// permessage-deflate streams: round trips with and without context takeover, the tail handling,
// the decompressed-size limit, corrupt input, and the client-side answer parsing.
#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

#include "net/ws_deflate.hpp"

using namespace hexwire::net;

namespace {
std::span<const std::byte> as_span(const std::string& text) {
  return std::as_bytes(std::span<const char>(text.data(), text.size()));
}
std::string text_of(const std::vector<std::byte>& bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}
std::string chat_message(int i) {
  return "{\"op\":\"msg\",\"channel\":\"general\",\"seq\":" + std::to_string(1000 + i) +
         ",\"from\":\"u" + std::to_string(i % 7) +
         "\",\"ts\":1764320000000000,\"data\":{\"text\":\"hello everyone, message " +
         std::to_string(i) + "\"}}";
}
}  // namespace

TEST_CASE("deflate round trip with and without context takeover") {
  for (bool no_takeover : {false, true}) {
    WsDeflater deflater(15, no_takeover);
    WsInflater inflater(15, no_takeover);
    std::size_t compressed_total = 0;
    std::size_t plain_total = 0;
    for (int i = 0; i < 50; ++i) {
      const std::string message = chat_message(i);
      std::vector<std::byte> compressed;
      REQUIRE(deflater.compress(as_span(message), compressed));
      // The sync-flush tail is never on the wire.
      REQUIRE(compressed.size() >= 1);
      std::vector<std::byte> plain;
      REQUIRE(inflater.decompress(compressed, 1 << 20, plain) == InflateStatus::kOk);
      CHECK(text_of(plain) == message);
      compressed_total += compressed.size();
      plain_total += message.size();
    }
    CHECK(compressed_total < plain_total);
  }
}

TEST_CASE("context takeover makes repeated messages smaller than a fresh window") {
  WsDeflater keep(15, false);
  WsDeflater fresh(15, true);
  std::vector<std::byte> a;
  std::vector<std::byte> b;
  for (int i = 0; i < 2; ++i) {
    a.clear();
    b.clear();
    keep.compress(as_span(chat_message(1)), a);
    fresh.compress(as_span(chat_message(1)), b);
  }
  CHECK(a.size() < b.size());
}

TEST_CASE("empty and large random messages round trip") {
  WsDeflater deflater(12, false);
  WsInflater inflater(12, false);
  std::mt19937_64 rng(5);
  for (std::size_t size : {0u, 1u, 1000u, 300000u}) {
    std::string message(size, '\0');
    for (auto& c : message) {
      c = static_cast<char>(rng() % 16);
    }
    std::vector<std::byte> compressed;
    REQUIRE(deflater.compress(as_span(message), compressed));
    std::vector<std::byte> plain;
    REQUIRE(inflater.decompress(compressed, 1 << 20, plain) == InflateStatus::kOk);
    CHECK(text_of(plain) == message);
  }
}

TEST_CASE("inflating above the limit stops with kTooBig") {
  WsDeflater deflater(15, true);
  const std::string zeros(1 << 20, '0');
  std::vector<std::byte> bomb;
  REQUIRE(deflater.compress(as_span(zeros), bomb));
  CHECK(bomb.size() < 5000);
  WsInflater inflater(15, true);
  std::vector<std::byte> plain;
  CHECK(inflater.decompress(bomb, 64 * 1024, plain) == InflateStatus::kTooBig);
  CHECK(plain.empty());
  WsInflater exact(15, true);
  CHECK(exact.decompress(bomb, zeros.size(), plain) == InflateStatus::kOk);
  CHECK(plain.size() == zeros.size());
}

TEST_CASE("corrupt compressed data is reported") {
  WsInflater inflater(15, false);
  const std::string garbage = "\xFF\xFF\xFF\xFF\xFF\xFF";
  std::vector<std::byte> plain;
  CHECK(inflater.decompress(as_span(garbage), 1 << 20, plain) == InflateStatus::kCorrupt);
}

TEST_CASE("RFC 7692 example: 'Hello' compressed") {
  // Section 7.2.3.1: 0xf2 0x48 0xcd 0xc9 0xc9 0x07 0x00 is "Hello".
  const std::string wire("\xf2\x48\xcd\xc9\xc9\x07\x00", 7);
  WsInflater inflater(15, false);
  std::vector<std::byte> plain;
  REQUIRE(inflater.decompress(as_span(wire), 100, plain) == InflateStatus::kOk);
  CHECK(text_of(plain) == "Hello");
}

TEST_CASE("client parses the server's deflate answer") {
  const auto params = parse_deflate_response(
      "permessage-deflate; server_no_context_takeover; client_max_window_bits=10");
  REQUIRE(params);
  CHECK(params->server_no_context_takeover);
  CHECK(params->client_max_window_bits == 10);
  CHECK_FALSE(parse_deflate_response("permessage-deflate, permessage-deflate"));
  CHECK_FALSE(parse_deflate_response("x-other"));
  CHECK(format_deflate_offer() == "permessage-deflate; client_max_window_bits");
}
