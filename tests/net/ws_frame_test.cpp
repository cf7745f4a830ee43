// Frame codec behaviour: every length encoding, in-place unmasking at every alignment, zero-copy
// delivery, fragmentation with interleaved control frames, split input, every protocol violation
// with its close code, close payloads (Autobahn 7.x), streaming mode and the encoders.
#include <catch2/catch.hpp>

#include "net/ws_frame.hpp"
#include "ws_test_support.hpp"

using namespace hexwire::net;
using namespace hexwire::net::testing;

namespace {

WsDecoderOptions big_limits() {
  WsDecoderOptions options;
  options.max_frame_payload = 4u << 20;
  options.max_message_size = 4u << 20;
  return options;
}

CloseCode error_of(std::vector<std::byte> wire, WsDecoderOptions options = {},
                   Role role = Role::kServer) {
  WsFrameDecoder decoder(role, options);
  RecordingSink sink;
  feed_all(decoder, wire, sink);
  REQUIRE(sink.errors.size() == 1);
  CHECK(decoder.state() == WsDecoderState::kFailed);
  CHECK(decoder.heap_bytes() == 0);
  return sink.errors[0];
}

}  // namespace

TEST_CASE("every payload length encoding decodes whole, in place, and split") {
  std::mt19937_64 rng(7);
  for (std::size_t size : {0u, 1u, 125u, 126u, 127u, 65535u, 65536u, 1u << 20}) {
    INFO("payload size " << size);
    const std::string payload = random_text(rng, size);
    const auto wire = raw_frame(0x2, payload);
    CHECK(wire.size() == frame_header_size(size, true) + size);

    WsFrameDecoder decoder(Role::kServer, big_limits());
    RecordingSink sink;
    auto in_place = wire;  // the decoder unmasks this copy in place
    CHECK(feed_all(decoder, in_place, sink) == wire.size());
    REQUIRE(sink.messages.size() == 1);
    CHECK(sink.messages[0].opcode == Opcode::kBinary);
    CHECK(sink.messages[0].payload == payload);
    CHECK(sink.messages[0].final);
    if (size > 0) {
      CHECK(sink.messages[0].in_place);
    }
    CHECK(decoder.heap_bytes() == 0);

    for (std::size_t step : {1u, 3u, 1000u, 4096u}) {
      if (step == 1 && size > 70000) {
        continue;
      }
      WsFrameDecoder split(Role::kServer, big_limits());
      RecordingSink split_sink;
      feed_in_steps(split, wire, step, split_sink);
      REQUIRE(split_sink.messages.size() == 1);
      CHECK(split_sink.messages[0].payload == payload);
      CHECK(split.heap_bytes() == 0);
    }
  }
}

TEST_CASE("server encoder writes minimal length encodings a client decoder reads back") {
  std::mt19937_64 rng(11);
  for (std::size_t size : {0u, 1u, 125u, 126u, 127u, 65535u, 65536u, 1u << 20}) {
    const std::string payload = random_text(rng, size);
    auto frame = encode_frame(Opcode::kBinary, bytes_of(payload));
    REQUIRE(frame.size() == frame_header_size(size, false) + size);
    const auto first = std::to_integer<int>(frame.data()[0]);
    const auto second = std::to_integer<int>(frame.data()[1]);
    CHECK(first == 0x82);
    CHECK(second == (size < 126 ? static_cast<int>(size) : (size <= 0xFFFF ? 126 : 127)));
    std::vector<std::byte> wire(frame.data(), frame.data() + frame.size());
    WsFrameDecoder decoder(Role::kClient, big_limits());
    RecordingSink sink;
    feed_all(decoder, wire, sink);
    REQUIRE(sink.messages.size() == 1);
    CHECK(sink.messages[0].payload == payload);
  }
  auto text = encode_text_frame("hi", FrameFlags{false, false});
  CHECK(std::to_integer<int>(text.data()[0]) == 0x01);
}

TEST_CASE("masked client encoder round-trips through the server decoder with fresh keys") {
  MaskKeyGenerator keys(42);
  std::mt19937_64 rng(3);
  std::vector<MaskKey> seen;
  for (std::size_t size : {0u, 5u, 200u, 70000u}) {
    const std::string payload = random_text(rng, size);
    auto frame = encode_masked_frame(Opcode::kBinary, bytes_of(payload), keys);
    std::vector<std::byte> wire(frame.data(), frame.data() + frame.size());
    CHECK((std::to_integer<int>(wire[1]) & 0x80) == 0x80);
    MaskKey key;
    std::memcpy(key.data(), wire.data() + frame_header_size(size, true) - 4, 4);
    seen.push_back(key);
    WsFrameDecoder decoder(Role::kServer, big_limits());
    RecordingSink sink;
    feed_all(decoder, wire, sink);
    REQUIRE(sink.messages.size() == 1);
    CHECK(sink.messages[0].payload == payload);
  }
  CHECK(seen[0] != seen[1]);
  CHECK(seen[1] != seen[2]);
}

TEST_CASE("word-wise unmasking equals the byte-by-byte reference at every alignment and offset") {
  std::mt19937_64 rng(99);
  const MaskKey key = {0x37, 0xfa, 0x21, 0x3d};
  for (std::size_t size :
       {0u, 1u, 3u, 7u, 8u, 15u, 16u, 17u, 31u, 32u, 33u, 63u, 64u, 100u, 1000u, 4099u}) {
    for (std::size_t alignment = 0; alignment < 16; ++alignment) {
      for (std::size_t offset = 0; offset < 4; ++offset) {
        std::vector<std::byte> storage(size + 32);
        for (auto& b : storage) {
          b = static_cast<std::byte>(rng());
        }
        auto reference = storage;
        apply_mask(storage.data() + alignment, size, key, offset);
        apply_mask_bytewise(reference.data() + alignment, size, key, offset);
        REQUIRE(storage == reference);
      }
    }
  }
}

TEST_CASE("fragmented message with interleaved ping and pong is assembled once") {
  std::vector<std::byte> wire;
  append(wire, raw_frame(0x1, "Hel", false));
  append(wire, raw_frame(0x9, "p1"));
  append(wire, raw_frame(0x0, "lo", false));
  append(wire, raw_frame(0xA, ""));
  append(wire, raw_frame(0x0, " world", true));
  append(wire, raw_frame(0x2, "next"));

  for (std::size_t step : {wire.size(), std::size_t{1}, std::size_t{2}, std::size_t{5}}) {
    WsFrameDecoder decoder;
    RecordingSink sink;
    feed_in_steps(decoder, wire, step, sink);
    REQUIRE(sink.errors.empty());
    REQUIRE(sink.controls.size() == 2);
    CHECK(sink.controls[0].opcode == Opcode::kPing);
    CHECK(sink.controls[0].payload == "p1");
    CHECK(sink.controls[1].opcode == Opcode::kPong);
    REQUIRE(sink.messages.size() == 2);
    CHECK(sink.messages[0].opcode == Opcode::kText);
    CHECK(sink.messages[0].payload == "Hello world");
    CHECK(sink.messages[1].payload == "next");
    CHECK_FALSE(decoder.in_message());
    CHECK(decoder.heap_bytes() == 0);
  }
}

TEST_CASE("input split at every byte position decodes identically") {
  std::vector<std::byte> wire;
  append(wire, raw_frame(0x1, "caf\xC3\xA9 \xE2\x82\xAC", false));
  append(wire, raw_frame(0x9, "ping-payload"));
  append(wire, raw_frame(0x0, "\xF0\x9F\x98\x80!", true));
  append(wire, raw_frame(0x2, std::string(300, 'x')));
  for (std::size_t cut = 0; cut <= wire.size(); ++cut) {
    std::vector<std::byte> first(wire.begin(), wire.begin() + static_cast<std::ptrdiff_t>(cut));
    std::vector<std::byte> second(wire.begin() + static_cast<std::ptrdiff_t>(cut), wire.end());
    WsFrameDecoder decoder;
    RecordingSink sink;
    decoder.feed(first, sink);
    decoder.feed(second, sink);
    REQUIRE(sink.errors.empty());
    REQUIRE(sink.messages.size() == 2);
    CHECK(sink.messages[0].payload == "caf\xC3\xA9 \xE2\x82\xAC\xF0\x9F\x98\x80!");
    CHECK(sink.messages[1].payload == std::string(300, 'x'));
    REQUIRE(sink.controls.size() == 1);
    CHECK(sink.controls[0].payload == "ping-payload");
  }
}

TEST_CASE("framing violations close with 1002") {
  SECTION("unmasked client frame") {
    CHECK(error_of(raw_frame(0x1, "hi", true, false)) == CloseCode::kProtocolError);
  }
  SECTION("masked server frame in the client role") {
    CHECK(error_of(raw_frame(0x1, "hi"), {}, Role::kClient) == CloseCode::kProtocolError);
  }
  SECTION("reserved bits without an extension") {
    for (std::uint8_t rsv : {0x10, 0x20, 0x40, 0x70}) {
      CHECK(error_of(raw_frame(0x1, "hi", true, true, rsv)) == CloseCode::kProtocolError);
    }
  }
  SECTION("RSV2/RSV3 even with deflate, RSV1 on control or continuation frames") {
    WsDecoderOptions deflate;
    deflate.allow_rsv1 = true;
    CHECK(error_of(raw_frame(0x1, "hi", true, true, 0x20), deflate) == CloseCode::kProtocolError);
    CHECK(error_of(raw_frame(0x9, "", true, true, 0x40), deflate) == CloseCode::kProtocolError);
    auto wire = raw_frame(0x1, "a", false, true, 0x40);
    append(wire, raw_frame(0x0, "b", true, true, 0x40));
    CHECK(error_of(wire, deflate) == CloseCode::kProtocolError);
  }
  SECTION("unknown opcodes") {
    for (std::uint8_t opcode : {3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF}) {
      INFO("opcode " << int(opcode));
      CHECK(error_of(raw_frame(opcode, "x")) == CloseCode::kProtocolError);
    }
  }
  SECTION("fragmented control frame") {
    CHECK(error_of(raw_frame(0x9, "x", false)) == CloseCode::kProtocolError);
  }
  SECTION("control frame above 125 bytes") {
    CHECK(error_of(raw_frame(0x9, std::string(126, 'p'))) == CloseCode::kProtocolError);
    CHECK(error_of(raw_frame(0x8, std::string(126, 'p'))) == CloseCode::kProtocolError);
  }
  SECTION("continuation without a started message") {
    CHECK(error_of(raw_frame(0x0, "x")) == CloseCode::kProtocolError);
  }
  SECTION("new data frame inside a fragmented message") {
    auto wire = raw_frame(0x1, "a", false);
    append(wire, raw_frame(0x2, "b"));
    CHECK(error_of(wire) == CloseCode::kProtocolError);
  }
  SECTION("lengths not in their minimal encoding (RFC 6455 5.2)") {
    // 16-bit form carrying 5, 64-bit form carrying 200: both must use the shorter form.
    std::vector<std::byte> short16 = {std::byte{0x82}, std::byte{0xFE}, std::byte{0}, std::byte{5},
                                      std::byte{1},    std::byte{2},    std::byte{3}, std::byte{4}};
    CHECK(error_of(short16) == CloseCode::kProtocolError);
    std::vector<std::byte> short64 = {std::byte{0x82}, std::byte{0xFF}};
    for (int i = 0; i < 7; ++i) {
      short64.push_back(std::byte{0});
    }
    short64.push_back(std::byte{200});
    for (int i = 0; i < 4; ++i) {
      short64.push_back(std::byte{1});
    }
    CHECK(error_of(short64) == CloseCode::kProtocolError);
  }
  SECTION("64-bit length with the top bit set") {
    std::vector<std::byte> wire = {std::byte{0x82}, std::byte{0xFF}};
    for (int i = 0; i < 8; ++i) {
      wire.push_back(i == 0 ? std::byte{0x80} : std::byte{0});
    }
    for (int i = 0; i < 4; ++i) {
      wire.push_back(std::byte{0});
    }
    CHECK(error_of(wire) == CloseCode::kProtocolError);
  }
}

TEST_CASE("RSV1 is accepted on the first frame when deflate is negotiated") {
  WsDecoderOptions options;
  options.allow_rsv1 = true;
  WsFrameDecoder decoder(Role::kServer, options);
  struct CompressedSink final : WsFrameSink {
    WsFrameDecoder* decoder = nullptr;
    bool compressed = false;
    int messages = 0;
    void on_message(Opcode, std::span<std::byte>, bool) noexcept override {
      compressed = decoder->message_compressed();
      ++messages;
    }
    void on_control(Opcode, std::span<const std::byte>) noexcept override {}
    void on_error(CloseCode, std::string_view) noexcept override {}
  } sink;
  sink.decoder = &decoder;
  // Compressed text is not UTF-8 checked by the decoder (the session checks it after inflating).
  auto wire = raw_frame(0x1, "\xFF\xFE", true, true, 0x40);
  decoder.feed(wire, sink);
  CHECK(sink.messages == 1);
  CHECK(sink.compressed);
}

TEST_CASE("invalid UTF-8 in text closes with 1007, failing fast inside a fragmented message") {
  CHECK(error_of(raw_frame(0x1, "ok\xC0\xAF")) == CloseCode::kInvalidPayload);
  CHECK(error_of(raw_frame(0x1, "\xED\xA0\x80")) == CloseCode::kInvalidPayload);
  // Truncated sequence at the end of the last fragment.
  auto truncated = raw_frame(0x1, "ab", false);
  append(truncated, raw_frame(0x0, "\xE2\x82", true));
  CHECK(error_of(truncated) == CloseCode::kInvalidPayload);

  // Fail fast: the error is reported when the bad fragment arrives, before the message ends.
  WsFrameDecoder decoder;
  RecordingSink sink;
  auto first = raw_frame(0x1, "\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5", false);
  auto bad = raw_frame(0x0, "\xED\xA0\x80", false);
  decoder.feed(first, sink);
  CHECK(sink.errors.empty());
  decoder.feed(bad, sink);
  REQUIRE(sink.errors.size() == 1);
  CHECK(sink.errors[0] == CloseCode::kInvalidPayload);
  // Even a single frame split across receive buffers fails at the first bad piece.
  WsFrameDecoder split;
  RecordingSink split_sink;
  auto wire = raw_frame(0x1, std::string("abc\xF4\x90") + std::string(1000, 'z'));
  std::vector<std::byte> head(wire.begin(), wire.begin() + 13);  // header 8 + "abc\xF4\x90"
  split.feed(head, split_sink);
  CHECK(split_sink.errors.size() == 1);
}

TEST_CASE("binary messages are not UTF-8 checked") {
  WsFrameDecoder decoder;
  RecordingSink sink;
  auto wire = raw_frame(0x2, "\xFF\xFE\xC0");
  feed_all(decoder, wire, sink);
  CHECK(sink.errors.empty());
  CHECK(sink.messages.size() == 1);
}

TEST_CASE("frame and message limits close with 1009 before reading the payload") {
  WsDecoderOptions options;
  options.max_frame_payload = 100;
  options.max_message_size = 150;
  // Header alone is enough to reject an oversized frame.
  auto wire = raw_frame(0x2, std::string(101, 'a'));
  wire.resize(8);
  CHECK(error_of(wire, options) == CloseCode::kMessageTooBig);
  // Fragments each under the frame limit but together over the message limit.
  auto fragments = raw_frame(0x2, std::string(100, 'a'), false);
  append(fragments, raw_frame(0x0, std::string(51, 'b')));
  CHECK(error_of(fragments, options) == CloseCode::kMessageTooBig);
  // Exactly at the limits is fine.
  auto exact = raw_frame(0x2, std::string(100, 'a'), false);
  append(exact, raw_frame(0x0, std::string(50, 'b')));
  WsFrameDecoder decoder(Role::kServer, options);
  RecordingSink sink;
  feed_all(decoder, exact, sink);
  CHECK(sink.errors.empty());
  REQUIRE(sink.messages.size() == 1);
  CHECK(sink.messages[0].payload.size() == 150);
}

TEST_CASE("close payloads are validated (Autobahn 7.x)") {
  auto close_with = [](std::string payload) {
    WsFrameDecoder decoder;
    RecordingSink sink;
    auto wire = raw_frame(0x8, payload);
    append(wire, raw_frame(0x1, "after close"));
    const std::size_t consumed = feed_all(decoder, wire, sink);
    return std::make_tuple(decoder.state(), sink.errors, sink.controls, sink.messages.size(),
                           consumed, raw_frame(0x8, payload).size());
  };
  auto code_bytes = [](unsigned code) {
    return std::string{static_cast<char>(code >> 8), static_cast<char>(code & 0xff)};
  };
  SECTION("empty close is accepted and stops the decoder") {
    auto [state, errors, controls, messages, consumed, close_size] = close_with("");
    CHECK(state == WsDecoderState::kClosed);
    CHECK(errors.empty());
    REQUIRE(controls.size() == 1);
    CHECK(controls[0].opcode == Opcode::kClose);
    CHECK(messages == 0);
    CHECK(consumed == close_size);
  }
  SECTION("one-byte payload") {
    auto [state, errors, controls, messages, consumed, close_size] = close_with("\x03");
    CHECK(state == WsDecoderState::kFailed);
    REQUIRE(errors.size() == 1);
    CHECK(errors[0] == CloseCode::kProtocolError);
  }
  SECTION("valid codes, with and without reason, up to 125 bytes") {
    for (unsigned code : {1000u, 1001u, 1002u, 1003u, 1007u, 1008u, 1009u, 1010u, 1011u, 1012u,
                          1013u, 1014u, 3000u, 3999u, 4000u, 4999u}) {
      INFO("code " << code);
      auto [state, errors, controls, messages, consumed, close_size] =
          close_with(code_bytes(code) + "bye");
      CHECK(state == WsDecoderState::kClosed);
      CHECK(errors.empty());
      REQUIRE(controls.size() == 1);
      const auto close_bytes = bytes_of(controls[0].payload);
      const auto parsed = parse_close_payload(close_bytes);
      CHECK(parsed.status == ClosePayloadStatus::kOk);
      CHECK(parsed.code == code);
      CHECK(parsed.reason == "bye");
    }
    auto [state, errors, controls, messages, consumed, close_size] =
        close_with(code_bytes(1000) + std::string(123, 'r'));
    CHECK(state == WsDecoderState::kClosed);
  }
  SECTION("invalid codes") {
    for (unsigned code :
         {0u, 999u, 1004u, 1005u, 1006u, 1015u, 1016u, 1100u, 2000u, 2999u, 5000u, 65535u}) {
      INFO("code " << code);
      auto [state, errors, controls, messages, consumed, close_size] = close_with(code_bytes(code));
      REQUIRE(errors.size() == 1);
      CHECK(errors[0] == CloseCode::kProtocolError);
    }
  }
  SECTION("invalid UTF-8 in the reason is invalid payload data (1007, RFC 6455 8.1)") {
    auto [state, errors, controls, messages, consumed, close_size] =
        close_with(code_bytes(1000) + "\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5\xED\xA0\x80");
    REQUIRE(errors.size() == 1);
    CHECK(errors[0] == CloseCode::kInvalidPayload);
    CHECK(controls.empty());
  }
}

TEST_CASE("close frame encoder writes code and truncated reason") {
  auto frame = encode_close_frame(1001, std::string(200, 'x'));
  REQUIRE(frame.size() == 2 + 125);
  std::vector<std::byte> wire(frame.data(), frame.data() + frame.size());
  WsFrameDecoder decoder(Role::kClient);
  RecordingSink sink;
  feed_all(decoder, wire, sink);
  REQUIRE(sink.controls.size() == 1);
  const auto close_bytes = bytes_of(sink.controls[0].payload);
  const auto parsed = parse_close_payload(close_bytes);
  CHECK(parsed.code == 1001);
  CHECK(parsed.reason.size() == kMaxCloseReason);
}

TEST_CASE("streaming mode hands out pieces in place with a final flag") {
  WsDecoderOptions options;
  options.stream_fragments = true;
  WsFrameDecoder decoder(Role::kServer, options);
  RecordingSink sink;
  std::vector<std::byte> wire;
  append(wire, raw_frame(0x1, "ab\xC3", false));
  append(wire, raw_frame(0x9, "x"));
  append(wire, raw_frame(0x0, "\xA9z", true));
  feed_all(decoder, wire, sink);
  REQUIRE(sink.errors.empty());
  REQUIRE(sink.messages.size() == 2);
  CHECK(sink.messages[0].payload == "ab\xC3");
  CHECK_FALSE(sink.messages[0].final);
  CHECK(sink.messages[0].in_place);
  CHECK(sink.messages[1].payload == "\xA9z");
  CHECK(sink.messages[1].final);
  CHECK(sink.messages[1].opcode == Opcode::kText);
  CHECK(decoder.heap_bytes() == 0);
}

TEST_CASE("streaming mode delivers a frame split across receive buffers piece by piece") {
  WsDecoderOptions options;
  options.stream_fragments = true;
  WsFrameDecoder decoder(Role::kServer, options);
  RecordingSink sink;
  const std::string payload(1000, 'q');
  feed_in_steps(decoder, raw_frame(0x2, payload), 300, sink);
  REQUIRE(sink.messages.size() == 4);
  std::string joined;
  for (std::size_t i = 0; i < sink.messages.size(); ++i) {
    CHECK(sink.messages[i].in_place);
    CHECK(sink.messages[i].final == (i + 1 == sink.messages.size()));
    joined += sink.messages[i].payload;
  }
  CHECK(joined == payload);
  CHECK(decoder.heap_bytes() == 0);
}

TEST_CASE("decoder holds heap memory only while assembling") {
  WsFrameDecoder decoder;
  RecordingSink sink;
  CHECK(decoder.heap_bytes() == 0);
  auto first = raw_frame(0x2, std::string(1000, 'a'), false);
  sink.watch(first);
  decoder.feed(first, sink);
  CHECK(decoder.heap_bytes() >= 1000);
  CHECK(decoder.in_message());
  auto last = raw_frame(0x0, "b");
  decoder.feed(last, sink);
  CHECK(decoder.heap_bytes() == 0);
  REQUIRE(sink.messages.size() == 1);
  CHECK(sink.messages[0].payload.size() == 1001);
  CHECK_FALSE(sink.messages[0].in_place);
}
