// Progress event encoders and the file / fan-out sinks.
#include "sim/cases/progress.hpp"

#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <iterator>
#include <stdexcept>

#include "core/json_string.hpp"

namespace hexwire::sim::cases {
namespace {

void open_event(std::string& out, std::string_view type, const RunIdentity& run) {
  out += "{\"schema\":";
  core::append_json_string(out, kProgressSchema);
  out += ",\"type\":";
  core::append_json_string(out, type);
  out += ",\"case\":";
  core::append_json_string(out, run.case_name);
  out += ",\"experiment\":";
  core::append_json_string(out, run.experiment);
  out += ",\"run\":";
  core::append_json_string(out, run.run_id);
}

void append_string_array(std::string& out, const std::vector<std::string>& items) {
  out.push_back('[');
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) {
      out.push_back(',');
    }
    core::append_json_string(out, items[i]);
  }
  out.push_back(']');
}

}  // namespace

void append_json_number(std::string& out, double value) {
  if (!std::isfinite(value)) {
    out += "null";
    return;
  }
  if (value == std::floor(value) && std::fabs(value) < 9.0e15) {
    fmt::format_to(std::back_inserter(out), "{}", static_cast<std::int64_t>(value));
    return;
  }
  fmt::format_to(std::back_inserter(out), "{:.9g}", value);
}

std::string encode_start_event(const RunIdentity& run,
                               const std::vector<std::pair<std::string, std::string>>& params,
                               const std::vector<std::string>& columns, const PlotHint& plot) {
  std::string out;
  open_event(out, "start", run);
  out += ",\"mode\":";
  core::append_json_string(out, run.mode);
  fmt::format_to(std::back_inserter(out), ",\"seed\":{},\"params\":{{", run.seed);
  for (std::size_t i = 0; i < params.size(); ++i) {
    if (i > 0) {
      out.push_back(',');
    }
    core::append_json_string(out, params[i].first);
    out.push_back(':');
    core::append_json_string(out, params[i].second);
  }
  out += "},\"columns\":";
  append_string_array(out, columns);
  out += ",\"plot\":{\"title\":";
  core::append_json_string(out, plot.title);
  out += ",\"x\":";
  core::append_json_string(out, plot.x);
  out += ",\"y\":";
  append_string_array(out, plot.y);
  out += plot.log_y ? ",\"log_y\":true}}" : ",\"log_y\":false}}";
  return out;
}

std::string encode_sample_event(const RunIdentity& run, double t_s,
                                const std::vector<std::string>& columns,
                                const std::vector<double>& values) {
  std::string out;
  open_event(out, "sample", run);
  out += ",\"t\":";
  append_json_number(out, t_s);
  out += ",\"values\":{";
  for (std::size_t i = 0; i < columns.size() && i < values.size(); ++i) {
    if (i > 0) {
      out.push_back(',');
    }
    core::append_json_string(out, columns[i]);
    out.push_back(':');
    append_json_number(out, values[i]);
  }
  out += "}}";
  return out;
}

std::string encode_note_event(const RunIdentity& run, double t_s, std::string_view text) {
  std::string out;
  open_event(out, "note", run);
  out += ",\"t\":";
  append_json_number(out, t_s);
  out += ",\"text\":";
  core::append_json_string(out, text);
  out.push_back('}');
  return out;
}

void append_figure_fields(std::string& out, const Figure& figure) {
  out += "\"name\":";
  core::append_json_string(out, figure.name);
  out += ",\"measured\":";
  append_json_number(out, figure.measured);
  if (figure.reference) {
    out += ",\"reference\":";
    append_json_number(out, *figure.reference);
    out += ",\"tolerance\":";
    append_json_number(out, figure.tolerance);
  } else {
    out += ",\"reference\":null,\"tolerance\":null";
  }
  out += ",\"compare\":";
  core::append_json_string(out, to_string(figure.compare));
  out += figure.ok() ? ",\"ok\":true" : ",\"ok\":false";
  out += ",\"unit\":";
  core::append_json_string(out, figure.unit);
  out += ",\"source\":";
  core::append_json_string(out, figure.source);
}

std::string encode_figure_event(const RunIdentity& run, const Figure& figure) {
  std::string out;
  open_event(out, "figure", run);
  out.push_back(',');
  append_figure_fields(out, figure);
  out.push_back('}');
  return out;
}

std::string encode_end_event(const RunIdentity& run, bool ok, std::size_t figures,
                             std::size_t misses, double wall_s, double sim_s) {
  std::string out;
  open_event(out, "end", run);
  fmt::format_to(std::back_inserter(out), ",\"ok\":{},\"figures\":{},\"misses\":{},\"wall_s\":",
                 ok ? "true" : "false", figures, misses);
  append_json_number(out, wall_s);
  out += ",\"sim_s\":";
  append_json_number(out, sim_s);
  out.push_back('}');
  return out;
}

FileProgressSink::FileProgressSink(const std::string& path) : file_(std::fopen(path.c_str(), "w")) {
  if (file_ == nullptr) {
    throw std::runtime_error(fmt::format("cannot write --events file '{}'", path));
  }
}

FileProgressSink::~FileProgressSink() {
  close();
}

void FileProgressSink::publish(std::string_view event_json) {
  if (file_ != nullptr) {
    std::fwrite(event_json.data(), 1, event_json.size(), file_);
    std::fputc('\n', file_);
  }
}

void FileProgressSink::close() {
  if (file_ != nullptr) {
    std::fclose(file_);
    file_ = nullptr;
  }
}

void ProgressFanout::publish(std::string_view event_json) {
  for (ProgressSink* sink : sinks_) {
    sink->publish(event_json);
  }
}

void ProgressFanout::close() {
  for (ProgressSink* sink : sinks_) {
    sink->close();
  }
}

}  // namespace hexwire::sim::cases
