// MetricsRegistry: families of per-shard counters, gauges and histograms, and the two exporters
// (Prometheus text 0.0.4 and JSON). Instances are allocated once per shard at registration and
// padded to a cache line, so shards recording into the same family never share a line.
#include "core/metrics.hpp"

#include <fmt/format.h>

#include <cmath>
#include <stdexcept>

#include "core/json_string.hpp"

namespace hexwire::core {
namespace {

enum Kind : int { kCounter = 0, kGauge = 1, kHistogram = 2 };

constexpr std::string_view kPrefix = "hexwire_";

const char* kind_name(int kind) {
  switch (kind) {
    case kCounter:
      return "counter";
    case kGauge:
      return "gauge";
    default:
      return "histogram";
  }
}

bool valid_metric_name(std::string_view name) {
  if (name.empty()) {
    return false;
  }
  const auto head_ok = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
  };
  if (!head_ok(name[0])) {
    return false;
  }
  for (const char c : name.substr(1)) {
    if (!head_ok(c) && !(c >= '0' && c <= '9')) {
      return false;
    }
  }
  return true;
}

// HELP text escaping per the 0.0.4 text format: backslash and line feed.
std::string escape_help(std::string_view help) {
  std::string out;
  out.reserve(help.size());
  for (const char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

// Shortest round-trip representation; Prometheus spells non-finite values NaN/+Inf/-Inf.
std::string prom_number(double v) {
  if (std::isnan(v)) {
    return "NaN";
  }
  if (std::isinf(v)) {
    return v > 0 ? "+Inf" : "-Inf";
  }
  return fmt::format("{}", v);
}

std::string json_number(double v) {
  return std::isfinite(v) ? fmt::format("{}", v) : "null";
}

template <typename T>
struct alignas(64) Padded {
  T value;
};

}  // namespace

struct MetricsRegistry::Family {
  std::string name;  // as registered, without the prefix
  std::string help;
  int kind;
  double scale;
  std::vector<std::unique_ptr<Padded<Counter>>> counters;
  std::vector<std::unique_ptr<Padded<Gauge>>> gauges;
  std::vector<std::unique_ptr<Histogram>> histograms;
};

MetricsRegistry::MetricsRegistry(unsigned shards) : shards_(shards) {
  if (shards == 0) {
    throw std::invalid_argument("MetricsRegistry: need at least one shard");
  }
}

MetricsRegistry::~MetricsRegistry() = default;

MetricsRegistry::Family& MetricsRegistry::family(std::string_view name, std::string_view help,
                                                 int kind, double scale) {
  if (name.substr(0, kPrefix.size()) == kPrefix) {
    name.remove_prefix(kPrefix.size());  // tolerate an already prefixed name
  }
  if (!valid_metric_name(name)) {
    throw std::invalid_argument(fmt::format(
        "metric name '{}' is invalid: use letters, digits, '_' or ':', not starting with a digit",
        name));
  }
  if (kind == kHistogram && !(scale > 0.0 && std::isfinite(scale))) {
    throw std::invalid_argument(
        fmt::format("histogram '{}': unit_scale must be a positive number", name));
  }
  const std::lock_guard lock(mutex_);
  for (const auto& existing : families_) {
    if (existing->name == name) {
      if (existing->kind != kind) {
        throw std::logic_error(fmt::format("metric '{}' is already registered as a {}, not a {}",
                                           name, kind_name(existing->kind), kind_name(kind)));
      }
      return *existing;
    }
  }
  auto created = std::make_unique<Family>();
  created->name = std::string(name);
  created->help = std::string(help);
  created->kind = kind;
  created->scale = scale;
  for (unsigned s = 0; s < shards_; ++s) {
    if (kind == kCounter) {
      created->counters.push_back(std::make_unique<Padded<Counter>>());
    } else if (kind == kGauge) {
      created->gauges.push_back(std::make_unique<Padded<Gauge>>());
    } else {
      created->histograms.push_back(std::make_unique<Histogram>());
    }
  }
  families_.push_back(std::move(created));
  return *families_.back();
}

namespace {
void check_shard(unsigned shard, unsigned shards, std::string_view name) {
  if (shard >= shards) {
    throw std::out_of_range(fmt::format(
        "metric '{}': shard {} out of range (registry has {} shards)", name, shard, shards));
  }
}
}  // namespace

Counter& MetricsRegistry::counter(std::string_view name, std::string_view help, unsigned shard) {
  check_shard(shard, shards_, name);
  return family(name, help, kCounter, 1.0).counters[shard]->value;
}

std::uint64_t MetricsRegistry::counter_total(std::string_view name) const {
  std::lock_guard lock(mutex_);
  for (const auto& f : families_) {
    if (f->name == name && f->kind == kCounter) {
      std::uint64_t total = 0;
      for (const auto& counter : f->counters) {
        total += counter->value.value();
      }
      return total;
    }
  }
  return 0;
}

Gauge& MetricsRegistry::gauge(std::string_view name, std::string_view help, unsigned shard) {
  check_shard(shard, shards_, name);
  return family(name, help, kGauge, 1.0).gauges[shard]->value;
}

Histogram& MetricsRegistry::histogram(std::string_view name, std::string_view help, unsigned shard,
                                      double unit_scale) {
  check_shard(shard, shards_, name);
  return *family(name, help, kHistogram, unit_scale).histograms[shard];
}

const MetricsRegistry::Family* MetricsRegistry::find_family(std::string_view name, int kind) const {
  const std::lock_guard lock(mutex_);
  for (const auto& existing : families_) {
    if (existing->name == name && existing->kind == kind) {
      return existing.get();
    }
  }
  return nullptr;
}

const Counter* MetricsRegistry::find_counter(std::string_view name, unsigned shard) const {
  const Family* f = shard < shards_ ? find_family(name, kCounter) : nullptr;
  return f == nullptr ? nullptr : &f->counters[shard]->value;
}

const Gauge* MetricsRegistry::find_gauge(std::string_view name, unsigned shard) const {
  const Family* f = shard < shards_ ? find_family(name, kGauge) : nullptr;
  return f == nullptr ? nullptr : &f->gauges[shard]->value;
}

const Histogram* MetricsRegistry::find_histogram(std::string_view name, unsigned shard) const {
  const Family* f = shard < shards_ ? find_family(name, kHistogram) : nullptr;
  return f == nullptr ? nullptr : f->histograms[shard].get();
}

namespace {
constexpr double kQuantiles[] = {0.5, 0.9, 0.99, 0.999};
constexpr const char* kQuantileLabels[] = {"0.5", "0.9", "0.99", "0.999"};
constexpr const char* kJsonQuantileKeys[] = {"p50", "p90", "p99", "p999"};
}  // namespace

std::string MetricsRegistry::prometheus_text() const {
  const std::lock_guard lock(mutex_);
  std::string out;
  for (const auto& f : families_) {
    const std::string full = fmt::format("{}{}", kPrefix, f->name);
    const char* type = f->kind == kHistogram ? "summary" : kind_name(f->kind);
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", full, escape_help(f->help), full, type);
    if (f->kind == kCounter) {
      std::uint64_t total = 0;
      for (const auto& c : f->counters) {
        total += c->value.value();
      }
      out += fmt::format("{} {}\n", full, total);
      for (unsigned s = 0; s < shards_; ++s) {
        out += fmt::format("{}{{shard=\"{}\"}} {}\n", full, s, f->counters[s]->value.value());
      }
    } else if (f->kind == kGauge) {
      std::int64_t total = 0;
      for (const auto& g : f->gauges) {
        total += g->value.value();
      }
      out += fmt::format("{} {}\n", full, total);
      for (unsigned s = 0; s < shards_; ++s) {
        out += fmt::format("{}{{shard=\"{}\"}} {}\n", full, s, f->gauges[s]->value.value());
      }
    } else {
      Histogram merged;
      for (const auto& h : f->histograms) {
        merged.merge(*h);
      }
      for (std::size_t q = 0; q < std::size(kQuantiles); ++q) {
        const double v = static_cast<double>(merged.percentile(kQuantiles[q] * 100.0)) / f->scale;
        out += fmt::format("{}{{quantile=\"{}\"}} {}\n", full, kQuantileLabels[q], prom_number(v));
      }
      const double sum = static_cast<double>(merged.sum()) / f->scale;
      out += fmt::format("{}_sum {}\n{}_count {}\n", full, prom_number(sum), full, merged.count());
    }
  }
  return out;
}

std::string MetricsRegistry::json() const {
  const std::lock_guard lock(mutex_);
  std::string out = "{";
  for (const int kind : {kCounter, kGauge, kHistogram}) {
    if (kind != kCounter) {
      out += ',';
    }
    append_json_string(out, kind == kCounter ? "counters"
                            : kind == kGauge ? "gauges"
                                             : "histograms");
    out += ":{";
    bool first = true;
    for (const auto& f : families_) {
      if (f->kind != kind) {
        continue;
      }
      if (!first) {
        out += ',';
      }
      first = false;
      append_json_string(out, f->name);
      out += ':';
      if (kind == kCounter) {
        std::uint64_t total = 0;
        for (const auto& c : f->counters) {
          total += c->value.value();
        }
        out += fmt::format("{}", total);
      } else if (kind == kGauge) {
        std::int64_t total = 0;
        for (const auto& g : f->gauges) {
          total += g->value.value();
        }
        out += fmt::format("{}", total);
      } else {
        Histogram merged;
        for (const auto& h : f->histograms) {
          merged.merge(*h);
        }
        out += fmt::format("{{\"count\":{}", merged.count());
        for (std::size_t q = 0; q < std::size(kQuantiles); ++q) {
          const double v = static_cast<double>(merged.percentile(kQuantiles[q] * 100.0)) / f->scale;
          out += fmt::format(",\"{}\":{}", kJsonQuantileKeys[q], json_number(v));
        }
        out += fmt::format(",\"max\":{},\"mean\":{}}}",
                           json_number(static_cast<double>(merged.max()) / f->scale),
                           json_number(merged.mean() / f->scale));
      }
    }
    out += '}';
  }
  out += '}';
  return out;
}

}  // namespace hexwire::core
