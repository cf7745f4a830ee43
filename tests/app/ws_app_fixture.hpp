// Test fixture for the /ws application: WsService on the deterministic FakeExecutor (2 shards)
// with in-memory client links that record every frame, and helpers to log in, send ops, read the
// next frame as JSON and let presence windows pass. Shared by the tests/app/ws_app_*_test.cpp.
#pragma once

#include <catch2/catch.hpp>

#include <simdjson.h>

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "app/node_services.hpp"
#include "app/ws_app.hpp"
#include "core/clock.hpp"
#include "core/testing/fake_executor.hpp"
#include "tests/app/recording_link.hpp"

namespace hexwire::app::testing {

constexpr std::string_view kSecret = "ws-app-test-secret";

struct Client {
  unsigned shard;
  RecordingLink link;
  std::unique_ptr<WsConnection> connection;
};

class Fixture {
 public:
  explicit Fixture(WsAppConfig config = default_config())
      : executor(2), metrics(2), services(executor, metrics, {std::move(config), std::nullopt}) {}

  static WsAppConfig default_config() {
    WsAppConfig config;
    config.auth.jwt_secret = std::string(kSecret);
    config.auth.anonymous = true;
    return config;
  }

  Client& connect(unsigned shard, std::string token = {}) {
    clients.push_back(std::make_unique<Client>());
    Client& c = *clients.back();
    c.shard = shard;
    executor.run_on(shard, [&] {
      c.connection = std::make_unique<WsConnection>(service, c.link, std::move(token));
      c.connection->opened();
    });
    executor.run_until_idle();
    return c;
  }
  Client& login(unsigned shard, std::string_view user) {
    Client& c = connect(shard);
    send(c, R"({"op":"auth","id":0,"user":")" + std::string(user) + "\"}");
    REQUIRE(op_of(next(c)) == "auth");
    return c;
  }
  void send(Client& c, const std::string& text) {
    executor.run_on(c.shard, [&] { c.connection->on_text(text, core::monotonic_ns()); });
    executor.run_until_idle();
  }
  void close(Client& c) {
    executor.run_on(c.shard, [&] { c.connection.reset(); });
    executor.run_until_idle();
  }
  void flush_presence() {
    executor.advance_time(200'000'000);
    executor.run_until_idle();
  }

  simdjson::dom::element next(Client& c) {
    REQUIRE_FALSE(c.link.frames.empty());
    last_text = c.link.frames.front();
    c.link.frames.pop_front();
    simdjson::dom::element e;
    INFO(last_text);
    REQUIRE(dom.parse(last_text).get(e) == simdjson::SUCCESS);
    return e;
  }
  static std::string op_of(simdjson::dom::element e) {
    return std::string(std::string_view(e["op"]));
  }

  core::testing::FakeExecutor executor;
  core::MetricsRegistry metrics;
  NodeServices services;  // without dispatch
  WsService& service = services.ws();
  std::vector<std::unique_ptr<Client>> clients;
  simdjson::dom::parser dom;
  std::string last_text;
};

}  // namespace hexwire::app::testing
