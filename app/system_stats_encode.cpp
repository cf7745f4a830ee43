// The JSON of sys:stats and sys:channels (shapes in docs/dashboard.md), written with FrameWriter
// so that each wire shape lives in this one place. Latencies are microseconds, rates per second.
#include <algorithm>
#include <optional>
#include <string_view>
#include <vector>

#include "app/json_writer.hpp"
#include "app/system_stats.hpp"

namespace hexwire::app {

namespace {

constexpr double kNsPerUs = 1000.0;

void key(FrameWriter& w, std::string_view name, bool& first) {
  if (!first) {
    w.raw(',');
  }
  first = false;
  w.string(name);
  w.raw(':');
}

void write_stage(FrameWriter& w, const core::Histogram& h) {
  w.raw("{\"count\":");
  w.uint(h.count());
  const auto at = [&h](double p) { return static_cast<double>(h.percentile(p)) / kNsPerUs; };
  w.raw(",\"p50\":");
  w.number(at(50));
  w.raw(",\"p90\":");
  w.number(at(90));
  w.raw(",\"p99\":");
  w.number(at(99));
  w.raw(",\"p999\":");
  w.number(at(99.9));
  w.raw(",\"max\":");
  w.number(static_cast<double>(h.max()) / kNsPerUs);
  w.raw('}');
}

void write_gauge_groups(FrameWriter& w, const SystemStatsSnapshot& s) {
  // Groups in the order of their first gauge; each group one object.
  std::vector<std::string_view> groups;
  for (const StatsGaugeSource& g : kStatsGauges) {
    if (std::find(groups.begin(), groups.end(), g.group) == groups.end()) {
      groups.push_back(g.group);
    }
  }
  for (const std::string_view group : groups) {
    w.raw(',');
    w.string(group);
    w.raw(":{");
    bool first = true;
    if (group == "memory") {
      key(w, "rss_bytes", first);
      w.uint(s.rss_bytes);
    }
    for (std::size_t i = 0; i < kStatsGauges.size(); ++i) {
      if (kStatsGauges[i].group == group) {
        key(w, kStatsGauges[i].key, first);
        w.int64(s.gauges[i]);
      }
    }
    w.raw('}');
  }
}

void write_optional(FrameWriter& w, const std::optional<std::size_t>& value) {
  if (value) {
    w.uint(*value);
  } else {
    w.raw("null");
  }
}

std::size_t counter_index(std::string_view name) {
  for (std::size_t i = 0; i < kStatsCounters.size(); ++i) {
    if (kStatsCounters[i].key == name) {
      return i;
    }
  }
  return kStatsCounters.size();
}

void write_shard_load(FrameWriter& w, const SystemStatsSnapshot& s) {
  const std::size_t messages_in = counter_index("messages_in");
  const std::size_t deliveries = counter_index("deliveries");
  const std::size_t loop_turns = counter_index("loop_turns");
  std::size_t connections = 0;
  std::size_t mailbox = 0;
  for (std::size_t i = 0; i < kStatsGauges.size(); ++i) {
    connections = kStatsGauges[i].key == "tcp" ? i : connections;
    mailbox = kStatsGauges[i].key == "mailbox_depth" ? i : mailbox;
  }
  w.raw(",\"shard_load\":[");
  for (std::size_t shard = 0; shard < s.shards.size(); ++shard) {
    const ShardStatsSample& cur = s.shards[shard];
    const ShardStatsSample& prev = s.previous[shard];
    const double seconds = static_cast<double>(cur.taken_ns - prev.taken_ns) / 1e9;
    const auto rate = [&](std::size_t i) {
      return seconds > 0 ? static_cast<double>(cur.counters[i] - prev.counters[i]) / seconds : 0.0;
    };
    w.raw(shard == 0 ? "{\"shard\":" : ",{\"shard\":");
    w.uint(shard);
    w.raw(",\"cpu\":");
    w.number(seconds > 0 ? static_cast<double>(cur.cpu_ns - prev.cpu_ns) / 1e9 / seconds : 0.0);
    w.raw(",\"connections\":");
    w.int64(cur.gauges[connections]);
    w.raw(",\"messages_in\":");
    w.number(rate(messages_in));
    w.raw(",\"deliveries\":");
    w.number(rate(deliveries));
    w.raw(",\"loop_turns\":");
    w.number(rate(loop_turns));
    w.raw(",\"mailbox_depth\":");
    w.int64(cur.gauges[mailbox]);
    w.raw('}');
  }
  w.raw(']');
}

}  // namespace

core::SharedBuffer encode_system_stats(const SystemStatsSnapshot& s) {
  FrameWriter w(4096);
  w.raw("{\"ts\":");
  w.int64(s.ts_us);
  w.raw(",\"interval_s\":");
  w.number(s.interval_s);
  w.raw(",\"uptime_s\":");
  w.number(s.uptime_s);
  w.raw(",\"shards\":");
  w.uint(s.shards.size());
  w.raw(",\"rates\":{");
  bool first = true;
  for (std::size_t i = 0; i < kStatsCounters.size(); ++i) {
    key(w, kStatsCounters[i].key, first);
    w.number(s.rates[i]);
  }
  w.raw("},\"totals\":{");
  first = true;
  for (std::size_t i = 0; i < kStatsCounters.size(); ++i) {
    key(w, kStatsCounters[i].key, first);
    w.uint(s.totals[i]);
  }
  w.raw("},\"frames_per_send\":");
  const std::size_t sends = counter_index("sends");
  const double sends_rate = s.rates[sends];
  w.number(sends_rate > 0 ? s.rates[counter_index("messages_out")] / sends_rate : 0.0);
  w.raw(",\"latency_us\":{");
  first = true;
  for (std::size_t i = 0; i < kStatsStages.size(); ++i) {
    key(w, kStatsStages[i].key, first);
    write_stage(w, *s.stages[i]);
  }
  w.raw('}');
  write_gauge_groups(w, s);
  write_shard_load(w, s);
  w.raw('}');
  return w.finish_payload();
}

core::SharedBuffer encode_system_channels(std::int64_t ts_us,
                                          const std::vector<ShardStatsSample>& shards,
                                          std::size_t limit) {
  struct Row {
    const pubsub::ChannelActivity* activity;
    double rate;
    unsigned owner;
  };
  std::vector<Row> rows;
  std::size_t owned = 0;
  bool available = false;
  for (unsigned shard = 0; shard < shards.size(); ++shard) {
    const auto& report = shards[shard].channels;
    if (!report) {
      continue;
    }
    available = true;
    owned += report->owned;
    const double seconds = static_cast<double>(report->interval_ns) / 1e9;
    for (const pubsub::ChannelActivity& a : report->busiest) {
      rows.push_back(
          {&a, seconds > 0 ? static_cast<double>(a.published) / seconds : 0.0, shard});
    }
  }
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.rate > b.rate; });
  rows.resize(std::min(rows.size(), limit));
  FrameWriter w(4096);
  w.raw("{\"ts\":");
  w.int64(ts_us);
  w.raw(",\"available\":");
  w.boolean(available);
  w.raw(",\"owned\":");
  w.uint(owned);
  w.raw(",\"channels\":[");
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const pubsub::ChannelActivity& a = *rows[i].activity;
    w.raw(i == 0 ? "{\"channel\":" : ",{\"channel\":");
    w.string(a.channel);
    w.raw(",\"owner\":");
    w.uint(rows[i].owner);
    w.raw(",\"seq\":");
    w.uint(a.last_seq);
    w.raw(",\"rate\":");
    w.number(rows[i].rate);
    w.raw(",\"members\":");
    write_optional(w, a.members);
    w.raw(",\"subscriptions\":");
    w.uint(a.subscriptions);
    w.raw(",\"history\":");
    write_optional(w, a.history);
    w.raw('}');
  }
  w.raw("]}");
  return w.finish_payload();
}

}  // namespace hexwire::app
