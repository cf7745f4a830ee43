// SystemStatsPublisher: every interval, shard 0 asks each shard for a sample (its thread's CPU
// time, its counters and gauges, its channel activity when someone watches sys:channels), and
// when all have answered it computes rates and interval percentiles and publishes sys:stats and
// sys:channels through the broker like any other message (sequenced, kept in history).
#include "app/system_stats.hpp"

#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <exception>
#include <utility>

#include <spdlog/spdlog.h>

#include "core/clock.hpp"

namespace hexwire::app {

// ---- interval percentiles -------------------------------------------------------------------

IntervalHistogram::IntervalHistogram() : previous_(core::Histogram::bucket_count(), 0) {}

void IntervalHistogram::advance(const core::Histogram& cumulative_now) {
  interval_.reset();
  cumulative_now.for_each_bucket([this](std::uint64_t upper, std::uint64_t count) {
    const std::size_t index = core::Histogram::bucket_index(upper);
    std::uint64_t& before = previous_[index];
    if (count > before) {
      // The bucket's midpoint stands for its values: percentiles stay within the 1% bound.
      const std::uint64_t lower = core::Histogram::bucket_lower(index);
      interval_.record_n(lower + (upper - lower) / 2, count - before);
    }
    before = count;
  });
}

// ---- process memory ---------------------------------------------------------------------------

std::uint64_t resident_bytes() noexcept {
  std::FILE* file = std::fopen("/proc/self/statm", "r");
  if (file == nullptr) {
    return 0;
  }
  unsigned long long size_pages = 0;
  unsigned long long resident_pages = 0;
  const int read = std::fscanf(file, "%llu %llu", &size_pages, &resident_pages);
  std::fclose(file);
  if (read != 2) {
    return 0;
  }
  return resident_pages * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
}

namespace {

std::uint64_t thread_cpu_ns() noexcept {
  timespec ts{};
  if (::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0) {
    return 0;
  }
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ull +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

}  // namespace

// ---- the publisher ----------------------------------------------------------------------------

/// Shard-local pointers into the metrics registry, looked up on the shard's first sample (every
/// family is registered by then: runtime at shard set-up, /ws and dispatch at construction).
struct SystemStatsPublisher::ShardSources {
  bool bound = false;
  std::array<const core::Counter*, kStatsCounters.size()> counters{};
  std::array<const core::Gauge*, kStatsGauges.size()> gauges{};
};

SystemStatsPublisher::SystemStatsPublisher(core::Executor& executor,
                                           core::MetricsRegistry& metrics, pubsub::Broker& broker,
                                           DashboardConfig config)
    : executor_(executor), metrics_(metrics), broker_(broker), config_(std::move(config)) {
  const unsigned shards = executor_.shard_count();
  for (unsigned s = 0; s < shards; ++s) {
    sources_.push_back(std::make_unique<ShardSources>());
  }
  current_.resize(shards);
  previous_.resize(shards);
}

SystemStatsPublisher::~SystemStatsPublisher() = default;

void SystemStatsPublisher::start() {
  if (config_.stats_interval_ms == 0) {
    return;
  }
  started_ns_ = core::monotonic_ns();
  arm_timer();
}

void SystemStatsPublisher::arm_timer() {
  const std::uint64_t interval_ns = std::uint64_t{config_.stats_interval_ms} * 1'000'000;
  executor_.timers().add_after(interval_ns, [self = shared_from_this()] { self->tick(); });
}

void SystemStatsPublisher::tick() {
  received_ = 0;
  const bool with_channels = channels_watched_;
  for (unsigned shard = 0; shard < executor_.shard_count(); ++shard) {
    executor_.submit_to(shard, [self = shared_from_this(), shard, with_channels] {
      ShardStatsSample sample = self->take_sample(with_channels);
      self->executor_.submit_to(0, [self, shard, sample = std::move(sample)]() mutable {
        self->collect(shard, std::move(sample));
      });
    });
  }
}

ShardStatsSample SystemStatsPublisher::take_sample(bool with_channels) {
  const unsigned shard = executor_.current_shard();
  ShardSources& sources = *sources_[shard];
  const core::MetricsRegistry& registry = metrics_;
  if (!sources.bound) {
    for (std::size_t i = 0; i < kStatsCounters.size(); ++i) {
      sources.counters[i] = registry.find_counter(kStatsCounters[i].metric, shard);
    }
    for (std::size_t i = 0; i < kStatsGauges.size(); ++i) {
      sources.gauges[i] = registry.find_gauge(kStatsGauges[i].metric, shard);
    }
    sources.bound = true;
  }
  ShardStatsSample sample;
  sample.taken_ns = core::monotonic_ns();
  sample.cpu_ns = thread_cpu_ns();
  for (std::size_t i = 0; i < kStatsCounters.size(); ++i) {
    sample.counters[i] = sources.counters[i] != nullptr ? sources.counters[i]->value() : 0;
  }
  for (std::size_t i = 0; i < kStatsGauges.size(); ++i) {
    sample.gauges[i] = sources.gauges[i] != nullptr ? sources.gauges[i]->value() : 0;
  }
  // A broker that does not count local subscribers is taken as watched (sys:channels is cheap
  // enough once a second; it is skipped only when we know nobody reads it).
  sample.channel_watchers = broker_.local_subscriber_count(kSystemChannelsChannel).value_or(1);
  if (with_channels) {
    sample.channels = broker_.channel_activity(config_.stats_top_channels);
  }
  return sample;
}

void SystemStatsPublisher::collect(unsigned shard, ShardStatsSample sample) {
  current_[shard] = std::move(sample);
  if (++received_ == executor_.shard_count()) {
    finish_round();
    arm_timer();
  }
}

void SystemStatsPublisher::finish_round() {
  const core::MetricsRegistry& registry = metrics_;
  SystemStatsSnapshot snapshot;
  for (std::size_t stage = 0; stage < kStatsStages.size(); ++stage) {
    merged_scratch_.reset();
    for (unsigned s = 0; s < executor_.shard_count(); ++s) {
      if (const core::Histogram* h = registry.find_histogram(kStatsStages[stage].metric, s)) {
        merged_scratch_.merge(*h);
      }
    }
    stage_windows_[stage].advance(merged_scratch_);
    snapshot.stages[stage] = &stage_windows_[stage].interval();
  }
  if (!have_previous_) {  // the first round only sets the baseline of every rate
    previous_ = current_;
    have_previous_ = true;
    return;
  }
  const std::uint64_t now = core::monotonic_ns();
  snapshot.ts_us = core::wall_us();
  snapshot.uptime_s = static_cast<double>(now - started_ns_) / 1e9;
  snapshot.rss_bytes = resident_bytes();
  snapshot.shards = current_;
  snapshot.previous = previous_;
  bool watched = false;
  for (unsigned s = 0; s < executor_.shard_count(); ++s) {
    const ShardStatsSample& cur = current_[s];
    const ShardStatsSample& prev = previous_[s];
    watched = watched || cur.channel_watchers > 0;
    for (std::size_t i = 0; i < kStatsCounters.size(); ++i) {
      snapshot.totals[i] += cur.counters[i];
    }
    for (std::size_t i = 0; i < kStatsGauges.size(); ++i) {
      snapshot.gauges[i] += cur.gauges[i];
    }
    snapshot.interval_s += static_cast<double>(cur.taken_ns - prev.taken_ns) / 1e9;
  }
  snapshot.interval_s /= executor_.shard_count();
  for (std::size_t i = 0; i < kStatsCounters.size(); ++i) {
    std::uint64_t before = 0;
    for (const ShardStatsSample& prev : previous_) {
      before += prev.counters[i];
    }
    snapshot.rates[i] = snapshot.interval_s > 0
                            ? static_cast<double>(snapshot.totals[i] - before) / snapshot.interval_s
                            : 0.0;
  }
  try {
    (void)broker_.publish(kSystemPublisher, kSystemStatsChannel, encode_system_stats(snapshot));
    if (channels_watched_) {
      (void)broker_.publish(kSystemPublisher, kSystemChannelsChannel,
                            encode_system_channels(snapshot.ts_us, current_,
                                                   config_.stats_top_channels));
    }
  } catch (const std::exception& e) {
    spdlog::warn("sys:stats: publication skipped: {}", e.what());
  }
  channels_watched_ = watched;
  previous_ = std::move(current_);
  current_.assign(executor_.shard_count(), ShardStatsSample{});
}

}  // namespace hexwire::app
