// The Hystrix-style breaker and bulkhead (see circuit_breaker.hpp).
#include "sim/cases/netflix/circuit_breaker.hpp"

#include <algorithm>

namespace hexwire::sim::cases::netflix {

RollingCounts::RollingCounts(SimTime window, std::uint32_t buckets)
    : width_(std::max<SimTime>(window / std::max(buckets, 1u), 1)), ring_(std::max(buckets, 1u)) {}

RollingCounts::Bucket& RollingCounts::bucket_at(SimTime now) {
  const std::int64_t index = now / width_;
  Bucket& b = ring_[static_cast<std::size_t>(index) % ring_.size()];
  if (b.index != index) {
    b = Bucket{index, 0, 0};  // the slot held a bucket that has left the window
  }
  return b;
}

void RollingCounts::add(SimTime now, Outcome outcome) {
  if (outcome == Outcome::kShortCircuited) {
    return;
  }
  Bucket& b = bucket_at(now);
  ++b.total;
  b.errors += outcome == Outcome::kSuccess ? 0 : 1;
}

HealthCounts RollingCounts::health(SimTime now) {
  const std::int64_t current = now / width_;
  const auto oldest = current - static_cast<std::int64_t>(ring_.size()) + 1;
  HealthCounts h;
  for (const Bucket& b : ring_) {
    if (b.index >= oldest && b.index <= current) {
      h.total += b.total;
      h.errors += b.errors;
    }
  }
  return h;
}

void RollingCounts::reset() noexcept {
  std::fill(ring_.begin(), ring_.end(), Bucket{});
}

CircuitBreaker::CircuitBreaker(const BreakerSettings& settings)
    : settings_(settings), counts_(settings.window, settings.buckets) {}

Admission CircuitBreaker::admit(SimTime now) {
  if (state_ == BreakerState::kHalfOpen) {
    return Admission::kShortCircuit;
  }
  if (state_ == BreakerState::kOpen) {
    if (now < open_since_ + settings_.sleep_window) {
      return Admission::kShortCircuit;
    }
    state_ = BreakerState::kHalfOpen;
    trials_.push_back(now);
    return Admission::kTrial;
  }
  if (snapshot_at_ < 0 || now - snapshot_at_ >= settings_.snapshot_interval) {
    snapshot_ = counts_.health(now);
    snapshot_at_ = now;
  }
  if (snapshot_.total >= settings_.volume_threshold &&
      snapshot_.error_pct() >= settings_.error_threshold_pct) {
    open(now);
    return Admission::kShortCircuit;
  }
  return Admission::kRun;
}

void CircuitBreaker::record(SimTime now, Outcome outcome, Admission admission) {
  counts_.add(now, outcome);
  if (admission != Admission::kTrial || state_ != BreakerState::kHalfOpen) {
    return;
  }
  if (outcome == Outcome::kSuccess) {
    state_ = BreakerState::kClosed;
    counts_.reset();
    snapshot_ = HealthCounts{};
    snapshot_at_ = now;
    closed_.push_back(now);
  } else {
    open(now);
  }
}

void CircuitBreaker::open(SimTime now) {
  state_ = BreakerState::kOpen;
  open_since_ = now;
  opened_.push_back(now);
}

bool Bulkhead::acquire() noexcept {
  if (busy_ >= threads_) {
    return false;
  }
  ++busy_;
  return true;
}

void Bulkhead::release() noexcept {
  if (busy_ > 0) {
    --busy_;
  }
}

}  // namespace hexwire::sim::cases::netflix
