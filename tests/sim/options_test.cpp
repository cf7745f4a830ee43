// hexwire-sim command line: defaults, scenario as positional or flag, per-scenario flags, value
// checks with actionable messages, source address ranges and the connection-capacity check; the
// kernel's ephemeral range and the cursor of source-port windows (sim/source_ports.hpp).
#include "sim/options.hpp"

#include <catch2/catch.hpp>

#include <initializer_list>
#include <stdexcept>
#include <vector>

#include "sim/source_ports.hpp"

using namespace hexwire::sim;

namespace {
constexpr std::uint32_t kPorts = 28232;

ParseOutcome parse(std::initializer_list<const char*> args) {
  std::vector<const char*> argv{"hexwire-sim"};
  argv.insert(argv.end(), args.begin(), args.end());
  return parse_options(static_cast<int>(argv.size()), argv.data(), kPorts);
}

bool mentions(const ParseOutcome& outcome, std::string_view text) {
  return outcome.message.find(text) != std::string::npos;
}
}  // namespace

TEST_CASE("defaults run the mixed scenario in-process") {
  const ParseOutcome outcome = parse({});
  REQUIRE(outcome.options);
  const SimOptions& o = *outcome.options;
  CHECK(o.scenario == Scenario::kMixed);
  CHECK(o.urls.empty());
  CHECK(o.duration_s == 30.0);
  CHECK(o.arrival == ArrivalProcess::kPoisson);
  CHECK(o.threads >= 1);  // 0 resolved to the core count
  CHECK(o.total_connections() == 1000 + 1000 + 1000);
  CHECK_FALSE(o.verify);
  CHECK_FALSE(o.pipeline_subs);
  CHECK(o.sub_retries == 5);  // a refused sub is retried unless --sub-retries 0
}

TEST_CASE("the scenario is accepted as a positional or with --scenario") {
  auto positional = parse({"echo", "--rate", "5000", "--connections", "10"});
  REQUIRE(positional.options);
  CHECK(positional.options->scenario == Scenario::kEcho);
  CHECK(positional.options->rate == 5000.0);
  CHECK(positional.options->total_connections() == 10);

  auto flag = parse({"--scenario", "rides", "--drivers", "20", "--riders", "5"});
  REQUIRE(flag.options);
  CHECK(flag.options->scenario == Scenario::kRides);
  CHECK(flag.options->total_connections() == 25);

  auto bad = parse({"teleport"});
  CHECK_FALSE(bad.options);
  CHECK(bad.exit_code == 2);
  CHECK(mentions(bad, "teleport"));
}

TEST_CASE("every flag parses into its field") {
  auto outcome = parse({"chat",
                        "--url",
                        "ws://10.1.2.3:8080",
                        "--duration",
                        "12.5",
                        "--drain",
                        "0",
                        "--arrival",
                        "constant",
                        "--connections",
                        "5000",
                        "--ramp-rate",
                        "0",
                        "--threads",
                        "3",
                        "--message-size",
                        "256",
                        "--channels",
                        "40",
                        "--channels-per-user",
                        "2",
                        "--zipf-s",
                        "0.8",
                        "--publish-rate",
                        "77",
                        "--churn",
                        "0",
                        "--read-sync-rate",
                        "2",
                        "--history-keep-messages",
                        "250",
                        "--presence-share",
                        "0.25",
                        "--reconnect-storm",
                        "4.5",
                        "--storm-drop",
                        "reset",
                        "--pipeline-subs",
                        "--sub-retries",
                        "0",
                        "--sub-retry-backoff-ms",
                        "50",
                        "--sub-retry-max-backoff-ms",
                        "800",
                        "--sub-retry-window",
                        "12",
                        "--verify",
                        "--report",
                        "r.json",
                        "--csv",
                        "r.csv",
                        "--seed",
                        "99",
                        "--source-addrs",
                        "127.0.0.1-127.0.0.3"});
  REQUIRE(outcome.options);
  const SimOptions& o = *outcome.options;
  CHECK(o.urls == std::vector<std::string>{"ws://10.1.2.3:8080"});
  CHECK(o.duration_s == 12.5);
  CHECK(o.drain_s == 0.0);
  CHECK(o.arrival == ArrivalProcess::kConstant);
  CHECK(o.connections == 5000);
  CHECK(o.ramp_rate == 0.0);
  CHECK(o.threads == 3);
  CHECK(o.message_size == 256);
  CHECK(o.channels == 40);
  CHECK(o.channels_per_user == 2);
  CHECK(o.zipf_s == 0.8);
  CHECK(o.publish_rate == 77.0);
  CHECK(o.churn == 0.0);
  CHECK(o.read_sync_rate == 2.0);
  CHECK(o.history_keep_messages == 250);
  CHECK(o.presence_share == 0.25);
  CHECK(o.reconnect_storm_s == 4.5);
  CHECK(o.storm_drop == "reset");
  CHECK(o.pipeline_subs);
  CHECK(o.sub_retries == 0);
  CHECK(o.sub_retry_backoff_ms == 50);
  CHECK(o.sub_retry_max_backoff_ms == 800);
  CHECK(o.sub_retry_window_s == 12.0);
  CHECK(o.verify);
  CHECK(o.report_file == "r.json");
  CHECK(o.csv_file == "r.csv");
  CHECK(o.seed == 99);
  CHECK(o.source_addrs == std::vector<std::string>{"127.0.0.1", "127.0.0.2", "127.0.0.3"});

  auto rides =
      parse({"rides", "--drivers", "7", "--riders", "8", "--loc-rate", "2", "--ride-rate", "0.5"});
  REQUIRE(rides.options);
  CHECK(rides.options->drivers == 7);
  CHECK(rides.options->riders == 8);
  CHECK(rides.options->loc_rate == 2.0);
  CHECK(rides.options->ride_rate == 0.5);
}

TEST_CASE("several engines: --url repeated or as a comma list, in order") {
  const ParseOutcome repeated =
      parse({"chat", "--url", "ws://127.0.0.1:8001", "--url", "ws://127.0.0.2:8002"});
  REQUIRE(repeated.options);
  CHECK(repeated.options->urls ==
        std::vector<std::string>{"ws://127.0.0.1:8001", "ws://127.0.0.2:8002"});
  const ParseOutcome list =
      parse({"chat", "--url", "ws://127.0.0.1:8001,ws://127.0.0.2:8002", "--url", "ws://h:3"});
  REQUIRE(list.options);
  CHECK(list.options->urls ==
        std::vector<std::string>{"ws://127.0.0.1:8001", "ws://127.0.0.2:8002", "ws://h:3"});
  CHECK(list.options->target_name() == "ws://127.0.0.1:8001,ws://127.0.0.2:8002,ws://h:3");
  // Every entry is checked.
  CHECK(mentions(parse({"--url", "ws://a:1,http://b:2"}), "--url 'http://b:2' must start"));
  // --processes with a list: the children re-run the same command line, so they get the list.
  const ParseOutcome split =
      parse({"chat", "--processes", "2", "--url", "ws://127.0.0.1:1,ws://127.0.0.1:2"});
  REQUIRE(split.options);
  CHECK(split.options->urls.size() == 2);
}

TEST_CASE("flags that the scenario ignores are errors that say so") {
  auto outcome = parse({"echo", "--drivers", "10", "--publish-rate", "5"});
  CHECK_FALSE(outcome.options);
  CHECK(outcome.exit_code == 2);
  CHECK(mentions(outcome, "--drivers has no effect in the echo scenario"));
  CHECK(mentions(outcome, "--publish-rate has no effect in the echo scenario"));
  CHECK(mentions(outcome, "--help"));
  CHECK_FALSE(parse({"rides", "--rate", "10"}).options);
  CHECK_FALSE(parse({"chat", "--rate", "10"}).options);
  CHECK(parse({"mixed", "--drivers", "10", "--channels", "5"}).options);
}

TEST_CASE("bad values get clear errors") {
  CHECK(mentions(parse({"--duration", "-1"}), "--duration: -1 must be more than 0"));
  CHECK(mentions(parse({"--duration", "soon"}), "'soon' is not a number"));
  CHECK(mentions(parse({"echo", "--rate", "0"}), "must be more than 0"));
  CHECK(mentions(parse({"--connections", "0"}), "--connections"));
  CHECK(mentions(parse({"echo", "--message-size", "8"}), "--message-size 8 is too small"));
  CHECK(mentions(parse({"chat", "--message-size", "70000"}), "64 KiB"));
  CHECK(parse({"echo", "--message-size", "70000"}).options);  // /echo allows more
  CHECK(mentions(parse({"chat", "--channels", "3", "--channels-per-user", "4"}),
                 "--channels-per-user 4 is more than --channels 3"));
  CHECK(mentions(parse({"--url", "http://x"}), "must start with ws://"));
  CHECK(parse({"rides", "--verify"}).options);  // rides have their own verification
  CHECK(mentions(parse({"echo", "--history-keep-messages", "5"}),
                 "--history-keep-messages has no effect in the echo scenario"));
  CHECK(mentions(parse({"rides", "--riders", "0"}), "--ride-rate needs riders"));
  CHECK(mentions(parse({"chat", "--duration", "5", "--reconnect-storm", "5"}),
                 "--reconnect-storm 5 s is not within the load"));
  CHECK(parse({"chat", "--duration", "5", "--reconnect-storm", "0"}).options);
  CHECK(mentions(parse({"chat", "--reconnect-storm", "-1"}), "--reconnect-storm"));
  CHECK(parse({"chat", "--duration", "5", "--reconnect-storm", "1"}).options->storm_drop ==
        "close");  // the default: the closing handshake
  CHECK(
      mentions(parse({"chat", "--duration", "5", "--reconnect-storm", "1", "--storm-drop", "rst"}),
               "--storm-drop"));
  CHECK(mentions(parse({"chat", "--storm-drop", "reset"}),
                 "--storm-drop reset says how the storm's connections drop, but there is no "
                 "storm"));
  CHECK(mentions(parse({"rides", "--storm-drop", "reset"}),
                 "--storm-drop has no effect in the rides scenario"));
  CHECK(mentions(parse({"chat", "--presence-share", "1.5"}), "--presence-share"));
  CHECK(mentions(parse({"echo", "--presence-share", "0.5"}),
                 "--presence-share has no effect in the echo scenario"));
  CHECK(mentions(parse({"rides", "--reconnect-storm", "1"}),
                 "--reconnect-storm has no effect in the rides scenario"));
  CHECK(mentions(parse({"echo", "--pipeline-subs"}),
                 "--pipeline-subs has no effect in the echo scenario"));
  CHECK(mentions(parse({"echo", "--sub-retries", "3"}),
                 "--sub-retries has no effect in the echo scenario"));
  CHECK(mentions(parse({"chat", "--sub-retry-backoff-ms", "500", "--sub-retry-max-backoff-ms",
                        "100"}),
                 "--sub-retry-max-backoff-ms 100 is less than --sub-retry-backoff-ms 500"));
  CHECK(mentions(parse({"chat", "--sub-retry-window", "0"}), "--sub-retry-window"));
  CHECK(mentions(parse({"chat", "--sub-retries", "101"}), "--sub-retries"));
  CHECK(mentions(parse({"--arrival", "bursty"}), "--arrival"));
  CHECK(mentions(parse({"chat", "--churn", "1.5"}), "--churn"));  // a share per second, at most 1
  CHECK(mentions(parse({"chat", "--read-sync-rate", "-1"}), "--read-sync-rate"));
  CHECK(mentions(parse({"echo", "--churn", "0"}), "--churn has no effect in the echo scenario"));
  CHECK(mentions(parse({"--no-such-flag"}), "--no-such-flag"));
  CHECK(parse({"--no-such-flag"}).exit_code == 2);
}

TEST_CASE("more connections than one source address can carry need --source-addrs") {
  auto too_many = parse({"chat", "--connections", "100000"});
  CHECK_FALSE(too_many.options);
  CHECK(mentions(too_many, "100000 connections need at least 4 source addresses"));
  CHECK(mentions(too_many, "--source-addrs 127.0.0.1-127.0.0.4"));
  CHECK(
      parse({"chat", "--connections", "100000", "--source-addrs", "127.0.0.1-127.0.0.4"}).options);
  CHECK_FALSE(
      parse({"chat", "--connections", "100000", "--source-addrs", "127.0.0.1-127.0.0.3"}).options);
  // Rides and mixed count drivers and riders too.
  CHECK_FALSE(parse({"mixed", "--connections", "20000", "--drivers", "10000"}).options);
  // Each distinct server address has its own port range per source: 4 engines carry 100000.
  CHECK(parse({"chat", "--connections", "100000", "--url",
               "ws://127.0.0.1:1,ws://127.0.0.1:2,ws://127.0.0.1:3,ws://127.0.0.1:4"})
            .options);
  const ParseOutcome same_twice = parse(
      {"chat", "--connections", "100000", "--url", "ws://127.0.0.1:1,ws://127.0.0.1:1"});
  CHECK(mentions(same_twice, "100000 connections need at least 4 source addresses"));
  CHECK(mentions(parse({"chat", "--connections", "100000", "--url",
                        "ws://127.0.0.1:1,ws://127.0.0.1:2"}),
                 "100000 connections (50000 per engine) need at least 2 source addresses"));
}

TEST_CASE("source address lists and ranges expand, bad ones are explained") {
  CHECK(expand_source_addrs("10.0.0.254-10.0.1.1") ==
        std::vector<std::string>{"10.0.0.254", "10.0.0.255", "10.0.1.0", "10.0.1.1"});
  CHECK(expand_source_addrs("127.0.0.1, 127.0.0.5-127.0.0.6") ==
        std::vector<std::string>{"127.0.0.1", "127.0.0.5", "127.0.0.6"});
  CHECK_THROWS_AS(expand_source_addrs("127.0.0.9-127.0.0.1"), std::invalid_argument);
  CHECK_THROWS_AS(expand_source_addrs("localhost"), std::invalid_argument);
  CHECK_THROWS_AS(expand_source_addrs("::1"), std::invalid_argument);
  CHECK_THROWS_AS(expand_source_addrs("1.0.0.0-1.1.0.0"), std::invalid_argument);
  CHECK_THROWS_AS(expand_source_addrs(""), std::invalid_argument);
  CHECK(mentions(parse({"--source-addrs", "127.0.0.1-foo"}), "'foo' is not an IPv4 address"));
}

TEST_CASE("--help explains every scenario and every flag and exits 0") {
  const ParseOutcome help = parse({"--help"});
  CHECK_FALSE(help.options);
  CHECK(help.exit_code == 0);
  for (const char* text : {"echo",
                           "chat",
                           "rides",
                           "mixed",
                           "--url",
                           "--duration",
                           "--drain",
                           "--arrival",
                           "--connections",
                           "--ramp-rate",
                           "--threads",
                           "--rate",
                           "--message-size",
                           "--channels",
                           "--channels-per-user",
                           "--zipf-s",
                           "--publish-rate",
                           "--churn",
                           "--read-sync-rate",
                           "--history-keep-messages",
                           "--presence-share",
                           "--reconnect-storm",
                           "--sub-retries",
                           "--sub-retry-backoff-ms",
                           "--sub-retry-max-backoff-ms",
                           "--sub-retry-window",
                           "--drivers",
                           "--riders",
                           "--loc-rate",
                           "--ride-rate",
                           "--verify",
                           "--report",
                           "--csv",
                           "--seed",
                           "--source-addrs",
                           "intended send time",
                           "coordinated omission",
                           "Examples"}) {
    CAPTURE(text);
    CHECK(mentions(help, text));
  }
  CHECK(help_text() == help.message);
}

TEST_CASE("--help says --source-addrs are the local side of each connection") {
  const ParseOutcome help = parse({"--help"});
  CHECK(mentions(help, "Local (source) addresses to connect from"));
  CHECK_FALSE(mentions(help, "0.0.0.0"));  // the engine no longer has to listen on every address
}

TEST_CASE("settings list what the run will use, per scenario") {
  auto outcome = parse({"echo", "--rate", "123"});
  REQUIRE(outcome.options);
  const auto settings = outcome.options->settings();
  const auto has = [&](std::string_view key, std::string_view value) {
    for (const auto& [k, v] : settings) {
      if (k == key) {
        return v == value;
      }
    }
    return false;
  };
  CHECK(has("scenario", "echo"));
  CHECK(has("rate", "123"));
  CHECK(has("url", "in-process"));
  CHECK_FALSE(has("drivers", "1000"));
}

// SourcePorts: one port further on for each connection, wrapping inside the range.

TEST_CASE("parse_port_range reads ip_local_port_range and refuses nonsense") {
  const auto range = parse_port_range("32768\t60999\n");
  REQUIRE(range);
  CHECK(range->low == 32768);
  CHECK(range->high == 60999);
  CHECK(parse_port_range("1024 1024")->high == 1024);
  CHECK_FALSE(parse_port_range(""));
  CHECK_FALSE(parse_port_range("60999 32768"));
  CHECK_FALSE(parse_port_range("0 100"));
  CHECK_FALSE(parse_port_range("1000 70000"));
  CHECK_FALSE(parse_port_range("abc def"));
}

TEST_CASE("SourcePorts gives windows of kWindow ports, one port further on each time") {
  SourcePorts ports(hexwire::core::PortRange{1000, 1999}, 5);
  const hexwire::core::PortRange first = ports.next();
  CHECK(first.low == 1005);  // the seed picks the first window's start
  CHECK(first.high == 1005 + SourcePorts::kWindow - 1);
  const hexwire::core::PortRange second = ports.next();
  CHECK(second.low == 1006);
  CHECK(second.high == first.high + 1);
}

TEST_CASE("SourcePorts windows stay inside the range and wrap to its start") {
  SourcePorts ports(hexwire::core::PortRange{1000, 1099}, 0);
  hexwire::core::PortRange last{};
  for (int i = 0; i < 100 - static_cast<int>(SourcePorts::kWindow) + 1; ++i) {
    last = ports.next();
    CHECK(last.high <= 1099);
  }
  CHECK(last.high == 1099);  // the last window ends at the top of the range
  CHECK(ports.next().low == 1000);  // then it starts over
}

TEST_CASE("SourcePorts on a range smaller than a window gives the whole range") {
  SourcePorts ports(hexwire::core::PortRange{2000, 2009}, 12345);
  for (int i = 0; i < 3; ++i) {
    const hexwire::core::PortRange window = ports.next();
    CHECK(window.low == 2000);
    CHECK(window.high == 2009);
  }
}

TEST_CASE("system_port_range is the kernel's range or the default") {
  const hexwire::core::PortRange range = system_port_range();
  CHECK(range.low >= 1);
  CHECK(range.low <= range.high);
}
