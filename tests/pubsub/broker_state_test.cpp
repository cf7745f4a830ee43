// History limits, recovery, presence (multi-connection users, coalescing), read cursors and
// unread counts, offline queues, limits as status values and slow subscribers of
// pubsub::Broker, observed through its DeliverySink on the deterministic FakeExecutor.
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <set>

#include "tests/pubsub/harness.hpp"

using namespace hexwire::pubsub;
using namespace hexwire::pubsub::testing;

namespace {

constexpr std::uint64_t kSecondNs = 1'000'000'000;

Config small_history(std::size_t keep, std::size_t max, std::int64_t age_us) {
  Config config;
  config.history_keep_messages = keep;
  config.history_max_messages = max;
  config.history_keep_age_us = age_us;
  return config;
}

std::vector<std::uint64_t> seqs_of(const std::vector<MessageRef>& messages) {
  std::vector<std::uint64_t> out;
  for (const auto& m : messages) {
    out.push_back(m->seq);
  }
  return out;
}

}  // namespace

TEST_CASE("resume beyond the retained history reports recovered=false", "[pubsub][history]") {
  Harness h(2, small_history(10, 10, 3600LL * 1'000'000));
  const std::string channel = h.channel_owned_by(1);
  for (int i = 0; i < 30; ++i) {
    h.publish(0, "p", channel);
  }
  h.open(0, 1, "u1");
  SubscribeResult lost = h.subscribe(0, 1, channel, 5);
  CHECK(lost.status == Status::kOk);
  CHECK_FALSE(lost.recovered);
  CHECK(lost.seq == 30);
  CHECK(lost.backlog == 0);
  CHECK(h.sink.seqs(0, 1).empty());

  h.open(0, 2, "u2");
  SubscribeResult edge = h.subscribe(0, 2, channel, 20);  // 21..30 are exactly the retained ones
  CHECK(edge.recovered);
  CHECK(h.sink.seqs(0, 2) == iota_seqs(21, 30));

  h.open(0, 3, "u3");
  CHECK_FALSE(h.subscribe(0, 3, channel, 19).recovered);  // 20 is gone
  h.open(0, 4, "u4");
  CHECK_FALSE(h.subscribe(0, 4, channel, 31).recovered);  // ahead of the channel: state was lost
  CHECK(h.counter("pubsub_resume_unrecovered_total") == 3);
  CHECK(h.counter("pubsub_resumes_total") == 4);
}

TEST_CASE("history honours its count cap, its age limit and keeps the newest messages",
          "[pubsub][history]") {
  // Keep the newest 2 whatever their age, others up to 60 s, never more than 20.
  Harness h(3, small_history(2, 20, 60LL * 1'000'000));
  const std::string channel = "log";
  for (int i = 0; i < 30; ++i) {
    h.publish(2, "p", channel);
  }
  HistoryResult all = h.history(0, channel, 0, 1000);
  CHECK(seqs_of(all.messages) == iota_seqs(11, 30));  // count cap
  CHECK_FALSE(all.recovered);                         // 1..10 were trimmed
  CHECK(all.last_seq == 30);
  CHECK(h.gauge("pubsub_history_messages") == 20);

  HistoryResult page = h.history(1, channel, 14, 3);  // a range
  CHECK(seqs_of(page.messages) == iota_seqs(15, 17));
  CHECK(page.recovered);
  CHECK(h.history(1, channel, 30, 10).messages.empty());
  CHECK(h.history(1, channel, 30, 10).recovered);

  h.exec.advance_time(30 * kSecondNs);
  for (int i = 0; i < 3; ++i) {
    h.publish(2, "p", channel);  // 31..33, 30 s younger than the rest
  }
  h.exec.advance_time(31 * kSecondNs);  // 14..30 are now 61 s old, 31..33 are 31 s old
  CHECK(seqs_of(h.history(0, channel, 0, 1000).messages) == iota_seqs(31, 33));
  h.exec.advance_time(40 * kSecondNs);  // all older than 60 s: only the newest 2 stay
  CHECK(seqs_of(h.history(0, channel, 0, 1000).messages) == iota_seqs(32, 33));
  CHECK(h.gauge("pubsub_history_messages") == 2);
}

TEST_CASE("idle channels are trimmed by age without any traffic", "[pubsub][history]") {
  Harness h(1, small_history(0, 100, 10LL * 1'000'000));
  for (int i = 0; i < 7; ++i) {
    h.publish(0, "p", "quiet");
  }
  CHECK(h.gauge("pubsub_history_messages") == 7);
  CHECK(h.gauge("pubsub_channels") == 1);
  h.exec.advance_time(11 * kSecondNs);  // the sweep timer trims, then drops the unused channel
  h.exec.advance_time(2 * kSecondNs);
  CHECK(h.gauge("pubsub_history_messages") == 0);
  CHECK(h.gauge("pubsub_channels") == 0);
}

TEST_CASE("a user with several connections joins once and leaves with the last one",
          "[pubsub][presence]") {
  Harness h(3);
  const std::string channel = h.channel_owned_by(2);
  h.open(0, 1, "watcher");
  REQUIRE(h.subscribe_presence(0, 1, channel).status == Status::kOk);
  h.exec.advance_time(100'000'000);
  h.sink.shard(0).presence.clear();

  h.open(0, 10, "alice");  // two devices on two shards
  h.open(1, 11, "alice");
  REQUIRE(h.subscribe_presence(0, 10, channel).status == Status::kOk);
  h.exec.advance_time(100'000'000);
  REQUIRE(h.subscribe_presence(1, 11, channel).status == Status::kOk);
  h.exec.advance_time(100'000'000);
  CHECK(h.presence(1, channel) == std::vector<std::string>{"alice", "watcher"});

  auto& events = h.sink.shard(0).presence;
  REQUIRE(events.size() == 1);
  CHECK(events[0].channel == channel);
  REQUIRE(events[0].changes.size() == 1);
  CHECK(events[0].changes[0].user == "alice");
  CHECK(events[0].changes[0].joined);
  CHECK(events[0].subscribers == std::vector<SubscriberId>{1, 10});

  h.close(0, 10);
  h.exec.advance_time(100'000'000);
  CHECK(events.size() == 1);                // alice is still online from shard 1
  CHECK(h.sink.shard(1).presence.empty());  // alice was already online when shard 1 joined
  h.close(1, 11);
  h.exec.advance_time(100'000'000);
  REQUIRE(events.size() == 2);
  CHECK(events[1].changes.size() == 1);
  CHECK(events[1].changes[0].user == "alice");
  CHECK_FALSE(events[1].changes[0].joined);
  CHECK(h.presence(0, channel) == std::vector<std::string>{"watcher"});
}

TEST_CASE("join/leave bursts are coalesced into one batch per shard per tick",
          "[pubsub][presence]") {
  Harness h(2);
  const std::string channel = h.channel_owned_by(0);
  h.open(1, 1, "watcher");
  REQUIRE(h.subscribe_presence(1, 1, channel).status == Status::kOk);
  h.exec.advance_time(100'000'000);
  h.sink.shard(1).presence.clear();
  const std::uint64_t coalesced_before = h.counter("pubsub_presence_coalesced_total");

  for (SubscriberId id = 100; id < 1100; ++id) {  // 1,000 users join within one tick...
    const unsigned shard = static_cast<unsigned>(id % 2);
    h.open(shard, id, "user" + std::to_string(id));
    REQUIRE(h.subscribe_presence(shard, id, channel).status == Status::kOk);
  }
  for (SubscriberId id = 100; id < 600; ++id) {  // ...and 500 of them leave again
    h.close(static_cast<unsigned>(id % 2), id);
  }
  h.exec.advance_time(100'000'000);  // 501 subscribers now: this channel coalesces 250 ms
  auto& events = h.sink.shard(1).presence;
  CHECK(events.empty());
  h.exec.advance_time(200'000'000);
  REQUIRE(events.size() == 1);  // one batch, not 1,500 events
  CHECK(events[0].changes.size() == 500);
  CHECK(std::all_of(events[0].changes.begin(), events[0].changes.end(),
                    [](const PresenceChange& c) { return c.joined; }));
  CHECK(h.sink.shard(0).presence.size() == 1);
  CHECK(h.counter("pubsub_presence_coalesced_total") - coalesced_before == 1000);
  CHECK(h.presence(0, channel).size() == 501);
}

TEST_CASE("large channels coalesce presence longer and announce leaves after a grace period",
          "[pubsub][presence]") {
  Harness h(2);
  const std::string channel = h.channel_owned_by(0);
  for (SubscriberId id = 100; id < 1100; ++id) {  // 1,000 members: a 500 ms window
    const unsigned shard = static_cast<unsigned>(id % 2);
    h.open(shard, id, "user" + std::to_string(id));
    REQUIRE(h.subscribe_presence(shard, id, channel).status == Status::kOk);
  }
  h.exec.advance_time(2'000'000'000);
  auto& events = h.sink.shard(1).presence;
  REQUIRE(events.size() == 1);
  CHECK(events[0].changes.size() == 1000);
  events.clear();

  h.close(0, 100);  // user100 drops...
  h.exec.advance_time(100'000'000);
  h.open(1, 5000, "user100");  // ...and is back 100 ms later on another shard
  REQUIRE(h.subscribe_presence(1, 5000, channel).status == Status::kOk);
  h.close(0, 102);  // user102 leaves for good
  h.exec.advance_time(300'000'000);
  CHECK(events.empty());  // 400 ms after the first change: still inside the window
  h.exec.advance_time(200'000'000);
  CHECK(events.empty());  // window over: the reconnect cancelled out; user102 is in the grace
  CHECK(h.presence(0, channel).size() == 999);  // a presence query is exact at any time
  h.exec.advance_time(600'000'000);  // user102 offline > 1 s: the leave is announced
  REQUIRE(events.size() == 1);
  REQUIRE(events[0].changes.size() == 1);
  CHECK(events[0].changes[0].user == "user102");
  CHECK_FALSE(events[0].changes[0].joined);
}

TEST_CASE("small channels keep the short presence window", "[pubsub][presence]") {
  Harness h(1);
  const std::string channel = h.channel_owned_by(0);
  h.open(0, 1, "watcher");
  REQUIRE(h.subscribe_presence(0, 1, channel).status == Status::kOk);
  h.exec.advance_time(100'000'000);
  h.sink.shard(0).presence.clear();
  h.open(0, 2, "bob");
  REQUIRE(h.subscribe_presence(0, 2, channel).status == Status::kOk);
  h.exec.advance_time(60'000'000);  // 2 subscribers: the 50 ms base window
  REQUIRE(h.sink.shard(0).presence.size() == 1);
  CHECK(h.sink.shard(0).presence[0].changes[0].user == "bob");
}

TEST_CASE("read cursors sync to the user's other connections and drive unread counts",
          "[pubsub][read]") {
  Harness h(3);
  const std::string channel = h.channel_owned_by(1);
  h.open(0, 1, "bob");
  h.open(2, 2, "bob");
  h.open(2, 3, "carol");
  REQUIRE(h.subscribe(0, 1, channel).status == Status::kOk);
  REQUIRE(h.subscribe(2, 3, channel).status == Status::kOk);
  for (int i = 0; i < 10; ++i) {
    h.publish(1, "carol", channel);
  }
  ReadResult read = h.mark_read(0, 1, channel, 7);
  CHECK(read.status == Status::kOk);
  CHECK(read.seq == 7);
  CHECK(read.unread == 3);
  REQUIRE(h.sink.shard(2).reads.size() == 1);  // bob's other device, not carol, not the origin
  CHECK(h.sink.shard(2).reads[0].channel == channel);
  CHECK(h.sink.shard(2).reads[0].seq == 7);
  CHECK(h.sink.shard(2).reads[0].connections == std::vector<SubscriberId>{2});
  CHECK(h.sink.shard(0).reads.empty());

  CHECK(h.mark_read(2, 2, channel, 5).seq == 7);    // never backwards, no sync
  CHECK(h.mark_read(2, 2, channel, 99).seq == 10);  // clamped to the last seq
  REQUIRE(h.sink.shard(0).reads.size() == 1);
  CHECK(h.sink.shard(0).reads[0].seq == 10);

  h.publish(1, "carol", channel);
  h.publish(1, "carol", channel);
  SubscribeResult sub = h.subscribe(2, 2, channel);  // bob's second device opens the channel
  CHECK(sub.seq == 12);
  CHECK(sub.unread == 2);
  CHECK(h.mark_read(2, 3, channel, 0).unread == 12);  // carol never read: 12 unread
  h.open(0, 9, "dave");
  CHECK(h.mark_read(0, 9, channel, 3).status == Status::kNotMember);
  CHECK(h.subscribe(0, 9, channel).unread == 0);  // a new member starts with nothing unread
}

TEST_CASE("unread counts are bounded by the retained history", "[pubsub][read]") {
  Harness h(2, small_history(5, 5, 3600LL * 1'000'000));
  h.open(0, 1, "erin");
  REQUIRE(h.subscribe(0, 1, "busy").status == Status::kOk);
  h.close(0, 1);
  for (int i = 0; i < 50; ++i) {
    h.publish(1, "p", "busy");
  }
  h.open(0, 2, "erin");
  SubscribeResult sub = h.subscribe(0, 2, "busy");
  CHECK(sub.seq == 50);
  CHECK(sub.unread == 5);
}

TEST_CASE("offline members get a bounded queue that drains when they reconnect",
          "[pubsub][offline]") {
  Config config;
  config.pending_notifications_per_user = 10;
  Harness h(3, config);
  const std::string channel = h.channel_owned_by(0);
  h.open(1, 1, "frank");
  REQUIRE(h.subscribe(1, 1, channel).status == Status::kOk);
  h.open(2, 2, "gina");
  REQUIRE(h.subscribe(2, 2, channel).status == Status::kOk);
  REQUIRE(h.exec.run_on(2, [&] { return h.broker.unsubscribe(2, channel); }) == Status::kOk);
  h.close(1, 1);  // frank stays a member, offline; gina left the channel
  for (int i = 0; i < 15; ++i) {
    h.publish(0, "pub", channel);
  }
  CHECK(h.counter("pubsub_offline_queued_total") == 15);
  CHECK(h.counter("pubsub_offline_dropped_total") == 5);

  h.open(2, 5, "frank");  // reconnects on another shard
  auto& drains = h.sink.shard(2).drains;
  REQUIRE(drains.size() == 1);
  CHECK(drains[0].connection == 5);
  CHECK(drains[0].dropped == 5);
  std::vector<std::uint64_t> drained;
  for (const auto& m : drains[0].pending) {
    drained.push_back(m->seq);
  }
  CHECK(drained == iota_seqs(6, 15));  // the newest 10, oldest first
  h.open(2, 6, "gina");
  CHECK(drains.size() == 1);  // gina is not a member any more: nothing queued

  // Online but not subscribed to the channel: a live notification instead of the queue.
  h.publish(0, "pub", channel);
  REQUIRE(h.sink.shard(2).notifies.size() == 1);
  CHECK(h.sink.shard(2).notifies[0].connection == 5);
  CHECK(h.sink.shard(2).notifies[0].message->seq == 16);
  CHECK(h.counter("pubsub_offline_queued_total") == 15);

  // Subscribed again: ordinary delivery, no notification; a reconnect drains nothing.
  SubscribeResult back = h.subscribe(2, 5, channel);
  CHECK(back.unread == 16);
  h.publish(0, "pub", channel);
  CHECK(h.sink.shard(2).notifies.size() == 1);
  CHECK(h.sink.seqs(2, 5) == std::vector<std::uint64_t>{17});
  h.open(1, 7, "frank");
  CHECK(h.sink.shard(1).drains.empty());
}

TEST_CASE("queries of unknown channels and the publisher's own offline copy", "[pubsub][history]") {
  Harness h(2);
  HistoryResult none = h.history(0, "never-used", 0, 10);
  CHECK(none.messages.empty());
  CHECK(none.recovered);
  CHECK(none.last_seq == 0);
  CHECK_FALSE(h.history(0, "never-used", 5, 10).recovered);
  CHECK(h.presence(1, "never-used").empty());

  h.open(0, 1, "ivy");
  REQUIRE(h.subscribe(0, 1, "notes").status == Status::kOk);
  h.close(0, 1);
  h.publish(1, "ivy", "notes");  // ivy publishes from elsewhere while offline in the channel
  CHECK(h.counter("pubsub_offline_queued_total") == 0);
  h.publish(1, "someone", "notes");
  CHECK(h.counter("pubsub_offline_queued_total") == 1);
}

TEST_CASE("offline notifications can be turned off", "[pubsub][offline]") {
  Config config;
  config.offline_notifications = false;
  Harness h(2, config);
  h.open(1, 1, "hal");
  REQUIRE(h.subscribe(1, 1, "c").status == Status::kOk);
  h.close(1, 1);
  for (int i = 0; i < 4; ++i) {
    h.publish(0, "pub", "c");
  }
  CHECK(h.counter("pubsub_offline_queued_total") == 0);
  h.open(0, 2, "hal");
  CHECK(h.sink.shard(0).drains.empty());
  CHECK(h.subscribe(0, 2, "c").unread == 4);  // the unread count still tells
}

TEST_CASE("limits are reported as status values", "[pubsub][limits]") {
  Config config;
  config.max_subscriptions_per_connection = 2;
  config.max_members_per_channel = 2;
  config.max_channels_per_shard = 3;
  config.max_channel_name_bytes = 16;
  Harness h(1, config);
  h.open(0, 1, "u1");
  CHECK(h.exec.run_on(0, [&] { return h.broker.connection_opened(1, "u1"); }) ==
        Status::kConnectionExists);
  CHECK(h.subscribe(0, 99, "a").status == Status::kUnknownConnection);
  CHECK(h.subscribe(0, 1, "").status == Status::kInvalidChannel);
  CHECK(h.subscribe(0, 1, std::string(17, 'x')).status == Status::kInvalidChannel);
  CHECK(h.subscribe(0, 1, "a").status == Status::kOk);
  CHECK(h.subscribe(0, 1, "a").status == Status::kAlreadySubscribed);
  CHECK(h.subscribe(0, 1, "b").status == Status::kOk);
  CHECK(h.subscribe(0, 1, "c").status == Status::kTooManySubscriptions);
  CHECK(h.exec.run_on(0, [&] { return h.broker.unsubscribe(1, "zzz"); }) == Status::kNotSubscribed);
  CHECK(h.exec.run_on(0, [&] { return h.broker.publish("u1", "", bytes("x")); }) ==
        Status::kInvalidChannel);

  h.open(0, 2, "u2");
  h.open(0, 3, "u3");
  CHECK(h.subscribe(0, 2, "a").status == Status::kOk);
  CHECK(h.subscribe(0, 3, "a").status == Status::kChannelFull);  // u1 and u2 are members
  CHECK(h.subscribe(0, 3, "c").status == Status::kOk);            // third channel of the shard
  CHECK(h.subscribe(0, 2, "d").status == Status::kTooManyChannels);
  CHECK(h.publish(0, "u1", "e").status == Status::kTooManyChannels);
  CHECK(h.publish(0, "u1", "a").status == Status::kOk);
  // A refused subscribe leaves no trace: the connection may use that slot elsewhere.
  CHECK(h.subscribe(0, 3, "b").status == Status::kOk);
  CHECK(h.broker.config().max_subscriptions_per_connection == 2);
}

TEST_CASE("a slow subscriber's drops are counted and never hold back the others",
          "[pubsub][slow]") {
  Harness h(2);
  for (SubscriberId id = 1; id <= 4; ++id) {
    h.open(1, id, "u" + std::to_string(id));
    REQUIRE(h.subscribe(1, id, "news").status == Status::kOk);
  }
  h.sink.shard(1).refuse.insert(3);
  for (int i = 0; i < 20; ++i) {
    h.publish(0, "p", "news");
  }
  CHECK(h.counter("pubsub_delivery_drops_total") == 20);
  CHECK(h.counter("pubsub_deliveries_total") == 60);
  CHECK(h.sink.seqs(1, 1) == iota_seqs(1, 20));
  CHECK(h.sink.seqs(1, 4) == iota_seqs(1, 20));
  CHECK(h.sink.seqs(1, 3).empty());
}

TEST_CASE("the sink may close a connection from inside a delivery", "[pubsub][slow]") {
  Harness h(1);
  struct ClosingSink : RecordingSink {
    using RecordingSink::RecordingSink;
    Broker* broker = nullptr;
    std::size_t deliver(const MessageRef& message,
                        std::span<const SubscriberId> subscribers) noexcept override {
      RecordingSink::deliver(message, subscribers);
      broker->connection_closed(2);  // e.g. its outbound queue overflowed
      return 0;
    }
  } closing(h.exec);
  hexwire::core::MetricsRegistry registry(1);
  LocalBroker broker(h.exec, registry, closing);
  closing.broker = &broker;
  for (SubscriberId id = 1; id <= 3; ++id) {
    REQUIRE(h.exec.run_on(0, [&] { return broker.connection_opened(id, "u"); }) == Status::kOk);
    REQUIRE(h.exec.run_on(0, [&] { return broker.subscribe(id, "c", std::nullopt, nullptr); }) ==
            Status::kOk);
  }
  h.exec.run_until_idle();
  for (int i = 0; i < 3; ++i) {  // the close is deferred until the delivery returns
    REQUIRE(h.exec.run_on(0, [&] { return broker.publish("p", "c", bytes("x")); }) == Status::kOk);
    h.exec.run_until_idle();
  }
  CHECK(closing.seqs(0, 1) == iota_seqs(1, 3));
  CHECK(closing.seqs(0, 3) == iota_seqs(1, 3));
  CHECK(closing.seqs(0, 2) == std::vector<std::uint64_t>{1});
  CHECK(h.exec.run_on(0, [&] { return broker.local_subscriber_count("c"); }) == 2);
}

TEST_CASE("unsubscribing during a subscribe cancels it and undoes it at the owner",
          "[pubsub][subscribe]") {
  Harness h(2);
  const std::string channel = h.channel_owned_by(0);
  h.open(1, 1, "u1");
  std::optional<SubscribeResult> result;
  REQUIRE(h.exec.run_on(1, [&] {
    return h.broker.subscribe(1, channel, 0, [&](const SubscribeResult& r) { result = r; });
  }) == Status::kOk);
  REQUIRE(h.exec.run_on(1, [&] { return h.broker.unsubscribe(1, channel); }) == Status::kOk);
  h.exec.run_until_idle();
  REQUIRE(result.has_value());
  CHECK(result->status == Status::kCancelled);
  const std::uint64_t forwards = h.counter("pubsub_forwards_total");
  h.publish(0, "p", channel);
  CHECK(h.counter("pubsub_forwards_total") == forwards);  // shard 1 is no longer subscribed
  CHECK(h.sink.seqs(1, 1).empty());
  CHECK(h.presence(0, channel).empty());
  CHECK(h.exec.run_on(1, [&] { return h.broker.local_subscriber_count(channel); }) == 0);
}

TEST_CASE("presence under random opens, closes and resubscriptions matches a model",
          "[pubsub][presence]") {
  for (std::uint64_t seed = 1; seed <= 60; ++seed) {
    CAPTURE(seed);
    Harness h(3, {}, seed);
    std::mt19937_64 rng(seed);
    const std::string channel = "lobby";
    h.open(0, 1, "observer");
    REQUIRE(h.subscribe_presence(0, 1, channel).status == Status::kOk);

    struct Conn {
      unsigned shard;
      SubscriberId id;
      std::string user;
      bool subscribed;
    };
    std::vector<Conn> conns;
    SubscriberId next_id = 100;
    for (int action = 0; action < 400; ++action) {
      const auto kind = rng() % 10;
      if (kind < 3 || conns.empty()) {
        Conn c{static_cast<unsigned>(rng() % 3), next_id++, "user" + std::to_string(rng() % 8),
               false};
        REQUIRE(h.exec.run_on(c.shard, [&] { return h.broker.connection_opened(c.id, c.user); }) ==
                Status::kOk);
        conns.push_back(c);
      } else if (kind < 6) {
        Conn& c = conns[rng() % conns.size()];
        const Status status = h.exec.run_on(c.shard, [&] {
          return c.subscribed ? h.broker.unsubscribe(c.id, channel)
                              : h.broker.subscribe(c.id, channel, std::nullopt, nullptr);
        });
        REQUIRE(status == Status::kOk);
        c.subscribed = !c.subscribed;
      } else if (kind < 8) {
        const std::size_t index = rng() % conns.size();
        h.exec.run_on(conns[index].shard, [&] { h.broker.connection_closed(conns[index].id); });
        conns.erase(conns.begin() + static_cast<std::ptrdiff_t>(index));
      } else if (kind == 8) {
        for (auto n = rng() % 20; n > 0 && h.exec.step(); --n) {
        }
      } else {
        h.exec.advance_time(rng() % 2 == 0 ? 10'000'000 : 60'000'000);
      }
    }
    h.exec.run_until_idle();
    h.exec.advance_time(100'000'000);

    std::set<std::string> model{"observer"};
    for (const Conn& c : conns) {
      if (c.subscribed) {
        model.insert(c.user);
      }
    }
    const auto users = h.presence(2, channel);
    CHECK(std::set<std::string>(users.begin(), users.end()) == model);
    // The observer's event stream replays to the same set, with no join of someone present
    // and no leave of someone absent.
    std::set<std::string> replayed;
    for (const auto& batch : h.sink.shard(0).presence) {
      for (const PresenceChange& change : batch.changes) {
        if (change.joined) {
          REQUIRE(replayed.insert(change.user).second);
        } else {
          REQUIRE(replayed.erase(change.user) == 1);
        }
      }
    }
    CHECK(replayed == model);
  }
}
