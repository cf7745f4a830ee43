// JSON string literals (RFC 8259) for the text that core and the layers above it export:
// metrics JSON, reports, benchmark baselines. Not for hot paths that build frames (app's
// FrameWriter has its own allocation-free writer).
#pragma once

#include <string>
#include <string_view>

namespace hexwire::core {

/// Appends `text` as a quoted JSON string: '"' and '\\' escaped, \b \f \n \r \t in their short
/// forms, other control characters as \u00XX. Other bytes are copied as they are (UTF-8 passes
/// through; invalid UTF-8 is not repaired).
void append_json_string(std::string& out, std::string_view text);

/// The same literal as a new string.
[[nodiscard]] std::string json_quoted(std::string_view text);

}  // namespace hexwire::core
