// Personal channels (Config::personal_channel_prefix): `user:<id>` reaches every open connection
// of user <id> through the user's home record, without a subscription: in order, on every shard,
// to the offline queue while the user has no connection (drained to the next one), with read
// cursors that need no joining, and without any per-connection channel state. On the
// deterministic FakeExecutor with several shards.
#include <catch2/catch.hpp>

#include <string>

#include "tests/pubsub/harness.hpp"

using namespace hexwire::pubsub;
using namespace hexwire::pubsub::testing;

namespace {

Config personal_config() {
  Config config;
  config.personal_channel_prefix = "user:";
  config.short_history_prefixes = {"user:"};
  return config;
}

}  // namespace

TEST_CASE("a personal channel reaches every connection of its user without a subscription",
          "[pubsub][personal]") {
  Harness h(3, personal_config());
  CHECK(h.broker.delivers_personal_channels());
  h.open(0, 1, "alice");
  h.open(2, 2, "alice");  // a second device on another shard
  h.open(1, 3, "bob");
  for (int i = 0; i < 20; ++i) {
    h.publish(i % 3, "dispatch", "user:alice", "event-" + std::to_string(i));
  }
  h.publish(1, "dispatch", "user:bob");
  // Every message once to each of alice's connections, in the channel's order.
  CHECK(h.sink.seqs(0, 1) == iota_seqs(1, 20));
  CHECK(h.sink.seqs(2, 2) == iota_seqs(1, 20));
  CHECK(h.sink.seqs(1, 3) == iota_seqs(1, 1));  // bob only his own
  CHECK(h.sink.shard(0).received[1].front()->channel == "user:alice");
  // No subscription and no local channel state was made for them.
  CHECK(h.gauge("pubsub_subscriptions") == 0);
  CHECK(h.exec.run_on(0, [&] { return h.broker.local_subscriber_count("user:alice"); }) ==
        std::optional<std::size_t>(0));
  // History and seqs are the channel's as before.
  const HistoryResult history = h.history(1, "user:alice", 0, 100);
  CHECK(history.messages.size() == 20);
  CHECK(history.last_seq == 20);
}

TEST_CASE("a personal channel queues for an offline user and drains to the next connection",
          "[pubsub][personal][offline]") {
  Config config = personal_config();
  config.pending_notifications_per_user = 5;
  Harness h(3, config);
  h.open(1, 1, "carol");
  h.publish(0, "dispatch", "user:carol");
  h.close(1, 1);
  for (int i = 0; i < 7; ++i) {
    h.publish(2, "dispatch", "user:carol");  // carol has no connection: queued, bound 5
  }
  CHECK(h.counter("pubsub_offline_queued_total") == 7);
  CHECK(h.counter("pubsub_offline_dropped_total") == 2);
  h.open(2, 9, "carol");
  const auto& drains = h.sink.shard(2).drains;
  REQUIRE(drains.size() == 1);
  CHECK(drains[0].connection == 9);
  CHECK(drains[0].dropped == 2);
  REQUIRE(drains[0].pending.size() == 5);
  CHECK(drains[0].pending.front()->seq == 4);  // the newest five of seqs 2..8, oldest first
  CHECK(drains[0].pending.back()->seq == 8);
  h.publish(0, "dispatch", "user:carol");
  CHECK(h.sink.seqs(2, 9) == iota_seqs(9, 9));  // live again, nothing twice
  // A user never seen gets a queue too (bounded, and it expires with the offline TTL).
  h.publish(0, "dispatch", "user:dave");
  h.open(0, 4, "dave");
  REQUIRE(h.sink.shard(0).drains.size() == 1);
  CHECK(h.sink.shard(0).drains[0].pending.size() == 1);
}

TEST_CASE("read cursors of a personal channel need no membership and sync to other devices",
          "[pubsub][personal][read]") {
  Harness h(3, personal_config());
  h.open(0, 1, "erin");
  h.open(1, 2, "erin");
  // Nothing published yet: reading is allowed and there is nothing to read.
  ReadResult empty = h.mark_read(0, 1, "user:erin", 5);
  CHECK(empty.status == Status::kOk);
  CHECK(empty.seq == 0);
  for (int i = 0; i < 4; ++i) {
    h.publish(2, "dispatch", "user:erin");
  }
  const ReadResult read = h.mark_read(0, 1, "user:erin", 3);
  CHECK(read.status == Status::kOk);
  CHECK(read.seq == 3);
  CHECK(read.unread == 1);
  const auto& reads = h.sink.shard(1).reads;
  REQUIRE(reads.size() == 1);
  CHECK(reads[0].channel == "user:erin");
  CHECK(reads[0].seq == 3);
  CHECK(reads[0].connections == std::vector<SubscriberId>{2});
  // Another user's personal channel is not theirs to read.
  h.open(2, 3, "frank");
  CHECK(h.mark_read(2, 3, "user:erin", 1).status == Status::kNotMember);
}

TEST_CASE("an idle personal channel is reclaimed even after its user read it",
          "[pubsub][personal][limits]") {
  Config config = personal_config();
  config.short_history_max_age_us = 5LL * 1'000'000;
  config.channel_idle_ttl_ns = 10'000'000'000;
  Harness h(2, config);
  h.open(0, 1, "gina");
  h.publish(1, "dispatch", "user:gina");
  REQUIRE(h.mark_read(0, 1, "user:gina", 1).status == Status::kOk);
  CHECK(h.gauge("pubsub_channels") == 1);
  for (int i = 0; i < 12; ++i) {
    h.exec.advance_time(1'000'000'000);
  }
  CHECK(h.gauge("pubsub_channels") == 0);  // the read cursor does not keep it alive
}

TEST_CASE("without the prefix a user: channel is an ordinary channel",
          "[pubsub][personal]") {
  Harness h(2);
  CHECK_FALSE(h.broker.delivers_personal_channels());
  h.open(0, 1, "hana");
  h.publish(1, "dispatch", "user:hana");
  CHECK(h.sink.seqs(0, 1).empty());  // not subscribed: nothing
  REQUIRE(h.subscribe(0, 1, "user:hana").status == Status::kOk);
  h.publish(1, "dispatch", "user:hana");
  CHECK(h.sink.seqs(0, 1) == iota_seqs(2, 2));
}
