// Presence that scales and sequence epochs of pubsub::Broker: events only for subscriptions that
// asked for them, member counts instead of join/leave above presence_max_members, the paged
// presence query, and epochs on acks, results and messages (a resume or history read from
// another epoch is never replayed as if it were this one). Deterministic FakeExecutor.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>

#include "tests/pubsub/harness.hpp"

using namespace hexwire::pubsub;
using namespace hexwire::pubsub::testing;

namespace {

constexpr std::uint64_t kMs = 1'000'000;

std::string user_name(int i) {
  char name[16];
  std::snprintf(name, sizeof name, "user%05d", i);  // fixed width: name order = number order
  return name;
}

std::size_t count_changes(const RecordingSink::PerShard& shard) {
  std::size_t n = 0;
  for (const auto& call : shard.presence) {
    n += call.changes.size();
  }
  return n;
}

}  // namespace

TEST_CASE("presence events go only to subscriptions that asked for them", "[pubsub][presence]") {
  Harness h(2);
  const std::string channel = h.channel_owned_by(1);
  h.open(0, 1, "listener");
  h.open(0, 2, "quiet");
  REQUIRE(h.subscribe_presence(0, 1, channel).status == Status::kOk);
  REQUIRE(h.subscribe(0, 2, channel).status == Status::kOk);
  h.exec.advance_time(100 * kMs);
  h.sink.shard(0).presence.clear();

  h.open(1, 3, "carol");
  REQUIRE(h.subscribe(1, 3, channel).status == Status::kOk);
  h.exec.advance_time(100 * kMs);
  const auto& events = h.sink.shard(0).presence;
  REQUIRE(events.size() == 1);
  CHECK(events[0].subscribers == std::vector<SubscriberId>{1});  // not the quiet one
  CHECK(h.sink.shard(1).presence.empty());  // carol's shard has no presence subscriber

  // Once the listener goes, transitions cost nothing: no batch, no event, nothing counted.
  REQUIRE(h.exec.run_on(0, [&] { return h.broker.unsubscribe(1, channel); }) == Status::kOk);
  h.exec.advance_time(100 * kMs);
  const std::uint64_t events_before = h.counter("pubsub_presence_events_total");
  h.sink.shard(0).presence.clear();
  for (SubscriberId id = 10; id < 30; ++id) {
    h.open(1, id, "guest" + std::to_string(id));
    REQUIRE(h.subscribe(1, id, channel).status == Status::kOk);
  }
  h.exec.advance_time(3'000 * kMs);
  CHECK(h.counter("pubsub_presence_events_total") == events_before);
  CHECK(h.sink.shard(0).presence.empty());
  CHECK(h.presence(0, channel).size() == 22);  // the query still knows everyone online

  // A listener arriving later hears the changes from then on, consistent with what it missed.
  h.open(0, 40, "late");
  REQUIRE(h.subscribe_presence(0, 40, channel).status == Status::kOk);
  h.exec.advance_time(100 * kMs);
  h.close(1, 10);
  h.exec.advance_time(2'000 * kMs);
  std::vector<PresenceChange> seen;
  for (const auto& call : h.sink.shard(0).presence) {
    seen.insert(seen.end(), call.changes.begin(), call.changes.end());
  }
  REQUIRE(seen.size() == 2);
  CHECK((seen[0].user == "late" && seen[0].joined));
  CHECK((seen[1].user == "guest10" && !seen[1].joined));
}

TEST_CASE("channels above presence_max_members send a member count at most once a second",
          "[pubsub][presence]") {
  Config config;
  config.presence_max_members = 50;
  Harness h(2, config);
  const std::string channel = h.channel_owned_by(0);
  for (int i = 0; i < 80; ++i) {  // 80 members, all asking for presence, joining at once
    const unsigned shard = static_cast<unsigned>(i % 2);
    h.open(shard, 100 + i, user_name(i));
    REQUIRE(h.subscribe_presence(shard, 100 + i, channel).status == Status::kOk);
  }
  h.exec.advance_time(600 * kMs);
  // 80^2 = 6,400 join frames in per-user mode; here not one join or leave.
  CHECK(count_changes(h.sink.shard(0)) + count_changes(h.sink.shard(1)) == 0);
  h.exec.advance_time(600 * kMs);
  for (unsigned shard = 0; shard < 2; ++shard) {
    const auto& counts = h.sink.shard(shard).counts;
    REQUIRE(counts.size() == 1);  // one call per shard, listing its 40 subscribers
    CHECK(counts[0].channel == channel);
    CHECK(counts[0].count == 80);
    CHECK(counts[0].subscribers.size() == 40);
  }
  CHECK(h.counter("pubsub_presence_counts_total") == 1);

  // A reconnect within the window changes nothing: no count is sent.
  h.close(0, 100);
  h.open(1, 500, user_name(0));
  REQUIRE(h.subscribe_presence(1, 500, channel).status == Status::kOk);
  h.exec.advance_time(1'500 * kMs);
  CHECK(h.sink.shard(1).counts.size() == 1);

  // Changes within one second are folded into one count.
  for (int i = 1; i <= 5; ++i) {
    h.close(static_cast<unsigned>(i % 2), 100 + i);
    h.exec.advance_time(100 * kMs);
  }
  h.exec.advance_time(2'500 * kMs);
  const auto& counts = h.sink.shard(1).counts;
  REQUIRE(counts.size() == 2);
  CHECK(counts[1].count == 75);
  CHECK(h.counter("pubsub_presence_counts_total") == 2);
  const PresenceResult page = h.presence_page(0, channel, PresenceQuery{});
  CHECK(page.count == 75);
  CHECK(page.users.size() == 75);
}

TEST_CASE("the presence query pages through the online members in name order",
          "[pubsub][presence]") {
  Harness h(3);
  const std::string channel = h.channel_owned_by(2);
  constexpr int kUsers = 2'500;
  for (int i = 0; i < kUsers; ++i) {
    const unsigned shard = static_cast<unsigned>(i % 3);
    h.exec.run_on(shard, [&] {
      REQUIRE(h.broker.connection_opened(static_cast<SubscriberId>(i), user_name(i)) ==
              Status::kOk);
      REQUIRE(h.broker.subscribe(static_cast<SubscriberId>(i), channel, std::nullopt, nullptr) ==
              Status::kOk);
    });
  }
  h.exec.run_until_idle();
  h.close(0, 3);  // user00003 goes offline: not listed, not counted

  PresenceResult first = h.presence_page(1, channel, PresenceQuery{5'000, ""});
  CHECK(first.count == kUsers - 1);
  REQUIRE(first.users.size() == kMaxPresencePage);  // the limit is clamped to 1,000
  CHECK(std::is_sorted(first.users.begin(), first.users.end()));
  CHECK(first.users[3] == user_name(4));
  CHECK(first.next_cursor == first.users.back());

  std::vector<std::string> all = first.users;
  std::string cursor = first.next_cursor;
  int pages = 1;
  while (!cursor.empty()) {
    PresenceResult page = h.presence_page(0, channel, PresenceQuery{700, cursor});
    CHECK(page.count == kUsers - 1);
    CHECK(page.users.front() > cursor);
    all.insert(all.end(), page.users.begin(), page.users.end());
    cursor = page.next_cursor;
    ++pages;
  }
  CHECK(pages == 4);  // 1,000 + 700 + 700 + 99
  CHECK(all.size() == kUsers - 1);
  CHECK(std::adjacent_find(all.begin(), all.end()) == all.end());

  const PresenceResult tiny = h.presence_page(0, channel, PresenceQuery{0, ""});
  CHECK(tiny.users.size() == 1);  // limit 0 is clamped to 1
  const PresenceResult past_end = h.presence_page(0, channel, PresenceQuery{10, "zzz"});
  CHECK(past_end.users.empty());
  CHECK(past_end.next_cursor.empty());
  CHECK(past_end.count == kUsers - 1);
}

TEST_CASE("acks, subscribe results and messages carry the channel's epoch", "[pubsub][epoch]") {
  Harness h(2);
  const std::string channel = h.channel_owned_by(1);
  const PublishAck first = h.publish(0, "p", channel);
  CHECK(first.seq == 1);
  CHECK(first.epoch != 0);
  h.publish(0, "p", channel);
  h.publish(0, "p", channel);

  h.open(0, 1, "reader");
  const SubscribeResult same =
      h.subscribe_with(0, 1, channel, SubscribeOptions{1, first.epoch, false});
  CHECK(same.epoch == first.epoch);
  CHECK(same.recovered);
  CHECK(h.sink.seqs(0, 1) == iota_seqs(2, 3));
  CHECK(h.publish(1, "p", channel).epoch == first.epoch);
  const auto& received = h.sink.shard(0).received[1];
  CHECK(std::all_of(received.begin(), received.end(),
                    [&](const MessageRef& m) { return m->epoch == first.epoch; }));

  // A since of another epoch is never replayed, even though seq 1 exists here.
  h.open(0, 2, "stale");
  const SubscribeResult other =
      h.subscribe_with(0, 2, channel, SubscribeOptions{1, first.epoch + 1, false});
  CHECK_FALSE(other.recovered);
  CHECK(other.seq == 4);
  CHECK(other.backlog == 0);
  CHECK(h.sink.seqs(0, 2).empty());
  CHECK(h.counter("pubsub_resume_other_epoch_total") == 1);

  HistoryResult history = h.history(0, channel, 0, 10);
  CHECK(history.epoch == first.epoch);
  HistoryQuery other_epoch{2, 10, first.epoch ^ 1};
  std::optional<HistoryResult> read;
  REQUIRE(h.exec.run_on(1, [&] {
    return h.broker.history(channel, other_epoch, [&](HistoryResult&& r) { read = std::move(r); });
  }) == Status::kOk);
  h.exec.run_until_idle();
  REQUIRE(read.has_value());
  CHECK_FALSE(read->recovered);            // another epoch: reload from the oldest retained
  CHECK(read->messages.size() == 4);
  CHECK(read->messages.front()->seq == 1);
}

TEST_CASE("a channel forgotten and created again gets a new epoch", "[pubsub][epoch]") {
  Config config;
  config.channel_idle_ttl_ns = 5'000 * kMs;
  Harness h(2, config);
  const std::string channel = h.channel_owned_by(0);
  const PublishAck old_ack = h.publish(1, "p", channel);
  for (int i = 0; i < 5; ++i) {
    h.exec.advance_time(1'100 * kMs);  // the sweep runs once a second
  }
  CHECK(h.gauge("pubsub_channels") == 0);  // nobody used it for the TTL: forgotten
  for (int i = 0; i < 3; ++i) {
    h.publish(1, "p", channel);
  }
  h.open(1, 7, "returning");
  // Seq 1 exists again, but it is another incarnation's: recovered=false, nothing replayed.
  const SubscribeResult resumed =
      h.subscribe_with(1, 7, channel, SubscribeOptions{1, old_ack.epoch, false});
  CHECK(resumed.epoch != old_ack.epoch);
  CHECK(resumed.seq == 3);
  CHECK_FALSE(resumed.recovered);
  CHECK(h.sink.seqs(1, 7).empty());
}
