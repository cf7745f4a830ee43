// RedisBroker with two nodes (two runtimes of two shards each) sharing one real redis-server:
// delivery on every node in the same order and exactly once, one Redis subscription per node and
// channel, resume across nodes while publishing, history and recovered:false from the stream,
// presence and read sync across nodes, missed notifications drained on another node,
// `unavailable` within the deadline while Redis is down, with recovery after it returns, and a
// Redis stall that fails only the late operations (connection and subscriptions kept).
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "broker_node.hpp"
#include "redis_server.hpp"

using namespace hexwire;
using namespace hexwire::scaleout;
using scaleout::testing::BrokerNode;
using scaleout::testing::broker_config;
using scaleout::testing::eventually;
using pubsub::Status;

namespace {

std::vector<std::uint64_t> seqs(const std::vector<scaleout::testing::Received>& received) {
  std::vector<std::uint64_t> out;
  for (const auto& r : received) {
    out.push_back(r.seq);
  }
  return out;
}

std::vector<std::uint64_t> range(std::uint64_t first, std::uint64_t last) {
  std::vector<std::uint64_t> out;
  for (std::uint64_t s = first; s <= last; ++s) {
    out.push_back(s);
  }
  return out;
}

std::vector<std::string> payloads(const std::vector<scaleout::testing::Received>& received) {
  std::vector<std::string> out;
  for (const auto& r : received) {
    out.push_back(r.data);
  }
  return out;
}

/// Holds a shard still (a task that waits) until open(); opens by itself when the test ends early.
class Gate {
 public:
  Gate() : opened_(promise_.get_future().share()) {}
  ~Gate() { open(); }
  void wait() const { opened_.wait(); }
  void open() {
    if (!open_) {
      open_ = true;
      promise_.set_value();
    }
  }

 private:
  std::promise<void> promise_;
  std::shared_future<void> opened_;
  bool open_ = false;
};

/// Calls of `command` since the server started (or CONFIG RESETSTAT), from INFO commandstats.
long long command_calls(const hexwire::testing::RedisServer& redis, std::string_view command) {
  const std::string info = redis.command({"INFO", "commandstats"}).str();
  const std::string key = "cmdstat_" + std::string(command) + ":calls=";
  const std::size_t at = info.find(key);
  return at == std::string::npos ? 0 : std::stoll(info.substr(at + key.size()));
}

RedisBrokerConfig quick_deadlines(const std::string& url, std::uint64_t join_timeout_ns) {
  RedisBrokerConfig config = broker_config(url, "node-a");
  config.redis.connection.command_timeout_ns = 400'000'000;
  config.join_timeout_ns = join_timeout_ns;
  return config;
}

constexpr int kJoiners = 60;   // subscribes waiting at once ...
constexpr int kChannels = 12;  // ... on this many channels

/// Opens kJoiners connections and starts their subscribes, spread over both shards and
/// kChannels channels, while Redis answers nothing (CLIENT PAUSE of `pause_ms`).
std::shared_ptr<BrokerNode::Replies> subscribe_during_pause(hexwire::testing::RedisServer& redis,
                                                            BrokerNode& node, int pause_ms,
                                                            const std::string& prefix) {
  for (int i = 0; i < kJoiners; ++i) {
    node.open(i % 2, 100 + i, "user" + std::to_string(i));
  }
  REQUIRE(redis.command({"CLIENT", "PAUSE", std::to_string(pause_ms), "ALL"}).str() == "OK");
  auto replies = std::make_shared<BrokerNode::Replies>();
  for (int i = 0; i < kJoiners; ++i) {
    node.subscribe_async(i % 2, 100 + i, prefix + std::to_string(i % kChannels), replies);
  }
  return replies;
}

}  // namespace

TEST_CASE("messages reach subscribers on every node once and in order") {
  hexwire::testing::RedisServer redis;
  BrokerNode a(broker_config(redis.url(), "node-a"));
  BrokerNode b(broker_config(redis.url(), "node-b"));
  // Subscribers on both shards of both nodes.
  for (unsigned shard = 0; shard < 2; ++shard) {
    a.open(shard, 10 + shard, "ua" + std::to_string(shard));
    b.open(shard, 20 + shard, "ub" + std::to_string(shard));
    CHECK(a.subscribe(shard, 10 + shard, "general").status == Status::kOk);
    CHECK(b.subscribe(shard, 20 + shard, "general").status == Status::kOk);
  }
  // One Redis subscription per node, whatever the number of local subscribers.
  CHECK(redis.command({"PUBSUB", "SHARDNUMSUB", "hw:{general}:p"}).values.at(1) == "2");

  std::vector<std::uint64_t> acked;
  for (int i = 1; i <= 100; ++i) {
    const pubsub::PublishAck ack = (i % 2 ? a : b).publish(i % 2, "pub", "general", "m" + std::to_string(i));
    REQUIRE(ack.status == Status::kOk);
    acked.push_back(ack.seq);
  }
  CHECK(acked == range(1, 100));
  for (const auto& [n, i] : {std::pair{&a, 10}, {&a, 11}, {&b, 20}, {&b, 21}}) {
    BrokerNode* node = n;
    const pubsub::SubscriberId id = static_cast<pubsub::SubscriberId>(i);
    REQUIRE(eventually([&] { return node->sink().received(id).size() >= 100; }));
    const auto got = node->sink().received(id);
    CHECK(seqs(got) == range(1, 100));
    CHECK(got[41].data == "m42");
  }
  // A channel nobody on node b subscribes to is not subscribed there.
  a.open(0, 12, "only-a");
  a.subscribe(0, 12, "private");
  CHECK(redis.command({"PUBSUB", "SHARDNUMSUB", "hw:{private}:p"}).values.at(1) == "1");
  // The last local subscriber leaving drops the node's subscription.
  a.close(0, 12);
  CHECK(eventually([&] {
    return redis.command({"PUBSUB", "SHARDNUMSUB", "hw:{private}:p"}).values.at(1) == "0";
  }));
}

TEST_CASE("a resume on another node while publishing goes on has no gap and no duplicate") {
  hexwire::testing::RedisServer redis;
  BrokerNode a(broker_config(redis.url(), "node-a"));
  BrokerNode b(broker_config(redis.url(), "node-b"));
  a.open(0, 1, "watcher");
  a.subscribe(0, 1, "busy");
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> last_acked{0};
  std::thread publisher([&] {
    while (!stop) {
      const auto ack = a.publish(1, "pub", "busy", "x");
      if (ack.status == Status::kOk) {
        last_acked = ack.seq;
      }
    }
  });
  struct Joiner {  // stops the publisher also when a REQUIRE fails
    std::atomic<bool>& stop;
    std::thread& thread;
    ~Joiner() {
      stop = true;
      if (thread.joinable()) {
        thread.join();
      }
    }
  } joiner{stop, publisher};
  REQUIRE(eventually([&] { return last_acked >= 50; }));
  // Resumers join node b at different points while messages keep coming.
  std::vector<std::pair<pubsub::SubscriberId, std::uint64_t>> resumers;
  for (pubsub::SubscriberId id = 100; id < 110; ++id) {
    const std::uint64_t since = last_acked.load() - 20;
    b.open(id % 2, id, "r" + std::to_string(id));
    const pubsub::SubscribeResult r = b.subscribe(id % 2, id, "busy", since);
    REQUIRE(r.status == Status::kOk);
    CHECK(r.recovered);
    resumers.emplace_back(id, since);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  stop = true;
  publisher.join();
  const std::uint64_t last = last_acked.load();
  for (auto [id, since] : resumers) {
    REQUIRE(eventually([&, id = id] {
      const auto got = b.sink().received(id);
      return !got.empty() && got.back().seq >= last;
    }));
    CHECK(seqs(b.sink().received(id)) == range(since + 1, last));
  }
  // Node a's watcher hears the last message on its own schedule: wait for it, then compare.
  REQUIRE(eventually([&] {
    const auto got = a.sink().received(1);
    return !got.empty() && got.back().seq >= last;
  }));
  CHECK(seqs(a.sink().received(1)) == range(1, last));
}

TEST_CASE("history reads the stream and a resume beyond it is unrecovered") {
  hexwire::testing::RedisServer redis;
  RedisBrokerConfig config = broker_config(redis.url(), "node-a");
  config.channels.history_max_messages = 100;
  BrokerNode a(config);
  for (int i = 1; i <= 500; ++i) {
    REQUIRE(a.publish(0, "u", "log", std::to_string(i)).seq == static_cast<std::uint64_t>(i));
  }
  auto page = a.call<pubsub::HistoryResult>(1, [&](auto done) {
    return a.broker().history("log", 490, 5, std::move(done));
  });
  REQUIRE(page.has_value());
  CHECK(page->recovered);
  CHECK(page->last_seq == 500);
  REQUIRE(page->messages.size() == 5);
  CHECK(page->messages.front()->seq == 491);
  CHECK(page->messages.front()->payload.view() == "491");
  auto old = a.call<pubsub::HistoryResult>(0, [&](auto done) {
    return a.broker().history("log", 1, 5, std::move(done));
  });
  CHECK_FALSE(old->recovered);
  a.open(1, 7, "late");
  const pubsub::SubscribeResult r = a.subscribe(1, 7, "log", 3);
  CHECK_FALSE(r.recovered);
  CHECK(r.seq == 500);
  CHECK(r.backlog == 0);
  // Every answer carries the channel's epoch; a since of another epoch replays nothing.
  CHECK(page->epoch != 0);
  CHECK(r.epoch == page->epoch);
  const pubsub::PublishAck ack = a.publish(0, "u", "log", "501");
  CHECK(ack.epoch == page->epoch);
  a.open(0, 8, "resumer");
  auto resumed = a.call<pubsub::SubscribeResult>(0, [&](auto done) {
    return a.broker().subscribe(8, "log", pubsub::SubscribeOptions{498, page->epoch, false},
                                std::move(done));
  });
  REQUIRE(resumed.has_value());
  CHECK(resumed->recovered);
  REQUIRE(eventually([&] { return a.sink().backlog(8) == 3; }));  // 499..501, as a backlog
  a.open(1, 9, "stranger");
  auto other = a.call<pubsub::SubscribeResult>(1, [&](auto done) {
    return a.broker().subscribe(9, "log", pubsub::SubscribeOptions{498, page->epoch + 1, false},
                                std::move(done));
  });
  REQUIRE(other.has_value());
  CHECK_FALSE(other->recovered);
  CHECK(other->backlog == 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK(a.sink().received(9).empty());
}

TEST_CASE("presence and read cursors are shared by the nodes") {
  hexwire::testing::RedisServer redis;
  BrokerNode a(broker_config(redis.url(), "node-a"));
  BrokerNode b(broker_config(redis.url(), "node-b"));
  b.open(0, 1, "observer");
  b.subscribe(0, 1, "room", std::nullopt, /*presence=*/true);
  b.open(1, 4, "quiet");
  b.subscribe(1, 4, "room");  // did not ask for presence
  a.open(1, 2, "kim");
  a.subscribe(1, 2, "room");
  REQUIRE(eventually([&] {
    const auto events = b.sink().presence(1);
    return std::find(events.begin(), events.end(), "room +kim") != events.end();
  }));
  auto online = b.call<pubsub::PresenceResult>(1, [&](auto done) {
    return b.broker().presence("room", pubsub::PresenceQuery{}, std::move(done));
  });
  CHECK(online->users == std::vector<std::string>{"kim", "observer", "quiet"});
  CHECK(online->count == 3);
  auto page = b.call<pubsub::PresenceResult>(0, [&](auto done) {
    return b.broker().presence("room", pubsub::PresenceQuery{2, ""}, std::move(done));
  });
  CHECK(page->users == std::vector<std::string>{"kim", "observer"});
  REQUIRE(page->next_cursor == "observer");
  auto rest = b.call<pubsub::PresenceResult>(0, [&](auto done) {
    return b.broker().presence("room", pubsub::PresenceQuery{2, page->next_cursor},
                               std::move(done));
  });
  CHECK(rest->users == std::vector<std::string>{"quiet"});
  CHECK(rest->next_cursor.empty());  // the last page
  CHECK(b.sink().presence(4).empty());

  // kim's second device, on node b: a read on node a syncs to it.
  b.open(1, 3, "kim");
  b.subscribe(1, 3, "room");
  for (int i = 0; i < 3; ++i) {
    b.publish(0, "observer", "room", "hello");
  }
  auto read = a.call<pubsub::ReadResult>(1, [&](auto done) {
    return a.broker().mark_read(2, "room", 2, std::move(done));
  });
  CHECK(pubsub::to_string(read->status) == "ok");
  CHECK(read->seq == 2);
  CHECK(read->unread == 1);
  REQUIRE(eventually([&] { return !b.sink().reads(3).empty(); }));
  CHECK(b.sink().reads(3) == std::vector<std::string>{"room@2"});
  CHECK(a.sink().reads(2).empty());  // never to the connection that read

  a.close(1, 2);
  b.close(1, 3);
  REQUIRE(eventually([&] {
    const auto events = b.sink().presence(1);
    return std::find(events.begin(), events.end(), "room -kim") != events.end();
  }));
}

TEST_CASE("a channel above presence_max_members announces its online count, not each user") {
  hexwire::testing::RedisServer redis;
  RedisBrokerConfig config = broker_config(redis.url(), "node-a");
  config.pubsub.presence_max_members = 2;
  config.pubsub.presence_count_interval_ns = 50'000'000;
  BrokerNode a(config);
  BrokerNode b(broker_config(redis.url(), "node-b"));
  a.open(0, 1, "watcher");
  a.subscribe(0, 1, "big", std::nullopt, /*presence=*/true);
  for (pubsub::SubscriberId id = 10; id < 13; ++id) {
    b.open(id % 2, id, "u" + std::to_string(id));
    b.subscribe(id % 2, id, "big");
  }
  REQUIRE(eventually([&] {
    const auto events = a.sink().presence(1);
    return !events.empty() && events.back() == "big #4";
  }));
  // Once above the bound, counts only (per-user events may precede it, while it was small).
  const auto events = a.sink().presence(1);
  auto first_count = std::find_if(events.begin(), events.end(), [](const std::string& e) {
    return e.find(" #") != std::string::npos;
  });
  for (auto it = first_count; it != events.end(); ++it) {
    CHECK(it->find(" #") != std::string::npos);
  }
}

TEST_CASE("what an offline member missed is drained on the node they come back to") {
  hexwire::testing::RedisServer redis;
  BrokerNode a(broker_config(redis.url(), "node-a"));
  BrokerNode b(broker_config(redis.url(), "node-b"));
  a.open(0, 1, "sam");
  a.subscribe(0, 1, "team");
  a.close(0, 1);  // sam stays a member, offline
  b.open(1, 5, "pat");
  for (int i = 1; i <= 3; ++i) {
    b.publish(1, "pat", "team", "n" + std::to_string(i));
  }
  b.open(0, 9, "sam");  // sam returns, on the other node
  REQUIRE(eventually([&] { return b.sink().drained(9).size() == 3; }));
  const auto drained = b.sink().drained(9);
  CHECK(drained.front().data == "n1");  // oldest first
  CHECK(drained.back().data == "n3");
  // Now connected but not subscribed to the channel: later messages come as live notifications.
  b.publish(1, "pat", "team", "n4");
  REQUIRE(eventually([&] { return !b.sink().notified(9).empty(); }));
  CHECK(b.sink().notified(9).front().data == "n4");
}

TEST_CASE("a user back on another node before their old node wrote them offline gets the drain") {
  hexwire::testing::RedisServer redis;
  // Node a is held still below: with the usual 1 s TTL node b could declare it dead meanwhile.
  RedisBrokerConfig config_a = broker_config(redis.url(), "node-a");
  config_a.node.node_ttl_ms = 60'000;
  RedisBrokerConfig config_b = broker_config(redis.url(), "node-b");
  config_b.node.node_ttl_ms = 60'000;
  BrokerNode a(config_a, /*shards=*/1);  // sam's connection, the channel and sam's home: one shard
  BrokerNode b(config_b);
  a.open(0, 1, "sam");
  REQUIRE(a.subscribe(0, 1, "team").status == Status::kOk);
  // sam's connection closes on node a and its shard is held at once: sam's offline transition in
  // "team" and node a leaving sam's nodes are queued behind the hold, not yet written to Redis.
  Gate gate;
  std::promise<void> closed;
  a.runtime().post(0, [&] {
    a.broker().connection_closed(1);
    closed.set_value();
    gate.wait();
  });
  closed.get_future().wait();
  b.open(1, 5, "pat");
  for (int i = 1; i <= 3; ++i) {
    REQUIRE(b.publish(1, "pat", "team", "n" + std::to_string(i)).status == Status::kOk);
  }
  b.open(0, 9, "sam");  // node b reads Redis now: sam is still online on node a there
  // Node b's drain on arrival is done once it either dropped "team" from sam's channels or
  // registered sam for live notification there (node b then owns the channel).
  REQUIRE(eventually([&] {
    return b.metric("redis_broker_channels") == 1 ||
           redis.command({"SISMEMBER", "hw:{u:sam}:m", "team"}).integer() == 0;
  }));
  gate.open();  // node a writes sam offline (from the seq it last handed them) and lets sam go
  REQUIRE(eventually([&] { return b.sink().drained(9).size() >= 3; }));
  CHECK(payloads(b.sink().drained(9)) == std::vector<std::string>{"n1", "n2", "n3"});
  b.publish(1, "pat", "team", "n4");
  REQUIRE(eventually([&] { return !b.sink().notified(9).empty(); }));
  CHECK(payloads(b.sink().notified(9)) == std::vector<std::string>{"n4"});
  CHECK(b.sink().drained(9).size() == 3);  // n4 came live, not drained again
}

TEST_CASE("while Redis is down operations answer unavailable within the deadline") {
  hexwire::testing::RedisServer redis;
  BrokerNode a(broker_config(redis.url(), "node-a"));
  a.open(0, 1, "u");
  REQUIRE(a.subscribe(0, 1, "c").status == Status::kOk);
  REQUIRE(a.publish(1, "u", "c", "before").status == Status::kOk);
  redis.kill();
  const auto start = std::chrono::steady_clock::now();
  const pubsub::PublishAck failed = a.publish(1, "u", "c", "during");
  CHECK(failed.status == Status::kUnavailable);
  a.open(1, 2, "v");
  CHECK(a.subscribe(1, 2, "other").status == Status::kUnavailable);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(4));  // not a hang
  redis.start();
  REQUIRE(eventually([&] { return a.publish(1, "u", "c", "after").status == Status::kOk; }));
  // The subscriber stayed and gets messages again.
  REQUIRE(eventually([&] {
    const auto got = a.sink().received(1);
    return !got.empty() && got.back().data == "after";
  }));
}

TEST_CASE("Redis restarted with AOF loses no acknowledged message and seq continues") {
  hexwire::testing::RedisServerOptions aof;
  aof.append_only = true;
  aof.appendfsync = "always";
  hexwire::testing::RedisServer redis(aof);
  BrokerNode a(broker_config(redis.url(), "node-a"));
  a.open(0, 1, "reader");
  REQUIRE(a.subscribe(0, 1, "durable").status == Status::kOk);
  std::uint64_t last_acked = 0;
  for (int i = 1; i <= 200; ++i) {
    const auto ack = a.publish(i % 2, "w", "durable", std::to_string(i));
    REQUIRE(ack.status == Status::kOk);
    last_acked = ack.seq;
  }
  REQUIRE(last_acked == 200);
  redis.kill();  // SIGKILL: only what the AOF holds survives
  redis.start();
  pubsub::PublishAck next;
  REQUIRE(eventually([&] {
    next = a.publish(1, "w", "durable", "201");
    return next.status == Status::kOk;
  }));
  CHECK(next.seq == 201);  // same epoch: the sequence goes on
  // Shard 0 reconnects on its own schedule (backoff): read once its connection is back.
  std::optional<pubsub::HistoryResult> all;
  REQUIRE(eventually([&] {
    all = a.call<pubsub::HistoryResult>(0, [&](auto done) {
      return a.broker().history("durable", 0, 1000, std::move(done));
    });
    return all.has_value() && all->status == Status::kOk;
  }));
  CHECK(all->recovered);
  REQUIRE(all->messages.size() == 201);
  for (std::size_t i = 0; i < all->messages.size(); ++i) {
    CHECK(all->messages[i]->seq == i + 1);
    CHECK(all->messages[i]->payload.view() == std::to_string(i + 1));
  }
  // The subscriber that stayed connected got every message once, in order.
  REQUIRE(eventually([&] { return a.sink().received(1).size() >= 201; }));
  CHECK(seqs(a.sink().received(1)) == range(1, 201));
}

TEST_CASE("subscribes waiting while Redis stalls past the command deadline complete, each channel "
          "subscribed once") {
  hexwire::testing::RedisServer redis;
  BrokerNode a(quick_deadlines(redis.url(), 10'000'000'000));
  REQUIRE(eventually([&] { return a.run_on(0, [&] { return a.broker().connected(); }); }));
  // 1.5 s: several command deadlines (400 ms); within the join timeout (10 s).
  auto replies = subscribe_during_pause(redis, a, 1'500, "stall");
  REQUIRE(eventually([&] { return replies->size() == kJoiners; }));
  CHECK(replies->count(Status::kOk) == kJoiners);
  CHECK(a.metric("redis_broker_channel_subscribes_total") == kChannels);
  CHECK(a.metric("redis_broker_join_timeouts_total") == 0);
  CHECK(a.metric("redis_broker_waiting_joins") == 0);
  // Redis saw one SSUBSCRIBE per channel (plus the node's inbox) and no SUNSUBSCRIBE.
  CHECK(command_calls(redis, "ssubscribe") <= kChannels + 1);
  CHECK(command_calls(redis, "sunsubscribe") == 0);
  // And they are live: a message reaches every subscriber.
  REQUIRE(a.publish(0, "pub", "stall0", "hello").status == Status::kOk);
  CHECK(eventually([&] { return a.sink().received(100).size() == 1; }));
}

TEST_CASE("subscribes past the join timeout fail once - the channel stays subscribed for the next") {
  hexwire::testing::RedisServer redis;
  BrokerNode a(quick_deadlines(redis.url(), 600'000'000));
  REQUIRE(eventually([&] { return a.run_on(0, [&] { return a.broker().connected(); }); }));
  auto replies = subscribe_during_pause(redis, a, 2'000, "late");
  REQUIRE(eventually([&] { return replies->size() == kJoiners; }));
  CHECK(replies->count(Status::kUnavailable) == kJoiners);
  CHECK(a.metric("redis_broker_join_timeouts_total") == kJoiners);
  CHECK(a.metric("redis_broker_waiting_joins") == 0);
  // Redis answers again: the subscriptions asked for during the stall went live on their own, and
  // the same connections subscribe again without a new Redis subscription.
  REQUIRE(eventually([&] { return command_calls(redis, "ssubscribe") >= kChannels + 1; }));
  auto again = std::make_shared<BrokerNode::Replies>();
  for (int i = 0; i < kJoiners; ++i) {
    a.subscribe_async(i % 2, 100 + i, "late" + std::to_string(i % kChannels), again);
  }
  REQUIRE(eventually([&] { return again->size() == kJoiners; }));
  CHECK(again->count(Status::kOk) == kJoiners);
  CHECK(a.metric("redis_broker_channel_subscribes_total") == kChannels);
  CHECK(command_calls(redis, "ssubscribe") <= kChannels + 1);
  CHECK(command_calls(redis, "sunsubscribe") == 0);
}

TEST_CASE("a Redis stall past the command deadline fails only the late operations - the "
          "connection and every subscription stay") {
  hexwire::testing::RedisServer redis;
  BrokerNode a(quick_deadlines(redis.url(), 10'000'000'000));  // 400 ms command deadline
  for (int i = 0; i < 4; ++i) {
    a.open(i % 2, 1 + i, "user" + std::to_string(i));
    REQUIRE(a.subscribe(i % 2, 1 + i, "kept" + std::to_string(i)).status == Status::kOk);
  }
  const long long ssubscribes = command_calls(redis, "ssubscribe");
  // Redis runs nothing for 0.9 s: a publish sent at once waits past its deadline, one sent 0.6 s
  // later is answered within its own (before the fix the first one's deadline dropped the
  // connection and failed the second with it).
  REQUIRE(redis.command({"CLIENT", "PAUSE", "900", "ALL"}).str() == "OK");
  auto late = std::async(std::launch::async, [&] {
    return a.call<pubsub::PublishAck>(0, [&](auto done) {
      return a.broker().publish("p", "kept0", core::SharedBuffer::copy_of("1"), std::move(done));
    });
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  const pubsub::PublishAck behind = a.publish(0, "p", "kept0", "2");
  const auto first = late.get();
  REQUIRE(first.has_value());
  CHECK(first->status == Status::kUnavailable);  // late: it may still have run (it did)
  CHECK(behind.status == Status::kOk);
  REQUIRE(a.publish(1, "p", "kept0", "3").status == Status::kOk);
  // The subscriber got all three, once and in order: its subscription was never interrupted.
  REQUIRE(eventually([&] { return a.sink().received(1).size() >= 3; }));
  CHECK(seqs(a.sink().received(1)) == range(1, 3));
  CHECK(a.metric("redis_commands_timed_out_total") >= 1);
  CHECK(eventually([&] { return a.metric("redis_late_replies_total") >= 1; }));
  CHECK(a.metric("redis_connections_unresponsive_total") == 0);
  CHECK(a.metric("redis_connections_lost_total") == 0);
  CHECK(a.metric("redis_broker_catch_ups_total") == 0);
  CHECK(command_calls(redis, "ssubscribe") == ssubscribes);
  CHECK(command_calls(redis, "sunsubscribe") == 0);
  for (int i = 1; i < 4; ++i) {
    REQUIRE(a.publish(0, "p", "kept" + std::to_string(i), "x").status == Status::kOk);
    CHECK(eventually([&] { return a.sink().received(1 + i).size() == 1; }));
  }
}

TEST_CASE("a cold Redis runs the scripts of many subscribes sent at once without NOSCRIPT") {
  hexwire::testing::RedisServer redis;
  BrokerNode a(broker_config(redis.url(), "node-a"));
  auto replies = std::make_shared<BrokerNode::Replies>();
  for (int i = 0; i < 200; ++i) {
    a.open(i % 2, 1'000 + i, "cold" + std::to_string(i));
    a.subscribe_async(i % 2, 1'000 + i, "cold" + std::to_string(i % 50), replies);
  }
  REQUIRE(eventually([&] { return replies->size() == 200; }));
  CHECK(replies->count(Status::kOk) == 200);
  CHECK(command_calls(redis, "evalsha") >= 200);
  // Loaded as each connection came up, before its first EVALSHA: none was refused.
  CHECK(redis.command({"INFO", "errorstats"}).str().find("NOSCRIPT") == std::string::npos);
}

// ---- personal channels through the node inboxes ----------------------------------------------

namespace {

RedisBrokerConfig personal_config(const std::string& url, const std::string& node) {
  RedisBrokerConfig config = broker_config(url, node);
  config.pubsub.personal_channel_prefix = "user:";
  return config;
}

/// True once `node` is in `user`'s node hash: its attach ran in Redis.
bool attached(const hexwire::testing::RedisServer& redis, const std::string& user,
              const std::string& node) {
  return redis.command({"HEXISTS", "hw:{u:" + user + "}:n", node}).integer() == 1;
}

}  // namespace

TEST_CASE("a personal message reaches the user's connections on two nodes in order with no "
          "Redis subscription or join per connection") {
  hexwire::testing::RedisServer redis;
  BrokerNode a(personal_config(redis.url(), "node-a"));
  BrokerNode b(personal_config(redis.url(), "node-b"));
  CHECK(a.broker().delivers_personal_channels());
  a.open(0, 1, "sam");
  a.open(1, 2, "sam");
  b.open(1, 3, "sam");
  REQUIRE(eventually([&] { return attached(redis, "sam", "node-a") && attached(redis, "sam", "node-b"); }));
  for (int i = 1; i <= 40; ++i) {
    const auto ack = (i % 2 ? a : b).publish(i % 2, "engine", "user:sam", "p" + std::to_string(i));
    REQUIRE(ack.status == Status::kOk);
    CHECK(ack.seq == static_cast<std::uint64_t>(i));
  }
  for (const auto& [node, id] : {std::pair{&a, 1}, {&a, 2}, {&b, 3}}) {
    BrokerNode* n = node;
    const auto conn = static_cast<pubsub::SubscriberId>(id);
    REQUIRE(eventually([&] { return n->sink().received(conn).size() >= 40; }));
    const auto got = n->sink().received(conn);
    CHECK(seqs(got) == range(1, 40));
    CHECK(got[6].data == "p7");
    CHECK(got[6].channel == "user:sam");
  }
  // Nothing per connection in Redis: no node subscribed to the personal channel (the only
  // subscriptions are the two node inboxes), no join or presence entry.
  CHECK(redis.command({"PUBSUB", "SHARDNUMSUB", "hw:{user:sam}:p"}).values.at(1) == "0");
  CHECK(command_calls(redis, "ssubscribe") == 2);
  CHECK(redis.command({"EXISTS", "hw:{user:sam}:n", "hw:{user:sam}:z", "hw:{u:sam}:m"}).integer() == 0);
  // The user is a member of their channel without joining: reads work and sync across nodes.
  auto read = a.call<pubsub::ReadResult>(0, [&](auto done) {
    return a.broker().mark_read(1, "user:sam", 30, std::move(done));
  });
  CHECK(pubsub::to_string(read->status) == "ok");
  CHECK(read->seq == 30);
  CHECK(read->unread == 10);
  REQUIRE(eventually([&] { return !b.sink().reads(3).empty(); }));
  CHECK(b.sink().reads(3) == std::vector<std::string>{"user:sam@30"});
  // History of the personal channel still reads the stream.
  auto history = b.call<pubsub::HistoryResult>(0, [&](auto done) {
    return b.broker().history("user:sam", pubsub::HistoryQuery{35, 10, std::nullopt},
                              std::move(done));
  });
  REQUIRE(history->messages.size() == 5);
  CHECK(history->messages.front()->seq == 36);
}

TEST_CASE("a user connecting on a node that just started gets the personal messages published "
          "after its connection is registered") {
  hexwire::testing::RedisServer redis;
  BrokerNode a(personal_config(redis.url(), "node-a"));
  a.open(0, 1, "kai");
  REQUIRE(eventually([&] { return attached(redis, "kai", "node-a"); }));
  a.publish(0, "engine", "user:kai", "before");
  BrokerNode c(personal_config(redis.url(), "node-c"));  // joins now
  c.open(1, 7, "kai");  // at once: the attach waits for node c's inbox and heartbeat
  REQUIRE(eventually([&] { return attached(redis, "kai", "node-c"); }));
  for (int i = 2; i <= 6; ++i) {
    a.publish(i % 2, "engine", "user:kai", "m" + std::to_string(i));
  }
  REQUIRE(eventually([&] { return c.sink().received(7).size() >= 5; }));
  CHECK(seqs(c.sink().received(7)) == range(2, 6));  // not the one before, nothing twice
  CHECK(c.sink().drained(7).empty());  // kai was online on node a: nothing missed
  REQUIRE(eventually([&] { return a.sink().received(1).size() >= 6; }));
  CHECK(seqs(a.sink().received(1)) == range(1, 6));
}

TEST_CASE("personal messages published while the user is offline are drained at their next "
          "connection then delivered live without a duplicate") {
  hexwire::testing::RedisServer redis;
  BrokerNode a(personal_config(redis.url(), "node-a"));
  BrokerNode b(personal_config(redis.url(), "node-b"));
  a.open(0, 1, "lee");
  REQUIRE(eventually([&] { return attached(redis, "lee", "node-a"); }));
  a.publish(0, "engine", "user:lee", "live");
  REQUIRE(eventually([&] { return a.sink().received(1).size() == 1; }));
  a.close(0, 1);
  REQUIRE(eventually([&] { return !attached(redis, "lee", "node-a"); }));
  for (int i = 2; i <= 4; ++i) {
    b.publish(1, "engine", "user:lee", "off" + std::to_string(i));
  }
  b.open(0, 9, "lee");  // back, on the other node
  REQUIRE(eventually([&] { return b.sink().drained(9).size() == 3; }));
  const auto drained = b.sink().drained(9);
  CHECK(seqs(drained) == range(2, 4));  // oldest first, not the one delivered live before
  b.publish(1, "engine", "user:lee", "again");
  REQUIRE(eventually([&] { return b.sink().received(9).size() == 1; }));
  CHECK(b.sink().received(9).front().seq == 5);
  // A second connection on the same node later drains nothing: the offline episode ended.
  b.open(1, 10, "lee");
  b.publish(0, "engine", "user:lee", "both");
  REQUIRE(eventually([&] { return b.sink().received(10).size() == 1; }));
  CHECK(b.sink().drained(10).empty());
  REQUIRE(eventually([&] { return b.sink().received(9).size() == 2; }));
  CHECK(seqs(b.sink().received(9)) == std::vector<std::uint64_t>{5, 6});
}
