// The dashboard's engine side: who may read and publish sys: channels, interval percentiles from
// cumulative histograms, the static web folder and its routes, and the sys:stats / sys:channels
// publisher on the /ws application over in-memory links (deterministic FakeExecutor, 2 shards).
#include <catch2/catch.hpp>

#include <simdjson.h>

#include <deque>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/auth.hpp"
#include "app/jwt.hpp"
#include "app/node_services.hpp"
#include "app/static_site.hpp"
#include "app/system_stats.hpp"
#include "app/ws_app.hpp"
#include "app/ws_app_state.hpp"
#include "core/testing/fake_executor.hpp"
#include "tests/app/recording_link.hpp"

using namespace hexwire;
using namespace hexwire::app;

namespace {

constexpr std::string_view kSecret = "dashboard-test-secret";

std::string token_for(std::string_view role) {
  return sign_hs256_jwt(R"({"sub":"u1","exp":4102444800,"role":")" + std::string(role) + "\"}",
                        kSecret);
}

AuthOutcome authenticate(bool anonymous, std::string_view token, std::string_view user = {}) {
  AuthConfig config;
  config.jwt_secret = std::string(kSecret);
  config.anonymous = anonymous;
  Authenticator authenticator(config);
  AuthOp op;
  op.token = token;
  op.user = user;
  return authenticator.with_op(op, 1'800'000'000);
}

}  // namespace

TEST_CASE("sys: channels are read by admins or anyone under --anonymous, published by admins") {
  const AuthOutcome rider = authenticate(false, token_for("rider"));
  const AuthOutcome admin = authenticate(false, token_for("admin"));
  const AuthOutcome anonymous = authenticate(true, {}, "viewer");
  const AuthOutcome rider_anonymous_engine = authenticate(true, token_for("rider"));
  REQUIRE(rider.ok);
  REQUIRE(admin.ok);
  REQUIRE(anonymous.ok);
  REQUIRE(rider_anonymous_engine.ok);

  CHECK(read_access(rider.identity, "sys:stats") == Access::kForbidden);
  CHECK(read_access(admin.identity, "sys:stats") == Access::kAllowed);
  CHECK(read_access(anonymous.identity, "sys:stats") == Access::kAllowed);
  CHECK(read_access(rider_anonymous_engine.identity, "sys:channels") == Access::kAllowed);
  CHECK(read_access(rider.identity, "general") == Access::kAllowed);

  CHECK(publish_access(anonymous.identity, "sys:stats") == Access::kForbidden);
  CHECK(publish_access(rider.identity, "sys:stats") == Access::kForbidden);
  CHECK(publish_access(admin.identity, "sys:stats") == Access::kAllowed);
}

TEST_CASE("an interval histogram holds only what was recorded since the previous snapshot") {
  core::Histogram cumulative;
  IntervalHistogram window;
  for (int i = 0; i < 1000; ++i) {
    cumulative.record(100'000);  // 100 us
  }
  window.advance(cumulative);
  CHECK(window.interval().count() == 1000);
  for (int i = 0; i < 500; ++i) {
    cumulative.record(10'000'000);  // 10 ms
  }
  window.advance(cumulative);
  CHECK(window.interval().count() == 500);
  CHECK(window.interval().percentile(50) == Approx(10'000'000).epsilon(0.01));
  CHECK(window.interval().percentile(1) == Approx(10'000'000).epsilon(0.01));
  window.advance(cumulative);
  CHECK(window.interval().count() == 0);
}

TEST_CASE("the web folder is served from memory: / is index.html, types by extension") {
  namespace fs = std::filesystem;
  const fs::path root = fs::temp_directory_path() / ("hexwire-web-test-" + std::to_string(::getpid()));
  fs::remove_all(root);
  fs::create_directories(root / "js");
  fs::create_directories(root / ".git");
  std::ofstream(root / "index.html") << "<!doctype html><title>t</title>";
  std::ofstream(root / "js" / "main.js") << "console.log(1);";
  std::ofstream(root / ".git" / "config") << "secret";

  std::vector<StaticFile> files = load_static_site(root.string());
  CHECK(files.size() == 2);
  net::HttpRouter router;
  add_static_routes(router, std::move(files));
  const auto get = [&router](std::string path) {
    net::HttpRequest request;
    request.method = "GET";
    request.path = std::move(path);
    request.keep_alive = true;
    return router.route(request);
  };
  const net::HttpResponse index = get("/");
  CHECK(index.status == 200);
  CHECK(index.content_type == "text/html; charset=utf-8");
  CHECK(index.body == "<!doctype html><title>t</title>");
  const net::HttpResponse script = get("/js/main.js");
  CHECK(script.content_type == "text/javascript; charset=utf-8");
  CHECK(script.body == "console.log(1);");
  CHECK(get("/.git/config").status == 404);
  CHECK(get("/../index.html").status == 404);

  fs::remove(root / "index.html");
  CHECK_THROWS_WITH(load_static_site(root.string()), Catch::Contains("has no index.html"));
  CHECK_THROWS_WITH(load_static_site((root / "missing").string()),
                    Catch::Contains("is not a folder"));
  fs::remove_all(root);
}

namespace {

using Link = app::testing::RecordingLink;

struct StatsFixture {
  explicit StatsFixture(bool anonymous)
      : executor(2), metrics(2), services(executor, metrics, {config(anonymous), std::nullopt}) {
    publisher = std::make_shared<SystemStatsPublisher>(executor, metrics, services.broker(),
                                                       DashboardConfig{});
    executor.run_on(0, [&] { publisher->start(); });
  }
  static WsAppConfig config(bool anonymous) {
    WsAppConfig c;
    c.auth.jwt_secret = std::string(kSecret);
    c.auth.anonymous = anonymous;
    return c;
  }
  WsConnection& connect(unsigned shard, Link& link, std::string auth) {
    connections.emplace_back(shard, nullptr);
    auto& slot = connections.back().second;
    executor.run_on(shard, [&] {
      slot = std::make_unique<WsConnection>(service, link, "");
      slot->opened();
      slot->on_text(auth, core::monotonic_ns());
    });
    executor.run_until_idle();
    return *slot;
  }
  void send(unsigned shard, WsConnection& c, const std::string& text) {
    executor.run_on(shard, [&] { c.on_text(text, core::monotonic_ns()); });
    executor.run_until_idle();
  }
  /// Seconds of fake time, each followed by running every task.
  void seconds(int n) {
    for (int i = 0; i < n; ++i) {
      executor.advance_time(1'000'000'000);
    }
  }
  ~StatsFixture() {
    for (auto& entry : connections) {
      executor.run_on(entry.first, [&entry] { entry.second.reset(); });
    }
    executor.run_until_idle();
  }

  core::testing::FakeExecutor executor;
  core::MetricsRegistry metrics;
  NodeServices services;  // without dispatch
  WsService& service = services.ws();
  std::shared_ptr<SystemStatsPublisher> publisher;
  std::vector<std::pair<unsigned, std::unique_ptr<WsConnection>>> connections;
};

/// The `data` objects of the msg frames of `channel` received on `link`.
std::vector<std::string> messages_of(Link& link, std::string_view channel) {
  std::vector<std::string> out;
  simdjson::dom::parser parser;
  for (const std::string& frame : link.frames) {
    simdjson::dom::element e;
    REQUIRE(parser.parse(frame).get(e) == simdjson::SUCCESS);
    if (std::string_view(e["op"]) == "msg" && std::string_view(e["channel"]) == channel) {
      out.push_back(simdjson::minify(e["data"]));
    }
  }
  return out;
}

}  // namespace

TEST_CASE("sys:stats is published every second with rates, stage latencies and shard load") {
  StatsFixture f(true);
  Link viewer;
  WsConnection& c = f.connect(1, viewer, R"({"op":"auth","id":1,"user":"viewer"})");
  f.send(1, c, R"({"op":"sub","id":2,"channel":"sys:stats"})");
  f.send(1, c, R"({"op":"pub","id":3,"channel":"room","data":"hello"})");
  f.seconds(3);
  const std::vector<std::string> stats = messages_of(viewer, "sys:stats");
  // The first round only sets the baseline; every later second publishes.
  REQUIRE(stats.size() >= 2);
  simdjson::dom::parser parser;
  simdjson::dom::element s;
  REQUIRE(parser.parse(stats.front()).get(s) == simdjson::SUCCESS);
  CHECK(std::uint64_t(s["shards"]) == 2);
  CHECK(std::uint64_t(s["totals"]["publishes"]) == 1);
  CHECK(std::int64_t(s["connections"]["authenticated"]) == 1);
  for (const char* stage : {"parse", "route", "fanout", "send"}) {
    INFO(stage);
    CHECK(s["latency_us"][stage]["count"].is_uint64());
  }
  simdjson::dom::array shards = s["shard_load"];
  CHECK(shards.size() == 2);
  CHECK(s["memory"]["rss_bytes"].get_uint64().value() > 0);
  CHECK(s["frames_per_send"].is_number());
}

TEST_CASE("sys:channels lists the busiest channels once someone watches it") {
  StatsFixture f(true);
  Link viewer;
  WsConnection& c = f.connect(0, viewer, R"({"op":"auth","id":1,"user":"viewer"})");
  f.send(0, c, R"({"op":"sub","id":2,"channel":"sys:channels"})");
  f.send(0, c, R"({"op":"sub","id":3,"channel":"busy"})");
  f.seconds(2);
  for (int i = 0; i < 5; ++i) {
    f.send(0, c, R"({"op":"pub","id":4,"channel":"busy","data":1})");
  }
  f.seconds(2);
  const std::vector<std::string> reports = messages_of(viewer, "sys:channels");
  REQUIRE_FALSE(reports.empty());
  const std::string& last = reports.back();
  INFO(last);
  CHECK(last.find(R"("channel":"busy")") != std::string::npos);
  CHECK(last.find(R"("members":1)") != std::string::npos);
}

TEST_CASE("without --anonymous only an admin token may subscribe to sys:stats") {
  StatsFixture f(false);
  Link rider_link;
  Link admin_link;
  WsConnection& rider =
      f.connect(0, rider_link, R"({"op":"auth","id":1,"token":")" + token_for("rider") + "\"}");
  WsConnection& admin =
      f.connect(1, admin_link, R"({"op":"auth","id":1,"token":")" + token_for("admin") + "\"}");
  f.send(0, rider, R"({"op":"sub","id":2,"channel":"sys:stats"})");
  f.send(1, admin, R"({"op":"sub","id":2,"channel":"sys:stats"})");
  f.seconds(3);
  CHECK(rider_link.frames.back().find(R"("code":"forbidden")") != std::string::npos);
  CHECK(messages_of(rider_link, "sys:stats").empty());
  CHECK(messages_of(admin_link, "sys:stats").size() >= 2);
}
