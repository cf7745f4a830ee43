// Open-loop arrival schedules: the constant and Poisson processes, the per-stream priority queue
// and the ramp-up schedule (see schedule.hpp for the coordinated-omission reasoning).
#include "sim/schedule.hpp"

#include <algorithm>
#include <cmath>

namespace hexwire::sim {

std::string_view to_string(ArrivalProcess process) noexcept {
  return process == ArrivalProcess::kConstant ? "constant" : "poisson";
}

ArrivalSchedule::ArrivalSchedule(ArrivalProcess process, double rate_per_s, std::uint64_t start_ns,
                                 std::uint64_t seed, std::uint64_t end_ns) noexcept
    : process_(process),
      rate_per_s_(rate_per_s > 0.0 && std::isfinite(rate_per_s) ? rate_per_s : 0.0),
      gap_ns_(rate_per_s_ > 0.0 ? 1e9 / rate_per_s_ : 0.0),
      start_ns_(start_ns),
      end_ns_(end_ns),
      rng_(seed) {
  advance();
}

void ArrivalSchedule::advance() noexcept {
  if (rate_per_s_ <= 0.0) {
    next_ns_ = kNever;
    return;
  }
  offset_ns_ += process_ == ArrivalProcess::kConstant ? gap_ns_ : rng_.exponential(gap_ns_);
  const double at = static_cast<double>(start_ns_) + offset_ns_;
  if (at >= static_cast<double>(end_ns_) || at >= 1.8e19) {
    next_ns_ = kNever;
    return;
  }
  next_ns_ = static_cast<std::uint64_t>(std::llround(at));
}

std::uint64_t ArrivalSchedule::pop() noexcept {
  const std::uint64_t now = next_ns_;
  if (now == kNever) {
    return kNever;
  }
  ++issued_;
  advance();
  return now;
}

// ---- SendScheduler ----

namespace {
bool later(const auto& a, const auto& b) noexcept {
  return a.intended_ns > b.intended_ns || (a.intended_ns == b.intended_ns && a.stream > b.stream);
}
}  // namespace

void SendScheduler::add(StreamId id, double rate_per_s, std::uint64_t start_ns,
                        std::uint64_t end_ns) {
  if (id >= streams_.size()) {
    if (id >= streams_.capacity()) {
      streams_.reserve(std::max<std::size_t>(std::size_t{id} + 1, streams_.capacity() * 2));
    }
    while (streams_.size() <= id) {
      streams_.push_back(Stream{ArrivalSchedule(process_, 0.0, 0, 0), 0, false});
    }
  }
  Stream& stream = streams_[id];
  if (!stream.active) {
    ++active_count_;
  }
  // A new generation invalidates queue entries left over from a previous life of this id.
  stream.generation += 1;
  stream.active = true;
  stream.schedule =
      ArrivalSchedule(process_, rate_per_s, start_ns,
                      derive_seed(seed_, (std::uint64_t{id} << 32) | stream.generation), end_ns);
  if (stream.schedule.next_ns() != kNever) {
    push(Entry{stream.schedule.next_ns(), id, stream.generation});
  }
}

void SendScheduler::remove(StreamId id) noexcept {
  if (id < streams_.size() && streams_[id].active) {
    streams_[id].active = false;
    streams_[id].generation += 1;
    --active_count_;
  }
}

bool SendScheduler::active(StreamId id) const noexcept {
  return id < streams_.size() && streams_[id].active;
}

void SendScheduler::drop_stale_top() noexcept {
  while (!heap_.empty()) {
    const Entry& top = heap_.front();
    const Stream& stream = streams_[top.stream];
    if (stream.active && stream.generation == top.generation) {
      return;
    }
    std::pop_heap(heap_.begin(), heap_.end(), later<Entry, Entry>);
    heap_.pop_back();
  }
}

std::uint64_t SendScheduler::next_ns() noexcept {
  drop_stale_top();
  return heap_.empty() ? kNever : heap_.front().intended_ns;
}

SendScheduler::Entry SendScheduler::pop_top() noexcept {
  std::pop_heap(heap_.begin(), heap_.end(), later<Entry, Entry>);
  const Entry top = heap_.back();
  heap_.pop_back();
  return top;
}

void SendScheduler::push(Entry entry) {
  heap_.push_back(entry);
  std::push_heap(heap_.begin(), heap_.end(), later<Entry, Entry>);
}

void SendScheduler::reschedule(const Entry& done) {
  const StreamId id = done.stream;
  Stream& stream = streams_[id];
  // The callback may have removed or restarted this stream; only continue the same life.
  if (!stream.active || stream.generation != done.generation) {
    return;
  }
  stream.schedule.pop();
  if (stream.schedule.next_ns() != kNever) {
    push(Entry{stream.schedule.next_ns(), id, stream.generation});
  }
}

// ---- RampSchedule ----

std::uint64_t RampSchedule::intended_ns(std::uint64_t index) const noexcept {
  if (rate_per_s_ <= 0.0) {
    return start_ns_;
  }
  return start_ns_ +
         static_cast<std::uint64_t>(std::llround(static_cast<double>(index) * 1e9 / rate_per_s_));
}

std::uint64_t RampSchedule::due_count(std::uint64_t now_ns) const noexcept {
  if (now_ns < start_ns_) {
    return 0;
  }
  if (rate_per_s_ <= 0.0) {
    return total_;
  }
  const double elapsed_s = static_cast<double>(now_ns - start_ns_) / 1e9;
  const double due = std::floor(elapsed_s * rate_per_s_) + 1.0;
  std::uint64_t n = due >= static_cast<double>(total_) ? total_ : static_cast<std::uint64_t>(due);
  // Rounding in intended_ns may put index n-1 a nanosecond after now: keep the two consistent.
  while (n > 0 && intended_ns(n - 1) > now_ns) {
    --n;
  }
  while (n < total_ && intended_ns(n) <= now_ns) {
    ++n;
  }
  return n;
}

std::uint64_t jittered_backoff_ns(std::uint32_t retry, std::uint64_t first_ns,
                                  std::uint64_t max_ns, double draw) noexcept {
  std::uint64_t backoff = std::min(first_ns, max_ns);
  for (std::uint32_t i = 1; i < retry && backoff < max_ns; ++i) {
    backoff = std::min(backoff * 2, max_ns);
  }
  const std::uint64_t half = backoff / 2;
  return backoff - half + static_cast<std::uint64_t>(draw * static_cast<double>(half));
}

}  // namespace hexwire::sim
