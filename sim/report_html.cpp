// Rendering of the self-contained HTML report (see report_html.hpp). The assets come from the
// generated report_assets.cpp (cmake/EmbedFiles.cmake: web/report/ and uPlot from npm).
#include "sim/report_html.hpp"

#include <simdjson.h>

#include <string>

#include "sim/report.hpp"

namespace hexwire::sim {

namespace assets {
std::string_view uplot_js();
std::string_view uplot_css();
std::string_view report_js();
std::string_view report_css();
}  // namespace assets

std::string check_report_json(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(simdjson::padded_string(json)).get(root) != simdjson::SUCCESS) {
    return "not valid JSON (truncated or not a report?)";
  }
  simdjson::dom::object object;
  if (root.get_object().get(object) != simdjson::SUCCESS) {
    return "not a JSON object";
  }
  std::string_view schema;
  if (object["schema"].get_string().get(schema) != simdjson::SUCCESS) {
    return "no \"schema\" field: not a hexwire-sim report (hexwire-sim --report FILE)";
  }
  if (!schema.starts_with("hexwire-sim-report/")) {
    return "schema \"" + std::string(schema) + "\" is not a hexwire-sim report";
  }
  return {};
}

namespace {

/// JSON inside <script type="application/json">: '<' only occurs inside JSON strings, where
/// \u003c means the same, so no "</script>" or "<!--" can end the element early.
void append_script_safe_json(std::string& out, std::string_view json) {
  for (const char c : json) {
    if (c == '<') {
      out += "\\u003c";
    } else {
      out += c;
    }
  }
}

}  // namespace

std::string render_html_report(const std::vector<ReportInput>& runs) {
  std::string title = "hexwire-sim report";
  if (runs.size() > 1) {
    title += " (" + std::to_string(runs.size()) + " runs compared)";
  }
  std::string out;
  out.reserve(assets::uplot_js().size() + 64 * 1024);
  out += "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  out += "<meta name=\"generator\" content=\"hexwire-sim\">\n<title>" + title + "</title>\n";
  out += "<style>\n";
  out += assets::uplot_css();
  out += "\n";
  out += assets::report_css();
  out += "\n</style>\n</head>\n<body>\n<main id=\"report\"></main>\n";
  out += "<script type=\"application/json\" id=\"hexwire-runs\">[";
  for (std::size_t i = 0; i < runs.size(); ++i) {
    out += i == 0 ? "{\"label\":" : ",{\"label\":";
    append_script_safe_json(out, json_quote(runs[i].label));
    out += ",\"report\":";
    append_script_safe_json(out, runs[i].json);
    out += "}";
  }
  out += "]</script>\n<script>\n";
  out += assets::uplot_js();
  out += "\n</script>\n<script>\n";
  out += assets::report_js();
  out += "\n</script>\n</body>\n</html>\n";
  return out;
}

}  // namespace hexwire::sim
