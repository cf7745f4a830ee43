// The channel scripts against a real redis-server (and a 3-master cluster): sequencing with
// epochs, the stream as history with approximate capping, resume and recovered:false, members
// and read cursors, cross-node presence with the frames it publishes, offline members (TTL, cap,
// missed notifications) and durability across a kill -9 with appendfsync always.
#include <catch2/catch.hpp>

#include <string>
#include <thread>
#include <vector>

#include "client_helpers.hpp"
#include "reactor_loop.hpp"
#include "redis_server.hpp"
#include "scaleout/channel_store.hpp"

using namespace hexwire;
using namespace hexwire::scaleout;
using testing::ReactorLoop;
using testing::RedisServer;

namespace {

constexpr std::uint64_t kEpochA = 0x5e1f03a9c2b8d047ull;
constexpr std::uint64_t kEpochB = 0x0123456789abcdefull;

redis::ClientConfig client_config(const std::string& url) {
  redis::ClientConfig config;
  config.target = redis::parse_target(url);
  return config;
}

// Runs one store call to completion on the loop and returns its result.
template <typename Result, typename Call>
Result wait(ReactorLoop& loop, Call call) {
  std::optional<Result> out;
  call([&out](Result&& r) { out = std::move(r); });
  REQUIRE(loop.run_until([&] { return out.has_value(); }));
  return std::move(*out);
}

struct Fixture {
  explicit Fixture(ChannelLimits limits = {}, const std::string& url = "")
      : client(loop.reactor(), loop.timers(), client_config(url.empty() ? server.url() : url),
               &frames),
        store(client, std::move(limits)) {}

  PublishResult publish(std::string_view channel, std::string_view from, std::string_view data,
                        std::uint64_t epoch = kEpochA) {
    return wait<PublishResult>(
        loop, [&](auto done) { store.publish(channel, from, data, 7, epoch, std::move(done)); });
  }
  OpenResult open(std::string_view channel, OpenRequest request, std::uint64_t epoch = kEpochA) {
    return wait<OpenResult>(
        loop, [&](auto done) { store.open(channel, request, epoch, std::move(done)); });
  }
  RangeResult range(std::string_view channel, std::uint64_t since, std::size_t limit,
                    std::optional<std::uint64_t> until = std::nullopt,
                    std::uint64_t since_epoch = 0) {
    return wait<RangeResult>(loop, [&](auto done) {
      store.range(channel, since, since_epoch, limit, until, std::move(done));
    });
  }
  PresenceUpdate presence(std::string_view channel, std::string_view user, std::string_view node,
                          PresenceKind kind) {
    return wait<PresenceUpdate>(
        loop, [&](auto done) { store.presence(channel, user, node, kind, std::move(done)); });
  }
  ReadCursorResult mark_read(std::string_view channel, std::string_view user, std::uint64_t seq) {
    return wait<ReadCursorResult>(
        loop, [&](auto done) { store.mark_read(channel, user, seq, std::move(done)); });
  }
  OfflineDrain drain(std::string_view channel, std::string_view user, std::size_t limit = 100,
                     std::optional<std::uint64_t> until = std::nullopt,
                     ChannelStore::DrainMode mode = ChannelStore::DrainMode::kDrain) {
    return wait<OfflineDrain>(
        loop, [&](auto done) {
          store.drain_offline(channel, user, limit, mode, until, std::move(done));
        });
  }
  // Frames received on `channel`'s shard channel, parsed.
  std::vector<ChannelFrame> frames_of(std::string_view channel) {
    std::vector<ChannelFrame> out;
    const std::string prefix = store.shard_channel(channel) + "=";
    for (const std::string& event : frames.events) {
      if (event.starts_with(prefix)) {
        ChannelFrame frame;
        REQUIRE(parse_channel_frame(std::string_view(event).substr(prefix.size()), &frame));
        out.push_back(frame);
      }
    }
    return out;
  }
  void listen(std::string_view channel) {
    const std::string shard = store.shard_channel(channel);
    client.subscribe(shard);
    REQUIRE(loop.run_until([&] { return client.subscription_active(shard); }));
  }

  RedisServer server;
  ReactorLoop loop;
  testing::SubscriptionRecorder frames;
  redis::RedisClient client;
  ChannelStore store;
};

}  // namespace

TEST_CASE("publish sequences per channel in one epoch and sends each message to the nodes") {
  Fixture f;
  f.listen("general");
  for (int i = 1; i <= 5; ++i) {
    const PublishResult r =
        f.publish("general", "u" + std::to_string(i), "{\"n\":" + std::to_string(i) + "}");
    REQUIRE(r.status == StoreStatus::kOk);
    CHECK(r.seq == static_cast<std::uint64_t>(i));
    CHECK(r.epoch == kEpochA);
    CHECK(r.ts_us > 1'700'000'000'000'000);
  }
  // Another channel has its own sequence; a later candidate epoch does not replace the first.
  CHECK(f.publish("random", "u1", "1", kEpochB).seq == 1);
  CHECK(f.publish("general", "u1", "x", kEpochB).epoch == kEpochA);
  // The stream's entry ids are the seqs.
  const auto ids = f.server.command({"XRANGE", "hw:{general}:l", "-", "+"});
  CHECK(ids.values[0] == "1-0");
  REQUIRE(f.loop.run_until([&] { return f.frames_of("general").size() == 6; }));
  const auto frames = f.frames_of("general");
  for (std::size_t i = 0; i < frames.size(); ++i) {
    CHECK(frames[i].kind == ChannelFrame::Kind::kMessage);
    CHECK(frames[i].epoch == kEpochA);
    CHECK(frames[i].message.seq == i + 1);
  }
  CHECK(frames[2].message.from == "u3");
  CHECK(frames[2].message.data == "{\"n\":3}");
  CHECK(frames[2].message.kind == 7);
  CHECK(f.frames_of("random").empty());  // not subscribed
}

TEST_CASE(
    "the stream is the history - capped approximately - and resume beyond it is unrecovered") {
  ChannelLimits limits;
  limits.history_max_messages = 100;
  Fixture f(limits);
  for (int i = 1; i <= 1000; ++i) {
    REQUIRE(f.publish("c", "u", std::to_string(i)).seq == static_cast<std::uint64_t>(i));
  }
  const long long length = f.server.command({"XLEN", "hw:{c}:l"}).integer();
  CHECK(length >= 100);
  CHECK(length < 300);  // MAXLEN ~ trims whole stream nodes (100 entries each)

  OpenResult resumed = f.open("c", {.user = "v", .since = 990});
  CHECK(resumed.recovered);
  CHECK(resumed.seq == 1000);
  REQUIRE(resumed.backlog.size() == 10);
  CHECK(resumed.backlog.front().seq == 991);
  CHECK(resumed.backlog.back().data == "1000");
  CHECK(f.open("c", {.user = "v", .since = 1}).recovered == false);
  CHECK(f.open("c", {.user = "v", .since = 1000}).backlog.empty());
  CHECK(f.open("c", {.user = "v", .since = 1001}).recovered == false);  // ahead of the channel
  CHECK(f.open("c", {.user = "v", .since = 995, .since_epoch = kEpochB}).recovered == false);
  CHECK(f.open("c", {.user = "v", .since = 995, .since_epoch = kEpochA}).backlog.size() == 5);

  RangeResult page = f.range("c", 950, 20);
  CHECK(page.recovered);
  CHECK(page.last_seq == 1000);
  REQUIRE(page.messages.size() == 20);
  CHECK(page.messages.front().seq == 951);
  CHECK(f.range("c", 950, 100, 960).messages.size() == 10);  // bounded by `until`
  RangeResult trimmed = f.range("c", 0, 5);
  CHECK_FALSE(trimmed.recovered);
  CHECK(trimmed.messages.front().seq > 1);  // starts at the oldest retained
  CHECK(f.range("nothing", 0, 5).epoch == 0);
}

TEST_CASE("lost channel state starts a new epoch at seq 1") {
  Fixture f;
  f.publish("c", "u", "a");
  f.publish("c", "u", "b");
  f.server.command({"DEL", "hw:{c}:m"});  // e.g. the keys expired
  const PublishResult r = f.publish("c", "u", "c", kEpochB);
  CHECK(r.seq == 1);
  CHECK(r.epoch == kEpochB);
  CHECK(f.range("c", 0, 10).messages.size() == 1);  // the old stream was wiped
  CHECK(f.open("c", {.user = "v", .since = 2, .since_epoch = kEpochA}).recovered == false);
}

TEST_CASE("members - read cursors and unread counts - and the member cap") {
  ChannelLimits limits;
  limits.max_members = 2;
  Fixture f(limits);
  CHECK(f.mark_read("c", "alice", 1).status == StoreStatus::kNotMember);
  OpenResult alice = f.open("c", {.user = "alice"});
  CHECK(alice.status == StoreStatus::kOk);
  CHECK(alice.unread == 0);
  for (int i = 0; i < 5; ++i) {
    f.publish("c", "bob", "m");
  }
  CHECK(f.open("c", {.user = "alice", .join = false}).unread == 5);
  ReadCursorResult read = f.mark_read("c", "alice", 3);
  CHECK(read.cursor == 3);
  CHECK(read.unread == 2);
  CHECK(f.mark_read("c", "alice", 2).cursor == 3);   // never backwards
  CHECK(f.mark_read("c", "alice", 99).cursor == 5);  // clamped to the last seq
  CHECK(f.open("c", {.user = "bob"}).status == StoreStatus::kOk);
  CHECK(f.open("c", {.user = "carol"}).status == StoreStatus::kChannelFull);
  CHECK(f.open("c", {.user = "carol", .join = false}).status == StoreStatus::kOk);  // a reader
}

TEST_CASE("presence across nodes - a user joins with their first node and leaves with the last") {
  Fixture f;
  f.listen("c");
  f.open("c", {.user = "ann"});
  CHECK(f.presence("c", "ann", "nodeA", PresenceKind::kOnline).changed);
  CHECK_FALSE(f.presence("c", "ann", "nodeB", PresenceKind::kOnline).changed);
  CHECK_FALSE(f.presence("c", "ann", "nodeA", PresenceKind::kOnline).changed);  // idempotent
  CHECK_FALSE(f.presence("c", "ann", "nodeA", PresenceKind::kOffline).changed);
  const PresenceUpdate gone = f.presence("c", "ann", "nodeB", PresenceKind::kOffline);
  CHECK(gone.changed);
  CHECK(gone.online == 0);
  CHECK(f.open("c", {.user = "ann", .join = false}).status == StoreStatus::kOk);
  CHECK(f.server.command({"HEXISTS", "hw:{c}:b", "ann"}).integer() == 1);  // offline member
  CHECK(f.server.command({"ZSCORE", "hw:{c}:o", "ann"}).str() != "(nil)");

  f.presence("c", "ann", "nodeA", PresenceKind::kOnline);
  CHECK(f.presence("c", "ann", "nodeA", PresenceKind::kLeave).changed);
  CHECK(f.server.command({"HEXISTS", "hw:{c}:b", "ann"}).integer() == 0);  // membership ended
  REQUIRE(f.loop.run_until([&] { return f.frames_of("c").size() == 4; }));
  const auto frames = f.frames_of("c");
  CHECK(frames[0].kind == ChannelFrame::Kind::kJoin);
  CHECK(frames[0].user == "ann");
  CHECK(frames[0].online == 1);
  CHECK(frames[1].kind == ChannelFrame::Kind::kLeave);
  CHECK(frames[1].online == 0);

  // Paging in name order with the total count; a dead node's users go offline.
  for (const char* user : {"dora", "bea", "cy", "al", "ed"}) {
    f.open("c", {.user = user});
    f.presence("c", user, std::string_view(user) == "cy" ? "nodeB" : "nodeA",
               PresenceKind::kOnline);
  }
  PresencePage first = wait<PresencePage>(
      f.loop, [&](auto done) { f.store.presence_page("c", "", 2, std::move(done)); });
  CHECK(first.online == 5);
  CHECK(first.users == std::vector<std::string>{"al", "bea"});
  PresencePage next = wait<PresencePage>(
      f.loop, [&](auto done) { f.store.presence_page("c", "bea", 10, std::move(done)); });
  CHECK(next.users == std::vector<std::string>{"cy", "dora", "ed"});
  CHECK(wait<StoreStatus>(f.loop, [&](auto done) {
          f.store.node_gone("c", "nodeA", std::move(done));
        }) == StoreStatus::kOk);
  PresencePage after = wait<PresencePage>(
      f.loop, [&](auto done) { f.store.presence_page("c", "", 10, std::move(done)); });
  CHECK(after.users == std::vector<std::string>{"cy"});
}

TEST_CASE("offline members - missed notifications - the cap and the TTL") {
  ChannelLimits limits;
  limits.max_offline_members = 2;
  Fixture f(limits);
  for (const char* user : {"u1", "u2", "u3"}) {
    f.open("c", {.user = user});
    f.presence("c", user, "n", PresenceKind::kOnline);
  }
  f.presence("c", "u1", "n", PresenceKind::kOffline);
  f.publish("c", "u2", "a");
  f.publish("c", "u1", "own");  // the user's own message is not a notification
  f.publish("c", "u3", "b");
  OfflineDrain drained = f.drain("c", "u1");
  CHECK(drained.epoch == kEpochA);
  CHECK(drained.drained);
  CHECK(drained.missed == 2);  // the user's own message is not counted
  REQUIRE(drained.newest.size() == 2);
  CHECK(drained.newest[0].data == "b");  // newest first
  CHECK(drained.newest[1].data == "a");
  CHECK(f.drain("c", "u1").newest.empty());  // drained
  OfflineDrain online = f.drain("c", "u2");  // online: nothing to drain, still a member
  CHECK(online.epoch == kEpochA);
  CHECK_FALSE(online.drained);
  CHECK(online.newest.empty());
  CHECK(f.drain("c", "nobody").epoch == 0);   // not a member
  // A check only, or a drain up to a seq, leaves the rest queued.
  f.publish("c", "u2", "c1");
  f.publish("c", "u2", "c2");
  OfflineDrain checked = f.drain("c", "u1", 100, std::nullopt, ChannelStore::DrainMode::kCheck);
  CHECK(checked.epoch == kEpochA);
  CHECK_FALSE(checked.drained);
  OfflineDrain first = f.drain("c", "u1", 100, checked.seq - 1);
  REQUIRE(first.newest.size() == 1);
  CHECK(first.newest[0].data == "c1");
  CHECK(first.seq == checked.seq - 1);
  OfflineDrain rest = f.drain("c", "u1");
  REQUIRE(rest.newest.size() == 1);
  CHECK(rest.newest[0].data == "c2");

  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  f.presence("c", "u2", "n", PresenceKind::kOffline);
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  f.presence("c", "u3", "n", PresenceKind::kOffline);  // third offline member: u1 (oldest) ends
  CHECK(f.server.command({"HEXISTS", "hw:{c}:b", "u1"}).integer() == 0);
  CHECK(f.server.command({"ZCARD", "hw:{c}:o"}).integer() == 2);

  ChannelLimits short_ttl;
  short_ttl.offline_member_ttl_ms = 1;
  Fixture g(short_ttl);
  g.open("c", {.user = "gone"});
  g.presence("c", "gone", "n", PresenceKind::kOnline);
  g.presence("c", "gone", "n", PresenceKind::kOffline);
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  g.publish("c", "x", "y");  // publishes expire offline members past the TTL
  CHECK(g.server.command({"HEXISTS", "hw:{c}:b", "gone"}).integer() == 0);
}

TEST_CASE(
    "with appendfsync always nothing acknowledged is lost across kill -9 and the epoch stays") {
  testing::RedisServerOptions options;
  options.append_only = true;
  options.appendfsync = "always";
  RedisServer durable(options);
  ReactorLoop loop;
  redis::RedisClient client(loop.reactor(), loop.timers(), client_config(durable.url()));
  ChannelStore store(client, {});
  std::uint64_t acked = 0;
  std::uint64_t epoch = 0;
  for (int i = 0; i < 200; ++i) {
    store.publish("c", "u", std::to_string(i), 0, kEpochA, [&](PublishResult&& r) {
      if (r.status == StoreStatus::kOk) {
        acked = std::max(acked, r.seq);
        epoch = r.epoch;
      }
    });
  }
  REQUIRE(loop.run_until([&] { return acked == 200; }));
  durable.kill();
  durable.start();
  std::optional<PublishResult> next;
  REQUIRE(loop.run_until([&] {
    if (!next || next->status != StoreStatus::kOk) {
      next.reset();
      store.publish("c", "u", "after", 0, kEpochB, [&](PublishResult&& r) { next = std::move(r); });
      loop.run_until([&] { return next.has_value(); });
    }
    return next->status == StoreStatus::kOk;
  }));
  CHECK(next->seq == 201);
  CHECK(next->epoch == epoch);
  CHECK(durable.command({"XLEN", "hw:{c}:l"}).integer() == 201);
}

TEST_CASE("every script runs on the master of its channel in a 3-master cluster") {
  testing::RedisCluster cluster(3);
  ReactorLoop loop;
  testing::SubscriptionRecorder frames;
  redis::RedisClient client(loop.reactor(), loop.timers(), client_config(cluster.url()), &frames);
  ChannelStore store(client, {});
  std::vector<std::string> channels;
  std::vector<bool> covered(3, false);
  for (int i = 0; channels.size() < 3; ++i) {
    const std::string name = "room" + std::to_string(i);
    const unsigned owner = cluster.owner_of(redis::key_slot(channel_keys("hw", name)[kMeta]));
    if (!covered[owner]) {
      covered[owner] = true;
      channels.push_back(name);
      client.subscribe(store.shard_channel(name));
    }
  }
  REQUIRE(loop.run_until([&] {
    return client.subscription_count() == 3 &&
           client.subscription_active(store.shard_channel(channels[2]));
  }));
  loop.run_until([&] {
    return std::all_of(channels.begin(), channels.end(), [&](const std::string& c) {
      return client.subscription_active(store.shard_channel(c));
    });
  });
  for (const std::string& channel : channels) {
    for (int i = 1; i <= 3; ++i) {
      const auto r = wait<PublishResult>(loop, [&](auto done) {
        store.publish(channel, "u", std::to_string(i), 0, kEpochA, std::move(done));
      });
      CHECK(r.status == StoreStatus::kOk);
      CHECK(r.seq == static_cast<std::uint64_t>(i));
    }
    const auto opened = wait<OpenResult>(loop, [&](auto done) {
      store.open(channel, {.user = "v", .since = 1}, kEpochA, std::move(done));
    });
    CHECK(opened.backlog.size() == 2);
  }
  for (const std::string& channel : channels) {
    const std::string expect = store.shard_channel(channel) + "=";
    REQUIRE(loop.run_until([&] {
      return std::count_if(frames.events.begin(), frames.events.end(),
                           [&](const std::string& e) { return e.starts_with(expect); }) == 3;
    }));
  }
}
