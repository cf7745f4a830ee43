// Text, JSON and CSV rendering of simulator results (formats documented in docs/simulator.md).
#include "sim/report.hpp"

#include "core/json_string.hpp"

#include <fmt/format.h>

#include <cmath>
#include <iterator>

namespace hexwire::sim {
namespace {

LatencyKind kind_at(std::size_t i) {
  return static_cast<LatencyKind>(i);
}

// Nanoseconds as microseconds with nanosecond precision, for JSON and CSV.
std::string micros(std::uint64_t ns) {
  return fmt::format("{:.3f}", static_cast<double>(ns) / 1e3);
}

double rate(std::uint64_t count, double seconds) {
  return seconds > 0.0 ? static_cast<double>(count) / seconds : 0.0;
}

std::string format_errors(const std::array<std::uint64_t, kErrorKindCount>& errors,
                          std::uint64_t total) {
  std::string out = fmt::format("errors {}", total);
  if (total == 0) {
    return out;
  }
  out += " (";
  bool first = true;
  for (std::size_t i = 0; i < kErrorKindCount; ++i) {
    if (errors[i] != 0) {
      out += fmt::format("{}{} {}", first ? "" : ", ", to_string(static_cast<ErrorKind>(i)),
                         errors[i]);
      first = false;
    }
  }
  out += ")";
  return out;
}

}  // namespace

int RunReport::verification_exit_code() const noexcept {
  const bool clean = (!verification || verification->clean()) &&
                     (!rides_verification || rides_verification->clean());
  return clean ? 0 : kVerifyFailedExitCode;
}

LatencySummary summarize(const core::Histogram& histogram) {
  LatencySummary s;
  s.count = histogram.count();
  if (s.count == 0) {
    return s;
  }
  s.min_ns = histogram.min();
  s.mean_ns = histogram.mean();
  s.p50_ns = histogram.percentile(50.0);
  s.p90_ns = histogram.percentile(90.0);
  s.p99_ns = histogram.percentile(99.0);
  s.p999_ns = histogram.percentile(99.9);
  s.max_ns = histogram.max();
  return s;
}

std::uint64_t IntervalRow::error_total() const noexcept {
  std::uint64_t total = 0;
  for (const std::uint64_t e : errors) {
    total += e;
  }
  return total;
}

IntervalRow IntervalSummarizer::add(const IntervalSample& sample) {
  IntervalRow row;
  row.second = sample.index;
  row.counters = sample.counters;
  row.errors = sample.errors;
  for (std::size_t i = 0; i < kLatencyKindCount; ++i) {
    row.latency[i] = summarize(sample.latency[i]);
  }
  open_ += sample.counter(Counter::kConnectsOpened);
  const std::uint64_t closed = sample.counter(Counter::kConnectsClosed);
  open_ = open_ > closed ? open_ - closed : 0;
  row.connections_open = open_;
  return row;
}

std::string format_latency(std::uint64_t ns) {
  const double v = static_cast<double>(ns);
  if (ns < 1000) {
    return fmt::format("{}ns", ns);
  }
  const auto three_significant = [](double x, std::string_view unit) {
    if (x < 10.0) {
      return fmt::format("{:.2f}{}", x, unit);
    }
    if (x < 100.0) {
      return fmt::format("{:.1f}{}", x, unit);
    }
    return fmt::format("{:.0f}{}", x, unit);
  };
  if (ns < 1'000'000) {
    return three_significant(v / 1e3, "us");
  }
  if (ns < 1'000'000'000) {
    return three_significant(v / 1e6, "ms");
  }
  return three_significant(v / 1e9, "s");
}

std::string format_rate(double per_second) {
  if (per_second < 1000.0) {
    return fmt::format("{:.0f}/s", per_second);
  }
  const bool mega = per_second >= 1e6;
  const double scaled = mega ? per_second / 1e6 : per_second / 1e3;
  const int decimals = scaled < 10.0 ? 2 : 1;
  return fmt::format("{:.{}f}{}/s", scaled, decimals, mega ? "M" : "k");
}

std::string json_quote(std::string_view text) { return core::json_quoted(text); }

std::string format_progress_line(const IntervalRow& row, double total_s,
                                 std::uint64_t connections_target) {
  std::string line = fmt::format("[{:>4}/{:.0f} s] conns {}/{} | sent {} recv {}", row.second + 1,
                                 total_s, row.connections_open, connections_target,
                                 format_rate(static_cast<double>(row.counter(Counter::kSent))),
                                 format_rate(static_cast<double>(row.counter(Counter::kReceived))));
  const std::uint64_t acks = row.counter(Counter::kAcks);
  const std::uint64_t deliveries = row.counter(Counter::kDeliveries);
  if (acks + deliveries != 0) {
    line += fmt::format(" (acks {}, deliveries {})", format_rate(static_cast<double>(acks)),
                        format_rate(static_cast<double>(deliveries)));
  }
  for (std::size_t i = 0; i < kLatencyKindCount; ++i) {
    const LatencySummary& l = row.latency[i];
    if (l.count != 0) {
      line += fmt::format(" | {} p50 {} p99 {}", to_string(kind_at(i)), format_latency(l.p50_ns),
                          format_latency(l.p99_ns));
    }
  }
  line += " | " + format_errors(row.errors, row.error_total());
  return line;
}

std::string format_final_table(const RunReport& report) {
  const double seconds = report.measured_duration_s;
  const IntervalSample& t = report.totals;
  std::string out = fmt::format(
      "hexwire-sim {} against {}: {:.1f} s measured ({:.0f} s planned), "
      "{} arrivals, seed {}\n\n",
      report.scenario, report.target, seconds, report.planned_duration_s, report.arrival,
      report.seed);
  out += fmt::format("{:<18}{:>14}{:>14}\n", "throughput", "total", "per second");
  for (const Counter c :
       {Counter::kSent, Counter::kReceived, Counter::kAcks, Counter::kDeliveries,
        Counter::kBytesSent, Counter::kBytesReceived, Counter::kConnectsOpened,
        Counter::kConnectsClosed}) {
    out += fmt::format("{:<18}{:>14}{:>14.1f}\n", to_string(c), t.counter(c),
                       rate(t.counter(c), seconds));
  }
  out += fmt::format("\n{:<10}{:>12}{:>10}{:>10}{:>10}{:>10}{:>10}   (from intended send time)\n",
                     "latency", "count", "p50", "p90", "p99", "p99.9", "max");
  bool any = false;
  for (std::size_t i = 0; i < kLatencyKindCount; ++i) {
    const LatencySummary l = summarize(t.latency[i]);
    if (l.count == 0) {
      continue;
    }
    any = true;
    out +=
        fmt::format("{:<10}{:>12}{:>10}{:>10}{:>10}{:>10}{:>10}\n", to_string(kind_at(i)), l.count,
                    format_latency(l.p50_ns), format_latency(l.p90_ns), format_latency(l.p99_ns),
                    format_latency(l.p999_ns), format_latency(l.max_ns));
  }
  if (!any) {
    out += "(no latency samples)\n";
  }
  out += "\n";
  const std::uint64_t errors = t.error_total();
  if (errors == 0) {
    out += "errors: none\n";
  } else {
    out += fmt::format("errors: {}\n", errors);
    for (std::size_t i = 0; i < kErrorKindCount; ++i) {
      if (t.errors[i] != 0) {
        out += fmt::format("  {:<14}{:>12}\n", to_string(static_cast<ErrorKind>(i)), t.errors[i]);
      }
    }
  }
  if (report.verification) {
    out += report.verification->describe() + "\n";
  }
  if (report.rides_verification) {
    out += report.rides_verification->describe() + "\n";
  }
  return out;
}

namespace {

void append_latency_json(std::string& out, const LatencySummary& l, std::string_view indent) {
  out += fmt::format(
      "{{\n{0}  \"count\": {1},\n{0}  \"min\": {2},\n{0}  \"mean\": {3:.3f},\n{0}  \"p50\": {4},\n"
      "{0}  \"p90\": {5},\n{0}  \"p99\": {6},\n{0}  \"p99_9\": {7},\n{0}  \"max\": {8}\n{0}}}",
      indent, l.count, micros(l.min_ns), l.mean_ns / 1e3, micros(l.p50_ns), micros(l.p90_ns),
      micros(l.p99_ns), micros(l.p999_ns), micros(l.max_ns));
}

void append_rides_json(std::string& out, const RidesVerificationSummary& r) {
  out += fmt::format(
      "{{\"clean\": {}, \"requests\": {}, \"refused\": {}, \"matched\": {}, "
      "\"unmatched\": {}, \"cancelled\": {}, \"trip_events\": {}, \"unanswered\": {}, "
      "\"unended\": {}, \"ended_twice\": {}, \"double_booked\": {}, "
      "\"illegal_transitions\": {}, \"unknown_trips\": {}}}",
      r.clean() ? "true" : "false", r.requests, r.refused, r.matched, r.unmatched, r.cancelled,
      r.trip_events, r.unanswered, r.unended, r.ended_twice, r.double_booked,
      r.illegal_transitions, r.unknown_trips);
}

/// The chat/echo counts, each on its own line after the object's previous field.
void append_counts_json(std::string& out, const VerificationSummary& v) {
  out += fmt::format(
      ",\n    \"publishes_sent\": {},\n    \"publishes_acked\": {},\n"
      "    \"publishes_unacked\": {},\n    \"subscriptions\": {},\n    \"receipts\": {},\n"
      "    \"deliveries_expected\": {},\n    \"deliveries_received\": {},\n    \"lost\": {},\n"
      "    \"duplicated\": {},\n    \"reordered\": {},\n    \"unmatched\": {},\n    \"late\": {},\n"
      "    \"ignored\": {},\n    \"unrecovered\": {},\n    \"reloads\": {},\n"
      "    \"new_epochs\": {},\n    \"publishes_in_doubt\": {},\n"
      "    \"publishes_registered_twice\": {}",
      v.publishes_sent, v.publishes_acked, v.publishes_unacked, v.subscriptions, v.receipts,
      v.deliveries_expected, v.deliveries_received, v.lost, v.duplicated, v.reordered, v.unmatched,
      v.late, v.ignored, v.unrecovered, v.reloads, v.new_epochs, v.publishes_in_doubt,
      v.publishes_registered_twice);
}

/// The "verification" object: the chat/echo counts when checked, a "rides" object when rides were
/// checked, and "clean" for everything that was checked.
void append_verification_json(std::string& out, const RunReport& report) {
  const bool clean = report.verification_exit_code() == 0;
  out += fmt::format("{{\n    \"clean\": {}", clean ? "true" : "false");
  if (report.verification) {
    append_counts_json(out, *report.verification);
  }
  if (report.rides_verification) {
    out += ",\n    \"rides\": ";
    append_rides_json(out, *report.rides_verification);
  }
  out += "\n  }";
}

}  // namespace

std::string format_json_report(const RunReport& report) {
  const IntervalSample& t = report.totals;
  const double seconds = report.measured_duration_s;
  std::string out = "{\n";
  out += fmt::format("  \"schema\": {},\n", json_quote(kReportSchema));
  out += fmt::format("  \"scenario\": {},\n", json_quote(report.scenario));
  out += fmt::format("  \"target\": {},\n", json_quote(report.target));
  out += fmt::format("  \"arrival\": {},\n", json_quote(report.arrival));
  out += fmt::format("  \"seed\": {},\n", report.seed);
  out += fmt::format("  \"duration_s\": {{\"planned\": {:.3f}, \"measured\": {:.3f}}},\n",
                     report.planned_duration_s, seconds);
  out += "  \"settings\": {";
  for (std::size_t i = 0; i < report.settings.size(); ++i) {
    out += fmt::format("{}\n    {}: {}", i == 0 ? "" : ",", json_quote(report.settings[i].first),
                       json_quote(report.settings[i].second));
  }
  out += report.settings.empty() ? "},\n" : "\n  },\n";
  out += "  \"servers\": [";
  for (std::size_t i = 0; i < report.connections_per_url.size(); ++i) {
    out += fmt::format("{}\n    {{\"url\": {}, \"connections_opened\": {}}}", i == 0 ? "" : ",",
                       json_quote(report.connections_per_url[i].first),
                       report.connections_per_url[i].second);
  }
  out += report.connections_per_url.empty() ? "],\n" : "\n  ],\n";

  out += "  \"counters\": {";
  for (std::size_t i = 0; i < kCounterCount; ++i) {
    out += fmt::format("{}\n    \"{}\": {}", i == 0 ? "" : ",", to_string(static_cast<Counter>(i)),
                       t.counters[i]);
  }
  out += "\n  },\n";
  out += fmt::format(
      "  \"rates_per_s\": {{\"sent\": {:.3f}, \"received\": {:.3f}, \"acks\": {:.3f}, "
      "\"deliveries\": {:.3f}}},\n",
      rate(t.counter(Counter::kSent), seconds), rate(t.counter(Counter::kReceived), seconds),
      rate(t.counter(Counter::kAcks), seconds), rate(t.counter(Counter::kDeliveries), seconds));

  out += "  \"latency_us\": {";
  bool first = true;
  for (std::size_t i = 0; i < kLatencyKindCount; ++i) {
    const LatencySummary l = summarize(t.latency[i]);
    if (l.count == 0) {
      continue;
    }
    out += fmt::format("{}\n    \"{}\": ", first ? "" : ",", to_string(kind_at(i)));
    append_latency_json(out, l, "    ");
    first = false;
  }
  out += first ? "},\n" : "\n  },\n";
  out += "  \"latency_histograms_us\": ";
  out += latency_histograms_json(t);
  out += ",\n";

  out += "  \"errors\": {";
  for (std::size_t i = 0; i < kErrorKindCount; ++i) {
    out += fmt::format("\n    \"{}\": {},", to_string(static_cast<ErrorKind>(i)), t.errors[i]);
  }
  out += fmt::format("\n    \"total\": {}\n  }},\n", t.error_total());
  out += "  \"facts\": {";
  for (std::size_t i = 0; i < report.facts.size(); ++i) {
    out += fmt::format("{}\n    {}: {}", i == 0 ? "" : ",", json_quote(report.facts[i].first),
                       report.facts[i].second);
  }
  out += report.facts.empty() ? "},\n" : "\n  },\n";

  out += "  \"verification\": ";
  if (report.verification || report.rides_verification) {
    append_verification_json(out, report);
  } else {
    out += "null";
  }
  out += ",\n  \"intervals\": [";
  for (std::size_t r = 0; r < report.intervals.size(); ++r) {
    const IntervalRow& row = report.intervals[r];
    out += fmt::format(
        "{}\n    {{\"second\": {}, \"connections\": {}, \"sent\": {}, "
        "\"received\": {}, \"acks\": {}, \"deliveries\": {}, \"errors\": {}, \"unsent\": {}",
        r == 0 ? "" : ",", row.second, row.connections_open, row.counter(Counter::kSent),
        row.counter(Counter::kReceived), row.counter(Counter::kAcks),
        row.counter(Counter::kDeliveries), row.error_total(),
        row.errors[static_cast<std::size_t>(ErrorKind::kUnsent)]);
    for (std::size_t i = 0; i < kLatencyKindCount; ++i) {
      const LatencySummary& l = row.latency[i];
      if (l.count != 0) {
        out += fmt::format(
            ", \"{0}\": {{\"count\": {1}, \"p50\": {2}, \"p90\": {3}, \"p99\": {4}, "
            "\"p99_9\": {5}, \"max\": {6}}}",
            to_string(kind_at(i)), l.count, micros(l.p50_ns), micros(l.p90_ns), micros(l.p99_ns),
            micros(l.p999_ns), micros(l.max_ns));
      }
    }
    if (row.error_total() != 0) {
      out += ", \"errors_by_kind\": {";
      bool first_error = true;
      for (std::size_t i = 0; i < kErrorKindCount; ++i) {
        if (row.errors[i] != 0) {
          out += fmt::format("{}\"{}\": {}", first_error ? "" : ", ",
                             to_string(static_cast<ErrorKind>(i)), row.errors[i]);
          first_error = false;
        }
      }
      out += "}";
    }
    out += "}";
  }
  out += report.intervals.empty() ? "]\n}\n" : "\n  ]\n}\n";
  return out;
}

namespace {

// The CSV's first columns, in the order of the first release; columns added since are appended at
// the end (kCsvAddedCounters, kCsvAddedErrors, then the latency kinds from kCsvFirstKinds on) so
// readers that go by position keep working.
constexpr std::array kCsvCounters = {Counter::kSent,           Counter::kReceived,
                                     Counter::kConnectsOpened, Counter::kConnectsClosed,
                                     Counter::kBytesSent,      Counter::kBytesReceived};
constexpr std::array kCsvErrors = {ErrorKind::kConnect, ErrorKind::kClosed,
                                   ErrorKind::kServerError, ErrorKind::kTimeout,
                                   ErrorKind::kProtocol, ErrorKind::kVerify};
constexpr std::array kCsvAddedCounters = {Counter::kAcks, Counter::kDeliveries};
constexpr std::array kCsvAddedErrors = {ErrorKind::kUnsent};
constexpr std::size_t kCsvFirstKinds = 5;  // rtt, ack, deliver, match, connect
static_assert(kCsvCounters.size() + kCsvAddedCounters.size() == kCounterCount);
static_assert(kCsvErrors.size() + kCsvAddedErrors.size() == kErrorKindCount);

/// The six columns of each latency kind in [first, last).
void append_latency_headers(std::string& out, std::size_t first, std::size_t last) {
  for (std::size_t i = first; i < last; ++i) {
    const auto name = to_string(kind_at(i));
    out += fmt::format(",{0}_count,{0}_p50_us,{0}_p90_us,{0}_p99_us,{0}_p999_us,{0}_max_us", name);
  }
}

void append_latency_cells(std::string& out, const IntervalRow& row, std::size_t first,
                          std::size_t last) {
  for (std::size_t i = first; i < last; ++i) {
    const LatencySummary& l = row.latency[i];
    out += fmt::format(",{},{},{},{},{},{}", l.count, micros(l.p50_ns), micros(l.p90_ns),
                       micros(l.p99_ns), micros(l.p999_ns), micros(l.max_ns));
  }
}

}  // namespace

std::string csv_header() {
  std::string out = "second,connections";
  for (const Counter c : kCsvCounters) {
    out += fmt::format(",{}", to_string(c));
  }
  out += ",errors";
  for (const ErrorKind e : kCsvErrors) {
    out += fmt::format(",errors_{}", to_string(e));
  }
  append_latency_headers(out, 0, kCsvFirstKinds);
  for (const Counter c : kCsvAddedCounters) {
    out += fmt::format(",{}", to_string(c));
  }
  for (const ErrorKind e : kCsvAddedErrors) {
    out += fmt::format(",errors_{}", to_string(e));
  }
  append_latency_headers(out, kCsvFirstKinds, kLatencyKindCount);
  out += "\n";
  return out;
}

std::string csv_row(const IntervalRow& row) {
  std::string out = fmt::format("{},{}", row.second, row.connections_open);
  for (const Counter c : kCsvCounters) {
    out += fmt::format(",{}", row.counter(c));
  }
  out += fmt::format(",{}", row.error_total());
  for (const ErrorKind e : kCsvErrors) {
    out += fmt::format(",{}", row.errors[static_cast<std::size_t>(e)]);
  }
  append_latency_cells(out, row, 0, kCsvFirstKinds);
  for (const Counter c : kCsvAddedCounters) {
    out += fmt::format(",{}", row.counter(c));
  }
  for (const ErrorKind e : kCsvAddedErrors) {
    out += fmt::format(",{}", row.errors[static_cast<std::size_t>(e)]);
  }
  append_latency_cells(out, row, kCsvFirstKinds, kLatencyKindCount);
  out += "\n";
  return out;
}

}  // namespace hexwire::sim
