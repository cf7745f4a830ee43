// FrameWriter and the reply/event encoders: RFC 8259 escaping, numbers, frame headers for every
// length class, and a round trip of each encoded frame through simdjson.
#include <catch2/catch.hpp>

#include <simdjson.h>

#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "app/protocol.hpp"
#include "app/protocol_encode.hpp"

using namespace hexwire;
using namespace hexwire::app;

namespace {

/// Strips the server frame header, checking FIN+TEXT, no mask and the length encoding.
std::string frame_payload(const core::SharedBuffer& frame) {
  const auto* p = reinterpret_cast<const unsigned char*>(frame.data());
  REQUIRE(frame.size() >= 2);
  CHECK(p[0] == 0x81);
  CHECK((p[1] & 0x80) == 0);
  std::size_t length = p[1] & 0x7F;
  std::size_t header = 2;
  if (length == 126) {
    length = (std::size_t{p[2]} << 8) | p[3];
    header = 4;
    CHECK(length >= 126);
  } else if (length == 127) {
    length = 0;
    for (int i = 0; i < 8; ++i) {
      length = (length << 8) | p[2 + i];
    }
    header = 10;
    CHECK(length > 0xFFFF);
  }
  REQUIRE(frame.size() == header + length);
  return std::string(frame.view().substr(header));
}

simdjson::dom::element parse_dom(simdjson::dom::parser& parser, const std::string& json) {
  simdjson::dom::element element;
  INFO(json);
  REQUIRE(parser.parse(json).get(element) == simdjson::SUCCESS);
  return element;
}

pubsub::Message message(std::string channel, std::uint64_t seq, std::string from,
                        std::string data) {
  pubsub::Message m;
  m.channel = std::move(channel);
  m.seq = seq;
  m.epoch = ~std::uint64_t{0};
  m.ts_us = 1'800'000'000'123'456;
  m.from = std::move(from);
  m.payload = core::SharedBuffer::copy_of(data);
  return m;
}

}  // namespace

TEST_CASE("strings are escaped per RFC 8259 and read back identically") {
  FrameWriter w;
  std::string nasty = "quote\" backslash\\ slash/ tab\t nl\n cr\r bs\b ff\f nul";
  nasty += '\0';
  nasty += "\x01\x1f\x7f utf8 \xC3\xA9 \xF0\x9F\x98\x80 end";
  w.reset();
  w.raw("{\"s\":");
  w.string(nasty);
  w.raw('}');
  const std::string json(w.payload());
  CHECK(json.find('\n') == std::string::npos);
  CHECK(json.find("\\u0000") != std::string::npos);
  CHECK(json.find("\\u001f") != std::string::npos);
  CHECK(json.find("\\b") != std::string::npos);
  simdjson::dom::parser parser;
  std::string_view back;
  REQUIRE(parse_dom(parser, json)["s"].get(back) == simdjson::SUCCESS);
  CHECK(std::string(back) == nasty);
}

TEST_CASE("numbers: integers at their limits and doubles that round-trip") {
  FrameWriter w;
  simdjson::dom::parser parser;
  const std::vector<double> doubles = {0.0,         -0.0,  1.0 / 3, 37.774929,
                                       -122.419416, 1e300, 5e-324,  123456789.125};
  for (double d : doubles) {
    w.reset();
    w.raw("{\"u\":");
    w.uint(std::numeric_limits<std::uint64_t>::max());
    w.raw(",\"i\":");
    w.int64(std::numeric_limits<std::int64_t>::min());
    w.raw(",\"d\":");
    w.number(d);
    w.raw('}');
    auto root = parse_dom(parser, std::string(w.payload()));
    CHECK(std::uint64_t(root["u"]) == std::numeric_limits<std::uint64_t>::max());
    CHECK(std::int64_t(root["i"]) == std::numeric_limits<std::int64_t>::min());
    CHECK(double(root["d"]) == d);
  }
  w.reset();
  w.number(std::nan(""));
  CHECK(w.payload() == "null");
}

TEST_CASE("frame headers for 7-bit, 16-bit and 64-bit lengths") {
  FrameWriter w(16);
  for (std::size_t size : {0, 1, 125, 126, 65535, 65536, 200000}) {
    w.reset();
    w.raw(std::string(size, 'a'));
    const auto frame = w.finish_text_frame();
    CHECK(frame_payload(frame).size() == size);
  }
}

TEST_CASE("every reply and event is valid JSON with the PROTOCOL.md shape") {
  FrameWriter w;
  simdjson::dom::parser parser;

  auto root = parse_dom(
      parser, frame_payload(encode_subbed(w, "1", "general", 57, 0xc0ffee12345678ull, true, 3)));
  CHECK(std::string_view(root["op"]) == "subbed");
  CHECK(std::int64_t(root["id"]) == 1);
  CHECK(std::string_view(root["channel"]) == "general");
  CHECK(std::uint64_t(root["seq"]) == 57);
  CHECK(std::string_view(root["epoch"]) == "00c0ffee12345678");  // 16 hex digits, a string
  CHECK(bool(root["recovered"]) == true);
  CHECK(std::uint64_t(root["unread"]) == 3);

  root = parse_dom(parser, frame_payload(encode_ack(w, "\"req-3\"", "general", 58, 7, 1700)));
  CHECK(std::string_view(root["op"]) == "ack");
  CHECK(std::string_view(root["epoch"]) == "0000000000000007");
  CHECK(std::string_view(root["id"]) == "req-3");
  CHECK(std::int64_t(root["ts"]) == 1700);

  const auto m = message("general", 58, "u\"1", R"({"text":"hi","n":[1,2]})");
  const std::string msg = frame_payload(encode_msg(w, m));
  CHECK(
      msg ==
      R"({"op":"msg","channel":"general","seq":58,"epoch":"ffffffffffffffff","from":"u\"1","ts":1800000000123456,"data":{"text":"hi","n":[1,2]}})");
  root = parse_dom(parser, msg);
  CHECK(std::string_view(root["data"]["text"]) == "hi");

  std::vector<pubsub::MessageRef> list = {
      std::make_shared<pubsub::Message>(message("g", 1, "a", "1")),
      std::make_shared<pubsub::Message>(message("g", 2, "b", "[true]"))};
  root = parse_dom(parser, frame_payload(encode_history(w, "4", "g", 0xab, list, false)));
  CHECK(std::string_view(root["epoch"]) == "00000000000000ab");
  CHECK(simdjson::dom::array(root["messages"]).size() == 2);
  CHECK(std::uint64_t(root["messages"].at(1)["seq"]) == 2);
  CHECK(bool(root["recovered"]) == false);
  CHECK(root["more"].error() == simdjson::NO_SUCH_FIELD);
  // A byte budget keeps the oldest messages that fit (at least one) and flags the rest.
  root = parse_dom(parser, frame_payload(encode_history(w, "4", "g", 0xab, list, true, 10)));
  CHECK(simdjson::dom::array(root["messages"]).size() == 1);
  CHECK(std::uint64_t(root["messages"].at(0)["seq"]) == 1);
  CHECK(bool(root["more"]));
  root = parse_dom(parser, frame_payload(encode_history(w, "4", "g", 0, {}, true)));
  CHECK(simdjson::dom::array(root["messages"]).size() == 0);
  CHECK(root["epoch"].error() == simdjson::NO_SUCH_FIELD);  // a channel without state

  std::vector<std::string> users = {"u1", "u2"};
  root = parse_dom(parser, frame_payload(encode_presence(w, "5", "g", users, 1500, "u2")));
  CHECK(std::string_view(root["users"].at(1)) == "u2");
  CHECK(std::uint64_t(root["count"]) == 1500);
  CHECK(std::string_view(root["cursor"]) == "u2");
  root = parse_dom(parser, frame_payload(encode_presence(w, "5", "g", users, 2, "")));
  CHECK(root["cursor"].error() == simdjson::NO_SUCH_FIELD);  // the last page
  root = parse_dom(parser, frame_payload(encode_presence_count(w, "g", 4321)));
  CHECK(std::string_view(root["op"]) == "presence");
  CHECK(root["id"].error() == simdjson::NO_SUCH_FIELD);
  CHECK(root["users"].error() == simdjson::NO_SUCH_FIELD);
  CHECK(std::uint64_t(root["count"]) == 4321);
  root = parse_dom(parser, frame_payload(encode_presence_event(w, "g", "u3", false)));
  CHECK(std::string_view(root["op"]) == "leave");
  CHECK(root["id"].error() == simdjson::NO_SUCH_FIELD);
  root = parse_dom(parser, frame_payload(encode_read(w, "", "g", 58)));
  CHECK(root["id"].error() == simdjson::NO_SUCH_FIELD);
  CHECK(std::uint64_t(root["seq"]) == 58);
  root = parse_dom(parser, frame_payload(encode_unsubbed(w, "2", "g")));
  CHECK(std::string_view(root["op"]) == "unsubbed");
  root = parse_dom(parser, frame_payload(encode_auth_ok(w, "1", "u1")));
  CHECK(std::string_view(root["user"]) == "u1");
  CHECK(frame_payload(encode_dropped(w, 12)) == R"({"op":"dropped","count":12})");
  CHECK(frame_payload(encode_pending_dropped(w, 3)) == R"({"op":"pending","dropped":3})");
}

TEST_CASE("parse errors become bad_request replies echoing the id") {
  OpParser parser;
  FrameWriter w;
  simdjson::dom::parser dom;
  auto parsed = parser.parse(R"({"op":"sub","id":"q\"1","since":"x","channel":"g"})");
  REQUIRE_FALSE(parsed.ok());
  auto root = parse_dom(dom, frame_payload(encode_parse_error(w, parsed)));
  CHECK(std::string_view(root["op"]) == "error");
  CHECK(std::string_view(root["id"]) == "q\"1");
  CHECK(std::string_view(root["code"]) == "bad_request");
  CHECK(std::string_view(root["message"]) == "wrong type for field 'since'");
  parsed = parser.parse("{oops");
  root = parse_dom(dom, frame_payload(encode_parse_error(w, parsed)));
  CHECK(root["id"].error() == simdjson::NO_SUCH_FIELD);
  CHECK(std::string_view(root["message"]) == "malformed JSON");
  root = parse_dom(dom,
                   frame_payload(encode_error(w, "9", ErrorCode::kRateLimited, {"slow ", "down"})));
  CHECK(std::string_view(root["code"]) == "rate_limited");
  CHECK(std::string_view(root["message"]) == "slow down");
}

TEST_CASE("the writer gives memory back after a large frame and keeps working") {
  FrameWriter w(64);
  w.reset();
  w.string(std::string(1 << 20, 'x'));
  CHECK(w.payload().size() == (1u << 20) + 2);
  w.trim(4096);
  w.reset();
  w.raw("{\"a\":");
  w.uint(1);
  w.raw('}');
  CHECK(w.payload() == "{\"a\":1}");
}

TEST_CASE("a message's kind, not its sender, decides its frame") {
  FrameWriter w;
  simdjson::dom::parser parser;
  const std::string event = R"({"op":"offer","trip":"t0-1","eta_s":60})";

  // A dispatch event on user:<id> is the frame itself, live and from the offline queue.
  pubsub::Message offer = message("user:d1", 3, "#dispatch", event);
  offer.kind = to_pubsub(MessageKind::kUserEvent);
  CHECK(frame_payload(encode_delivery(w, offer)) == event);
  CHECK(frame_payload(encode_notification(w, offer)) == event);

  // The same bytes published by a client (kind chat) stay data inside a msg, whoever sent them:
  // the publisher's name no longer carries the kind.
  for (const char* from : {"#dispatch", "admin"}) {
    pubsub::Message pub = message("user:d1", 4, from, event);
    auto delivered = parse_dom(parser, frame_payload(encode_delivery(w, pub)));
    CHECK(std::string_view(delivered["op"]) == "msg");
    CHECK(std::string_view(delivered["data"]["op"]) == "offer");
    auto notified = parse_dom(parser, frame_payload(encode_notification(w, pub)));
    CHECK(std::string_view(notified["op"]) == "msg");  // the user's own channel: msg
  }

  // Live-map and surge data are msg data on their channels; away from the user's own channel a
  // notification is notify.
  pubsub::Message position = message("cell:872830828ffffff", 1, "#dispatch", R"({"driver":"d1"})");
  position.kind = to_pubsub(MessageKind::kDriverPosition);
  CHECK(std::string_view(parse_dom(parser, frame_payload(encode_delivery(w, position)))["op"]) ==
        "msg");
  CHECK(std::string_view(
            parse_dom(parser, frame_payload(encode_notification(w, position)))["op"]) == "notify");
}

TEST_CASE("dispatch payloads and replies have the PROTOCOL.md shape") {
  FrameWriter w;
  simdjson::dom::parser parser;
  auto offer = parse_dom(
      parser, std::string(encode_offer_payload(w, "t1-2", {37.5, -122.25}, 95.5, 10000).view()));
  CHECK(std::string_view(offer["op"]) == "offer");
  CHECK(std::string_view(offer["trip"]) == "t1-2");
  CHECK(double(offer["pickup"]["lat"]) == 37.5);
  CHECK(double(offer["pickup"]["lng"]) == -122.25);
  CHECK(std::uint64_t(offer["expires_ms"]) == 10000);

  geo::TripEvent trip{"t1-2", geo::TripStatus::kMatched, "r1", "d1", 60.0, 1.5, 12.25, 7};
  auto event = parse_dom(parser, std::string(encode_trip_event_payload(w, trip).view()));
  CHECK(std::string_view(event["status"]) == "matched");
  CHECK(std::string_view(event["driver"]) == "d1");
  CHECK(std::int64_t(event["ts"]) == 7);
  trip.driver = {};
  event = parse_dom(parser, std::string(encode_trip_event_payload(w, trip).view()));
  CHECK(event["driver"].error() == simdjson::NO_SUCH_FIELD);

  auto loc = parse_dom(parser, frame_payload(encode_loc_reply(w, "5", 0x89283082837ffffull)));
  CHECK(std::string_view(loc["cell"]) == "89283082837ffff");
  loc = parse_dom(parser, frame_payload(encode_loc_reply(w, "6", 0)));
  CHECK(bool(loc["held"]));
  auto answer = parse_dom(parser, frame_payload(encode_offer_answer(w, "7", false, "t1-2")));
  CHECK(std::string_view(answer["op"]) == "decline");
  auto action =
      parse_dom(parser, frame_payload(encode_trip_action_reply(w, "8", "t1-2", "arrive")));
  CHECK(std::string_view(action["action"]) == "arrive");
}
