// Protocol v1's presence and epoch shapes over in-memory links (docs/protocol.md): presence events
// only with "presence":true on sub (or --presence-by-default for old clients), member counts in
// large channels, the paged presence reply, and the epoch in subbed, ack, msg and history, with a
// resume from another epoch (a restarted engine) answered recovered:false.
#include <catch2/catch.hpp>

#include <simdjson.h>

#include <string>

#include "tests/app/ws_app_fixture.hpp"

using namespace hexwire;
using namespace hexwire::app;
using namespace hexwire::app::testing;

namespace {

/// Frames of `c` with op `op` (draining everything queued).
std::vector<std::string> drain_ops(Fixture& f, Client& c, std::string_view op) {
  std::vector<std::string> out;
  while (!c.link.frames.empty()) {
    auto e = f.next(c);
    if (Fixture::op_of(e) == op) {
      out.push_back(f.last_text);
    }
  }
  return out;
}

simdjson::dom::element next_with_op(Fixture& f, Client& c, std::string_view op) {
  simdjson::dom::element e;
  do {
    e = f.next(c);
  } while (Fixture::op_of(e) != op);
  return e;
}

}  // namespace

TEST_CASE("presence events are opt-in per subscription, or on by default for old clients") {
  Fixture f;
  Client& asks = f.login(0, "asks");
  Client& old = f.login(1, "old");
  f.send(asks, R"({"op":"sub","id":1,"channel":"room","presence":true})");
  f.send(old, R"({"op":"sub","id":1,"channel":"room"})");
  f.login(1, "newcomer");
  f.send(*f.clients.back(), R"({"op":"sub","id":1,"channel":"room","presence":false})");
  f.flush_presence();
  CHECK(drain_ops(f, asks, "join").size() == 3);  // asks, old and newcomer
  CHECK(drain_ops(f, old, "join").empty());

  WsAppConfig config = Fixture::default_config();
  config.presence_by_default = true;
  Fixture legacy(config);
  Client& a = legacy.login(0, "a");
  Client& b = legacy.login(1, "b");
  legacy.send(a, R"({"op":"sub","id":1,"channel":"room"})");
  legacy.send(b, R"({"op":"sub","id":1,"channel":"room","presence":false})");
  legacy.flush_presence();
  CHECK(drain_ops(legacy, a, "join").size() == 2);
  CHECK(drain_ops(legacy, b, "join").empty());
}

TEST_CASE("a channel above --presence-max-members sends only the member count") {
  WsAppConfig config = Fixture::default_config();
  config.presence_max_members = 4;
  Fixture f(config);
  for (int i = 0; i < 6; ++i) {
    Client& c = f.login(static_cast<unsigned>(i % 2), "m" + std::to_string(i));
    f.send(c, R"({"op":"sub","id":1,"channel":"big","presence":true})");
  }
  Client& quiet = f.login(1, "quiet");  // a member that did not ask for presence: counted, not told
  f.send(quiet, R"({"op":"sub","id":1,"channel":"big"})");
  REQUIRE(Fixture::op_of(f.next(quiet)) == "subbed");
  f.executor.advance_time(1'100'000'000);  // the count window (1 s) of a large channel
  f.executor.run_until_idle();
  CHECK(quiet.link.frames.empty());
  for (auto& client : f.clients) {
    if (client.get() == &quiet) {
      continue;
    }
    std::size_t joins = 0;
    std::vector<std::string> counts;
    while (!client->link.frames.empty()) {
      auto e = f.next(*client);
      joins += Fixture::op_of(e) == "join" ? 1 : 0;
      if (Fixture::op_of(e) == "presence") {
        counts.push_back(f.last_text);
      }
    }
    CHECK(joins == 0);  // 6 x 6 join frames in a small channel; none here
    REQUIRE(counts.size() == 1);
    CHECK(counts[0] == R"({"op":"presence","channel":"big","count":7})");
  }
}

TEST_CASE("the presence reply pages with limit and cursor") {
  Fixture f;
  for (int i = 1; i <= 5; ++i) {
    Client& c = f.login(static_cast<unsigned>(i % 2), "u" + std::to_string(i));
    f.send(c, R"({"op":"sub","id":1,"channel":"team"})");
  }
  Client& asker = f.login(0, "asker");
  f.send(asker, R"({"op":"presence","id":7,"channel":"team","limit":2})");
  auto e = next_with_op(f, asker, "presence");
  CHECK(f.last_text == R"({"op":"presence","id":7,"channel":"team","users":["u1","u2"],"count":5,"cursor":"u2"})");
  f.send(asker, R"({"op":"presence","id":8,"channel":"team","limit":2,"cursor":"u4"})");
  e = next_with_op(f, asker, "presence");
  CHECK(f.last_text == R"({"op":"presence","id":8,"channel":"team","users":["u5"],"count":5})");
  f.send(asker, R"({"op":"presence","id":9,"channel":"team","cursor":7})");
  e = f.next(asker);
  CHECK(std::string_view(e["message"]) == "wrong type for field 'cursor'");
}

TEST_CASE("subbed, ack, msg and history carry the channel epoch, another epoch is not resumed") {
  Fixture f;
  Client& p = f.login(0, "pub");
  f.send(p, R"({"op":"pub","id":1,"channel":"room","data":1})");
  auto ack = f.next(p);
  REQUIRE(Fixture::op_of(ack) == "ack");
  const std::string epoch{std::string_view(ack["epoch"])};
  CHECK(epoch.size() == 16);
  f.send(p, R"({"op":"pub","id":2,"channel":"room","data":2})");
  f.next(p);

  Client& r = f.login(1, "reader");
  f.send(r, R"({"op":"sub","id":"s","channel":"room","since":0,"epoch":")" + epoch + "\"}");
  auto e = f.next(r);
  CHECK(std::string_view(e["epoch"]) == epoch);
  CHECK(bool(e["recovered"]));
  e = f.next(r);
  CHECK(Fixture::op_of(e) == "msg");
  CHECK(std::string_view(e["epoch"]) == epoch);
  f.send(r, R"({"op":"history","id":3,"channel":"room"})");
  e = next_with_op(f, r, "history");
  CHECK(std::string_view(e["epoch"]) == epoch);

  // The engine restarts (a new service: nothing survives) and the channel gets 3 new messages.
  Fixture restarted;
  Client& p2 = restarted.login(0, "pub");
  for (int i = 0; i < 3; ++i) {
    restarted.send(p2, R"({"op":"pub","channel":"room","data":0})");
  }
  Client& back = restarted.login(1, "reader");
  restarted.send(back, R"({"op":"sub","id":4,"channel":"room","since":1,"epoch":")" + epoch + "\"}");
  e = restarted.next(back);
  CHECK(Fixture::op_of(e) == "subbed");
  CHECK(std::uint64_t(e["seq"]) == 3);
  CHECK_FALSE(bool(e["recovered"]));  // never a silent restart: seqs 2-3 are another channel's
  CHECK(std::string_view(e["epoch"]) != epoch);
  CHECK(back.link.frames.empty());

  restarted.send(back, R"({"op":"sub","id":5,"channel":"other","since":1,"epoch":"xyz"})");
  e = restarted.next(back);
  CHECK(std::string_view(e["message"]) == "invalid value for field 'epoch'");
}
