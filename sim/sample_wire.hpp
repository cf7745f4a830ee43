// What a child of `hexwire-sim --processes N` tells its parent over a pipe, as text lines: each
// finished one-second sample (counters, errors and every latency histogram, exactly: buckets plus
// exact sum, min and max), then at the end the run's facts, its last receive time, its peak
// memory and any failure. The parent decodes these into the same aggregator the threads of one
// process use, so a report over processes has the same full-histogram percentiles.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "sim/latency_recorder.hpp"

namespace hexwire::sim {

/// A child's end of run: everything the final report needs besides the samples.
struct SliceOutcome {
  std::map<std::string, std::uint64_t> facts;
  std::uint64_t last_receive_ns = 0;
  std::uint64_t peak_rss_kib = 0;
  std::string first_connect_failure;
  std::string failure;  // non-empty: the child could not run
};

/// One sample as lines ("S", "C", "E", "H"..., "."), each ending in '\n'.
std::string encode_sample(const IntervalSample& sample);
/// The outcome as lines ("F"..., "R", "M", "X", "W", "Z" last).
std::string encode_outcome(const SliceOutcome& outcome);

/// Decodes one child's stream line by line.
class SliceDecoder {
 public:
  enum class Event { kNone, kSample, kOutcome, kError };

  /// Feeds one line (without '\n'). kSample: take_sample() holds a whole sample; kOutcome: the
  /// stream is complete; kError: the line is malformed (error() says why).
  Event feed(std::string_view line);
  IntervalSample take_sample() { return std::exchange(sample_, IntervalSample{}); }
  [[nodiscard]] const SliceOutcome& outcome() const noexcept { return outcome_; }
  [[nodiscard]] const std::string& error() const noexcept { return error_; }

 private:
  Event fail(std::string reason);
  bool read_histogram(std::string_view fields);

  IntervalSample sample_;
  bool in_sample_ = false;
  SliceOutcome outcome_;
  std::string error_;
};

}  // namespace hexwire::sim
