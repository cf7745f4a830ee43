// OpParser: every client op of protocol v1 parses into its typed struct, and every malformed,
// missing or wrong-typed input becomes a ParseError (with the request id when it was readable).
#include <catch2/catch.hpp>

#include <string>

#include "app/protocol.hpp"

using namespace hexwire::app;

namespace {

template <typename Op>
const Op& expect_op(const ParseResult& r) {
  INFO("error: " << r.error.text() << " field " << r.error.field);
  REQUIRE(r.ok());
  REQUIRE(std::holds_alternative<Op>(r.op));
  return std::get<Op>(r.op);
}

}  // namespace

TEST_CASE("auth with token or anonymous user") {
  OpParser parser;
  auto r = parser.parse(R"({"op":"auth","id":1,"token":"abc.def.ghi"})");
  CHECK(expect_op<AuthOp>(r).token == "abc.def.ghi");
  CHECK(r.id == "1");
  r = parser.parse(R"({"op":"auth","id":"x1","user":"u1","role":"driver"})");
  CHECK(expect_op<AuthOp>(r).user == "u1");
  CHECK(expect_op<AuthOp>(r).role == "driver");
  CHECK(r.id == "\"x1\"");
  r = parser.parse(R"({"op":"auth","id":2})");
  CHECK(r.error.problem == ParseProblem::kMissingField);
  CHECK(r.id == "2");
}

TEST_CASE("sub with and without since") {
  OpParser parser;
  auto r = parser.parse(R"({"op":"sub","id":1,"channel":"general","since":42})");
  const auto& sub = expect_op<SubOp>(r);
  CHECK(sub.channel == "general");
  REQUIRE(sub.since.has_value());
  CHECK(*sub.since == 42);
  r = parser.parse(R"( { "channel" : "a.b:c@d-e_f" , "op" : "sub" } )");
  CHECK_FALSE(expect_op<SubOp>(r).since.has_value());
  CHECK(r.id.empty());
}

TEST_CASE("unsub, presence, read, history") {
  OpParser parser;
  CHECK(expect_op<UnsubOp>(parser.parse(R"({"op":"unsub","id":2,"channel":"general"})")).channel ==
        "general");
  const PresenceOp presence =
      expect_op<PresenceOp>(parser.parse(R"({"op":"presence","channel":"g"})"));
  CHECK(presence.channel == "g");
  CHECK(presence.limit == 1000);  // the default page is also the largest (docs/protocol.md)
  CHECK(presence.cursor.empty());
  auto r = parser.parse(R"({"op":"read","id":6,"channel":"general","seq":58})");
  CHECK(expect_op<ReadOp>(r).seq == 58);
  r = parser.parse(R"({"op":"history","id":4,"channel":"general","since":10,"limit":100})");
  CHECK(expect_op<HistoryOp>(r).since == 10);
  CHECK(expect_op<HistoryOp>(r).limit == 100);
  r = parser.parse(R"({"op":"history","channel":"general"})");
  CHECK(expect_op<HistoryOp>(r).since == 0);
  CHECK(expect_op<HistoryOp>(r).limit == HistoryOp::kDefaultLimit);
}

TEST_CASE("pub keeps the raw JSON text of data for every JSON type") {
  OpParser parser;
  const char* cases[][2] = {
      {R"({"op":"pub","id":3,"channel":"general","data":{"text":"hi","n":[1,2.5,{"x":null}]}})",
       R"({"text":"hi","n":[1,2.5,{"x":null}]})"},
      {R"({"op":"pub","channel":"g","data":  [ 1 , "two" ]  ,"id":7})", R"([ 1 , "two" ])"},
      {R"({"op":"pub","channel":"g","data":"a \"quoted\" \u00e9"})", R"("a \"quoted\" \u00e9")"},
      {R"({"op":"pub","channel":"g","data":-12.5e3 })", "-12.5e3"},
      {R"({"op":"pub","channel":"g","data":true})", "true"},
      {R"({"op":"pub","channel":"g","data":null})", "null"},
      {R"({"data":{},"channel":"g","op":"pub"})", "{}"},
  };
  for (const auto& c : cases) {
    auto r = parser.parse(c[0]);
    INFO(c[0]);
    CHECK(expect_op<PubOp>(r).data == c[1]);
  }
}

TEST_CASE("dispatch ops parse into typed structs") {
  OpParser parser;
  auto r = parser.parse(
      R"({"op":"loc","lat":37.77,"lng":-122.41,"heading":90,"speed_mps":12.5,"available":true})");
  const auto& loc = expect_op<LocOp>(r);
  CHECK(loc.lat == Approx(37.77));
  CHECK(loc.lng == Approx(-122.41));
  CHECK(*loc.heading == 90);
  CHECK(*loc.speed_mps == 12.5);
  CHECK(*loc.available);
  r = parser.parse(R"({"op":"nearby","id":7,"lat":37.77,"lng":-122.41,"k":10})");
  CHECK(expect_op<NearbyOp>(r).k == 10);
  r = parser.parse(R"({"op":"ride","id":8,"lat":1,"lng":2,"dest_lat":3,"dest_lng":4})");
  CHECK(expect_op<RideOp>(r).dest_lng == 4);
  CHECK(expect_op<AcceptOp>(parser.parse(R"({"op":"accept","id":9,"trip":"t1"})")).trip == "t1");
  CHECK(expect_op<DeclineOp>(parser.parse(R"({"op":"decline","id":9,"trip":"t1"})")).trip == "t1");
  r = parser.parse(R"({"op":"trip","id":10,"trip":"t1","action":"complete"})");
  CHECK(expect_op<TripOp>(r).action == TripAction::kComplete);
  CHECK(op_name(r.op) == "trip");
}

TEST_CASE("malformed JSON is a bad request") {
  OpParser parser;
  for (const char* text : {"", "   ", "{", "{\"op\":", "{\"op\":\"sub\",}", "not json",
                           "{\"op\":\"sub\" \"channel\":\"x\"}", "{\"op\":\"sub\"} trailing",
                           "{\"op\":\"pub\",\"channel\":\"g\",\"data\":[1,tru]}",
                           "{\"op\":\"pub\",\"channel\":\"g\",\"data\":{\"a\":1}",
                           "{\"op\":\"pub\",\"channel\":\"g\",\"data\":\"bad \\x escape\"}"}) {
    INFO(text);
    auto r = parser.parse(text);
    CHECK(r.error.problem == ParseProblem::kMalformedJson);
  }
  for (const char* text : {"42", "[1,2]", "\"op\"", "null"}) {
    INFO(text);
    CHECK(parser.parse(text).error.problem == ParseProblem::kNotAnObject);
  }
}

TEST_CASE("the id is echoed when it was read before the error") {
  OpParser parser;
  auto r = parser.parse(R"({"id":17,"op":"pub","channel":"g","data":[1,tru]})");
  CHECK(r.error.problem == ParseProblem::kMalformedJson);
  CHECK(r.id == "17");
  r = parser.parse(R"({"op":"sub","channel":5,"id":"abc"})");
  CHECK(r.error.problem == ParseProblem::kWrongType);
  CHECK(r.error.field == "channel");
  CHECK(r.id == "\"abc\"");
}

TEST_CASE("unknown op and missing op") {
  OpParser parser;
  auto r = parser.parse(R"({"op":"dance","id":3})");
  CHECK(r.error.problem == ParseProblem::kUnknownOp);
  CHECK(r.id == "3");
  r = parser.parse(R"({"id":3,"channel":"x"})");
  CHECK(r.error.problem == ParseProblem::kMissingField);
  CHECK(r.error.field == "op");
  r = parser.parse(R"({"op":7,"id":3})");
  CHECK(r.error.problem == ParseProblem::kWrongType);
  CHECK(r.error.field == "op");
}

TEST_CASE("every required field missing is reported by name") {
  OpParser parser;
  const char* cases[][2] = {
      {R"({"op":"sub","id":1})", "channel"},
      {R"({"op":"unsub","id":1})", "channel"},
      {R"({"op":"pub","id":1,"data":1})", "channel"},
      {R"({"op":"pub","id":1,"channel":"g"})", "data"},
      {R"({"op":"history","id":1})", "channel"},
      {R"({"op":"presence","id":1})", "channel"},
      {R"({"op":"read","id":1,"channel":"g"})", "seq"},
      {R"({"op":"loc","id":1,"lng":1})", "lat"},
      {R"({"op":"nearby","id":1,"lat":1})", "lng"},
      {R"({"op":"ride","id":1,"lat":1,"lng":1,"dest_lat":1})", "dest_lng"},
      {R"({"op":"accept","id":1})", "trip"},
      {R"({"op":"decline","id":1})", "trip"},
      {R"({"op":"trip","id":1,"trip":"t"})", "action"},
  };
  for (const auto& c : cases) {
    INFO(c[0]);
    auto r = parser.parse(c[0]);
    CHECK(r.error.problem == ParseProblem::kMissingField);
    CHECK(r.error.field == c[1]);
    CHECK(r.id == "1");
  }
}

TEST_CASE("every wrong-typed field is reported by name") {
  OpParser parser;
  const char* cases[][2] = {
      {R"({"op":"sub","id":1,"channel":"g","since":"42"})", "since"},
      {R"({"op":"sub","id":1,"channel":"g","since":-1})", "since"},
      {R"({"op":"sub","id":1,"channel":"g","since":1.5})", "since"},
      {R"({"op":"sub","id":1,"channel":["g"]})", "channel"},
      {R"({"op":"history","id":1,"channel":"g","limit":true})", "limit"},
      {R"({"op":"read","id":1,"channel":"g","seq":null})", "seq"},
      {R"({"op":"auth","id":1,"token":42})", "token"},
      {R"({"op":"auth","id":1,"user":{}})", "user"},
      {R"({"op":"loc","id":1,"lat":"37","lng":1})", "lat"},
      {R"({"op":"loc","id":1,"lat":1,"lng":1,"available":"yes"})", "available"},
      {R"({"op":"loc","id":1,"lat":1,"lng":1,"heading":"n"})", "heading"},
      {R"({"op":"nearby","id":1,"lat":1,"lng":1,"k":-3})", "k"},
      {R"({"op":"accept","id":1,"trip":1})", "trip"},
      {R"({"op":"trip","id":1,"trip":"t","action":3})", "action"},
  };
  for (const auto& c : cases) {
    INFO(c[0]);
    auto r = parser.parse(c[0]);
    CHECK(r.error.problem == ParseProblem::kWrongType);
    CHECK(r.error.field == c[1]);
    CHECK(r.id == "1");
  }
  auto r = parser.parse(R"({"op":"sub","id":[1],"channel":"g"})");
  CHECK(r.error.problem == ParseProblem::kWrongType);
  CHECK(r.error.field == "id");
  CHECK(r.id.empty());
}

TEST_CASE("values out of their range or set") {
  OpParser parser;
  auto r = parser.parse(R"({"op":"loc","id":1,"lat":91,"lng":1})");
  CHECK(r.error.problem == ParseProblem::kOutOfRange);
  CHECK(r.error.field == "lat");
  r = parser.parse(R"({"op":"ride","id":1,"lat":1,"lng":1,"dest_lat":1,"dest_lng":-181})");
  CHECK(r.error.field == "dest_lng");
  r = parser.parse(R"({"op":"trip","id":1,"trip":"t","action":"fly"})");
  CHECK(r.error.problem == ParseProblem::kInvalidValue);
  CHECK(r.error.field == "action");
  const std::string long_id = "\"" + std::string(200, 'x') + "\"";
  r = parser.parse(R"({"op":"sub","channel":"g","id":)" + long_id + "}");
  CHECK(r.error.problem == ParseProblem::kIdTooLong);
  CHECK(r.id.empty());
}

TEST_CASE("channel names are validated") {
  OpParser parser;
  for (const char* text :
       {R"({"op":"sub","id":1,"channel":""})", R"({"op":"sub","id":1,"channel":"has space"})",
        R"({"op":"pub","id":1,"channel":"a/b","data":1})",
        R"({"op":"sub","id":1,"channel":"caf\u00e9"})"}) {
    INFO(text);
    auto r = parser.parse(text);
    CHECK(r.error.problem == ParseProblem::kInvalidChannel);
    CHECK(r.id == "1");
  }
  const std::string ok(128, 'c');
  CHECK(parser.parse(R"({"op":"sub","channel":")" + ok + "\"}").ok());
  CHECK(parser.parse(R"({"op":"sub","channel":")" + ok + "c\"}").error.problem ==
        ParseProblem::kInvalidChannel);
}

TEST_CASE("data nested deeper than the limit is refused") {
  OpParser parser;
  std::string deep(OpParser::kMaxDataDepth + 1, '[');
  deep += std::string(OpParser::kMaxDataDepth + 1, ']');
  auto r = parser.parse(R"({"id":1,"op":"pub","channel":"g","data":)" + deep + "}");
  CHECK(r.error.problem == ParseProblem::kTooDeep);
  CHECK(r.id == "1");
  std::string fine(OpParser::kMaxDataDepth, '[');
  fine += std::string(OpParser::kMaxDataDepth, ']');
  CHECK(parser.parse(R"({"op":"pub","channel":"g","data":)" + fine + "}").ok());
}

TEST_CASE("unknown fields are ignored and the parser is reusable across sizes") {
  OpParser parser(64);
  auto r = parser.parse(R"({"op":"sub","channel":"g","extra":{"deep":[1,2,3]},"v":2})");
  CHECK(expect_op<SubOp>(r).channel == "g");
  const std::string big_data = "\"" + std::string(100'000, 'z') + "\"";
  r = parser.parse(R"({"op":"pub","channel":"g","data":)" + big_data + "}");
  CHECK(expect_op<PubOp>(r).data == big_data);
  r = parser.parse(R"({"op":"unsub","channel":"h"})");
  CHECK(expect_op<UnsubOp>(r).channel == "h");
}
