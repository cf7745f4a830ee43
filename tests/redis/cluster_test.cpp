// RedisClient against a real 3-master Redis Cluster (redis-server --cluster-enabled yes, joined by
// redis-cli --cluster create): commands land on the master that serves their slot, a moved slot
// is followed (MOVED) and remembered, a slot being migrated is followed for one command (ASK),
// hash-tagged scripts run on the right node, and sharded subscriptions (SSUBSCRIBE/SPUBLISH)
// follow their slot when it moves.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "client_helpers.hpp"
#include "redis/client.hpp"
#include "redis_server.hpp"

using namespace hexwire;
using namespace hexwire::redis;
using testing::ReactorLoop;
using testing::record;
using testing::RedisCluster;
using testing::ReplyRecord;
using testing::SubscriptionRecorder;

namespace {

ReplyRecord run(ReactorLoop& loop, RedisClient& client, const std::vector<std::string>& args) {
  ReplyRecord out = testing::run_command(loop, client, args);
  REQUIRE(out.done);
  return out;
}

// A key whose slot the given node serves.
std::string key_on(RedisCluster& cluster, unsigned node, int start) {
  for (int i = start;; ++i) {
    std::string key = "key" + std::to_string(i);
    if (cluster.owner_of(key_slot(key)) == node) {
      return key;
    }
  }
}

}  // namespace

TEST_CASE("commands follow slots - MOVED and ASK in a 3-master cluster") {
  RedisCluster cluster(3);
  ReactorLoop loop;
  ClientConfig config;
  config.target = parse_target(cluster.url());
  RedisClient client(loop.reactor(), loop.timers(), config);

  // Our slot function agrees with the servers'.
  for (const char* key : {"foo", "hw:{general}:s", "user:42", "{x}y"}) {
    CHECK(cluster.node(0).command({"CLUSTER", "KEYSLOT", key}).integer() == key_slot(key));
  }
  // 300 keys over all slots: each lands on the master that serves it.
  for (int i = 0; i < 300; ++i) {
    const std::string key = "k" + std::to_string(i);
    ReplyRecord set = run(loop, client, {"SET", key, std::to_string(i)});
    REQUIRE(set.status == RedisStatus::kOk);
    REQUIRE(set.text == "OK");
    const unsigned owner = cluster.owner_of(key_slot(key));
    CHECK(cluster.node(owner).command({"GET", key}).str() == std::to_string(i));
  }
  CHECK(client.node_count() == 3);

  // MOVED: the slot of `moving` goes to another node; the client follows and remembers.
  const std::string moving = key_on(cluster, 0, 1000);
  REQUIRE(run(loop, client, {"SET", moving, "before"}).text == "OK");
  const std::uint16_t slot = key_slot(moving);
  cluster.move_slot(slot, 1);
  const std::uint64_t moved_before = client.stats().moved;
  CHECK(run(loop, client, {"GET", moving}).text == "before");
  CHECK(client.stats().moved == moved_before + 1);
  CHECK(client.node_for_slot(slot) == cluster.node(1).address());
  CHECK(run(loop, client, {"GET", moving}).text == "before");
  CHECK(client.stats().moved == moved_before + 1);  // no second redirect

  // ASK: during a migration, a key missing on the source is served by the target.
  const std::string staying = key_on(cluster, 2, 5000);
  const std::uint16_t migrating = key_slot(staying);
  REQUIRE(run(loop, client, {"SET", staying, "old"}).text == "OK");
  cluster.begin_migration(migrating, 0);
  std::string fresh;
  for (int i = 0;; ++i) {
    fresh = "{" + staying + "}n" + std::to_string(i);
    if (key_slot(fresh) == migrating) {
      break;
    }
  }
  const std::uint64_t asked_before = client.stats().asked;
  CHECK(run(loop, client, {"SET", fresh, "new"}).text == "OK");
  CHECK(client.stats().asked > asked_before);
  CHECK(run(loop, client, {"GET", staying}).text == "old");  // still on the source
  CHECK(cluster.node(0)
            .command({"CLUSTER", "COUNTKEYSINSLOT", std::to_string(migrating)})
            .integer() == 1);
  cluster.finish_migration(migrating, 0);
  CHECK(run(loop, client, {"GET", fresh}).text == "new");
  CHECK(run(loop, client, {"GET", staying}).text == "old");

  // A script with hash-tagged keys runs where its slot lives, on every node.
  static const Script kPair(
      "redis.call('SET', KEYS[1], ARGV[1]); "
      "return redis.call('INCR', KEYS[2])");
  for (unsigned node = 0; node < 3; ++node) {
    const std::string tag = key_on(cluster, node, 9000);
    const std::string a = "{" + tag + "}:a";
    const std::string b = "{" + tag + "}:b";
    const std::string_view keys[] = {a, b};
    const std::string_view args[] = {"x"};
    ReplyRecord w;
    client.run_script(kPair, keys, args, record(w));
    REQUIRE(loop.run_until([&] { return w.done; }));
    CHECK_FALSE(w.error);
    CHECK(cluster.node(cluster.owner_of(key_slot(a))).command({"GET", a}).str() == "x");
  }
}

TEST_CASE("sharded subscriptions live on their slot's master and follow a moved slot") {
  RedisCluster cluster(3);
  ReactorLoop loop;
  SubscriptionRecorder messages;
  ClientConfig config;
  config.target = parse_target(cluster.url());
  RedisClient client(loop.reactor(), loop.timers(), config, &messages);
  std::vector<std::string> channels;
  for (unsigned node = 0; node < 3; ++node) {
    channels.push_back("{" + key_on(cluster, node, 100 * static_cast<int>(node)) + "}:ch");
  }
  for (const auto& channel : channels) {
    client.subscribe(channel);
  }
  REQUIRE(loop.run_until([&] {
    return std::all_of(channels.begin(), channels.end(),
                       [&](const std::string& c) { return client.subscription_active(c); });
  }));
  REQUIRE(client.sharded_pubsub());
  for (unsigned node = 0; node < 3; ++node) {  // one channel per master
    CHECK(cluster.owner_of(key_slot(channels[node])) == node);
  }
  for (const auto& channel : channels) {
    ReplyRecord w = run(loop, client, {"SPUBLISH", channel, "one"});
    CHECK(w.text.empty());  // an integer reply: receivers on that shard
  }
  REQUIRE(loop.run_until([&] {
    return std::all_of(channels.begin(), channels.end(),
                       [&](const std::string& c) { return messages.saw(c + "=one"); });
  }));

  // Moving the slot makes its master drop the subscription (sunsubscribe push); the client
  // reports the interruption, re-subscribes on the new owner and receives again.
  const std::string& moved = channels[0];
  cluster.move_slot(key_slot(moved), 2);
  REQUIRE(loop.run_until([&] { return messages.saw("-" + moved); }));
  REQUIRE(loop.run_until([&] { return client.subscription_active(moved); }));
  CHECK(std::count(messages.events.begin(), messages.events.end(), "+" + moved) == 2);
  run(loop, client, {"SPUBLISH", moved, "two"});
  REQUIRE(loop.run_until([&] { return messages.saw(moved + "=two"); }));
}
