// The /ws flags: defaults, parsing through CLI11, and the secret file rules.
#include <catch2/catch.hpp>

#include <CLI/CLI.hpp>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "app/ws_app_config.hpp"

using namespace hexwire::app;

namespace {

constexpr const char* kLongSecret = "0123456789abcdef0123456789abcdef-config";

WsAppConfig parse(std::vector<std::string> args) {
  WsAppConfig config;
  CLI::App cli{"test"};
  add_ws_app_options(cli, config);
  std::vector<char*> argv;
  std::string program = "hexwire";
  argv.push_back(program.data());
  for (std::string& a : args) {
    argv.push_back(a.data());
  }
  cli.parse(static_cast<int>(argv.size()), argv.data());
  finalize_ws_app_config(config);
  return config;
}

std::string temp_file(const std::string& content) {
  char name[] = "/tmp/hexwire_secret_XXXXXX";
  const int fd = mkstemp(name);
  REQUIRE(fd >= 0);
  close(fd);
  std::ofstream(name) << content;
  return name;
}

}  // namespace

TEST_CASE("documented defaults") {
  const WsAppConfig c = parse({});
  CHECK(c.max_message_bytes == 64 * 1024);
  CHECK(c.publish_rate_per_s == 1000);
  CHECK(c.publish_burst == 1000);
  CHECK(c.max_subscriptions_per_connection == 1000);
  CHECK(c.history_max_limit == 1000);
  CHECK(c.auth_timeout_ms == 10'000);
  CHECK(c.op_rate_per_s == 1000);
  CHECK(c.op_burst == 1000);
  CHECK(c.expensive_op_rate_per_s == 100);
  CHECK(c.expensive_op_burst == 1000);
  CHECK(c.auth.jwt_audience.empty());
  CHECK(c.auth.jwt_issuer.empty());
  CHECK(c.auth.jwt_clock_skew_s == 30);
  CHECK_FALSE(c.auth.anonymous);
  CHECK(c.auth.jwt_secret.empty());
  CHECK(c.history_keep_messages == 1000);
  CHECK(c.history_keep_age_s == 600);
  CHECK(c.history_max_messages == 10'000);
  CHECK(c.presence_window_ms == 50);
  CHECK(c.presence_window_per_subscriber_us == 500);
  CHECK(c.presence_max_window_ms == 2000);
  CHECK(c.presence_leave_grace_ms == 1000);
  CHECK(c.offline_queue_max_messages == 100);
}

TEST_CASE("flags set every field") {
  const WsAppConfig c =
      parse({"--jwt-secret", kLongSecret, "--jwt-clock-skew-s", "5", "--jwt-audience", "hw",
             "--jwt-issuer", "https://id", "--ws-op-rate", "21", "--ws-op-burst", "22",
             "--ws-expensive-op-rate", "23", "--ws-expensive-op-burst", "24",
             "--ws-publish-rate", "50", "--ws-publish-burst", "7", "--ws-max-subscriptions", "9",
             "--history-max-limit", "20", "--auth-timeout-ms", "0", "--max-channel-members",
             "11", "--max-channels-per-shard", "12", "--history-keep-messages", "13",
             "--history-keep-age-s", "14", "--history-max-messages", "15", "--presence-window-ms",
             "16", "--presence-window-per-subscriber-us", "17", "--presence-max-window-ms", "18",
             "--presence-leave-grace-ms", "19", "--offline-queue-max-messages", "25"});
  CHECK_FALSE(c.auth.anonymous);
  CHECK(c.auth.jwt_secret == kLongSecret);
  CHECK(c.auth.jwt_clock_skew_s == 5);
  CHECK(c.auth.jwt_audience == "hw");
  CHECK(c.auth.jwt_issuer == "https://id");
  CHECK(c.op_rate_per_s == 21);
  CHECK(c.op_burst == 22);
  CHECK(c.expensive_op_rate_per_s == 23);
  CHECK(c.expensive_op_burst == 24);
  CHECK(c.publish_rate_per_s == 50);
  CHECK(c.publish_burst == 7);
  CHECK(c.max_subscriptions_per_connection == 9);
  CHECK(c.history_max_limit == 20);
  CHECK(c.auth_timeout_ms == 0);
  CHECK(c.max_members_per_channel == 11);
  CHECK(c.max_channels_per_shard == 12);
  CHECK(c.history_keep_messages == 13);
  CHECK(c.history_keep_age_s == 14);
  CHECK(c.history_max_messages == 15);
  CHECK(c.presence_window_ms == 16);
  CHECK(c.presence_window_per_subscriber_us == 17);
  CHECK(c.presence_max_window_ms == 18);
  CHECK(c.presence_leave_grace_ms == 19);
  CHECK(c.offline_queue_max_messages == 25);
  CHECK_THROWS(parse({"--offline-queue-max-messages", "0"}));
}

TEST_CASE("the old auth timeout flag name still works") {
  CHECK(parse({"--ws-auth-timeout-ms", "250"}).auth_timeout_ms == 250);
  CHECK(parse({"--anonymous"}).auth.anonymous);
}

TEST_CASE("identity settings that cannot be meant are refused at start") {
  // --anonymous next to a secret would let anyone claim any user on a production engine.
  CHECK_THROWS_WITH(parse({"--anonymous", "--jwt-secret", kLongSecret}),
                    Catch::Contains("--anonymous") && Catch::Contains("cannot be combined"));
  const std::string file = temp_file(std::string(kLongSecret) + "\n");
  CHECK_THROWS_AS(parse({"--anonymous", "--jwt-secret-file", file}), std::runtime_error);
  // HS256 secrets shorter than the hash are refused, from the command line or a file.
  CHECK_THROWS_WITH(parse({"--jwt-secret", "s3cret"}),
                    Catch::Contains("6 bytes") && Catch::Contains("at least 32"));
  CHECK_NOTHROW(parse({"--jwt-secret", std::string(32, 'k')}));
  CHECK_THROWS_AS(parse({"--jwt-secret", std::string(31, 'k')}), std::runtime_error);
  const std::string short_file = temp_file("short\n");
  CHECK_THROWS_AS(parse({"--jwt-secret-file", short_file}), std::runtime_error);
  // Audience and issuer checks need tokens, hence a secret.
  CHECK_THROWS_AS(parse({"--jwt-audience", "hw"}), std::runtime_error);
  CHECK_THROWS_AS(parse({"--anonymous", "--jwt-issuer", "x"}), std::runtime_error);
  std::remove(file.c_str());
  std::remove(short_file.c_str());
}

TEST_CASE("print-config lists the /ws settings but never the secret") {
  WsAppConfig c = parse({"--jwt-secret", kLongSecret, "--ws-expensive-op-rate", "7"});
  const std::string toml = ws_app_config_toml(c);
  CHECK(toml.find(kLongSecret) == std::string::npos);
  CHECK(toml.find("ws-expensive-op-rate = 7\n") != std::string::npos);
  CHECK(toml.find("auth-timeout-ms = 10000\n") != std::string::npos);
}

TEST_CASE("secret file: read without the trailing newline, refused when empty or doubled") {
  const std::string path = temp_file(std::string(kLongSecret) + "\n");
  CHECK(parse({"--jwt-secret-file", path}).auth.jwt_secret == kLongSecret);
  CHECK_THROWS_AS(parse({"--jwt-secret-file", path, "--jwt-secret", "x"}), std::runtime_error);
  const std::string empty = temp_file("\n");
  CHECK_THROWS_AS(parse({"--jwt-secret-file", empty}), std::runtime_error);
  CHECK_THROWS_AS(parse({"--jwt-secret-file", "/nonexistent/secret"}), std::runtime_error);
  std::remove(path.c_str());
  std::remove(empty.c_str());
}
