// RedisClient against a real redis-server (started by the test on a free port): pipelined
// commands answered in order and never inline, scripts loaded on NOSCRIPT, pub/sub with
// re-subscription after a restart, and the failure paths: nothing listening (unavailable, then
// recovery with backoff), a server that stops answering (timeout within the deadline, the
// connection dropped after the liveness interval), a late reply that fails only its own command
// (discarded in order, the connection kept), commands queued behind the send window that expire
// unsent, the bound on requests in flight, and admission (a command refused at once while the
// queue's oldest has used half its deadline).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "client_helpers.hpp"
#include "core/clock.hpp"
#include "redis/client.hpp"
#include "redis_server.hpp"

using namespace hexwire;
using namespace hexwire::redis;
using testing::ReactorLoop;
using testing::record;
using testing::RedisServer;
using testing::ReplyRecord;
using testing::SubscriptionRecorder;
using testing::until_ok;

namespace {

ClientConfig config_for(const RedisServer& server, std::uint64_t timeout_ns = 2'000'000'000,
                        std::uint64_t liveness_ns = 5'000'000'000) {
  ClientConfig config;
  config.target = parse_target(server.url());
  config.connection.command_timeout_ns = timeout_ns;
  config.connection.connect_timeout_ns = timeout_ns;
  config.connection.liveness_timeout_ns = liveness_ns;
  return config;
}

}  // namespace

TEST_CASE("pipelined commands are answered in order - never inline") {
  RedisServer server;
  ReactorLoop loop;
  RedisClient client(loop.reactor(), loop.timers(), config_for(server));
  std::vector<long long> answers;
  bool inline_call = false;
  bool in_command = false;
  for (int i = 0; i < 2000; ++i) {
    in_command = true;
    client.command("counter", {"INCR", "counter"}, [&](RedisStatus status, ReplyView reply) {
      inline_call = inline_call || in_command;
      CHECK(status == RedisStatus::kOk);
      answers.push_back(reply.integer());
    });
    in_command = false;
  }
  REQUIRE(loop.run_until([&] { return answers.size() == 2000; }));
  CHECK_FALSE(inline_call);
  for (std::size_t i = 0; i < answers.size(); ++i) {
    REQUIRE(answers[i] == static_cast<long long>(i + 1));
  }
  ReplyRecord wrong;
  client.command("counter", {"LPUSH", "counter", "x"}, record(wrong));
  REQUIRE(loop.run_until([&] { return wrong.done; }));
  CHECK(wrong.status == RedisStatus::kOk);  // the server answered...
  CHECK(wrong.error);                       // ...with an error reply
  CHECK(wrong.text.starts_with("WRONGTYPE"));
}

TEST_CASE("scripts run by SHA1 and are loaded again after SCRIPT FLUSH") {
  RedisServer server;
  ReactorLoop loop;
  RedisClient client(loop.reactor(), loop.timers(), config_for(server));
  static const Script kAdd("return redis.call('INCRBY', KEYS[1], ARGV[1])");
  const std::string_view keys[] = {"{s}:n"};
  const std::string_view args[] = {"5"};
  for (int round = 0; round < 3; ++round) {
    ReplyRecord out;
    client.run_script(kAdd, keys, args, record(out));
    REQUIRE(loop.run_until([&] { return out.done; }));
    CHECK_FALSE(out.error);
    CHECK(out.integer == 5 * (round + 1));
    if (round == 1) {
      server.command({"SCRIPT", "FLUSH"});
    }
  }
  CHECK(client.stats().scripts_loaded == 2);  // first use, and after the flush
}

TEST_CASE("subscriptions deliver in order and come back after a server restart") {
  RedisServer server;
  ReactorLoop loop;
  SubscriptionRecorder recorder;
  RedisClient client(loop.reactor(), loop.timers(), config_for(server), &recorder);
  client.subscribe("news");
  client.subscribe("news");  // idempotent
  REQUIRE(loop.run_until([&] { return client.subscription_active("news"); }));
  for (int i = 0; i < 50; ++i) {
    client.command("", {client.publish_command(), "news", std::to_string(i)}, nullptr);
  }
  REQUIRE(loop.run_until([&] { return recorder.saw("news=49"); }));
  std::vector<std::string> messages;
  for (const auto& event : recorder.events) {
    if (event.starts_with("news=")) {
      messages.push_back(event.substr(5));
    }
  }
  REQUIRE(messages.size() == 50);
  for (int i = 0; i < 50; ++i) {
    CHECK(messages[static_cast<std::size_t>(i)] == std::to_string(i));
  }

  server.kill();
  REQUIRE(loop.run_until([&] { return recorder.saw("-news"); }));
  CHECK_FALSE(client.subscription_active("news"));
  server.start();
  REQUIRE(loop.run_until([&] { return client.subscription_active("news"); }));
  // The command connection reconnects on its own schedule: publish once it is back.
  CHECK(until_ok(loop, client, {std::string(client.publish_command()), "news", "after"}).integer ==
        1);
  REQUIRE(loop.run_until([&] { return recorder.saw("news=after"); }));

  client.unsubscribe("news");
  ReplyRecord published;
  client.command("", {client.publish_command(), "news", "gone"}, record(published));
  REQUIRE(loop.run_until([&] { return published.done; }));
  loop.run_for(50'000'000);
  CHECK_FALSE(recorder.saw("news=gone"));
  CHECK(client.subscription_count() == 0);
}

TEST_CASE("nothing listening - commands fail unavailable - then the client reconnects") {
  RedisServer server;
  const std::uint64_t timeout = 500'000'000;
  ClientConfig config = config_for(server, timeout);
  server.kill();
  ReactorLoop loop;
  RedisClient client(loop.reactor(), loop.timers(), config);
  ReplyRecord first;
  const std::uint64_t start = core::monotonic_ns();
  client.command("k", {"GET", "k"}, record(first));
  REQUIRE(loop.run_until([&] { return first.done; }));
  CHECK(first.status == RedisStatus::kUnavailable);
  CHECK(core::monotonic_ns() - start < 4 * timeout);  // the deadline, not a hang

  server.start();
  const ReplyRecord later = until_ok(loop, client, {"SET", "k", "v"});
  CHECK(later.text == "OK");
  CHECK(client.connected());
}

TEST_CASE("a server that stops answering - commands time out within the deadline") {
  RedisServer server;
  const std::uint64_t timeout = 300'000'000;
  ReactorLoop loop;
  RedisClient client(loop.reactor(), loop.timers(), config_for(server, timeout, 2 * timeout));
  ReplyRecord warm;
  client.command("k", {"SET", "k", "1"}, record(warm));
  REQUIRE(loop.run_until([&] { return warm.done; }));
  REQUIRE(warm.status == RedisStatus::kOk);

  server.pause();
  std::vector<ReplyRecord> stuck(20);
  const std::uint64_t start = core::monotonic_ns();
  for (auto& out : stuck) {
    client.command("k", {"INCR", "k"}, record(out));
  }
  REQUIRE(loop.run_until([&] {
    return std::all_of(stuck.begin(), stuck.end(), [](const ReplyRecord& o) { return o.done; });
  }));
  const std::uint64_t waited = core::monotonic_ns() - start;
  for (const auto& out : stuck) {
    CHECK(out.status == RedisStatus::kTimeout);
  }
  CHECK(waited >= timeout);
  CHECK(waited < 4 * timeout);
  CHECK(client.stats().commands_timed_out == stuck.size());
  // Nothing at all arrives: after the liveness interval the connection is declared dead.
  REQUIRE(loop.run_until([&] { return client.stats().timeouts >= 1; }, 10 * timeout));

  server.resume();
  const ReplyRecord back = until_ok(loop, client, {"GET", "k"});
  // The paused server may still have run the INCRs it had read: their outcome was unknown.
  CHECK(back.integer >= 1);
}

TEST_CASE("a late reply fails only its own command - the ones behind it and the connection stay") {
  RedisServer server;
  const std::uint64_t timeout = 1'000'000'000;
  ReactorLoop loop;
  RedisClient client(loop.reactor(), loop.timers(), config_for(server, timeout));
  REQUIRE(until_ok(loop, client, {"SET", "n", "0"}).text == "OK");
  const std::uint64_t connects = client.stats().connects;

  // Redis runs nothing for 1.3 s: the first INCR waits past its 1 s deadline, the second (sent
  // 0.6 s later) is answered within its own.
  REQUIRE(server.command({"CLIENT", "PAUSE", "1300", "ALL"}).str() == "OK");
  ReplyRecord late;
  ReplyRecord behind;
  client.command("n", {"INCR", "n"}, record(late));
  loop.run_for(600'000'000);
  client.command("n", {"INCR", "n"}, record(behind));
  REQUIRE(loop.run_until([&] { return late.done && behind.done; }));
  CHECK(late.status == RedisStatus::kTimeout);
  REQUIRE(behind.status == RedisStatus::kOk);
  // The late INCR ran (its reply was discarded, not handed to the next command): 2, not 1.
  CHECK(behind.integer == 2);
  ReplyRecord after;
  client.command("n", {"INCR", "n"}, record(after));
  REQUIRE(loop.run_until([&] { return after.done; }));
  CHECK(after.integer == 3);
  const ClientStats stats = client.stats();
  CHECK(stats.commands_timed_out == 1);
  CHECK(stats.late_replies == 1);
  CHECK(stats.timeouts == 0);  // the server kept talking: no liveness drop ...
  CHECK(stats.connects == connects);  // ... and no reconnection
}

TEST_CASE("requests beyond max_in_flight fail overloaded at once - the others complete") {
  RedisServer server;
  ClientConfig config = config_for(server);
  config.connection.max_in_flight = 10;
  ReactorLoop loop;
  RedisClient client(loop.reactor(), loop.timers(), config);
  REQUIRE(until_ok(loop, client, {"SET", "n", "0"}).text == "OK");
  REQUIRE(server.command({"CLIENT", "PAUSE", "300", "ALL"}).str() == "OK");
  std::vector<ReplyRecord> out(15);
  for (auto& o : out) {
    client.command("n", {"INCR", "n"}, record(o));
  }
  // The refused ones are answered before Redis answers anything (it is paused).
  REQUIRE(loop.run_until([&] { return out.back().done; }));
  for (std::size_t i = 10; i < out.size(); ++i) {
    CHECK(out[i].status == RedisStatus::kOverloaded);
  }
  CHECK_FALSE(out.front().done);
  REQUIRE(loop.run_until([&] { return out[9].done; }));
  for (std::size_t i = 0; i < 10; ++i) {
    CHECK(out[i].status == RedisStatus::kOk);
    CHECK(out[i].integer == static_cast<long long>(i + 1));
  }
  CHECK(client.stats().refused == 5);
}

TEST_CASE("commands queued behind max_sent that outlive their deadline never reach Redis") {
  RedisServer server;
  const std::uint64_t timeout = 300'000'000;
  ClientConfig config = config_for(server, timeout);
  config.connection.max_sent = 2;
  ReactorLoop loop;
  RedisClient client(loop.reactor(), loop.timers(), config);
  REQUIRE(until_ok(loop, client, {"SET", "n", "0"}).text == "OK");
  REQUIRE(server.command({"CLIENT", "PAUSE", "600", "ALL"}).str() == "OK");
  std::vector<ReplyRecord> out(6);
  for (auto& o : out) {
    client.command("n", {"INCR", "n"}, record(o));
  }
  REQUIRE(loop.run_until([&] {
    return std::all_of(out.begin(), out.end(), [](const ReplyRecord& o) { return o.done; });
  }));
  for (const auto& o : out) {
    CHECK(o.status == RedisStatus::kTimeout);
  }
  // Only the two on the wire ran; the four still queued were dropped unsent.
  CHECK(until_ok(loop, client, {"GET", "n"}).text == "2");
  const ClientStats stats = client.stats();
  CHECK(stats.commands_timed_out == 6);
  CHECK(stats.expired_queued == 4);
  CHECK(stats.late_replies == 2);
  CHECK(stats.timeouts == 0);
}

TEST_CASE("a command is refused at once while the queue's oldest has used half its deadline") {
  RedisServer server;
  const std::uint64_t timeout = 4'000'000'000;
  ClientConfig config = config_for(server, timeout);
  config.connection.max_sent = 1;
  ReactorLoop loop;
  RedisClient client(loop.reactor(), loop.timers(), config);
  REQUIRE(until_ok(loop, client, {"SET", "n", "0"}).text == "OK");
  // A stopped server answers nothing: one INCR waits on the wire, the next in the queue.
  server.pause();
  ReplyRecord on_wire;
  ReplyRecord queued;
  client.command("n", {"INCR", "n"}, record(on_wire));
  client.command("n", {"INCR", "n"}, record(queued));
  loop.run_for(timeout * 6 / 10);  // the queued one has used more than half of its deadline
  ReplyRecord refused;
  client.command("n", {"INCR", "n"}, record(refused));
  REQUIRE(loop.run_until([&] { return refused.done; }));
  CHECK(refused.status == RedisStatus::kOverloaded);
  CHECK_FALSE(queued.done);  // refused while Redis had answered nothing
  server.resume();
  // The admitted ones complete within their deadline, in order.
  REQUIRE(loop.run_until([&] { return on_wire.done && queued.done; }));
  CHECK(on_wire.status == RedisStatus::kOk);
  CHECK(queued.status == RedisStatus::kOk);
  CHECK(queued.integer == 2);
  CHECK(client.stats().refused == 1);
}
