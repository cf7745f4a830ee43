// Every table and buffer of pubsub::Broker has a bound, played by hostile clients on the
// deterministic FakeExecutor: the per-shard history byte budget, the short retention of engine
// channels, idle channels forgotten after a TTL, offline memberships that expire or exceed the
// per-channel cap, and offline queues dropped after the TTL. Each limit is counted on a metric.
#include <catch2/catch.hpp>

#include <string>

#include "tests/pubsub/harness.hpp"

using namespace hexwire::pubsub;
using namespace hexwire::pubsub::testing;

namespace {

constexpr std::uint64_t kMs = 1'000'000;

/// Advances the clock in one-second steps, so the once-a-second sweeps run each time.
void pass_seconds(Harness& h, int seconds) {
  for (int i = 0; i < seconds; ++i) {
    h.exec.advance_time(1'000 * kMs);
  }
}

}  // namespace

TEST_CASE("a flood of large messages over many channels stays within the history budget",
          "[pubsub][limits][history]") {
  Config config;
  const std::string payload(4'000, 'x');
  const std::size_t per_message = payload.size() + 1 + 8 + kHistoryMessageOverheadBytes;
  config.history_max_bytes_per_shard = 50 * per_message;  // room for 50 such messages
  Harness h(1, config);
  for (int i = 0; i < 40; ++i) {
    h.publish(0, "p", "quiet-" + std::to_string(i % 4), payload);  // 10 each, oldest
  }
  for (int i = 0; i < 2'000; ++i) {
    h.publish(0, "p", "flood" + std::to_string(i % 20), payload);  // a hostile publisher
  }
  CHECK(h.gauge("pubsub_history_bytes") <= static_cast<std::int64_t>(50 * per_message));
  CHECK(h.gauge("pubsub_history_messages") == 50);
  CHECK(h.counter("pubsub_history_budget_evictions_total") == 2'040 - 50);
  // The shard's oldest messages went first: the quiet channels are empty, each flood channel
  // keeps its newest messages and says that older ones are gone.
  CHECK(h.history(0, "quiet-0", 0, 100).messages.empty());
  const HistoryResult flood = h.history(0, "flood7", 0, 100);
  CHECK(flood.messages.size() == 2);  // of the newest 50, flood7 published 2
  CHECK(flood.messages.back()->seq == 100);
  CHECK_FALSE(flood.recovered);
}

TEST_CASE("the history budget counts only what is retained", "[pubsub][limits][history]") {
  Config config;
  config.history_keep_messages = 3;
  config.history_max_messages = 3;
  config.history_max_bytes_per_shard = 1 << 20;
  Harness h(2, config);
  for (int i = 0; i < 5'000; ++i) {
    h.publish(i % 2, "p", "busy", "0123456789");  // count trimming, never the budget
  }
  CHECK(h.gauge("pubsub_history_messages") == 3);
  CHECK(h.gauge("pubsub_history_bytes") ==
        static_cast<std::int64_t>(3 * (10 + 4 + 1 + kHistoryMessageOverheadBytes)));
  CHECK(h.counter("pubsub_history_budget_evictions_total") == 0);
}

TEST_CASE("engine channels keep a short history", "[pubsub][limits][history]") {
  Config config;
  config.short_history_prefixes = {"cell:", "user:"};
  config.short_history_max_messages = 5;
  config.short_history_max_age_us = 10LL * 1'000'000;
  Harness h(2, config);
  for (int i = 0; i < 30; ++i) {
    h.publish(0, "engine", "cell:8928308280fffff");
    h.publish(0, "p", "chat");
  }
  CHECK(h.history(1, "cell:8928308280fffff", 0, 100).messages.size() == 5);
  CHECK(h.history(1, "chat", 0, 100).messages.size() == 30);  // ordinary retention
  CHECK(h.counter("pubsub_history_short_trimmed_total") == 25);
  h.publish(0, "engine", "user:alice");
  pass_seconds(h, 11);  // older than the short age: gone even though it is the newest
  CHECK(h.history(1, "cell:8928308280fffff", 0, 100).messages.empty());
  CHECK(h.history(1, "user:alice", 0, 100).messages.empty());
  CHECK(h.history(1, "chat", 0, 100).messages.size() == 30);
  CHECK(h.counter("pubsub_history_short_trimmed_total") == 31);
}

TEST_CASE("channels without members that nobody published to for the TTL are forgotten",
          "[pubsub][limits]") {
  Config config;
  config.channel_idle_ttl_ns = 10'000 * kMs;
  Harness h(2, config);
  for (int i = 0; i < 100; ++i) {
    h.publish(0, "spammer", "junk-" + std::to_string(i));  // publishes need no membership
  }
  h.open(1, 1, "alice");
  REQUIRE(h.subscribe(1, 1, "kept").status == Status::kOk);
  h.publish(0, "p", "kept");
  h.close(1, 1);  // alice stays an offline member of "kept"
  CHECK(h.gauge("pubsub_channels") == 101);
  pass_seconds(h, 9);
  h.publish(0, "spammer", "junk-7");  // used again: its TTL restarts
  pass_seconds(h, 3);
  CHECK(h.gauge("pubsub_channels") == 2);  // junk-7 and kept
  CHECK(h.counter("pubsub_channels_reclaimed_total") == 99);
  CHECK(h.gauge("pubsub_history_messages") == 3);  // junk-7's two and kept's one
  pass_seconds(h, 9);
  CHECK(h.gauge("pubsub_channels") == 1);  // a channel with a member is never reclaimed
  CHECK(h.history(0, "kept", 0, 10).messages.size() == 1);
}

TEST_CASE("offline memberships expire after the TTL, and their offline queue with them",
          "[pubsub][limits][offline]") {
  Config config;
  config.offline_member_ttl_ns = 30'000 * kMs;
  config.channel_idle_ttl_ns = 3'600'000 * kMs;
  Harness h(3, config);
  const std::string channel = h.channel_owned_by(2);
  h.open(0, 1, "bob");
  REQUIRE(h.subscribe(0, 1, channel).status == Status::kOk);
  h.close(0, 1);  // bob is now an offline member
  for (int i = 0; i < 5; ++i) {
    h.publish(1, "p", channel);
  }
  CHECK(h.counter("pubsub_offline_queued_total") == 5);
  CHECK(h.gauge("pubsub_offline_members") == 1);
  pass_seconds(h, 31);
  CHECK(h.counter("pubsub_offline_members_expired_total") == 1);
  CHECK(h.counter("pubsub_offline_queues_expired_total") == 1);
  CHECK(h.gauge("pubsub_offline_members") == 0);
  h.publish(1, "p", channel);
  CHECK(h.counter("pubsub_offline_queued_total") == 5);  // bob is no member any more
  h.open(1, 2, "bob");
  CHECK(h.sink.shard(1).drains.empty());  // the queue went with the membership
  CHECK(h.mark_read(1, 2, channel, 6).status == Status::kNotMember);
  CHECK(h.presence(0, channel).empty());
}

TEST_CASE("a member who comes back before the TTL keeps the membership and the queue",
          "[pubsub][limits][offline]") {
  Config config;
  config.offline_member_ttl_ns = 30'000 * kMs;
  Harness h(2, config);
  const std::string channel = h.channel_owned_by(1);
  h.open(0, 1, "bob");
  REQUIRE(h.subscribe(0, 1, channel).status == Status::kOk);
  for (int round = 0; round < 3; ++round) {  // 20 s offline, back, 20 s offline ...
    h.close(0, 1 + 10 * round);
    h.publish(1, "p", channel);
    pass_seconds(h, 20);
    h.open(0, 11 + 10 * round, "bob");
    REQUIRE(h.subscribe(0, 11 + 10 * round, channel).status == Status::kOk);
  }
  CHECK(h.counter("pubsub_offline_members_expired_total") == 0);
  CHECK(h.counter("pubsub_offline_queues_expired_total") == 0);
  CHECK(h.sink.shard(0).drains.size() == 3);
  CHECK(h.mark_read(0, 31, channel, 3).status == Status::kOk);
}

TEST_CASE("offline members beyond the cap lose their membership, longest offline first",
          "[pubsub][limits][offline]") {
  Config config;
  config.max_offline_members_per_channel = 3;
  Harness h(2, config);
  const std::string channel = h.channel_owned_by(0);
  for (SubscriberId id = 1; id <= 6; ++id) {
    h.open(1, id, "member" + std::to_string(id));
    REQUIRE(h.subscribe(1, id, channel).status == Status::kOk);
  }
  for (SubscriberId id = 1; id <= 6; ++id) {  // a storm of members going offline
    h.close(1, id);
    h.exec.advance_time(kMs);
  }
  CHECK(h.counter("pubsub_offline_members_evicted_total") == 3);
  CHECK(h.gauge("pubsub_offline_members") == 3);
  h.publish(0, "p", channel);
  CHECK(h.counter("pubsub_offline_queued_total") == 3);  // only members 4, 5 and 6
  h.open(0, 10, "member1");
  CHECK(h.mark_read(0, 10, channel, 1).status == Status::kNotMember);
  h.open(0, 11, "member6");
  CHECK(h.mark_read(0, 11, channel, 1).status == Status::kOk);
}
