// Encoding and decoding of the lines a --processes child sends to its parent (sample_wire.hpp).
#include "sim/sample_wire.hpp"

#include <charconv>
#include <vector>

#include <fmt/format.h>

namespace hexwire::sim {
namespace {

/// Splits on single spaces; empty fields are kept (they make the line malformed).
std::vector<std::string_view> fields_of(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t space = text.find(' ', start);
    const std::size_t end = space == std::string_view::npos ? text.size() : space;
    out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

bool parse_u64(std::string_view text, std::uint64_t& value) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() && end == text.data() + text.size() && !text.empty();
}

/// Failure texts travel on one line.
std::string one_line(std::string text) {
  for (char& c : text) {
    c = (c == '\n' || c == '\r') ? ' ' : c;
  }
  return text;
}

template <std::size_t N>
bool parse_array(std::string_view text, std::array<std::uint64_t, N>& values) {
  const std::vector<std::string_view> fields = fields_of(text);
  if (fields.size() != N) {
    return false;
  }
  for (std::size_t i = 0; i < N; ++i) {
    if (!parse_u64(fields[i], values[i])) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string encode_sample(const IntervalSample& sample) {
  std::string out = fmt::format("S {}\nC {}\nE {}\n", sample.index, fmt::join(sample.counters, " "),
                                fmt::join(sample.errors, " "));
  for (std::size_t kind = 0; kind < kLatencyKindCount; ++kind) {
    const core::Histogram& h = sample.latency[kind];
    if (h.count() == 0) {
      continue;
    }
    const core::Histogram::Exported e = h.exported();
    out += fmt::format("H {} {} {} {}", kind, e.sum, e.min, e.max);
    for (const auto& [bucket, count] : e.buckets) {
      out += fmt::format(" {}:{}", bucket, count);
    }
    out += '\n';
  }
  out += ".\n";
  return out;
}

std::string encode_outcome(const SliceOutcome& outcome) {
  std::string out;
  for (const auto& [name, count] : outcome.facts) {
    out += fmt::format("F {} {}\n", count, one_line(name));
  }
  out += fmt::format("R {}\nM {}\n", outcome.last_receive_ns, outcome.peak_rss_kib);
  if (!outcome.first_connect_failure.empty()) {
    out += fmt::format("X {}\n", one_line(outcome.first_connect_failure));
  }
  if (!outcome.failure.empty()) {
    out += fmt::format("W {}\n", one_line(outcome.failure));
  }
  out += "Z\n";
  return out;
}

SliceDecoder::Event SliceDecoder::fail(std::string reason) {
  error_ = std::move(reason);
  return Event::kError;
}

bool SliceDecoder::read_histogram(std::string_view text) {
  const std::vector<std::string_view> fields = fields_of(text);
  std::uint64_t kind = 0;
  core::Histogram::Exported e;
  if (fields.size() < 5 || !parse_u64(fields[0], kind) || kind >= kLatencyKindCount ||
      !parse_u64(fields[1], e.sum) || !parse_u64(fields[2], e.min) ||
      !parse_u64(fields[3], e.max)) {
    return false;
  }
  for (std::size_t i = 4; i < fields.size(); ++i) {
    const std::size_t colon = fields[i].find(':');
    std::uint64_t bucket = 0;
    std::uint64_t count = 0;
    if (colon == std::string_view::npos || !parse_u64(fields[i].substr(0, colon), bucket) ||
        !parse_u64(fields[i].substr(colon + 1), count) || bucket > UINT32_MAX) {
      return false;
    }
    e.buckets.emplace_back(static_cast<std::uint32_t>(bucket), count);
  }
  return sample_.latency[kind].merge(e);
}

SliceDecoder::Event SliceDecoder::feed(std::string_view line) {
  if (line.size() < 1 || (line.size() > 1 && line[1] != ' ')) {
    return fail(fmt::format("malformed line '{}'", line.substr(0, 40)));
  }
  const char tag = line[0];
  const std::string_view rest = line.size() > 2 ? line.substr(2) : std::string_view{};
  if (tag == 'S') {
    sample_.reset();
    in_sample_ = parse_u64(rest, sample_.index);
    return in_sample_ ? Event::kNone : fail("bad sample index");
  }
  if (in_sample_) {
    switch (tag) {
      case 'C':
        return parse_array(rest, sample_.counters) ? Event::kNone : fail("bad counters");
      case 'E':
        return parse_array(rest, sample_.errors) ? Event::kNone : fail("bad errors");
      case 'H':
        return read_histogram(rest) ? Event::kNone : fail("bad histogram");
      case '.':
        in_sample_ = false;
        return Event::kSample;
      default:
        return fail(fmt::format("unexpected '{}' inside a sample", tag));
    }
  }
  switch (tag) {
    case 'F': {
      const std::size_t space = rest.find(' ');
      std::uint64_t count = 0;
      if (space == std::string_view::npos || !parse_u64(rest.substr(0, space), count)) {
        return fail("bad fact");
      }
      outcome_.facts[std::string(rest.substr(space + 1))] += count;
      return Event::kNone;
    }
    case 'R':
      return parse_u64(rest, outcome_.last_receive_ns) ? Event::kNone : fail("bad receive time");
    case 'M':
      return parse_u64(rest, outcome_.peak_rss_kib) ? Event::kNone : fail("bad memory");
    case 'X':
      outcome_.first_connect_failure = std::string(rest);
      return Event::kNone;
    case 'W':
      outcome_.failure = std::string(rest);
      return Event::kNone;
    case 'Z':
      return Event::kOutcome;
    default:
      return fail(fmt::format("unknown line tag '{}'", tag));
  }
}

}  // namespace hexwire::sim
