// OpParser: one pass of simdjson On-Demand over the message's object collects the known fields
// (each field name has one JSON type in protocol v1), then the op's required fields are checked.
// `data` is validated in place by check_json_value and kept as its raw JSON span, so a publication
// is forwarded byte for byte without re-serialising.
#include <simdjson.h>

#include <array>
#include <cmath>
#include <cstring>
#include <new>
#include <vector>

#include "app/channel_name.hpp"
#include "app/json_validate.hpp"
#include "app/protocol.hpp"
#include "app/protocol_fields.hpp"

namespace hexwire::app {

namespace od = simdjson::ondemand;
using detail::Field;
using detail::field_index;
using detail::Fields;
using detail::FieldType;
using detail::FieldValue;
using detail::kFieldNames;
using detail::kFieldTypes;
using enum detail::Field;

namespace {

bool is_json_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

std::string_view trim_right(std::string_view s) noexcept {
  while (!s.empty() && is_json_space(s.back())) {
    s.remove_suffix(1);
  }
  return s;
}

bool is_type_error(simdjson::error_code e) noexcept {
  return e == simdjson::INCORRECT_TYPE || e == simdjson::NUMBER_OUT_OF_RANGE ||
         e == simdjson::NUMBER_ERROR;
}

/// Scans a string's raw bytes (after the opening quote) up to the closing quote. Returns the
/// length, or npos when it holds a backslash (escapes: the caller unescapes to check them) or a
/// raw control character (invalid JSON, reported through `bad`).
std::size_t plain_string_length(const char* p, bool& bad) noexcept {
  const char* start = p;
  for (;; ++p) {
    const auto c = static_cast<unsigned char>(*p);
    if (c == '"') {
      return static_cast<std::size_t>(p - start);
    }
    if (c == '\\') {
      return std::string_view::npos;
    }
    if (c < 0x20) {
      bad = true;
      return std::string_view::npos;
    }
  }
}

/// Checks (and, without escapes, reads without copying) an object key.
simdjson::error_code read_key(od::field& field, std::string_view& key) noexcept {
  const char* raw = field.key().raw();
  bool bad = false;
  const std::size_t length = plain_string_length(raw, bad);
  if (length != std::string_view::npos) {
    key = std::string_view(raw, length);
    return simdjson::SUCCESS;
  }
  if (bad) {
    return simdjson::STRING_ERROR;
  }
  return field.unescaped_key().get(key);
}

}  // namespace

struct OpParser::State {
  od::parser parser;
  std::vector<char> padded;  // message copy followed by SIMDJSON_PADDING bytes
  od::document document;
};

OpParser::OpParser(std::size_t expected_max_bytes) : state_(std::make_unique<State>()) {
  state_->padded.resize(expected_max_bytes + simdjson::SIMDJSON_PADDING);
  if (state_->parser.allocate(expected_max_bytes) != simdjson::SUCCESS) {
    throw std::bad_alloc();
  }
}

OpParser::~OpParser() = default;

namespace {

struct Walk : detail::ParseContext {
  /// Reads one field's value. Returns false on an error that ends the walk (malformed JSON).
  bool read_field(Field f, od::value value) noexcept {
    FieldValue& out = fields.values[f];
    const std::string_view name = kFieldNames[f];
    simdjson::error_code e = simdjson::SUCCESS;
    switch (kFieldTypes[f]) {
      case FieldType::kString:
        e = value.get_string().get(out.text);
        break;
      case FieldType::kUint:
        e = value.get_uint64().get(out.uint);
        break;
      case FieldType::kDouble:
        e = value.get_double().get(out.number);
        if (!e && !std::isfinite(out.number)) {
          fail(ParseProblem::kOutOfRange, name);
          return true;
        }
        break;
      case FieldType::kBool:
        e = value.get_bool().get(out.flag);
        break;
      case FieldType::kRawJson:
        return read_raw_json(out, value);
      case FieldType::kId:
        return read_id(out, value);
    }
    if (e == simdjson::SUCCESS) {
      fields.set(f);
      return true;
    }
    if (is_type_error(e)) {
      fail(ParseProblem::kWrongType, name);
      return true;
    }
    fail(ParseProblem::kMalformedJson);
    return false;
  }

  bool read_id(FieldValue& out, od::value value) noexcept {
    od::json_type type;
    if (value.type().get(type)) {
      fail(ParseProblem::kMalformedJson);
      return false;
    }
    const std::string_view raw = trim_right(value.raw_json_token());
    simdjson::error_code e = simdjson::SUCCESS;
    if (type == od::json_type::string) {
      std::string_view s;
      e = value.get_string().get(s);
    } else if (type == od::json_type::number) {
      od::number n;
      e = value.get_number().get(n);
    } else {
      fail(ParseProblem::kWrongType, "id");
      return true;
    }
    if (e) {
      fail(ParseProblem::kMalformedJson);
      return false;
    }
    if (raw.size() > OpParser::kMaxIdBytes) {
      fail(ParseProblem::kIdTooLong, "id");
      return true;
    }
    out.text = raw;
    fields.set(kId);
    result.id = raw;
    return true;
  }

  bool read_raw_json(FieldValue& out, od::value value) noexcept {
    // Checked and measured on the raw bytes; On-Demand then skips the value structurally.
    const char* start = value.raw_json_token().data();
    const JsonValueEnd checked = check_json_value(start, OpParser::kMaxDataDepth);
    if (checked.status != JsonCheck::kOk) {
      fail(checked.status == JsonCheck::kTooDeep ? ParseProblem::kTooDeep
                                                 : ParseProblem::kMalformedJson,
           "data");
      return false;
    }
    out.text = std::string_view(start, static_cast<std::size_t>(checked.end - start));
    fields.set(kData);
    return true;
  }
};

/// After get_object() said INCORRECT_TYPE: is the message some other valid JSON value (an
/// error path only)? The padded copy is NUL-terminated, which ends any value.
bool is_valid_non_object(const char* text) noexcept {
  const JsonValueEnd checked = check_json_value(text);
  if (checked.status != JsonCheck::kOk) {
    return false;
  }
  const char* rest = checked.end;
  while (*rest == ' ' || *rest == '\t' || *rest == '\n' || *rest == '\r') {
    ++rest;
  }
  return *rest == '\0';
}

}  // namespace

ParseResult OpParser::parse(std::string_view text) noexcept {
  ParseResult result;
  State& s = *state_;
  const std::size_t needed = text.size() + simdjson::SIMDJSON_PADDING;
  if (s.padded.size() < needed) {
    try {
      s.padded.resize(needed);
    } catch (...) {
      result.error = ParseError{ParseProblem::kMalformedJson, {}};
      return result;
    }
  }
  std::memcpy(s.padded.data(), text.data(), text.size());
  std::memset(s.padded.data() + text.size(), 0, simdjson::SIMDJSON_PADDING);

  Fields fields;
  Walk walk{{result, fields}};
  if (s.parser.iterate(s.padded.data(), text.size(), s.padded.size()).get(s.document)) {
    return walk.fail(ParseProblem::kMalformedJson);
  }
  od::object object;
  if (auto e = s.document.get_object().get(object)) {
    const bool valid_other_value =
        e == simdjson::INCORRECT_TYPE && is_valid_non_object(s.padded.data());
    return walk.fail(valid_other_value ? ParseProblem::kNotAnObject : ParseProblem::kMalformedJson);
  }
  for (auto field_result : object) {
    od::field field;
    std::string_view key;
    if (std::move(field_result).get(field) || read_key(field, key)) {
      return walk.fail(ParseProblem::kMalformedJson);
    }
    od::value value = field.value();
    const int index = field_index(key);
    if (index < 0) {
      continue;  // unknown fields are ignored (forward compatibility); On-Demand skips them
    }
    if (!walk.read_field(static_cast<Field>(index), value)) {
      return result;
    }
  }
  // Anything after the object (or an unterminated object) is malformed.
  const char* rest = nullptr;
  if (s.document.current_location().get(rest) != simdjson::OUT_OF_BOUNDS) {
    result.error = ParseError{ParseProblem::kMalformedJson, {}};
    return result;
  }
  if (!result.ok()) {
    return result;  // a wrong-typed field, reported with the id read after it
  }
  if (!fields.has(kOp)) {
    return walk.fail(ParseProblem::kMissingField, "op");
  }
  detail::build_op(walk, fields.values[kOp].text);
  return result;
}

}  // namespace hexwire::app
