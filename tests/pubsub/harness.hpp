// Test harness for the broker: a FakeExecutor, a metrics registry, a RecordingSink and a Broker
// wired together, plus blocking-style helpers that issue one call on a shard and run the
// executor until idle to return its result.
#pragma once

#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <string_view>

#include "core/metrics.hpp"
#include "core/testing/fake_executor.hpp"
#include "pubsub/local_broker.hpp"
#include "tests/pubsub/recording_sink.hpp"

namespace hexwire::pubsub::testing {

using core::testing::FakeExecutor;

inline core::SharedBuffer bytes(std::string_view text) {
  return core::SharedBuffer::copy_of(text);
}

struct Harness {
  explicit Harness(unsigned shards, Config config = {}, std::uint64_t seed = 0)
      : exec(shards, seed),
        metrics(shards),
        sink(exec),
        broker(exec, metrics, sink, clocked(config)) {}

  FakeExecutor exec;
  core::MetricsRegistry metrics;
  RecordingSink sink;
  LocalBroker broker;

  Config clocked(Config config) {
    config.wall_clock_us = [this] { return exec.wall_us(); };
    return config;
  }

  void open(unsigned shard, SubscriberId id, std::string_view user) {
    REQUIRE(exec.run_on(shard, [&] { return broker.connection_opened(id, user); }) == Status::kOk);
    exec.run_until_idle();
  }
  void close(unsigned shard, SubscriberId id) {
    exec.run_on(shard, [&] { broker.connection_closed(id); });
    exec.run_until_idle();
  }
  SubscribeResult subscribe(unsigned shard, SubscriberId id, std::string_view channel,
                            std::optional<std::uint64_t> since = std::nullopt) {
    return subscribe_with(shard, id, channel, SubscribeOptions{since, std::nullopt, false});
  }
  /// Subscribes asking for presence events.
  SubscribeResult subscribe_presence(unsigned shard, SubscriberId id, std::string_view channel) {
    return subscribe_with(shard, id, channel, SubscribeOptions{std::nullopt, std::nullopt, true});
  }
  SubscribeResult subscribe_with(unsigned shard, SubscriberId id, std::string_view channel,
                                 SubscribeOptions options) {
    std::optional<SubscribeResult> result;
    const Status status = exec.run_on(shard, [&] {
      return broker.subscribe(id, channel, options,
                              [&](const SubscribeResult& r) { result = r; });
    });
    if (status != Status::kOk) {
      SubscribeResult failed;
      failed.status = status;
      return failed;
    }
    exec.run_until_idle();
    REQUIRE(result.has_value());
    return *result;
  }
  PublishAck publish(unsigned shard, std::string_view user, std::string_view channel,
                     std::string_view payload = "x") {
    std::optional<PublishAck> ack;
    const Status status = exec.run_on(shard, [&] {
      return broker.publish(user, channel, bytes(payload), [&](const PublishAck& a) { ack = a; });
    });
    REQUIRE(status == Status::kOk);
    exec.run_until_idle();
    REQUIRE(ack.has_value());
    return *ack;
  }
  HistoryResult history(unsigned shard, std::string_view channel, std::uint64_t since,
                        std::size_t limit) {
    std::optional<HistoryResult> result;
    REQUIRE(exec.run_on(shard, [&] {
      return broker.history(channel, since, limit,
                            [&](HistoryResult&& r) { result = std::move(r); });
    }) == Status::kOk);
    exec.run_until_idle();
    REQUIRE(result.has_value());
    return std::move(*result);
  }
  std::vector<std::string> presence(unsigned shard, std::string_view channel) {
    return presence_page(shard, channel, PresenceQuery{}).users;
  }
  PresenceResult presence_page(unsigned shard, std::string_view channel, PresenceQuery query) {
    std::optional<PresenceResult> result;
    REQUIRE(exec.run_on(shard, [&] {
      return broker.presence(channel, query, [&](PresenceResult&& r) { result = std::move(r); });
    }) == Status::kOk);
    exec.run_until_idle();
    REQUIRE(result.has_value());
    return std::move(*result);
  }
  ReadResult mark_read(unsigned shard, SubscriberId id, std::string_view channel,
                       std::uint64_t seq) {
    std::optional<ReadResult> result;
    REQUIRE(exec.run_on(shard, [&] {
      return broker.mark_read(id, channel, seq, [&](const ReadResult& r) { result = r; });
    }) == Status::kOk);
    exec.run_until_idle();
    REQUIRE(result.has_value());
    return *result;
  }
  /// A counter summed over shards, e.g. "pubsub_publishes_total".
  std::uint64_t counter(std::string_view name) {
    std::uint64_t sum = 0;
    for (unsigned s = 0; s < exec.shard_count(); ++s) {
      sum += metrics.counter(name, "", s).value();
    }
    return sum;
  }
  std::int64_t gauge(std::string_view name) {
    std::int64_t sum = 0;
    for (unsigned s = 0; s < exec.shard_count(); ++s) {
      sum += metrics.gauge(name, "", s).value();
    }
    return sum;
  }
  /// A channel name owned by `owner` (so tests can place owners and subscribers deliberately).
  std::string channel_owned_by(unsigned owner, std::string_view prefix = "room") {
    for (int i = 0;; ++i) {
      std::string name = std::string(prefix) + "-" + std::to_string(i);
      if (broker.owner_of(name) == owner) {
        return name;
      }
    }
  }
};

inline std::vector<std::uint64_t> iota_seqs(std::uint64_t first, std::uint64_t last) {
  std::vector<std::uint64_t> out;
  for (std::uint64_t s = first; s <= last; ++s) {
    out.push_back(s);
  }
  return out;
}

}  // namespace hexwire::pubsub::testing
