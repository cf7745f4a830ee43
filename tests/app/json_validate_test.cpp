// check_json_value: exact end of each value, every JSON type, escapes, the number grammar, depth
// limit, and a differential run against simdjson's DOM parser on random mutations of valid JSON.
#include <catch2/catch.hpp>

#include <simdjson.h>

#include <random>
#include <string>
#include <vector>

#include "app/json_validate.hpp"

using namespace hexwire::app;

namespace {

/// Runs the check on `text` copied into a NUL-padded buffer (as the parser does).
JsonValueEnd check(const std::string& text, std::string& storage, std::size_t depth = 64) {
  storage = text;
  storage.append(64, '\0');
  return check_json_value(storage.data(), depth);
}

bool valid_alone(const std::string& text) {
  std::string storage;
  const JsonValueEnd r = check(text, storage);
  if (r.status != JsonCheck::kOk) {
    return false;
  }
  const char* rest = r.end;
  while (*rest == ' ' || *rest == '\t' || *rest == '\n' || *rest == '\r')
    ++rest;
  return *rest == '\0';
}

}  // namespace

TEST_CASE("valid values of every type, ending exactly where the value ends") {
  for (const std::string& v : std::vector<std::string>{
           "0", "-0", "12", "-12.5e+3", "1E9", "0.25", "true", "false", "null", R"("")",
           R"("a\"b\\c\/d\b\f\n\r\t\u00e9\uD83D\uDE00")", "[]", "{}", "[1,[2,[3,{}]]]",
           R"({"a":{"b":[true,false,null,"x",-1.0e-2]},"c":""})", " [ 1 , 2 ] ",
           "\"" + std::string(1000, 'x') + "\"", "\"caf\xC3\xA9 \xF0\x9F\x98\x80\""}) {
    INFO(v);
    std::string storage;
    const JsonValueEnd r = check(v + ",\"next\"", storage);
    REQUIRE(r.status == JsonCheck::kOk);
    const std::size_t leading = v.find_first_not_of(' ');
    const std::size_t last = v.find_last_not_of(' ');
    // The end is right after the value's last byte: not before, not after the spaces or comma.
    CHECK(r.end == storage.data() + last + 1);
    CHECK(leading <= last);
  }
}

TEST_CASE("invalid values are refused") {
  for (const std::string& v : std::vector<std::string>{"",
                                                       " ",
                                                       "tru",
                                                       "nul",
                                                       "falsey",
                                                       "01",
                                                       "-",
                                                       "1.",
                                                       ".5",
                                                       "1e",
                                                       "+1",
                                                       "1e+",
                                                       "--1",
                                                       R"("unterminated)",
                                                       R"("bad \x escape")",
                                                       R"("bad \u12 escape")",
                                                       R"("\ude00")",
                                                       R"("\ud83d")",
                                                       R"("\ud83dx")",
                                                       R"("\ud83d\u0041")",
                                                       "\"tab\there\"",
                                                       "[1,]",
                                                       "[,1]",
                                                       "{\"a\"}",
                                                       "{\"a\":}",
                                                       "{\"a\":1,}",
                                                       "{a:1}",
                                                       "[1 2]",
                                                       "{\"a\":1 \"b\":2}",
                                                       "[",
                                                       "{",
                                                       "]",
                                                       "}",
                                                       "'single'",
                                                       "NaN",
                                                       "Infinity",
                                                       "[1}",
                                                       "{\"a\":1]"}) {
    INFO(v);
    CHECK_FALSE(valid_alone(v));
  }
}

TEST_CASE("depth limit") {
  std::string storage;
  const std::string ok = std::string(64, '[') + std::string(64, ']');
  CHECK(check(ok, storage).status == JsonCheck::kOk);
  const std::string deep = std::string(65, '[') + std::string(65, ']');
  CHECK(check(deep, storage).status == JsonCheck::kTooDeep);
  CHECK(check("[[{\"a\":[1]}]]", storage, 3).status == JsonCheck::kTooDeep);
  CHECK(check("[[{\"a\":1}]]", storage, 3).status == JsonCheck::kOk);
}

TEST_CASE("agrees with simdjson DOM on random mutations of valid JSON") {
  const std::string seeds[] = {
      R"({"text":"hello \"world\"","n":[1,-2.5e3,0,true,false,null],"o":{"k":"v\u0041"}})",
      R"([{"a":[]},{"b":{}},"s",12345678,-0.5])",
      R"({"x":{"y":{"z":["deep",[1,[2,[3]]]]}}})",
  };
  const std::string alphabet = "{}[]\",:0123456789-+.eEtrufalsn \\/uA";
  std::mt19937_64 rng(20261128);
  simdjson::dom::parser dom;
  int compared = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string text = seeds[rng() % 3];
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits; ++e) {
      const std::size_t at = rng() % (text.size() + 1);
      switch (rng() % 3) {
        case 0:
          text.insert(at, 1, alphabet[rng() % alphabet.size()]);
          break;
        case 1:
          if (at < text.size())
            text.erase(at, 1);
          break;
        default:
          if (at < text.size())
            text[at] = alphabet[rng() % alphabet.size()];
          break;
      }
    }
    simdjson::dom::element element;
    const simdjson::error_code e = dom.parse(text).get(element);
    if (e == simdjson::NUMBER_ERROR || e == simdjson::NUMBER_OUT_OF_RANGE) {
      continue;  // valid JSON grammar that DOM refuses to convert; not a validity question
    }
    INFO(text);
    CHECK(valid_alone(text) == (e == simdjson::SUCCESS));
    ++compared;
  }
  CHECK(compared > 10000);
}
