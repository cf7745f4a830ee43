// Latency and counter recording for the simulator. Each worker thread owns a LatencyRecorder and
// records into the current one-second interval (no locks, no allocation per record); once a second
// it hands the finished interval to the shared RunAggregator, which merges the workers' intervals
// into per-second rows (progress line, CSV) and into run totals (final table, JSON report).
// Latency is always measured from the *intended* send time given by the open-loop schedule.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string_view>
#include <vector>

#include "core/histogram.hpp"

namespace hexwire::sim {

/// What a latency measures; each starts at an intended (scheduled) time, see docs/simulator.md.
enum class LatencyKind : std::uint8_t {
  kRtt,      // echo: intended send -> the echoed frame is read back
  kAck,      // chat: intended publish -> the publisher reads the `ack`
  kDeliver,  // chat: intended publish -> a subscriber reads the `msg` (one sample per receiver)
  kMatch,    // rides: intended ride request -> the rider reads the `trip` event `matched`
  kConnect,  // intended open (ramp schedule) -> WebSocket handshake complete
  kSubscribe,  // chat: intended open (ramp, churn or storm) -> the last `subbed` of the client
};
inline constexpr std::size_t kLatencyKindCount = 6;
std::string_view to_string(LatencyKind kind) noexcept;

/// Event counters. Each kind of message is counted on its own: an ack is not a delivery.
enum class Counter : std::uint8_t {
  kSent,            // application messages sent (echo requests, publishes, loc, ride requests)
  kReceived,        // application messages received, every kind (echo replies, acks, msgs,
                    // loc answers, dispatch replies and events)
  kConnectsOpened,  // handshakes completed
  kConnectsClosed,  // connections that ended (for any reason)
  kBytesSent,       // WebSocket payload bytes sent
  kBytesReceived,   // WebSocket payload bytes received
  kAcks,            // chat: `ack` replies read by publishers (part of kReceived)
  kDeliveries,      // chat: `msg` frames of workload channels read by subscribers (part of kReceived)
};
inline constexpr std::size_t kCounterCount = 8;
std::string_view to_string(Counter counter) noexcept;

/// Error kinds, reported separately so a reader can tell a refused connection from a lost reply.
enum class ErrorKind : std::uint8_t {
  kConnect,      // TCP connect or WebSocket upgrade failed
  kClosed,       // the server closed or reset an established connection
  kServerError,  // the server answered {"op":"error"}
  kTimeout,      // no reply within the reply deadline
  kProtocol,     // a frame or reply the simulator could not understand
  kVerify,       // --verify found an anomaly (details in the verification summary)
  kUnsent,       // a scheduled send that could not be issued (no ready client, send refused)
};
inline constexpr std::size_t kErrorKindCount = 7;
std::string_view to_string(ErrorKind kind) noexcept;

/// One interval (normally one second) of one worker, or several merged: latency histograms in
/// nanoseconds, counters and errors.
struct IntervalSample {
  IntervalSample();

  std::uint64_t index = 0;               // seconds since run start (interval i covers [i, i+1) s)
  std::vector<core::Histogram> latency;  // kLatencyKindCount entries
  std::array<std::uint64_t, kCounterCount> counters{};
  std::array<std::uint64_t, kErrorKindCount> errors{};

  [[nodiscard]] const core::Histogram& histogram(LatencyKind kind) const noexcept {
    return latency[static_cast<std::size_t>(kind)];
  }
  [[nodiscard]] std::uint64_t counter(Counter c) const noexcept {
    return counters[static_cast<std::size_t>(c)];
  }
  [[nodiscard]] std::uint64_t error(ErrorKind kind) const noexcept {
    return errors[static_cast<std::size_t>(kind)];
  }
  [[nodiscard]] std::uint64_t error_total() const noexcept;

  /// Adds other's histograms, counters and errors (index unchanged).
  void merge(const IntervalSample& other) noexcept;
  void reset() noexcept;
};

/// Per-worker recorder. Single writer (the worker thread); record/count/error are noexcept and do
/// not allocate. The worker calls roll(now) every loop turn; it returns the finished interval
/// (at most once per second, the only allocation) to pass to RunAggregator::submit.
class LatencyRecorder {
 public:
  explicit LatencyRecorder(std::uint64_t run_start_ns);

  /// Records completed - intended (0 if the reply somehow precedes the intended time).
  void record(LatencyKind kind, std::uint64_t intended_ns, std::uint64_t completed_ns) noexcept {
    const std::uint64_t latency = completed_ns > intended_ns ? completed_ns - intended_ns : 0;
    current_.latency[static_cast<std::size_t>(kind)].record(latency);
  }
  void count(Counter counter, std::uint64_t n = 1) noexcept {
    current_.counters[static_cast<std::size_t>(counter)] += n;
  }
  void error(ErrorKind kind, std::uint64_t n = 1) noexcept {
    current_.errors[static_cast<std::size_t>(kind)] += n;
  }

  /// Interval index that now_ns falls in.
  [[nodiscard]] std::uint64_t interval_of(std::uint64_t now_ns) const noexcept {
    return now_ns > run_start_ns_ ? (now_ns - run_start_ns_) / 1'000'000'000ull : 0;
  }
  /// If now_ns is past the current interval, returns it (tagged with its index) and starts the
  /// interval now_ns falls in; seconds the worker slept through are covered by the returned one
  /// (the aggregator treats a worker's submission of interval i as covering all earlier ones).
  std::optional<IntervalSample> roll(std::uint64_t now_ns);
  /// Returns the current interval unconditionally (end of run) and starts an empty one.
  IntervalSample take();

  [[nodiscard]] const IntervalSample& current() const noexcept { return current_; }
  [[nodiscard]] std::uint64_t run_start_ns() const noexcept { return run_start_ns_; }

 private:
  std::uint64_t run_start_ns_;
  IntervalSample current_;
};

/// Merges intervals from `workers` recorders. Thread-safe (a mutex, taken once per worker per
/// second). Interval i is complete when every worker has submitted an interval >= i; late
/// submissions for an already-emitted interval still count in the totals.
class RunAggregator {
 public:
  explicit RunAggregator(std::size_t workers);

  /// Worker `worker` hands over a finished interval.
  void submit(std::size_t worker, IntervalSample sample);
  /// Completed intervals not yet returned, oldest first, with no gaps: seconds in which no worker
  /// submitted anything come back as empty samples, so the CSV has one row per second.
  std::vector<IntervalSample> take_completed();
  /// Everything still pending (end of run, after every worker's final take()), oldest first.
  std::vector<IntervalSample> take_all();
  /// Sum over every submitted interval so far.
  [[nodiscard]] IntervalSample totals() const;
  /// Connections open now according to the submitted counters (opened - closed).
  [[nodiscard]] std::uint64_t open_connections() const;

 private:
  std::vector<IntervalSample> take_through(std::uint64_t last_index);

  mutable std::mutex mutex_;
  std::vector<std::optional<std::uint64_t>> reported_through_;  // per worker
  std::map<std::uint64_t, IntervalSample> pending_;
  std::uint64_t next_emit_ = 0;
  IntervalSample totals_;
};

}  // namespace hexwire::sim
