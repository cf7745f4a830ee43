// Per-worker interval recording and the cross-worker aggregation into per-second rows and totals.
#include "sim/latency_recorder.hpp"

#include <algorithm>

namespace hexwire::sim {

std::string_view to_string(LatencyKind kind) noexcept {
  switch (kind) {
    case LatencyKind::kRtt:
      return "rtt";
    case LatencyKind::kAck:
      return "ack";
    case LatencyKind::kDeliver:
      return "deliver";
    case LatencyKind::kMatch:
      return "match";
    case LatencyKind::kConnect:
      return "connect";
    case LatencyKind::kSubscribe:
      return "subscribe";
  }
  return "?";
}

std::string_view to_string(Counter counter) noexcept {
  switch (counter) {
    case Counter::kSent:
      return "sent";
    case Counter::kReceived:
      return "received";
    case Counter::kConnectsOpened:
      return "connects_opened";
    case Counter::kConnectsClosed:
      return "connects_closed";
    case Counter::kBytesSent:
      return "bytes_sent";
    case Counter::kBytesReceived:
      return "bytes_received";
    case Counter::kAcks:
      return "acks";
    case Counter::kDeliveries:
      return "deliveries";
  }
  return "?";
}

std::string_view to_string(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::kConnect:
      return "connect";
    case ErrorKind::kClosed:
      return "closed";
    case ErrorKind::kServerError:
      return "server_error";
    case ErrorKind::kTimeout:
      return "timeout";
    case ErrorKind::kProtocol:
      return "protocol";
    case ErrorKind::kVerify:
      return "verify";
    case ErrorKind::kUnsent:
      return "unsent";
  }
  return "?";
}

IntervalSample::IntervalSample() : latency(kLatencyKindCount) {}

std::uint64_t IntervalSample::error_total() const noexcept {
  std::uint64_t total = 0;
  for (const std::uint64_t e : errors) {
    total += e;
  }
  return total;
}

void IntervalSample::merge(const IntervalSample& other) noexcept {
  for (std::size_t i = 0; i < kLatencyKindCount; ++i) {
    latency[i].merge(other.latency[i]);
  }
  for (std::size_t i = 0; i < kCounterCount; ++i) {
    counters[i] += other.counters[i];
  }
  for (std::size_t i = 0; i < kErrorKindCount; ++i) {
    errors[i] += other.errors[i];
  }
}

void IntervalSample::reset() noexcept {
  for (auto& h : latency) {
    h.reset();
  }
  counters.fill(0);
  errors.fill(0);
}

LatencyRecorder::LatencyRecorder(std::uint64_t run_start_ns) : run_start_ns_(run_start_ns) {}

std::optional<IntervalSample> LatencyRecorder::roll(std::uint64_t now_ns) {
  const std::uint64_t now_index = interval_of(now_ns);
  if (now_index <= current_.index) {
    return std::nullopt;
  }
  IntervalSample finished = take();
  current_.index = now_index;
  return finished;
}

IntervalSample LatencyRecorder::take() {
  IntervalSample finished;
  finished.index = current_.index;
  std::swap(finished, current_);  // current_ becomes the fresh, empty sample with the same index
  return finished;
}

RunAggregator::RunAggregator(std::size_t workers) : reported_through_(workers) {}

void RunAggregator::submit(std::size_t worker, IntervalSample sample) {
  std::lock_guard lock(mutex_);
  totals_.merge(sample);
  auto& through = reported_through_.at(worker);
  through = std::max(through.value_or(0), sample.index);
  if (sample.index < next_emit_) {
    return;  // that second's row is already out; the totals above still include it
  }
  auto [it, inserted] = pending_.try_emplace(sample.index);
  if (inserted) {
    it->second.index = sample.index;
  }
  it->second.merge(sample);
}

std::vector<IntervalSample> RunAggregator::take_through(std::uint64_t last_index) {
  std::vector<IntervalSample> out;
  while (next_emit_ <= last_index) {
    auto it = pending_.find(next_emit_);
    if (it != pending_.end()) {
      out.push_back(std::move(it->second));
      pending_.erase(it);
    } else {
      IntervalSample empty;
      empty.index = next_emit_;
      out.push_back(std::move(empty));
    }
    ++next_emit_;
  }
  return out;
}

std::vector<IntervalSample> RunAggregator::take_completed() {
  std::lock_guard lock(mutex_);
  std::optional<std::uint64_t> complete;
  for (const auto& through : reported_through_) {
    if (!through) {
      return {};
    }
    complete = complete ? std::min(*complete, *through) : *through;
  }
  if (!complete) {
    return {};
  }
  // A worker submits interval i only when it has moved past i, so i is final for that worker.
  return take_through(*complete);
}

std::vector<IntervalSample> RunAggregator::take_all() {
  std::lock_guard lock(mutex_);
  if (pending_.empty()) {
    return {};
  }
  return take_through(pending_.rbegin()->first);
}

IntervalSample RunAggregator::totals() const {
  std::lock_guard lock(mutex_);
  return totals_;
}

std::uint64_t RunAggregator::open_connections() const {
  std::lock_guard lock(mutex_);
  const std::uint64_t opened = totals_.counter(Counter::kConnectsOpened);
  const std::uint64_t closed = totals_.counter(Counter::kConnectsClosed);
  return opened > closed ? opened - closed : 0;
}

}  // namespace hexwire::sim
