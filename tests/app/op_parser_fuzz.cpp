// libFuzzer target for the /ws op parser (bytes straight from the network): parse anything
// without crashing (ASan/UBSan), every error reply is valid JSON, an accepted pub's `data` is
// valid JSON that simdjson's DOM reads back, and check_json_value agrees with the DOM on the whole
// input (up to number conversions the DOM refuses).
#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>

#include "app/json_validate.hpp"
#include "app/protocol.hpp"
#include "app/protocol_encode.hpp"

namespace {

bool conversion_only(simdjson::error_code e) {
  return e == simdjson::NUMBER_ERROR || e == simdjson::NUMBER_OUT_OF_RANGE ||
         e == simdjson::DEPTH_ERROR;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  static hexwire::app::OpParser parser(4096);
  static hexwire::app::FrameWriter writer;
  static simdjson::dom::parser dom;
  const std::string_view text(reinterpret_cast<const char*>(bytes), size);

  const hexwire::app::ParseResult result = parser.parse(text);
  if (!result.ok()) {
    const hexwire::core::SharedBuffer frame = hexwire::app::encode_parse_error(writer, result);
    if (dom.parse(std::string(writer.payload())).error() != simdjson::SUCCESS) {
      std::abort();  // an error reply that is not JSON
    }
    (void)frame;
  } else if (const auto* pub = std::get_if<hexwire::app::PubOp>(&result.op)) {
    const simdjson::error_code e = dom.parse(std::string(pub->data)).error();
    if (e != simdjson::SUCCESS && !conversion_only(e)) {
      std::abort();  // forwarded data that is not JSON
    }
  }

  // The in-place checker against the DOM, on the whole input (ASCII-only inputs: the checker
  // leaves UTF-8 to the WebSocket layer).
  for (std::size_t i = 0; i < size; ++i) {
    if (bytes[i] >= 0x80) {
      return 0;
    }
  }
  std::string padded(text);
  padded.append(64, '\0');
  const hexwire::app::JsonValueEnd checked = hexwire::app::check_json_value(padded.data());
  if (checked.status == hexwire::app::JsonCheck::kTooDeep) {
    return 0;  // deeper than the checker's limit: nothing to compare
  }
  bool ours = checked.status == hexwire::app::JsonCheck::kOk;
  if (ours) {
    const char* rest = checked.end;
    while (*rest == ' ' || *rest == '\t' || *rest == '\n' || *rest == '\r')
      ++rest;
    ours = rest == padded.data() + size;
  }
  const simdjson::error_code e = dom.parse(std::string(text)).error();
  if (!conversion_only(e) && ours != (e == simdjson::SUCCESS)) {
    std::abort();  // checker and DOM disagree
  }
  return 0;
}
