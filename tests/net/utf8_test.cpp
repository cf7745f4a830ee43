// UTF-8 validation modelled on Autobahn 6.x: valid and invalid sequences checked whole, split at
// every byte position and in three pieces, fail-fast positions, and random data against the
// scalar reference.
#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

#include "net/utf8.hpp"
#include "net/ws_frame.hpp"
#include "ws_test_support.hpp"

using namespace hexwire::net;
using namespace hexwire::net::testing;

namespace {

std::span<const std::byte> as_span(const std::string& text) {
  return std::as_bytes(std::span<const char>(text.data(), text.size()));
}

bool stream_valid(const std::vector<std::string>& pieces) {
  Utf8StreamValidator validator;
  for (const auto& piece : pieces) {
    if (validator.feed(as_span(piece)) == Utf8Status::kInvalid) {
      return false;
    }
  }
  return validator.finish() == Utf8Status::kComplete;
}

const std::vector<std::string> kValid = {
    "",
    "Hello-\xC2\xB5@\xC3\x9F\xC3\xB6\xC3\xA4\xC3\xBC\xC3\xA0\xC3\xA1-UTF-8!!",
    "\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5",  // 6.2: kosme
    std::string("\x00", 1),
    "\x7F",
    "\xC2\x80",
    "\xDF\xBF",
    "\xE0\xA0\x80",
    "\xEF\xBF\xBF",
    "\xF0\x90\x80\x80",
    "\xF4\x8F\xBF\xBF",  // 6.5-6.7 boundaries, U+10FFFF
    "\xED\x9F\xBF",
    "\xEE\x80\x80",
    "\xEF\xBF\xBD",  // around the surrogates, U+FFFD
    "\xEF\xBF\xBE",
    "\xEF\xBF\xBF",  // 6.22: noncharacters are valid
};

const std::vector<std::string> kInvalid = {
    "\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5\xED\xA0\x80\x65\x64\x69\x74\x65\x64",  // 6.4
    "\xF8\x88\x80\x80\x80",
    "\xFC\x84\x80\x80\x80\x80",  // 6.8
    "\xF4\x90\x80\x80",          // above U+10FFFF
    "\x80",
    "\xBF",
    "\x80\xBF\x80",  // 6.9 continuation bytes
    "\xC0 ",
    "\xE0\x80 ",
    "\xC0",
    "\xE0\x80",
    "\xF0\x80\x80",  // 6.14/6.15 truncated or overlong
    "\xDF",
    "\xEF\xBF",
    "\xF7\xBF\xBF",  // 6.15 last byte missing
    "\xFE",
    "\xFF",
    "\xFE\xFE\xFF\xFF",  // 6.16 impossible bytes
    "\xC0\xAF",
    "\xE0\x80\xAF",
    "\xF0\x80\x80\xAF",  // 6.17 overlong '/'
    "\xC1\xBF",
    "\xE0\x9F\xBF",
    "\xF0\x8F\xBF\xBF",  // 6.18 maximal overlongs
    "\xED\xA0\x80",
    "\xED\xAD\xBF",
    "\xED\xBF\xBF",              // 6.19 single surrogates
    "\xED\xA0\x80\xED\xB0\x80",  // 6.20 paired surrogates
    "a\xC2",
    "ab\xE2\x82",  // ends mid-sequence
};

/// Feeds `text` to a fresh decoder as one TEXT message in two fragments cut at byte `cut`.
void decode_in_two_fragments(const std::string& text, std::size_t cut, RecordingSink& sink) {
  std::vector<std::byte> wire;
  append(wire, raw_frame(0x1, text.substr(0, cut), false));
  append(wire, raw_frame(0x0, text.substr(cut), true));
  WsFrameDecoder decoder;
  feed_all(decoder, wire, sink);
}

}  // namespace

TEST_CASE("whole-buffer validators agree on valid and invalid cases") {
  for (const auto& text : kValid) {
    CHECK(is_valid_utf8(as_span(text)));
    CHECK(is_valid_utf8_scalar(as_span(text)));
  }
  for (const auto& text : kInvalid) {
    INFO("case bytes " << text.size());
    CHECK_FALSE(is_valid_utf8(as_span(text)));
    CHECK_FALSE(is_valid_utf8_scalar(as_span(text)));
  }
}

TEST_CASE("streaming validator gives the same answer for every split position") {
  auto check_all_splits = [](const std::string& text, bool expected) {
    for (std::size_t cut = 0; cut <= text.size(); ++cut) {
      INFO("cut " << cut);
      CHECK(stream_valid({text.substr(0, cut), text.substr(cut)}) == expected);
      for (std::size_t cut2 = cut; cut2 <= text.size(); ++cut2) {
        CHECK(stream_valid({text.substr(0, cut), text.substr(cut, cut2 - cut),
                            text.substr(cut2)}) == expected);
      }
    }
  };
  for (const auto& text : kValid) {
    check_all_splits(text, true);
    check_all_splits("abc" + text + "\xE2\x82\xAC" + text, true);
  }
  for (const auto& text : kInvalid) {
    check_all_splits(text, false);
    check_all_splits("abc" + text + "xyz", false);
  }
}

TEST_CASE("streaming validator fails as soon as the prefix is invalid") {
  // Autobahn 6.4.x: kosme, then a surrogate: invalid at the byte after 0xED.
  const std::string text = "\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5\xED\xA0\x80\x65\x64";
  Utf8StreamValidator validator;
  std::size_t failed_at = text.size();
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (validator.feed(as_span(text.substr(i, 1))) == Utf8Status::kInvalid) {
      failed_at = i;
      break;
    }
  }
  CHECK(failed_at == 12);
  // 0xF4 0x90: above U+10FFFF is known at the second byte.
  Utf8StreamValidator high;
  CHECK(high.feed(as_span(std::string("\xF4"))) == Utf8Status::kIncomplete);
  CHECK(high.feed(as_span(std::string("\x90"))) == Utf8Status::kInvalid);
  // Incomplete but valid prefix only fails at finish().
  Utf8StreamValidator unfinished;
  CHECK(unfinished.feed(as_span(std::string("ok\xF0\x9F"))) == Utf8Status::kIncomplete);
  CHECK(unfinished.finish() == Utf8Status::kInvalid);
  // Invalid stays invalid until reset.
  CHECK(high.feed(as_span(std::string("a"))) == Utf8Status::kInvalid);
  high.reset();
  CHECK(high.feed(as_span(std::string("a"))) == Utf8Status::kComplete);
}

TEST_CASE("streaming validator matches the scalar reference on random data and random splits") {
  std::mt19937_64 rng(1234);
  const std::vector<std::string> alphabet = {
      "a", "\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80", "\xED\x9F\xBF", "\xF4\x8F\xBF\xBF"};
  for (int round = 0; round < 3000; ++round) {
    std::string text;
    const int characters = static_cast<int>(rng() % 80);
    for (int i = 0; i < characters; ++i) {
      text += alphabet[rng() % alphabet.size()];
    }
    if (round % 2 == 1 && !text.empty()) {
      text[rng() % text.size()] = static_cast<char>(rng());  // corrupt one byte
    }
    const bool expected = is_valid_utf8_scalar(as_span(text));
    CHECK(is_valid_utf8(as_span(text)) == expected);
    std::vector<std::string> pieces;
    std::size_t at = 0;
    while (at < text.size()) {
      const std::size_t length = 1 + rng() % 9;
      pieces.push_back(text.substr(at, length));
      at += length;
    }
    CHECK(stream_valid(pieces) == expected);
  }
}

TEST_CASE("text messages fragmented at every byte position validate like the whole (6.x)") {
  for (const auto& text : kValid) {
    for (std::size_t cut = 0; cut <= text.size(); ++cut) {
      RecordingSink sink;
      decode_in_two_fragments(text, cut, sink);
      CHECK(sink.errors.empty());
      REQUIRE(sink.messages.size() == 1);
      CHECK(sink.messages[0].payload == text);
    }
  }
  for (const auto& text : kInvalid) {
    for (std::size_t cut = 0; cut <= text.size(); ++cut) {
      RecordingSink sink;
      decode_in_two_fragments(text, cut, sink);
      REQUIRE(sink.errors.size() == 1);
      CHECK(sink.errors[0] == CloseCode::kInvalidPayload);
      CHECK(sink.messages.empty());
    }
  }
}
