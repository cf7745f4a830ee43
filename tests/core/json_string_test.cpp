// JSON string literals: plain text is only quoted, '"' and '\\' are escaped, the control
// characters JSON has short forms for use them, the others become \u00XX, UTF-8 passes through,
// and append_json_string appends to what is already there.
#include "core/json_string.hpp"

#include <catch2/catch.hpp>

#include <string>

using hexwire::core::append_json_string;
using hexwire::core::json_quoted;

TEST_CASE("plain text is only quoted") {
  CHECK(json_quoted("") == "\"\"");
  CHECK(json_quoted("team.general") == "\"team.general\"");
}

TEST_CASE("quotes and backslashes are escaped") {
  CHECK(json_quoted(R"(say "hi" \o/)") == R"("say \"hi\" \\o/")");
}

TEST_CASE("control characters use short forms where JSON has them, else the 6-byte escape u00XX") {
  CHECK(json_quoted("\b\f\n\r\t") == R"("\b\f\n\r\t")");
  CHECK(json_quoted(std::string("a\0b", 3)) == R"("a\u0000b")");
  CHECK(json_quoted("\x01\x1f") == R"("\u0001\u001f")");
  CHECK(json_quoted("\x7f") == "\"\x7f\"");  // DEL is not a JSON control character
}

TEST_CASE("UTF-8 passes through unchanged") {
  CHECK(json_quoted("caf\xc3\xa9 \xe2\x82\xac") == "\"caf\xc3\xa9 \xe2\x82\xac\"");
}

TEST_CASE("append_json_string appends after existing text") {
  std::string out = "{\"k\":";
  append_json_string(out, "v\n");
  out += '}';
  CHECK(out == R"({"k":"v\n"})");
}
