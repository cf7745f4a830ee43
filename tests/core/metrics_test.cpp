// MetricsRegistry: Prometheus text (parsed line by line into families and samples), per-shard and
// summed values, summaries in exported units, well-formed JSON (checked by a small validating
// parser), name validation, and kind mismatches.
#include "core/metrics.hpp"

#include <catch2/catch.hpp>

#include <cctype>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>

using hexwire::core::MetricsRegistry;

namespace {

struct Family {
  std::string help;
  std::string type;
  std::map<std::string, double> samples;  // "name{labels}" -> value
};

// Parses exposition text; fails the test on any line that is not HELP, TYPE or a sample of the
// family announced just before it.
std::map<std::string, Family> parse_prometheus(const std::string& text) {
  std::map<std::string, Family> families;
  std::istringstream in(text);
  std::string line;
  std::string current;
  while (std::getline(in, line)) {
    INFO("line: " << line);
    REQUIRE(!line.empty());
    if (line.rfind("# HELP ", 0) == 0) {
      const auto rest = line.substr(7);
      const auto space = rest.find(' ');
      REQUIRE(space != std::string::npos);
      current = rest.substr(0, space);
      REQUIRE(families.count(current) == 0);
      families[current].help = rest.substr(space + 1);
    } else if (line.rfind("# TYPE ", 0) == 0) {
      const auto rest = line.substr(7);
      const auto space = rest.find(' ');
      REQUIRE(rest.substr(0, space) == current);
      families[current].type = rest.substr(space + 1);
    } else {
      REQUIRE(line[0] != '#');
      const auto space = line.rfind(' ');
      REQUIRE(space != std::string::npos);
      const std::string key = line.substr(0, space);
      const std::string name = key.substr(0, key.find('{'));
      REQUIRE(name.rfind(current, 0) == 0);  // sample belongs to the current family
      const std::string suffix = name.substr(current.size());
      REQUIRE((suffix.empty() || suffix == "_sum" || suffix == "_count"));
      std::size_t used = 0;
      const double value = std::stod(line.substr(space + 1), &used);
      REQUIRE(used == line.size() - space - 1);
      families[current].samples[key] = value;
    }
  }
  return families;
}

// Minimal JSON validator (RFC 8259 grammar, no semantic checks).
class JsonChecker {
 public:
  explicit JsonChecker(const std::string& s) : s_(s) {}
  bool valid() {
    ws();
    if (!value()) {
      return false;
    }
    ws();
    return i_ == s_.size();
  }

 private:
  void ws() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) {
      ++i_;
    }
  }
  bool lit(const char* w) {
    const std::string word(w);
    if (s_.compare(i_, word.size(), word) != 0) {
      return false;
    }
    i_ += word.size();
    return true;
  }
  bool string() {
    if (s_[i_] != '"') {
      return false;
    }
    for (++i_; i_ < s_.size(); ++i_) {
      if (s_[i_] == '"') {
        ++i_;
        return true;
      }
      if (s_[i_] == '\\') {
        ++i_;
      } else if (static_cast<unsigned char>(s_[i_]) < 0x20) {
        return false;
      }
    }
    return false;
  }
  bool number() {
    const std::size_t start = i_;
    if (s_[i_] == '-') {
      ++i_;
    }
    while (i_ < s_.size() && (std::isdigit(static_cast<unsigned char>(s_[i_])) || s_[i_] == '.' ||
                              s_[i_] == 'e' || s_[i_] == 'E' || s_[i_] == '+' || s_[i_] == '-')) {
      ++i_;
    }
    if (i_ == start) {
      return false;
    }
    try {
      std::size_t used = 0;
      std::stod(s_.substr(start, i_ - start), &used);
      return used == i_ - start;
    } catch (const std::exception&) {
      return false;
    }
  }
  bool value() {
    ws();
    if (i_ >= s_.size()) {
      return false;
    }
    const char c = s_[i_];
    if (c == '{') {
      ++i_;
      ws();
      if (s_[i_] == '}') {
        ++i_;
        return true;
      }
      for (;;) {
        ws();
        if (!string()) {
          return false;
        }
        ws();
        if (s_[i_++] != ':' || !value()) {
          return false;
        }
        ws();
        if (s_[i_] == ',') {
          ++i_;
          continue;
        }
        return s_[i_++] == '}';
      }
    }
    if (c == '[') {
      ++i_;
      ws();
      if (s_[i_] == ']') {
        ++i_;
        return true;
      }
      for (;;) {
        if (!value()) {
          return false;
        }
        ws();
        if (s_[i_] == ',') {
          ++i_;
          continue;
        }
        return s_[i_++] == ']';
      }
    }
    if (c == '"') {
      return string();
    }
    if (c == 't') {
      return lit("true");
    }
    if (c == 'f') {
      return lit("false");
    }
    if (c == 'n') {
      return lit("null");
    }
    return number();
  }

  const std::string& s_;
  std::size_t i_ = 0;
};

}  // namespace

TEST_CASE("prometheus text has HELP and TYPE per family with summed and per-shard samples") {
  MetricsRegistry registry(3);
  registry.counter("messages_in_total", "Messages received", 0).add(5);
  registry.counter("messages_in_total", "Messages received", 2).add(7);
  registry.gauge("connections_open", "Open connections", 1).set(4);
  registry.gauge("connections_open", "Open connections", 2).add(-1);
  const auto families = parse_prometheus(registry.prometheus_text());
  REQUIRE(families.size() == 2);

  const auto& counter = families.at("hexwire_messages_in_total");
  CHECK(counter.type == "counter");
  CHECK(counter.help == "Messages received");
  CHECK(counter.samples.at("hexwire_messages_in_total") == 12);
  CHECK(counter.samples.at("hexwire_messages_in_total{shard=\"0\"}") == 5);
  CHECK(counter.samples.at("hexwire_messages_in_total{shard=\"1\"}") == 0);
  CHECK(counter.samples.at("hexwire_messages_in_total{shard=\"2\"}") == 7);

  const auto& gauge = families.at("hexwire_connections_open");
  CHECK(gauge.type == "gauge");
  CHECK(gauge.samples.at("hexwire_connections_open") == 3);
  CHECK(gauge.samples.at("hexwire_connections_open{shard=\"2\"}") == -1);
}

TEST_CASE("histograms export as summaries merged over shards in exported units") {
  MetricsRegistry registry(2);
  auto& h0 = registry.histogram("publish_latency_seconds", "Publish to deliver latency", 0);
  auto& h1 = registry.histogram("publish_latency_seconds", "Publish to deliver latency", 1);
  for (int i = 1; i <= 100; ++i) {
    h0.record(static_cast<std::uint64_t>(i) * 1'000'000);  // 1..100 ms in ns
  }
  h1.record(2'000'000'000);  // one 2 s outlier on the other shard
  const auto families = parse_prometheus(registry.prometheus_text());
  const auto& summary = families.at("hexwire_publish_latency_seconds");
  CHECK(summary.type == "summary");
  CHECK(summary.samples.at("hexwire_publish_latency_seconds_count") == 101);
  CHECK(summary.samples.at("hexwire_publish_latency_seconds_sum") == Approx(5.05 + 2.0));
  CHECK(summary.samples.at("hexwire_publish_latency_seconds{quantile=\"0.5\"}") ==
        Approx(0.051).epsilon(0.01));
  CHECK(summary.samples.at("hexwire_publish_latency_seconds{quantile=\"0.9\"}") ==
        Approx(0.091).epsilon(0.01));
  CHECK(summary.samples.at("hexwire_publish_latency_seconds{quantile=\"0.99\"}") ==
        Approx(0.100).epsilon(0.01));
  CHECK(summary.samples.at("hexwire_publish_latency_seconds{quantile=\"0.999\"}") ==
        Approx(2.0).epsilon(0.01));
  CHECK(summary.samples.size() == 6);

  // A custom scale: microseconds recorded, exported in milliseconds.
  registry.histogram("batch_ms", "Batch size window", 0, 1e3).record(2500);
  const auto again = parse_prometheus(registry.prometheus_text());
  CHECK(again.at("hexwire_batch_ms").samples.at("hexwire_batch_ms_sum") == Approx(2.5));
}

TEST_CASE("help text is escaped and families keep one HELP line") {
  MetricsRegistry registry(1);
  registry.counter("odd_help", "line one\nback\\slash", 0).add();
  const std::string text = registry.prometheus_text();
  CHECK(text.find("# HELP hexwire_odd_help line one\\nback\\\\slash\n") != std::string::npos);
  const auto families = parse_prometheus(text);
  CHECK(families.size() == 1);
}

TEST_CASE("json export is well formed and carries totals and histogram figures") {
  MetricsRegistry registry(2);
  registry.counter("frames_sent", "Frames", 0).add(3);
  registry.counter("frames_sent", "Frames", 1).add(4);
  registry.gauge("queue_depth", "Depth", 0).set(-2);
  auto& h = registry.histogram("rtt_seconds", "RTT", 1);
  h.record(1'000'000);
  h.record(3'000'000);
  const std::string json = registry.json();
  INFO(json);
  CHECK(JsonChecker(json).valid());
  CHECK(json.find("\"counters\":{\"frames_sent\":7}") != std::string::npos);
  CHECK(json.find("\"gauges\":{\"queue_depth\":-2}") != std::string::npos);
  CHECK(json.find("\"rtt_seconds\":{\"count\":2,") != std::string::npos);
  CHECK(json.find("\"max\":0.003") != std::string::npos);
  CHECK(json.find("\"mean\":0.002") != std::string::npos);
  for (const char* key : {"\"p50\":", "\"p90\":", "\"p99\":", "\"p999\":"}) {
    CHECK(json.find(key) != std::string::npos);
  }

  MetricsRegistry empty(1);
  CHECK(JsonChecker(empty.json()).valid());
  CHECK(empty.json() == "{\"counters\":{},\"gauges\":{},\"histograms\":{}}");
  CHECK(empty.prometheus_text().empty());
  // The checker itself rejects broken JSON.
  CHECK_FALSE(JsonChecker("{\"a\":1,}").valid());
  CHECK_FALSE(JsonChecker("{\"a\":1").valid());
}

TEST_CASE("same name returns the same instance and another kind throws logic_error") {
  MetricsRegistry registry(2);
  auto& a = registry.counter("events", "Events", 1);
  auto& b = registry.counter("events", "Events", 1);
  CHECK(&a == &b);
  CHECK(&registry.counter("events", "Events", 0) != &a);
  CHECK_THROWS_AS(registry.gauge("events", "Events", 0), std::logic_error);
  CHECK_THROWS_AS(registry.histogram("events", "Events", 0), std::logic_error);
  CHECK(&registry.counter("hexwire_events", "Events", 1) == &a);  // an explicit prefix is tolerated
}

TEST_CASE("invalid names and out of range shards are rejected") {
  MetricsRegistry registry(2);
  CHECK_THROWS_AS(registry.counter("", "x", 0), std::invalid_argument);
  CHECK_THROWS_AS(registry.counter("9lives", "x", 0), std::invalid_argument);
  CHECK_THROWS_AS(registry.counter("has space", "x", 0), std::invalid_argument);
  CHECK_THROWS_AS(registry.counter("dash-ed", "x", 0), std::invalid_argument);
  CHECK_NOTHROW(registry.counter("ok:name_2", "x", 0));
  CHECK_THROWS_AS(registry.counter("fine", "x", 2), std::out_of_range);
  CHECK_THROWS_AS(registry.histogram("lat", "x", 0, 0.0), std::invalid_argument);
}

TEST_CASE("counter_total sums a counter over shards and is 0 for unknown names") {
  hexwire::core::MetricsRegistry registry(3);
  registry.counter("hits_total", "Hits", 0).add(2);
  registry.counter("hits_total", "Hits", 2).add(5);
  registry.gauge("level", "Level", 1).set(9);
  CHECK(registry.counter_total("hits_total") == 7);
  CHECK(registry.counter_total("level") == 0);  // a gauge, not a counter
  CHECK(registry.counter_total("missing_total") == 0);
}
