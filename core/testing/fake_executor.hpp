// Deterministic core::Executor for tests and benchmarks of any module: N logical shards on the
// calling thread, one FIFO queue per ordered shard pair (the Executor contract), run-until-idle,
// and a TimerWheel per shard driven by a controllable clock. With a seed, step() picks the next
// non-empty pair queue at random, exploring interleavings that real threads could produce.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <random>
#include <stdexcept>
#include <utility>
#include <vector>

#include "core/executor.hpp"
#include "core/task.hpp"
#include "core/timer_wheel.hpp"

namespace hexwire::core::testing {

class FakeExecutor final : public core::Executor {
 public:
  /// seed == 0: deterministic round-robin over pair queues; otherwise random choice from `seed`.
  explicit FakeExecutor(unsigned shards, std::uint64_t seed = 0)
      : shards_(shards),
        queues_(std::size_t{shards} * shards),
        sent_(queues_.size(), 0),
        random_(seed != 0),
        rng_(seed) {
    for (unsigned i = 0; i < shards; ++i) {
      wheels_.push_back(std::make_unique<core::TimerWheel>(now_ns_, kTickNs));
    }
  }

  static constexpr std::uint64_t kTickNs = 1'000'000;
  static constexpr std::int64_t kWallEpochUs = 1'800'000'000'000'000;  // an arbitrary 2027 date

  [[nodiscard]] unsigned shard_count() const noexcept override { return shards_; }
  [[nodiscard]] unsigned current_shard() const noexcept override { return current_; }
  void submit_to(unsigned shard, core::Task task) override {
    if (shard >= shards_) {
      throw std::out_of_range("FakeExecutor::submit_to: no such shard");
    }
    const std::size_t index = std::size_t{current_} * shards_ + shard;
    queues_[index].push_back(std::move(task));
    ++sent_[index];
    ++pending_;
  }
  [[nodiscard]] core::TimerWheel& timers() noexcept override { return *wheels_[current_]; }

  /// Runs `fn` as if on shard `shard`'s thread (the test acting for that shard's connections).
  template <typename Fn>
  decltype(auto) run_on(unsigned shard, Fn&& fn) {
    const unsigned saved = std::exchange(current_, shard);
    struct Restore {
      unsigned& current;
      unsigned saved;
      ~Restore() { current = saved; }
    } restore{current_, saved};
    return std::forward<Fn>(fn)();
  }

  /// Runs one queued task; false when every queue is empty.
  bool step() {
    if (pending_ == 0) {
      return false;
    }
    std::size_t index = 0;
    if (random_) {
      std::size_t nth = std::uniform_int_distribution<std::size_t>(0, non_empty_count() - 1)(rng_);
      for (index = 0; index < queues_.size(); ++index) {
        if (!queues_[index].empty() && nth-- == 0) {
          break;
        }
      }
    } else {
      for (std::size_t probe = 0; probe < queues_.size(); ++probe) {
        index = (cursor_ + probe) % queues_.size();
        if (!queues_[index].empty()) {
          break;
        }
      }
      cursor_ = index + 1;
    }
    core::Task task = std::move(queues_[index].front());
    queues_[index].pop_front();
    --pending_;
    run_on(static_cast<unsigned>(index % shards_), [&] { task(); });
    return true;
  }

  /// Runs tasks until every queue is empty (timers are not advanced). Returns tasks run.
  std::size_t run_until_idle(std::size_t max_steps = 100'000'000) {
    std::size_t steps = 0;
    while (steps < max_steps && step()) {
      ++steps;
    }
    return steps;
  }

  /// Moves the clock forward and fires due timers on every shard (then runs what they queued).
  void advance_time(std::uint64_t delta_ns) {
    now_ns_ += delta_ns;
    for (unsigned shard = 0; shard < shards_; ++shard) {
      run_on(shard, [&] { wheels_[shard]->advance(now_ns_); });
    }
    run_until_idle();
  }

  [[nodiscard]] std::uint64_t now_ns() const noexcept { return now_ns_; }
  /// Wall clock that follows now_ns() (for Config::wall_clock_us).
  [[nodiscard]] std::int64_t wall_us() const noexcept {
    return kWallEpochUs + static_cast<std::int64_t>(now_ns_ / 1000);
  }
  /// Tasks ever submitted from `from` to `to`.
  [[nodiscard]] std::uint64_t sent(unsigned from, unsigned to) const {
    return sent_[std::size_t{from} * shards_ + to];
  }
  [[nodiscard]] std::size_t pending() const noexcept { return pending_; }

 private:
  std::size_t non_empty_count() const {
    std::size_t n = 0;
    for (const auto& q : queues_) {
      n += q.empty() ? 0 : 1;
    }
    return n;
  }

  unsigned shards_;
  unsigned current_ = 0;
  std::uint64_t now_ns_ = 1'000'000'000;
  std::vector<std::deque<core::Task>> queues_;  // index from * shards_ + to
  std::vector<std::uint64_t> sent_;
  std::vector<std::unique_ptr<core::TimerWheel>> wheels_;
  std::size_t pending_ = 0;
  std::size_t cursor_ = 0;
  bool random_;
  std::mt19937_64 rng_;
};

}  // namespace hexwire::core::testing
