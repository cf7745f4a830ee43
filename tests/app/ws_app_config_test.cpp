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
}

TEST_CASE("flags set every field") {
  const WsAppConfig c =
      parse({"--anonymous", "--jwt-secret", "s3cret", "--jwt-clock-skew-s", "5",
             "--ws-publish-rate", "50", "--ws-publish-burst", "7", "--ws-max-subscriptions", "9",
             "--history-max-limit", "20", "--ws-auth-timeout-ms", "0", "--max-channel-members",
             "11", "--max-channels-per-shard", "12", "--history-keep-messages", "13",
             "--history-keep-age-s", "14", "--history-max-messages", "15", "--presence-window-ms",
             "16", "--presence-window-per-subscriber-us", "17", "--presence-max-window-ms", "18",
             "--presence-leave-grace-ms", "19"});
  CHECK(c.auth.anonymous);
  CHECK(c.auth.jwt_secret == "s3cret");
  CHECK(c.auth.jwt_clock_skew_s == 5);
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
}

TEST_CASE("secret file: read without the trailing newline, refused when empty or doubled") {
  const std::string path = temp_file("from-file\n");
  CHECK(parse({"--jwt-secret-file", path}).auth.jwt_secret == "from-file");
  CHECK_THROWS_AS(parse({"--jwt-secret-file", path, "--jwt-secret", "x"}), std::runtime_error);
  const std::string empty = temp_file("\n");
  CHECK_THROWS_AS(parse({"--jwt-secret-file", empty}), std::runtime_error);
  CHECK_THROWS_AS(parse({"--jwt-secret-file", "/nonexistent/secret"}), std::runtime_error);
  std::remove(path.c_str());
  std::remove(empty.c_str());
}
