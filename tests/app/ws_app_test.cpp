// The /ws application over in-memory links on the deterministic FakeExecutor (2 shards): auth and
// access rules, pub/sub with one order for every subscriber, resume with since, own user channel,
// read sync, presence, limits (too_large, rate_limited) and bad input keeping the connection open.
#include <catch2/catch.hpp>

#include <simdjson.h>

#include <limits>
#include <string>
#include <vector>

#include "app/connection_table.hpp"
#include "app/jwt.hpp"
#include "tests/app/ws_app_fixture.hpp"

using namespace hexwire;
using namespace hexwire::app;
using namespace hexwire::app::testing;

namespace {

std::string token(std::string_view claims) {
  return sign_hs256_jwt(claims, kSecret);
}

}  // namespace

TEST_CASE("ops before auth are unauthorized and bad tokens are refused") {
  Fixture f;
  Client& c = f.connect(0);
  f.send(c, R"({"op":"sub","id":1,"channel":"general"})");
  auto e = f.next(c);
  CHECK(Fixture::op_of(e) == "error");
  CHECK(std::string_view(e["code"]) == "unauthorized");
  CHECK(std::int64_t(e["id"]) == 1);
  f.send(c, R"({"op":"auth","id":2,"token":"x.y.z"})");
  e = f.next(c);
  CHECK(std::string_view(e["code"]) == "unauthorized");
  f.send(c, R"({"op":"auth","id":3,"token":")" + token(R"({"sub":"u1","exp":4000000000})") + "\"}");
  e = f.next(c);
  CHECK(Fixture::op_of(e) == "auth");
  CHECK(std::string_view(e["user"]) == "u1");
  f.send(c, R"({"op":"auth","id":4,"user":"u2"})");
  CHECK(std::string_view(f.next(c)["code"]) == "conflict");

  Client& url = f.connect(1, token(R"({"sub":"u5","exp":4000000000})"));
  CHECK(std::string_view(f.next(url)["user"]) == "u5");
  Client& expired = f.connect(1, token(R"({"sub":"u6","exp":1000})"));
  CHECK(std::string_view(f.next(expired)["code"]) == "unauthorized");
  CHECK(expired.link.close_code == 1008);
}

TEST_CASE("every subscriber on either shard sees the same order, and the publisher gets acks") {
  Fixture f;
  std::vector<Client*> subs = {&f.login(0, "a"), &f.login(1, "b"), &f.login(1, "c")};
  for (Client* s : subs) {
    f.send(*s, R"({"op":"sub","id":1,"channel":"general"})");
    auto e = f.next(*s);
    CHECK(Fixture::op_of(e) == "subbed");
    CHECK(std::uint64_t(e["seq"]) == 0);
  }
  Client& p0 = f.login(0, "p0");
  Client& p1 = f.login(1, "p1");
  for (int i = 0; i < 20; ++i) {
    Client& p = i % 2 ? p1 : p0;
    f.send(p, R"({"op":"pub","id":)" + std::to_string(i) + R"(,"channel":"general","data":{"n":)" +
                  std::to_string(i) + "}}");
    auto ack = f.next(p);
    CHECK(Fixture::op_of(ack) == "ack");
    CHECK(std::int64_t(ack["id"]) == i);
    CHECK(std::uint64_t(ack["seq"]) == static_cast<std::uint64_t>(i + 1));
  }
  std::vector<std::string> reference;
  for (Client* s : subs) {
    std::vector<std::string> seen;
    while (!s->link.frames.empty()) {
      auto e = f.next(*s);
      if (Fixture::op_of(e) != "msg")
        continue;  // presence events
      CHECK(std::uint64_t(e["seq"]) == seen.size() + 1);
      seen.push_back(f.last_text);
    }
    CHECK(seen.size() == 20);
    if (reference.empty()) {
      reference = seen;
    } else {
      CHECK(seen == reference);
    }
  }
  CHECK(reference[4].find(R"("from":"p0")") != std::string::npos);
  CHECK(reference[4].find(R"("data":{"n":4})") != std::string::npos);
}

TEST_CASE("resume with since delivers the missed messages, then live ones") {
  Fixture f;
  const auto timed = [&f](std::string_view stage) {  // deliveries the stage histograms counted
    std::uint64_t count = 0;
    for (unsigned shard = 0; shard < 2; ++shard) {
      count += f.metrics.find_histogram(stage, shard)->count();
    }
    return count;
  };
  Client& p = f.login(0, "pub");
  for (int i = 1; i <= 5; ++i) {
    f.send(p, R"({"op":"pub","channel":"room","data":)" + std::to_string(i) + "}");
  }
  Client& r = f.login(1, "reader");
  f.send(r, R"({"op":"sub","id":"s","channel":"room","since":2})");
  auto e = f.next(r);
  CHECK(Fixture::op_of(e) == "subbed");
  CHECK(std::uint64_t(e["seq"]) == 5);
  CHECK(bool(e["recovered"]));
  for (std::uint64_t seq = 3; seq <= 5; ++seq) {
    e = f.next(r);
    CHECK(std::uint64_t(e["seq"]) == seq);
    CHECK(std::int64_t(e["data"]) == static_cast<std::int64_t>(seq));
  }
  // The replayed backlog is as old as the reader's gap: not a fan-out delay, so not timed.
  CHECK(timed("ws_stage_fanout_seconds") == 0);
  CHECK(timed("ws_stage_send_seconds") == 0);
  f.send(p, R"({"op":"pub","channel":"room","data":6})");
  e = f.next(r);
  CHECK(std::uint64_t(e["seq"]) == 6);
  CHECK(r.link.frames.empty());
  CHECK(timed("ws_stage_fanout_seconds") == 1);
  CHECK(timed("ws_stage_send_seconds") == 1);
}

TEST_CASE("user channels: own events without sub and once, other users channels forbidden") {
  WsAppConfig config = Fixture::default_config();
  Fixture f(config);
  Client& u1 = f.login(0, "u1");
  f.send(u1, R"({"op":"sub","id":1,"channel":"user:u2"})");
  CHECK(std::string_view(f.next(u1)["code"]) == "forbidden");
  f.send(u1, R"({"op":"sub","id":2,"channel":"user:u1"})");
  CHECK(Fixture::op_of(f.next(u1)) == "subbed");

  Client& admin = f.connect(1, token(R"({"sub":"ops","role":"admin","exp":4000000000})"));
  f.next(admin);
  f.send(admin, R"({"op":"pub","id":1,"channel":"user:u1","data":{"op":"offer"}})");
  CHECK(Fixture::op_of(f.next(admin)) == "ack");
  auto e = f.next(u1);
  CHECK(Fixture::op_of(e) == "msg");
  CHECK(std::string_view(e["channel"]) == "user:u1");
  CHECK(u1.link.frames.empty());  // exactly once
  // A sub of the own channel subscribes nothing and tells the channel's current seq.
  f.send(u1, R"({"op":"sub","id":3,"channel":"user:u1"})");
  auto again = f.next(u1);
  CHECK(Fixture::op_of(again) == "subbed");
  CHECK(std::uint64_t(again["seq"]) == 1);
  CHECK(u1.link.frames.empty());

  Client& other = f.login(1, "u3");
  f.send(other, R"({"op":"pub","id":1,"channel":"user:u1","data":1})");
  CHECK(std::string_view(f.next(other)["code"]) == "forbidden");
}

TEST_CASE("token channel patterns restrict sub and pub") {
  Fixture f;
  Client& c = f.connect(0, token(R"({"sub":"r1","exp":4000000000,"channels":["cell:*"]})"));
  f.next(c);
  f.send(c, R"({"op":"sub","id":1,"channel":"general"})");
  CHECK(std::string_view(f.next(c)["code"]) == "forbidden");
  f.send(c, R"({"op":"sub","id":2,"channel":"cell:872830828ffffff"})");
  CHECK(Fixture::op_of(f.next(c)) == "subbed");
  f.send(c, R"({"op":"pub","id":3,"channel":"cell:872830828ffffff","data":1})");
  CHECK(std::string_view(f.next(c)["code"]) == "forbidden");
}

TEST_CASE("bad input is answered and the connection keeps working") {
  WsAppConfig config = Fixture::default_config();
  config.max_message_bytes = 1024;
  Fixture f(config);
  Client& c = f.login(0, "u1");
  f.send(c, "{not json");
  auto e = f.next(c);
  CHECK(std::string_view(e["code"]) == "bad_request");
  f.send(c, R"({"op":"sub","id":9,"channel":"bad name"})");
  e = f.next(c);
  CHECK(std::string_view(e["code"]) == "bad_request");
  CHECK(std::int64_t(e["id"]) == 9);
  f.send(c, R"({"op":"pub","id":1,"channel":"g","data":")" + std::string(2000, 'x') + "\"}");
  CHECK(std::string_view(f.next(c)["code"]) == "too_large");
  f.send(c, R"({"op":"nearby","id":2,"lat":1,"lng":2})");
  e = f.next(c);
  CHECK(std::string_view(e["code"]) == "unavailable");
  CHECK(std::string_view(e["message"]) == "dispatch not enabled");
  f.send(c, R"({"op":"pub","id":3,"channel":"g","data":"ok"})");
  CHECK(Fixture::op_of(f.next(c)) == "ack");
  CHECK(c.link.close_code == 0);
}

TEST_CASE("publishes beyond the burst are rate limited") {
  WsAppConfig config = Fixture::default_config();
  config.publish_rate_per_s = 1;  // effectively no refill during the test
  config.publish_burst = 5;
  Fixture f(config);
  Client& c = f.login(0, "u1");
  int acks = 0;
  int limited = 0;
  for (int i = 0; i < 8; ++i) {
    f.send(c, R"({"op":"pub","id":1,"channel":"g","data":1})");
    auto e = f.next(c);
    if (Fixture::op_of(e) == "ack") {
      ++acks;
    } else if (std::string_view(e["code"]) == "rate_limited") {
      ++limited;
    }
  }
  CHECK(acks == 5);
  CHECK(limited == 3);
}

TEST_CASE("history, presence and read sync across a user's connections") {
  Fixture f;
  Client& a1 = f.login(0, "alice");
  Client& a2 = f.login(1, "alice");
  Client& b = f.login(1, "bob");
  // Only a1 asks for presence events; the others subscribe as before.
  f.send(a1, R"({"op":"sub","id":1,"channel":"team","presence":true})");
  f.next(a1);
  for (Client* c : {&a2, &b}) {
    f.send(*c, R"({"op":"sub","id":1,"channel":"team"})");
    f.next(*c);
  }
  f.flush_presence();
  f.send(b, R"({"op":"presence","id":5,"channel":"team"})");
  simdjson::dom::element e;
  do {
    e = f.next(b);
    CHECK(Fixture::op_of(e) != "join");  // b did not ask for presence events
  } while (Fixture::op_of(e) != "presence");
  CHECK(simdjson::dom::array(e["users"]).size() == 2);
  CHECK(std::uint64_t(e["count"]) == 2);
  CHECK(e["cursor"].error() == simdjson::NO_SUCH_FIELD);

  for (int i = 0; i < 3; ++i) {
    f.send(b, R"({"op":"pub","channel":"team","data":"m)" + std::to_string(i) + "\"}");
  }
  f.send(b, R"({"op":"history","id":4,"channel":"team","since":1,"limit":10})");
  do {
    e = f.next(b);
  } while (Fixture::op_of(e) != "history");
  CHECK(simdjson::dom::array(e["messages"]).size() == 2);
  CHECK(std::uint64_t(e["messages"].at(0)["seq"]) == 2);

  a1.link.frames.clear();
  a2.link.frames.clear();
  f.send(a1, R"({"op":"read","id":6,"channel":"team","seq":3})");
  e = f.next(a1);
  CHECK(Fixture::op_of(e) == "read");
  CHECK(std::int64_t(e["id"]) == 6);
  e = f.next(a2);
  CHECK(Fixture::op_of(e) == "read");
  CHECK(std::uint64_t(e["seq"]) == 3);
  CHECK(e["id"].error() == simdjson::NO_SUCH_FIELD);

  f.close(b);
  f.flush_presence();
  bool saw_leave = false;
  while (!a1.link.frames.empty()) {
    e = f.next(a1);
    saw_leave |= Fixture::op_of(e) == "leave" && std::string_view(e["user"]) == "bob";
  }
  CHECK(saw_leave);
  while (!a2.link.frames.empty()) {
    e = f.next(a2);
    CHECK(Fixture::op_of(e) != "leave");
  }
}

TEST_CASE("a refusing (slow) subscriber is counted as a drop and does not affect others") {
  Fixture f;
  Client& slow = f.login(0, "slow");
  Client& fast = f.login(1, "fast");
  for (Client* c : {&slow, &fast}) {
    f.send(*c, R"({"op":"sub","id":1,"channel":"g"})");
    f.next(*c);
  }
  slow.link.refuse = true;
  Client& p = f.login(1, "p");
  for (int i = 0; i < 10; ++i) {
    f.send(p, R"({"op":"pub","channel":"g","data":1})");
  }
  int fast_msgs = 0;
  while (!fast.link.frames.empty()) {
    fast_msgs += Fixture::op_of(f.next(fast)) == "msg";
  }
  CHECK(fast_msgs == 10);
  CHECK(f.metrics.counter("ws_app_drops_total", "", slow.shard).value() == 10);
  CHECK(f.metrics.counter("ws_app_drops_total", "", fast.shard).value() == 0);
}

namespace {

/// carol subscribes to "news" and leaves; dave publishes 0, 1, 2 there; carol logs in again
/// (on shard 1) and is returned.
Client& back_after_missing_three(Fixture& f) {
  Client& first = f.login(0, "carol");
  f.send(first, R"({"op":"sub","id":1,"channel":"news"})");
  f.next(first);
  f.close(first);
  Client& publisher = f.login(1, "dave");
  for (int i = 0; i < 3; ++i) {
    f.send(publisher, R"({"op":"pub","channel":"news","data":)" + std::to_string(i) + "}");
  }
  return f.login(1, "carol");
}

}  // namespace

TEST_CASE("offline messages arrive as notify on reconnect and resume shows each msg once") {
  Fixture f;
  Client& back = back_after_missing_three(f);
  int notified = 0;
  while (!back.link.frames.empty()) {
    auto e = f.next(back);
    CHECK(Fixture::op_of(e) == "notify");
    CHECK(std::string_view(e["channel"]) == "news");
    ++notified;
  }
  CHECK(notified == 3);
  f.send(back, R"({"op":"sub","id":2,"channel":"news","since":0})");
  std::vector<std::uint64_t> seqs;
  while (!back.link.frames.empty()) {
    auto e = f.next(back);
    if (Fixture::op_of(e) == "msg") {
      seqs.push_back(std::uint64_t(e["seq"]));
    }
  }
  CHECK(seqs == std::vector<std::uint64_t>{1, 2, 3});
}

TEST_CASE("the offline queue keeps --offline-queue-max-messages: the oldest go, counted and announced") {
  WsAppConfig config = Fixture::default_config();
  config.offline_queue_max_messages = 2;
  Fixture f(config);
  Client& back = back_after_missing_three(f);
  auto e = f.next(back);
  REQUIRE(Fixture::op_of(e) == "pending");
  CHECK(std::uint64_t(e["dropped"]) == 1);
  for (const std::uint64_t seq : {2, 3}) {
    e = f.next(back);
    CHECK(Fixture::op_of(e) == "notify");
    CHECK(std::uint64_t(e["seq"]) == seq);
  }
  CHECK(back.link.frames.empty());
  CHECK(f.metrics.counter("pubsub_offline_dropped_total", "", 0).value() +
            f.metrics.counter("pubsub_offline_dropped_total", "", 1).value() ==
        1);
}

TEST_CASE("a connection that does not authenticate in time is closed with 1008") {
  WsAppConfig config = Fixture::default_config();
  config.auth_timeout_ms = 500;
  Fixture f(config);
  Client& idle = f.connect(0);
  Client& prompt = f.connect(1);
  f.send(prompt, R"({"op":"auth","id":1,"user":"u1"})");
  f.executor.advance_time(400'000'000);
  f.executor.run_until_idle();
  CHECK(idle.link.close_code == 0);
  f.executor.advance_time(200'000'000);
  f.executor.run_until_idle();
  CHECK(idle.link.close_code == 1008);
  CHECK(prompt.link.close_code == 0);
}

TEST_CASE("binary messages and dispatch ops before auth") {
  Fixture f;
  Client& c = f.connect(0);
  f.executor.run_on(0, [&] { c.connection->on_binary(); });
  auto e = f.next(c);
  CHECK(std::string_view(e["code"]) == "bad_request");
  f.send(c, R"({"op":"loc","lat":1,"lng":2})");
  CHECK(std::string_view(f.next(c)["code"]) == "unauthorized");
}

TEST_CASE("every op is rate limited: cheap and expensive buckets, the connection stays") {
  WsAppConfig config = Fixture::default_config();
  config.op_rate_per_s = 1;  // effectively no refill during the test
  config.op_burst = 4;
  config.expensive_op_rate_per_s = 1;
  config.expensive_op_burst = 3;
  Fixture f(config);
  Client& c = f.login(0, "u1");  // the auth op took one cheap token
  // Expensive: sub, history, presence (and nearby, ride) share one bucket of 3.
  std::vector<std::string> codes;
  for (const std::string op :
       {R"({"op":"sub","id":1,"channel":"a"})", R"({"op":"history","id":2,"channel":"a"})",
        R"({"op":"presence","id":3,"channel":"a"})", R"({"op":"sub","id":4,"channel":"b"})",
        R"({"op":"nearby","id":5,"lat":1,"lng":2})", R"({"op":"ride","id":6,"lat":1,"lng":2,"dest_lat":1,"dest_lng":3})"}) {
    f.send(c, op);
    auto e = f.next(c);
    codes.push_back(Fixture::op_of(e) == "error" ? std::string(std::string_view(e["code"]))
                                                  : Fixture::op_of(e));
    if (Fixture::op_of(e) == "error") {
      CHECK(std::string_view(e["message"]).find("expensive") != std::string_view::npos);
    }
  }
  CHECK(codes == std::vector<std::string>{"subbed", "history", "presence", "rate_limited",
                                          "rate_limited", "rate_limited"});
  // Cheap: 3 tokens left; read, unsub, garbage and binary count; the fourth is refused.
  f.send(c, R"({"op":"unsub","id":7,"channel":"a"})");
  CHECK(Fixture::op_of(f.next(c)) == "unsubbed");
  f.send(c, "not json");
  CHECK(std::string_view(f.next(c)["code"]) == "bad_request");
  f.executor.run_on(0, [&] { c.connection->on_binary(); });
  CHECK(std::string_view(f.next(c)["code"]) == "bad_request");
  f.send(c, R"({"op":"read","id":8,"channel":"a","seq":1})");
  auto e = f.next(c);
  CHECK(std::string_view(e["code"]) == "rate_limited");
  CHECK(std::int64_t(e["id"]) == 8);
  f.send(c, "still not json");
  CHECK(std::string_view(f.next(c)["code"]) == "rate_limited");
  // Publishing has its own bucket and is unaffected; the connection was never closed.
  f.send(c, R"({"op":"pub","id":9,"channel":"a","data":1})");
  CHECK(Fixture::op_of(f.next(c)) == "ack");
  CHECK(c.link.close_code == 0);
  CHECK(f.metrics.counter("ws_app_rate_limited_expensive_total", "", 0).value() == 3);
  CHECK(f.metrics.counter("ws_app_rate_limited_cheap_total", "", 0).value() == 2);
  CHECK(f.metrics.counter("ws_app_rate_limited_publish_total", "", 0).value() == 0);
  CHECK(f.metrics.counter("ws_app_rate_limited_total", "", 0).value() == 5);
}

TEST_CASE("an unauthenticated flood of auth attempts is rate limited, then timed out") {
  WsAppConfig config = Fixture::default_config();
  config.op_rate_per_s = 1;
  config.op_burst = 2;
  config.auth_timeout_ms = 1000;
  Fixture f(config);
  Client& c = f.connect(0);
  int unauthorized = 0;
  int limited = 0;
  for (int i = 0; i < 10; ++i) {
    f.send(c, R"({"op":"auth","id":1,"token":"bad.token.here"})");
    const std::string code(std::string_view(f.next(c)["code"]));
    unauthorized += code == "unauthorized";
    limited += code == "rate_limited";
  }
  CHECK(unauthorized == 2);
  CHECK(limited == 8);
  f.executor.advance_time(1'001'000'000);
  CHECK(c.link.close_code == 1008);
  auto e = f.next(c);
  CHECK(std::string_view(e["message"]) == "authentication timeout");
  CHECK(f.metrics.counter("ws_app_auth_timeouts_total", "", 0).value() == 1);
  CHECK(f.metrics.counter("ws_app_auth_failures_total", "", 0).value() == 2);
}

namespace {
std::string expiring_token(std::string_view user, std::int64_t in_s, std::string_view role = "") {
  const std::int64_t exp = core::wall_us() / 1'000'000 + in_s;
  std::string claims = R"({"sub":")" + std::string(user) + R"(","exp":)" + std::to_string(exp);
  if (!role.empty()) {
    claims += R"(,"role":")" + std::string(role) + "\"";
  }
  return token(claims + "}");
}
}  // namespace

TEST_CASE("a token's exp holds for the life of the connection: close 1008 unless refreshed") {
  WsAppConfig config = Fixture::default_config();
  config.auth.jwt_clock_skew_s = 0;
  Fixture f(config);
  Client& url = f.connect(0, expiring_token("u1", 5));
  CHECK(Fixture::op_of(f.next(url)) == "auth");
  Client& op = f.connect(1);
  f.send(op, R"({"op":"auth","id":1,"token":")" + expiring_token("u2", 5) + "\"}");
  CHECK(Fixture::op_of(f.next(op)) == "auth");
  Client& anonymous = f.login(0, "u3");

  // u2 refreshes with a later token: it outlives its first exp.
  f.executor.advance_time(3'000'000'000);
  f.send(op, R"({"op":"refresh","id":2,"token":")" + expiring_token("u2", 60) + "\"}");
  auto e = f.next(op);
  CHECK(Fixture::op_of(e) == "refresh");
  CHECK(std::int64_t(e["id"]) == 2);
  CHECK(std::int64_t(e["exp"]) > core::wall_us() / 1'000'000 + 50);
  f.executor.advance_time(2'500'000'000);  // 5.5 s: u1's token expired
  CHECK(url.link.close_code == 1008);
  e = f.next(url);
  CHECK(std::string_view(e["code"]) == "unauthorized");
  CHECK(std::string_view(e["message"]) == "token expired");
  CHECK(op.link.close_code == 0);
  CHECK(anonymous.link.close_code == 0);  // anonymous identities do not expire
  f.executor.advance_time(60'000'000'000);
  CHECK(op.link.close_code == 1008);
  CHECK(anonymous.link.close_code == 0);
  CHECK(f.metrics.counter("ws_app_token_expiries_total", "", 0).value() == 1);
  CHECK(f.metrics.counter("ws_app_token_expiries_total", "", 1).value() == 1);
  CHECK(f.metrics.counter("ws_app_token_refreshes_total", "", 1).value() == 1);
}

TEST_CASE("refresh keeps the identity: other users, roles and bad tokens are refused") {
  Fixture f;
  Client& c = f.connect(0, expiring_token("d1", 600, "driver"));
  CHECK(Fixture::op_of(f.next(c)) == "auth");
  f.send(c, R"({"op":"refresh","id":1,"token":")" + expiring_token("d2", 600, "driver") + "\"}");
  CHECK(std::string_view(f.next(c)["code"]) == "forbidden");
  f.send(c, R"({"op":"refresh","id":2,"token":")" + expiring_token("d1", 600, "admin") + "\"}");
  CHECK(std::string_view(f.next(c)["code"]) == "forbidden");
  f.send(c, R"({"op":"refresh","id":3,"token":")" + expiring_token("d1", -100, "driver") + "\"}");
  auto e = f.next(c);
  CHECK(std::string_view(e["code"]) == "unauthorized");
  CHECK(std::string_view(e["message"]) == "token expired");
  f.send(c, R"({"op":"refresh","id":4})");
  CHECK(std::string_view(f.next(c)["code"]) == "bad_request");
  CHECK(c.link.close_code == 0);  // the first token still holds
  Client& anonymous = f.login(1, "u3");
  f.send(anonymous, R"({"op":"refresh","id":5,"token":")" + expiring_token("u3", 600) + "\"}");
  CHECK(std::string_view(f.next(anonymous)["code"]) == "conflict");
  Client& fresh = f.connect(1);
  f.send(fresh, R"({"op":"refresh","id":6,"token":")" + expiring_token("u4", 600) + "\"}");
  CHECK(std::string_view(f.next(fresh)["code"]) == "unauthorized");
}

TEST_CASE("extreme exp values and a huge clock skew arm no overflowing expiry timer") {
  // Claims and skew are clamped (app/jwt.hpp); the connection's expiry deadline saturates instead
  // of overflowing (UBSan in the asan build would stop here), and such a connection stays open.
  WsAppConfig config = Fixture::default_config();
  config.auth.jwt_clock_skew_s = std::numeric_limits<std::int64_t>::max();
  Fixture f(config);
  std::vector<Client*> clients;
  for (const char* exp : {"1e300", "9223372036854775807", "18446744073709551616", "0"}) {
    INFO(exp);
    Client& c = f.connect(0, token(std::string(R"({"sub":"u1","exp":)") + exp + "}"));
    CHECK(Fixture::op_of(f.next(c)) == "auth");
    clients.push_back(&c);
  }
  f.send(*clients[0], R"({"op":"refresh","id":1,"token":")" + token(R"({"sub":"u1","exp":1e19})") +
                          "\"}");
  auto e = f.next(*clients[0]);
  CHECK(Fixture::op_of(e) == "refresh");
  CHECK(std::int64_t(e["exp"]) == kMaxClaimSeconds);
  f.executor.advance_time(3'600'000'000'000);  // an hour later: nobody expired
  for (Client* c : clients) {
    CHECK(c->link.close_code == 0);
  }
  CHECK(f.metrics.counter("ws_app_token_expiries_total", "", 0).value() == 0);
}

TEST_CASE("replies are sent as replies: a link refusing data still gets acks, subbed and errors") {
  Fixture f;
  Client& slow = f.login(0, "slow");
  slow.link.refuse = true;  // the slow-consumer policy drops every data frame
  f.send(slow, R"({"op":"sub","id":1,"channel":"g"})");
  CHECK(Fixture::op_of(f.next(slow)) == "subbed");
  f.send(slow, R"({"op":"pub","id":2,"channel":"g","data":1})");
  CHECK(Fixture::op_of(f.next(slow)) == "ack");  // the msg to its own subscription is dropped
  f.send(slow, R"({"op":"nope","id":3})");
  CHECK(Fixture::op_of(f.next(slow)) == "error");
  CHECK(slow.link.frames.empty());
  CHECK(f.metrics.counter("ws_app_drops_total", "", slow.shard).value() == 1);
}

TEST_CASE("connection table ids are never reused and a closed connection is not found") {
  ConnectionTable<int> table;
  int a = 1;
  int b = 2;
  int c = 3;
  const pubsub::SubscriberId id_a = table.add(&a);
  const pubsub::SubscriberId id_b = table.add(&b);
  REQUIRE(id_a == 1);  // the first ids of a shard count up from 1, as before the table
  REQUIRE(id_b == 2);
  REQUIRE(table.find(id_a) == &a);
  table.remove(id_a);
  REQUIRE(table.find(id_a) == nullptr);
  // The freed slot goes to the next connection under a new generation: a task still holding the
  // old id (a late subscribe reply, a timer) must not reach the new connection.
  const pubsub::SubscriberId id_c = table.add(&c);
  REQUIRE(id_c != id_a);
  REQUIRE(table.find(id_c) == &c);
  REQUIRE(table.find(id_a) == nullptr);
  table.remove(id_a);  // a second close of a gone id changes nothing
  REQUIRE(table.find(id_c) == &c);
  REQUIRE(table.size() == 2);
  REQUIRE(table.find(0) == nullptr);
  REQUIRE(table.find(id_c + 1000) == nullptr);
  table.remove(id_b);
  table.remove(id_c);
  REQUIRE(table.size() == 0);
}
