// Client-side protocol: requests are valid JSON with the PROTOCOL.md shapes (checked with an
// independent DOM parse), and server frames of every kind parse into ServerEvent, including the
// probe inside `msg` data; malformed frames are reported, not crashed on.
#include "sim/wire.hpp"

#include <simdjson.h>
#include <catch2/catch.hpp>

using namespace hexwire::sim;

namespace {
simdjson::dom::element parse_dom(simdjson::dom::parser& parser, const std::string& text) {
  simdjson::dom::element doc;
  REQUIRE(parser.parse(text).get(doc) == simdjson::SUCCESS);
  return doc;
}
}  // namespace

TEST_CASE("names are compact and parse back") {
  std::string name;
  append_channel_name(name, 42);
  CHECK(name == "c42");
  CHECK(parse_indexed_name(name, 'c') == 42u);
  name.clear();
  append_user_name(name, 0);
  append_driver_name(name, 7);
  append_rider_name(name, 9);
  CHECK(name == "u0d7r9");
  CHECK_FALSE(parse_indexed_name("c", 'c').has_value());
  CHECK_FALSE(parse_indexed_name("c01", 'c').has_value());
  CHECK_FALSE(parse_indexed_name("u5", 'c').has_value());
  CHECK_FALSE(parse_indexed_name("c5x", 'c').has_value());
  CHECK_FALSE(parse_indexed_name("c99999999999", 'c').has_value());
}

TEST_CASE("requests have the protocol shapes") {
  simdjson::dom::parser parser;
  std::string out;

  encode_auth(out, 1, "u1");
  auto doc = parse_dom(parser, out);
  CHECK(std::string_view(doc["op"]) == "auth");
  CHECK(uint64_t(doc["id"]) == 1);
  CHECK(std::string_view(doc["user"]) == "u1");
  out.clear();
  encode_auth(out, 2, "d\"1", "driver");
  doc = parse_dom(parser, out);
  CHECK(std::string_view(doc["user"]) == "d\"1");
  CHECK(std::string_view(doc["role"]) == "driver");

  out.clear();
  encode_sub(out, 3, "c1", SubOptions{42});
  doc = parse_dom(parser, out);
  CHECK(std::string_view(doc["op"]) == "sub");
  CHECK(uint64_t(doc["since"]) == 42);
  simdjson::dom::element absent;
  CHECK(doc["epoch"].get(absent) == simdjson::NO_SUCH_FIELD);  // epoch unknown: not sent
  CHECK(doc["presence"].get(absent) == simdjson::NO_SUCH_FIELD);
  out.clear();
  encode_sub(out, 3, "c1");
  doc = parse_dom(parser, out);
  CHECK(doc["since"].get(absent) == simdjson::NO_SUCH_FIELD);
  // A resume names the epoch its since belongs to, as 16 hex digits; presence is opt-in.
  out.clear();
  encode_sub(out, 3, "c1", SubOptions{42, 0x5e1f03a9c2b8d047ull, true});
  doc = parse_dom(parser, out);
  CHECK(uint64_t(doc["since"]) == 42);
  CHECK(std::string_view(doc["epoch"]) == "5e1f03a9c2b8d047");
  CHECK(bool(doc["presence"]));
  out.clear();
  encode_sub(out, 3, "c1", SubOptions{7, 0xabull, false});
  CHECK(std::string_view(parse_dom(parser, out)["epoch"]) == "00000000000000ab");
  out.clear();
  encode_sub(out, 3, "c1", SubOptions{std::nullopt, 0xabull, true});  // no since: no epoch
  doc = parse_dom(parser, out);
  CHECK(doc["epoch"].get(absent) == simdjson::NO_SUCH_FIELD);
  CHECK(bool(doc["presence"]));

  out.clear();
  encode_unsub(out, 4, "c1");
  CHECK(std::string_view(parse_dom(parser, out)["op"]) == "unsub");

  out.clear();
  const Probe probe{123456789, 5, 77};
  encode_pub(out, 123456789, "c9", probe, 100);
  doc = parse_dom(parser, out);
  CHECK(std::string_view(doc["op"]) == "pub");
  CHECK(std::string_view(doc["channel"]) == "c9");
  const std::string_view data = doc["data"];
  CHECK(data.size() == 98);  // 100 bytes as a JSON string, minus its quotes
  CHECK(read_probe_text(data) == probe);

  out.clear();
  encode_loc(out, 37.7749, -122.4194, 90, 12.5, true);
  doc = parse_dom(parser, out);
  CHECK(std::string_view(doc["op"]) == "loc");
  CHECK(double(doc["lat"]) == Approx(37.7749));
  CHECK(double(doc["lng"]) == Approx(-122.4194));
  CHECK(double(doc["heading"]) == 90.0);
  CHECK(double(doc["speed_mps"]) == 12.5);
  CHECK(bool(doc["available"]));
  CHECK(doc["id"].get(absent) == simdjson::NO_SUCH_FIELD);

  out.clear();
  encode_ride(out, 8, 37.77, -122.41, 37.80, -122.45);
  doc = parse_dom(parser, out);
  CHECK(std::string_view(doc["op"]) == "ride");
  CHECK(double(doc["dest_lat"]) == Approx(37.80));

  out.clear();
  encode_offer_reply(out, 9, "t1", true);
  CHECK(std::string_view(parse_dom(parser, out)["op"]) == "accept");
  out.clear();
  encode_offer_reply(out, 9, "t1", false);
  CHECK(std::string_view(parse_dom(parser, out)["op"]) == "decline");
  out.clear();
  encode_trip_action(out, 10, "t1", "arrive");
  doc = parse_dom(parser, out);
  CHECK(std::string_view(doc["action"]) == "arrive");
  CHECK(std::string_view(doc["trip"]) == "t1");
}

TEST_CASE("server frames parse into events") {
  ServerFrameParser parser;
  ServerEvent e;

  REQUIRE(parser.parse(
              R"({"op":"subbed","id":1,"channel":"general","seq":57,"recovered":false,"unread":3})",
              e) == ParseStatus::kOk);
  CHECK(e.op == ServerOp::kSubbed);
  CHECK(e.has_id);
  CHECK(e.id == 1);
  CHECK(e.channel == "general");
  CHECK(e.seq == 57);
  CHECK_FALSE(e.recovered);

  REQUIRE(
      parser.parse(
          R"({"op":"ack","id":1700000000123456789,"channel":"c3","seq":58,"ts":1700000000123456})",
          e) == ParseStatus::kOk);
  CHECK(e.op == ServerOp::kAck);
  CHECK(e.id == 1700000000123456789ull);
  CHECK(e.seq == 58);
  CHECK(e.ts_us == 1700000000123456);
  CHECK(e.recovered);  // reset between frames

  std::string msg = R"({"op":"msg","channel":"c3","seq":58,"from":"u1","ts":5,"data":)";
  write_probe_json(Probe{999, 1, 2}, 64, msg);
  msg += "}";
  REQUIRE(parser.parse(msg, e) == ParseStatus::kOk);
  CHECK(e.op == ServerOp::kMsg);
  CHECK_FALSE(e.has_id);
  CHECK(e.from == "u1");
  CHECK(e.has_data);
  REQUIRE(e.probe.has_value());
  CHECK(*e.probe == Probe{999, 1, 2});

  REQUIRE(parser.parse(R"({"op":"msg","channel":"c3","seq":59,"data":{"driver":"d1","lat":1}})",
                       e) == ParseStatus::kOk);
  CHECK(e.has_data);
  CHECK_FALSE(e.probe.has_value());

  REQUIRE(parser.parse(R"({"op":"error","id":"x","code":"rate_limited","message":"slow down"})",
                       e) == ParseStatus::kOk);
  CHECK(e.op == ServerOp::kError);
  CHECK_FALSE(e.has_id);  // string ids are not ours
  CHECK(e.code == "rate_limited");
  CHECK(e.message == "slow down");

  REQUIRE(parser.parse(R"({"op":"ride","id":8,"trip":"t1","status":"requested","surge":1.4})", e) ==
          ParseStatus::kOk);
  CHECK(e.op == ServerOp::kRide);
  CHECK(e.trip == "t1");
  CHECK(e.status == "requested");
  CHECK(e.surge == 1.4);

  REQUIRE(parser.parse(
              R"({"op":"trip","trip":"t1","status":"matched","driver":"d1","eta_s":180,"ts":7})",
              e) == ParseStatus::kOk);
  CHECK(e.op == ServerOp::kTrip);
  CHECK(e.driver == "d1");
  CHECK(e.status == "matched");

  REQUIRE(
      parser.parse(
          R"({"op":"offer","trip":"t2","pickup":{"lat":1,"lng":2},"eta_s":1,"expires_ms":10000})",
          e) == ParseStatus::kOk);
  CHECK(e.op == ServerOp::kOffer);
  CHECK(e.trip == "t2");

  REQUIRE(parser.parse(R"({"op":"join","channel":"c1","user":"u3"})", e) == ParseStatus::kOk);
  CHECK(e.op == ServerOp::kJoin);
  CHECK(e.user == "u3");

  // Epochs: 1-16 hex digits as a string; anything else leaves has_epoch false.
  REQUIRE(parser.parse(
              R"({"op":"subbed","id":2,"channel":"c1","seq":9,"epoch":"5e1f03a9c2b8d047"})", e) ==
          ParseStatus::kOk);
  CHECK(e.has_epoch);
  CHECK(e.epoch == 0x5e1f03a9c2b8d047ull);
  REQUIRE(parser.parse(R"({"op":"msg","channel":"c1","seq":10,"epoch":"Ab"})", e) ==
          ParseStatus::kOk);
  CHECK(e.epoch == 0xabull);
  for (const std::string_view frame :
       {R"({"op":"msg","epoch":""})", R"({"op":"msg","epoch":"12345678901234567"})",
        R"({"op":"msg","epoch":"xyz"})", R"({"op":"msg","epoch":"-1"})",
        R"({"op":"msg","epoch":12})"}) {
    CAPTURE(frame);
    REQUIRE(parser.parse(frame, e) == ParseStatus::kOk);
    CHECK_FALSE(e.has_epoch);
    CHECK(e.epoch == 0);
  }
  REQUIRE(parser.parse(R"({"op":"presence","channel":"c1","count":1532})", e) == ParseStatus::kOk);
  CHECK(e.op == ServerOp::kPresence);
  CHECK(e.count == 1532);
  CHECK_FALSE(e.has_id);

  REQUIRE(parser.parse(R"({"op":"brand_new_op","id":5})", e) == ParseStatus::kOk);
  CHECK(e.op == ServerOp::kUnknown);
  CHECK(to_string(ServerOp::kHistory) == "history");
}

TEST_CASE("malformed frames are reported") {
  ServerFrameParser parser;
  ServerEvent e;
  CHECK(parser.parse("not json", e) != ParseStatus::kOk);
  CHECK(parser.parse("[1,2]", e) == ParseStatus::kNotAnObject);
  CHECK(parser.parse(R"({"id":1})", e) == ParseStatus::kNoOp);
  CHECK(parser.parse(R"({"op":"ack","id":1)", e) != ParseStatus::kOk);
  CHECK(parser.parse("", e) != ParseStatus::kOk);
  // A big frame after small ones (the padded buffer grows).
  std::string big = R"({"op":"msg","channel":"c1","seq":1,"data":)";
  write_probe_json(Probe{1, 1, 1}, 100'000, big);
  big += "}";
  REQUIRE(parser.parse(big, e) == ParseStatus::kOk);
  CHECK(e.probe.has_value());
}
