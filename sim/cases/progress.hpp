// Progress events of a case run: one JSON object per event, published to the channel
// sim:<case> when --url is given (and written one per line to --events FILE). The dashboard plots
// them live; docs/cases/README.md documents every field. The encoders here are the only place
// these shapes are written.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/cases/figures.hpp"

namespace hexwire::sim::cases {

inline constexpr std::string_view kProgressSchema = "hexwire-case-event/1";

/// Where progress events go. publish() may be called at any time during a run; close() once at
/// the end (a live sink waits there, bounded, for the engine's acks).
class ProgressSink {
 public:
  virtual ~ProgressSink() = default;
  virtual void publish(std::string_view event_json) = 0;
  virtual void close() {}
};

/// What identifies a run in every event.
struct RunIdentity {
  std::string case_name;
  std::string experiment;
  std::string run_id;  // unique per run: "<case>-<experiment>-<seed>-<unix ms>"
  std::string mode;    // "virtual" or "live"
  std::uint64_t seed = 0;
};

/// The key plot of an experiment: which series column is x, which are y, and a title.
struct PlotHint {
  std::string title;
  std::string x;
  std::vector<std::string> y;
  bool log_y = false;
};

std::string encode_start_event(const RunIdentity& run,
                               const std::vector<std::pair<std::string, std::string>>& params,
                               const std::vector<std::string>& columns, const PlotHint& plot);
std::string encode_sample_event(const RunIdentity& run, double t_s,
                                const std::vector<std::string>& columns,
                                const std::vector<double>& values);
std::string encode_note_event(const RunIdentity& run, double t_s, std::string_view text);
std::string encode_figure_event(const RunIdentity& run, const Figure& figure);
std::string encode_end_event(const RunIdentity& run, bool ok, std::size_t figures,
                             std::size_t misses, double wall_s, double sim_s);

/// The fields of one figure ("name":..,"measured":..,...,"source":..), without braces: the
/// shape shared by figure events and the --report JSON.
void append_figure_fields(std::string& out, const Figure& figure);
/// A JSON number, or null for NaN and infinities (JSON has neither).
void append_json_number(std::string& out, double value);

/// Writes each event as one line to a file (--events FILE).
class FileProgressSink final : public ProgressSink {
 public:
  /// Throws std::runtime_error naming the file when it cannot be opened.
  explicit FileProgressSink(const std::string& path);
  ~FileProgressSink() override;
  void publish(std::string_view event_json) override;
  void close() override;

 private:
  std::FILE* file_;
};

/// Fans every event out to several sinks.
class ProgressFanout final : public ProgressSink {
 public:
  void add(ProgressSink& sink) { sinks_.push_back(&sink); }
  void publish(std::string_view event_json) override;
  void close() override;

 private:
  std::vector<ProgressSink*> sinks_;
};

}  // namespace hexwire::sim::cases
