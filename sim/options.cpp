// hexwire-sim command line: the CLI11 definition with help text written for a first-time user,
// and the whole-command validation (see options.hpp).
#include "sim/options.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <CLI/CLI.hpp>

#include <cmath>
#include <set>
#include <stdexcept>
#include <thread>

#include "sim/source_ports.hpp"

namespace hexwire::sim {
namespace {

constexpr std::string_view kDescription =
    "hexwire-sim: load generator of simulated WebSocket clients for the hexwire engine.\n"
    "Opens many connections, sends on an open-loop schedule (sends happen when they are due, even\n"
    "if replies are slow), and reports honest latency percentiles measured from the moment each\n"
    "message was *meant* to be sent, plus a final table and optional JSON/CSV files.";

constexpr std::string_view kFooter = R"(Scenarios:
  echo   Each connection sends payloads of --message-size bytes to /echo and waits for them back.
         Total request rate --rate. Measures: rtt (intended send -> echo received).
  chat   Each connection is one user in --channels-per-user channels; channel sizes follow a Zipf
         law (--zipf-s), so a few channels are huge and most are small. Users publish --publish-rate
         messages per second in total. One connection in ten is a second device of a user: it only
         reads and syncs read cursors (--read-sync-rate). --churn of the connections per second
         (1% by default) drop and reconnect, resuming every channel with `since`. Measures: ack (intended publish -> ack), deliver
         (intended publish -> each subscriber's copy).
  rides  --drivers stream their position --loc-rate times a second while cruising a street grid of
         San Francisco; --riders request --ride-rate trips per second in total; drivers accept 80%
         of offers and drive accepted trips to completion. Measures: rtt (intended loc -> the
         engine's answer; each loc carries an id), match (intended ride request -> trip matched).
  mixed  chat and rides at the same time on one engine (the default).

Every latency starts at the intended send time from the schedule (see docs/simulator.md: the
open-loop model avoids coordinated omission). Progress is printed once a second.

Case studies (a model of a published system, measured against reference figures):
  hexwire-sim dynamo|s3|lambda|primevideo|netflix <experiment> [flags]   (hexwire-sim dynamo --help; docs/cases/)

Examples:
  hexwire-sim echo --duration 10 --rate 20000 --connections 100
  hexwire-sim chat --url ws://10.0.0.5:8080 --connections 10000 --publish-rate 500 --verify
  hexwire-sim rides --drivers 5000 --riders 2000 --report rides.json --csv rides.csv
  hexwire-sim chat --connections 100000 --source-addrs 127.0.0.1-127.0.0.8 --ramp-rate 5000
)";

// CLI11's own number validators print the whole double range in their errors; these say it plainly.
CLI::Validator number_at_least(double minimum, bool inclusive) {
  const char* description = inclusive ? "NUMBER >= 0" : "NUMBER > 0";
  return CLI::Validator(
      [minimum, inclusive](std::string& text) -> std::string {
        double value = 0.0;
        std::size_t used = 0;
        try {
          value = std::stod(text, &used);
        } catch (const std::exception&) {
          used = 0;
        }
        if (used != text.size() || !std::isfinite(value)) {
          return fmt::format("'{}' is not a number", text);
        }
        if (inclusive ? value < minimum : value <= minimum) {
          return fmt::format("{} must be {} {}", text, inclusive ? "at least" : "more than",
                             minimum);
        }
        return {};
      },
      description);
}

struct RawFlags {
  std::string scenario = "mixed";
  std::string arrival = "poisson";
};

void define_flags(CLI::App& app, SimOptions& o, RawFlags& raw) {
  app.name("hexwire-sim");
  app.description(std::string(kDescription));
  app.footer(std::string(kFooter));
  app.get_formatter()->column_width(32);

  app.add_option("scenario,--scenario", raw.scenario,
                 "What the clients do: echo, chat, rides or mixed (default mixed; see below)")
      ->check(CLI::IsMember({"echo", "chat", "rides", "mixed"}));
  app.add_option("--url", o.urls,
                 "Engine to load, e.g. ws://127.0.0.1:8080 (the scenario picks /ws or /echo). "
                 "Several engines: repeat --url or give a comma list; connections go round-robin "
                 "over them, and a client whose server closes it or cannot be reached reconnects "
                 "to the next one. None (default): start an engine inside this process")
      ->delimiter(',');
  app.add_option("--duration", o.duration_s,
                 "Seconds of measured load after the ramp-up (default 30)")
      ->check(number_at_least(0.0, false));
  app.add_option("--drain", o.drain_s,
                 "Seconds to wait after the last send for replies still in flight (default 2)")
      ->check(number_at_least(0.0, true));
  app.add_option("--arrival", raw.arrival,
                 "Timing of sends: poisson (random gaps, like many independent users; default) or "
                 "constant (evenly spaced)")
      ->check(CLI::IsMember({"poisson", "constant"}));
  app.add_option("--connections", o.connections,
                 "Connections for echo and chat, one simulated user each (default 1000). Above "
                 "~28k per source address add --source-addrs")
      ->check(CLI::Range(1u, 10'000'000u));
  app.add_option("--ramp-rate", o.ramp_rate,
                 "Connections opened per second during the ramp-up; 0 opens all at once "
                 "(default 1000)")
      ->check(number_at_least(0.0, true));
  app.add_option("--threads", o.threads,
                 "Client worker threads; 0 = one per CPU core (default 0; 1 per process with "
                 "--processes)")
      ->check(CLI::Range(0u, 256u));
  app.add_option("--processes", o.processes,
                 "Split the clients over N processes (each with --threads threads) and merge "
                 "their histograms into one report: one process may hold only as many sockets "
                 "as its file limit (ulimit -n). Needs --url; not with --verify (default 1)")
      ->check(CLI::Range(1u, 64u));
  // Internal: how a --processes parent starts each child (not for users; hidden from --help).
  app.add_option("--slice", o.slice)->group("");
  app.add_option("--slices", o.slices)->group("")->check(CLI::Range(1u, 64u));
  app.add_option("--sample-fd", o.sample_fd)->group("");
  app.add_option("--start-at-ns", o.start_at_ns)->group("");

  app.add_option("--rate", o.rate,
                 "echo: requests per second over all connections together (default 10000)")
      ->check(number_at_least(0.0, false));
  app.add_option("--message-size", o.message_size,
                 "echo and chat: payload bytes per message (default 64, minimum 48; at most 64 KiB "
                 "for chat, 1 MiB for echo)");

  app.add_option("--channels", o.channels, "chat: number of channels (default 100)")
      ->check(CLI::Range(1u, 10'000'000u));
  app.add_option("--channels-per-user", o.channels_per_user,
                 "chat: channels each user joins (default 4)")
      ->check(CLI::Range(1u, 10'000u));
  app.add_option("--zipf-s", o.zipf_s,
                 "chat: skew of channel sizes; channel k gets a share ~ 1/k^s. 0 = all equal, "
                 "1.1 = a few huge channels (default 1.1)")
      ->check(CLI::Range(0.0, 10.0));
  app.add_option("--publish-rate", o.publish_rate,
                 "chat: messages published per second over all users together (default 1000)")
      ->check(number_at_least(0.0, true));
  app.add_option("--churn", o.churn,
                 "chat: share of connections that drop and reconnect (resuming with since) per "
                 "second; 0 = none (default 0.01 = 1%/s)")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--read-sync-rate", o.read_sync_rate,
                 "chat: read-cursor updates per second sent by each second device (default 0.5)")
      ->check(number_at_least(0.0, true));

  app.add_option("--presence-share", o.presence_share,
                 "chat: share of users that subscribe with \"presence\":true and so receive "
                 "join/leave events or member counts; 0 = nobody, the engine's default (default 0)")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--reconnect-storm", o.reconnect_storm_s,
                 "chat: S seconds into the load every connection drops (each once its publishes "
                 "are acked) and comes back within 1 s, resuming every channel with since and "
                 "epoch (default: no storm)")
      ->check(number_at_least(0.0, true));
  app.add_option("--storm-drop", o.storm_drop,
                 "chat: how the storm's connections drop: `close` sends a WebSocket close frame "
                 "and waits for the engine's closing handshake (a client that leaves politely); "
                 "`reset` aborts the TCP connection with a RST, as the engine sees a client whose "
                 "process or network died (default close)")
      ->check(CLI::IsMember({"close", "reset"}))
      ->option_text("close|reset");
  app.add_flag("--pipeline-subs", o.pipeline_subs,
               "chat: send a connection's subs right behind its auth instead of after the auth "
               "reply: one round trip less per connect and reconnect, as a client resuming its "
               "channels would (default: wait for the auth reply)");
  app.add_option("--sub-retries", o.sub_retries,
                 "chat: times a sub answered `unavailable` (the engine could not get it through "
                 "its broker in time, e.g. Redis refused the work) is sent again, as a real client "
                 "would; each retry waits a backoff (below) and none starts later than "
                 "--sub-retry-window after the first attempt. Counted apart in the report: subs "
                 "subscribed at the first attempt, after a retry, and failed. 0 = never retry "
                 "(default 5)")
      ->check(CLI::Range(0u, 100u));
  app.add_option("--sub-retry-backoff-ms", o.sub_retry_backoff_ms,
                 "chat: wait before the first retry of a sub; it doubles per retry up to "
                 "--sub-retry-max-backoff-ms, and each wait is drawn between half and all of it "
                 "(jitter, so refused clients do not come back together) (default 200)")
      ->check(CLI::Range(1u, 600'000u));
  app.add_option("--sub-retry-max-backoff-ms", o.sub_retry_max_backoff_ms,
                 "chat: the longest wait between two attempts of a sub (default 5000)")
      ->check(CLI::Range(1u, 600'000u));
  app.add_option("--sub-retry-window", o.sub_retry_window_s,
                 "chat: seconds after a sub's first attempt within which a retry may start; a "
                 "sub still refused then has failed (default 30)")
      ->check(number_at_least(0.0, false));

  app.add_option("--drivers", o.drivers,
                 "rides: simulated drivers, one connection each "
                 "(default 1000)");
  app.add_option("--riders", o.riders,
                 "rides: simulated riders, one connection each "
                 "(default 1000)");
  app.add_option("--loc-rate", o.loc_rate,
                 "rides: location updates per second sent by each driver (default 1)")
      ->check(number_at_least(0.0, true));
  app.add_option("--ride-rate", o.ride_rate,
                 "rides: trip requests per second over all riders together (default 10)")
      ->check(number_at_least(0.0, true));

  app.add_flag("--verify", o.verify,
               "Check what the clients got: chat messages arrive at every subscriber once, in seq "
               "order, with nothing lost, and resumes within the kept history recover; echo "
               "replies equal their requests; every ride request ends exactly once, no driver is "
               "on two trips, every trip event is a legal transition. Exit status 3 on any "
               "anomaly");
  app.add_option("--history-keep-messages", o.history_keep_messages,
                 "chat --verify: messages the engine keeps per channel (its own "
                 "--history-keep-messages); a resume that missed at most this many must be "
                 "answered recovered:true (default 1000)");
  app.add_option("--report", o.report_file,
                 "Write the final results as JSON to this file (schema in docs/simulator.md)");
  app.add_option("--csv", o.csv_file, "Write one CSV row per second to this file");
  app.add_option("--html", o.html_file,
                 "Write a self-contained HTML report (charts of the JSON report) to this file; "
                 "`hexwire-sim report a.json [b.json] --html out.html` draws saved reports");
  app.add_option("--seed", o.seed,
                 "Seed for every random choice (schedules, channels, city); the same seed gives "
                 "the same workload (default 1)");
  app.add_option("--source-addrs", o.source_addrs_text,
                 "Local (source) addresses to connect from, round-robin per connection, e.g. "
                 "127.0.0.1-127.0.0.8 toward a loopback engine; each gives ~28k ports toward the "
                 "one server address, so 100k connections need at least 4. Addresses this host "
                 "does not have are skipped with a notice");
}

std::uint32_t parse_ipv4(std::string_view text) {
  const std::string s(text);
  in_addr addr{};
  if (inet_pton(AF_INET, s.c_str(), &addr) != 1) {
    throw std::invalid_argument(fmt::format("'{}' is not an IPv4 address", s));
  }
  return ntohl(addr.s_addr);
}

std::string format_ipv4(std::uint32_t host_order) {
  return fmt::format("{}.{}.{}.{}", host_order >> 24, (host_order >> 16) & 0xff,
                     (host_order >> 8) & 0xff, host_order & 0xff);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') {
    s.remove_prefix(1);
  }
  while (!s.empty() && s.back() == ' ') {
    s.remove_suffix(1);
  }
  return s;
}

bool uses_chat(Scenario s) {
  return s == Scenario::kChat || s == Scenario::kMixed;
}
bool uses_rides(Scenario s) {
  return s == Scenario::kRides || s == Scenario::kMixed;
}

}  // namespace

std::string_view to_string(Scenario scenario) noexcept {
  switch (scenario) {
    case Scenario::kEcho:
      return "echo";
    case Scenario::kChat:
      return "chat";
    case Scenario::kRides:
      return "rides";
    case Scenario::kMixed:
      return "mixed";
  }
  return "?";
}

std::uint64_t SimOptions::total_connections() const noexcept {
  std::uint64_t total = 0;
  if (scenario == Scenario::kEcho || uses_chat(scenario)) {
    total += connections;
  }
  if (uses_rides(scenario)) {
    total += std::uint64_t{drivers} + riders;
  }
  return total;
}

std::string SimOptions::target_name() const {
  return urls.empty() ? std::string("in-process") : fmt::format("{}", fmt::join(urls, ","));
}

std::vector<std::pair<std::string, std::string>> SimOptions::settings() const {
  std::vector<std::pair<std::string, std::string>> s;
  s.emplace_back("scenario", std::string(to_string(scenario)));
  s.emplace_back("url", target_name());
  s.emplace_back("duration", fmt::format("{}", duration_s));
  s.emplace_back("drain", fmt::format("{}", drain_s));
  s.emplace_back("arrival", std::string(to_string(arrival)));
  s.emplace_back("ramp-rate", fmt::format("{}", ramp_rate));
  s.emplace_back("threads", fmt::format("{}", threads));
  s.emplace_back("processes", fmt::format("{}", processes));
  if (scenario == Scenario::kEcho) {
    s.emplace_back("connections", fmt::format("{}", connections));
    s.emplace_back("rate", fmt::format("{}", rate));
    s.emplace_back("message-size", fmt::format("{}", message_size));
  }
  if (uses_chat(scenario)) {
    s.emplace_back("connections", fmt::format("{}", connections));
    s.emplace_back("message-size", fmt::format("{}", message_size));
    s.emplace_back("channels", fmt::format("{}", channels));
    s.emplace_back("channels-per-user", fmt::format("{}", channels_per_user));
    s.emplace_back("zipf-s", fmt::format("{}", zipf_s));
    s.emplace_back("publish-rate", fmt::format("{}", publish_rate));
    s.emplace_back("churn", fmt::format("{}", churn));
    s.emplace_back("read-sync-rate", fmt::format("{}", read_sync_rate));
    s.emplace_back("history-keep-messages", fmt::format("{}", history_keep_messages));
    s.emplace_back("presence-share", fmt::format("{}", presence_share));
    if (reconnect_storm_s >= 0.0) {
      s.emplace_back("reconnect-storm", fmt::format("{}", reconnect_storm_s));
      s.emplace_back("storm-drop", storm_drop);
    }
    if (pipeline_subs) {
      s.emplace_back("pipeline-subs", "yes");
    }
    s.emplace_back("sub-retries", fmt::format("{}", sub_retries));
    if (sub_retries > 0) {
      s.emplace_back("sub-retry-backoff-ms", fmt::format("{}", sub_retry_backoff_ms));
      s.emplace_back("sub-retry-max-backoff-ms", fmt::format("{}", sub_retry_max_backoff_ms));
      s.emplace_back("sub-retry-window", fmt::format("{}", sub_retry_window_s));
    }
  }
  if (uses_rides(scenario)) {
    s.emplace_back("drivers", fmt::format("{}", drivers));
    s.emplace_back("riders", fmt::format("{}", riders));
    s.emplace_back("loc-rate", fmt::format("{}", loc_rate));
    s.emplace_back("ride-rate", fmt::format("{}", ride_rate));
  }
  s.emplace_back("verify", verify ? "true" : "false");
  s.emplace_back("seed", fmt::format("{}", seed));
  if (!source_addrs.empty()) {
    s.emplace_back("source-addrs", source_addrs_text);
  }
  return s;
}

std::vector<std::string> expand_source_addrs(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    const std::size_t comma = text.find(',');
    const std::string_view item = trim(text.substr(0, comma));
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    if (item.empty()) {
      throw std::invalid_argument("empty entry in the address list");
    }
    const std::size_t dash = item.find('-');
    const std::uint32_t first = parse_ipv4(trim(item.substr(0, dash)));
    const std::uint32_t last =
        dash == std::string_view::npos ? first : parse_ipv4(trim(item.substr(dash + 1)));
    if (last < first) {
      throw std::invalid_argument(
          fmt::format("range '{}' ends before it starts", std::string(item)));
    }
    if (last - first >= 4096 || out.size() + (last - first) >= 4096) {
      throw std::invalid_argument("more than 4096 source addresses");
    }
    for (std::uint32_t a = first; a <= last; ++a) {
      out.push_back(format_ipv4(a));
    }
  }
  if (out.empty()) {
    throw std::invalid_argument("no address given");
  }
  return out;
}

std::uint32_t ephemeral_ports_per_source_addr() {
  const core::PortRange range = system_port_range();
  return range.high - range.low + 1u;
}

std::vector<std::string> validate(const SimOptions& o, std::uint32_t ports_per_source_addr) {
  std::vector<std::string> errors;
  const bool chat = uses_chat(o.scenario);
  const bool echo = o.scenario == Scenario::kEcho;
  if ((chat || echo) && o.message_size < kMinMessageSize) {
    errors.push_back(
        fmt::format("--message-size {} is too small: each message carries a {}-byte "
                    "probe (send time and ids); use at least {}",
                    o.message_size, kMinMessageSize, kMinMessageSize));
  }
  if (chat && o.message_size > kMaxChatMessageSize) {
    errors.push_back(
        fmt::format("--message-size {} is over the engine's 64 KiB message limit on "
                    "/ws; use at most {}",
                    o.message_size, kMaxChatMessageSize));
  }
  if (echo && o.message_size > kMaxEchoMessageSize) {
    errors.push_back(fmt::format("--message-size {} is over the echo limit; use at most {}",
                                 o.message_size, kMaxEchoMessageSize));
  }
  if (chat && o.reconnect_storm_s >= o.duration_s) {
    errors.push_back(fmt::format("--reconnect-storm {} s is not within the load: it must be "
                                 "less than --duration {} s",
                                 o.reconnect_storm_s, o.duration_s));
  }
  if (chat && o.storm_drop != "close" && o.reconnect_storm_s < 0.0) {
    errors.push_back(
        "--storm-drop reset says how the storm's connections drop, but there is no "
        "storm: add --reconnect-storm S");
  }
  if (chat && o.sub_retry_max_backoff_ms < o.sub_retry_backoff_ms) {
    errors.push_back(fmt::format("--sub-retry-max-backoff-ms {} is less than "
                                 "--sub-retry-backoff-ms {}: the cap must be at least the first "
                                 "backoff",
                                 o.sub_retry_max_backoff_ms, o.sub_retry_backoff_ms));
  }
  if (chat && o.channels_per_user > o.channels) {
    errors.push_back(fmt::format("--channels-per-user {} is more than --channels {}",
                                 o.channels_per_user, o.channels));
  }
  if (uses_rides(o.scenario)) {
    if (o.drivers == 0 && o.riders == 0) {
      errors.push_back("the rides scenario needs --drivers or --riders above 0");
    }
    if (o.ride_rate > 0.0 && o.riders == 0) {
      errors.push_back("--ride-rate needs riders: set --riders above 0 (or --ride-rate 0)");
    }
  }
  if (o.processes > 1 && !o.has_url()) {
    errors.push_back(
        "--processes needs --url: each process is a client of an engine running on its own");
  }
  if (o.processes > 1 && o.verify) {
    errors.push_back(
        "--verify needs every publish and delivery in one process: drop --processes (use "
        "--threads to spread the clients over cores)");
  }
  if (o.slice >= o.slices) {
    errors.push_back(fmt::format("--slice {} must be below --slices {}", o.slice, o.slices));
  }
  for (const std::string& url : o.urls) {
    if (url.rfind("ws://", 0) != 0) {
      errors.push_back(fmt::format("--url '{}' must start with ws:// (wss is not supported)", url));
    }
  }
  if (o.urls.size() > kMaxUrls) {
    errors.push_back(fmt::format("--url names {} engines; at most {} are supported",
                                 o.urls.size(), kMaxUrls));
  }
  // Toward each server address a source address offers its own port range: the clients of
  // each of N distinct --url need 1/N of the ports.
  const std::uint64_t servers = std::max<std::size_t>(
      1, std::set<std::string>(o.urls.begin(), o.urls.end()).size());
  const std::uint64_t total = (o.total_connections() + servers - 1) / servers;
  const std::uint64_t addrs = o.source_addrs.empty() ? 1 : o.source_addrs.size();
  if (ports_per_source_addr > 0 && total > addrs * ports_per_source_addr) {
    const std::uint64_t needed = (total + ports_per_source_addr - 1) / ports_per_source_addr;
    errors.push_back(fmt::format(
        "{} connections{} need at least {} source addresses ({} ports each): add "
        "--source-addrs 127.0.0.1-127.0.0.{} (loopback: every 127.x.y.z works without set-up)",
        o.total_connections(),
        servers > 1 ? fmt::format(" ({} per engine)", total) : std::string(), needed,
        ports_per_source_addr, std::min<std::uint64_t>(needed, 254)));
  }
  return errors;
}

ParseOutcome parse_options(int argc, const char* const* argv, std::uint32_t ports_per_source_addr) {
  ParseOutcome outcome;
  SimOptions options;
  RawFlags raw;
  CLI::App app;
  define_flags(app, options, raw);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    outcome.message = app.help();
    outcome.exit_code = 0;
    return outcome;
  } catch (const CLI::ParseError& e) {
    outcome.message = fmt::format("error: {}\nRun with --help to see every flag.\n", e.what());
    outcome.exit_code = 2;
    return outcome;
  }

  options.scenario = raw.scenario == "echo"    ? Scenario::kEcho
                     : raw.scenario == "chat"  ? Scenario::kChat
                     : raw.scenario == "rides" ? Scenario::kRides
                                               : Scenario::kMixed;
  options.arrival =
      raw.arrival == "constant" ? ArrivalProcess::kConstant : ArrivalProcess::kPoisson;

  std::vector<std::string> errors;
  // A flag that the chosen scenario ignores is almost always a mistake in the command.
  struct ScopedFlag {
    const char* name;
    bool (*applies)(Scenario);
  };
  const ScopedFlag scoped[] = {
      {"--rate", [](Scenario s) { return s == Scenario::kEcho; }},
      {"--connections", [](Scenario s) { return s != Scenario::kRides; }},
      {"--message-size", [](Scenario s) { return s == Scenario::kEcho || uses_chat(s); }},
      {"--channels", uses_chat},
      {"--channels-per-user", uses_chat},
      {"--zipf-s", uses_chat},
      {"--publish-rate", uses_chat},
      {"--churn", uses_chat},
      {"--read-sync-rate", uses_chat},
      {"--history-keep-messages", uses_chat},
      {"--presence-share", uses_chat},
      {"--reconnect-storm", uses_chat},
      {"--storm-drop", uses_chat},
      {"--pipeline-subs", uses_chat},
      {"--sub-retries", uses_chat},
      {"--sub-retry-backoff-ms", uses_chat},
      {"--sub-retry-max-backoff-ms", uses_chat},
      {"--sub-retry-window", uses_chat},
      {"--drivers", uses_rides},
      {"--riders", uses_rides},
      {"--loc-rate", uses_rides},
      {"--ride-rate", uses_rides},
  };
  for (const ScopedFlag& flag : scoped) {
    if (app.count(flag.name) > 0 && !flag.applies(options.scenario)) {
      errors.push_back(fmt::format("{} has no effect in the {} scenario", flag.name,
                                   to_string(options.scenario)));
    }
  }
  if (!options.source_addrs_text.empty()) {
    try {
      options.source_addrs = expand_source_addrs(options.source_addrs_text);
    } catch (const std::invalid_argument& e) {
      errors.push_back(fmt::format("--source-addrs '{}': {}", options.source_addrs_text, e.what()));
    }
  }
  if (ports_per_source_addr == 0) {
    ports_per_source_addr = ephemeral_ports_per_source_addr();
  }
  for (std::string& e : validate(options, ports_per_source_addr)) {
    errors.push_back(std::move(e));
  }
  if (!errors.empty()) {
    for (const std::string& e : errors) {
      outcome.message += "error: " + e + "\n";
    }
    outcome.message += "Run with --help to see every flag.\n";
    outcome.exit_code = 2;
    return outcome;
  }
  if (options.threads == 0) {
    options.threads = options.processes > 1 ? 1u : std::max(1u, std::thread::hardware_concurrency());
  }
  options.command_line.assign(argv, argv + argc);
  outcome.options = std::move(options);
  return outcome;
}

std::string help_text() {
  SimOptions options;
  RawFlags raw;
  CLI::App app;
  define_flags(app, options, raw);
  return app.help();
}

}  // namespace hexwire::sim
