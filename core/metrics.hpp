// Metrics registry: named counters, gauges and histograms, one instance per shard so the hot path
// writes shard-local memory without locks. Exporters merge the shards into Prometheus text format
// (names prefixed `hexwire_`) and JSON. Registration takes a mutex (start-up, new connections of a
// kind); recording never does.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/histogram.hpp"

namespace hexwire::core {

/// Monotonic count. One writer thread (its shard); any thread may read.
class Counter {
 public:
  void add(std::uint64_t n = 1) noexcept {
    // Single writer: a plain load+store is enough and avoids a locked instruction.
    value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  [[nodiscard]] std::uint64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

/// A value that goes up and down. One writer thread; any thread may read.
class Gauge {
 public:
  void set(std::int64_t v) noexcept { value_.store(v, std::memory_order_relaxed); }
  void add(std::int64_t d) noexcept {
    value_.store(value_.load(std::memory_order_relaxed) + d, std::memory_order_relaxed);
  }
  [[nodiscard]] std::int64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::int64_t> value_{0};
};

class MetricsRegistry {
 public:
  explicit MetricsRegistry(unsigned shards);
  ~MetricsRegistry();
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  /// Returns shard `shard`'s instance of the named metric, creating the family on first use.
  /// `name` without the `hexwire_` prefix, e.g. "connections_open". References stay valid for the
  /// registry's life. Asking for an existing name with another kind is a programming error (throws
  /// std::logic_error).
  Counter& counter(std::string_view name, std::string_view help, unsigned shard);
  Gauge& gauge(std::string_view name, std::string_view help, unsigned shard);
  /// `unit_scale`: divisor applied on export (1e9 turns nanoseconds into seconds).
  Histogram& histogram(std::string_view name, std::string_view help, unsigned shard,
                       double unit_scale = 1e9);

  /// Shard `shard`'s instance of an already registered metric, or null when no family of that
  /// name and kind exists or `shard` is out of range. For exporters that read what others record.
  [[nodiscard]] const Counter* find_counter(std::string_view name, unsigned shard) const;
  [[nodiscard]] const Gauge* find_gauge(std::string_view name, unsigned shard) const;
  [[nodiscard]] const Histogram* find_histogram(std::string_view name, unsigned shard) const;
  /// The named counter summed over shards (name without the `hexwire_` prefix); 0 when no such
  /// counter is registered. Any thread.
  [[nodiscard]] std::uint64_t counter_total(std::string_view name) const;

  /// Prometheus text exposition (version 0.0.4): counters and gauges summed over shards (and also
  /// labelled per shard), histograms merged over shards as summaries with quantiles
  /// 0.5, 0.9, 0.99, 0.999 plus _sum and _count.
  [[nodiscard]] std::string prometheus_text() const;
  /// JSON object: {"counters":{name:value},"gauges":{...},"histograms":{name:{"count":..,"p50":..,
  /// "p90":..,"p99":..,"p999":..,"max":..,"mean":..}}} with histogram values in exported units.
  [[nodiscard]] std::string json() const;

  [[nodiscard]] unsigned shards() const noexcept { return shards_; }

 private:
  struct Family;
  Family& family(std::string_view name, std::string_view help, int kind, double scale);
  const Family* find_family(std::string_view name, int kind) const;

  unsigned shards_;
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<Family>> families_;
};

}  // namespace hexwire::core
