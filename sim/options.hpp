// hexwire-sim's command line: every flag as a field of SimOptions, parsed with CLI11, then checked
// as a whole (flags that do not apply to the chosen scenario, connection counts the source
// addresses cannot carry, sizes over the protocol limits) with errors that say how to fix the
// command. The --help text is the first-time user's manual; docs/simulator.md has the long form.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/probe.hpp"
#include "sim/schedule.hpp"

namespace hexwire::sim {

enum class Scenario { kEcho, kChat, kRides, kMixed };
std::string_view to_string(Scenario scenario) noexcept;

/// Smallest --message-size: the probe (intended send time, publisher, publish id) must fit.
inline constexpr std::uint32_t kMinMessageSize = 48;
static_assert(kMinMessageSize >= kProbeJsonSize);
/// Largest --message-size on /ws (the protocol's default message limit) and on /echo.
inline constexpr std::uint32_t kMaxChatMessageSize = 64 * 1024;
inline constexpr std::uint32_t kMaxEchoMessageSize = 1024 * 1024;
/// Most engines one run may name with --url.
inline constexpr std::size_t kMaxUrls = 64;

struct SimOptions {
  Scenario scenario = Scenario::kMixed;
  std::vector<std::string> urls;  // --url, in order; empty: start an engine in this process
  double duration_s = 30.0;  // measured phase, after the ramp-up
  double drain_s = 2.0;      // after the last send: wait this long for replies still in flight
  ArrivalProcess arrival = ArrivalProcess::kPoisson;
  std::uint32_t connections = 1000;  // echo and chat connections (one simulated user each)
  double ramp_rate = 1000.0;         // connections opened per second; 0 = all at once
  std::uint32_t threads = 0;         // client worker threads; 0 = one per core
  std::uint32_t processes = 1;       // --processes: child processes sharing the population

  // Set only in a child started by --processes (internal flags, see sim/process_runner.hpp).
  std::uint32_t slice = 0;         // this child's index, 0 .. slices-1
  std::uint32_t slices = 1;        // children in the run
  int sample_fd = -1;              // >= 0: stream samples and the outcome here, print nothing
  std::uint64_t start_at_ns = 0;   // the run's shared start (CLOCK_MONOTONIC); 0 = now
  std::vector<std::string> command_line;  // argv as given (the parent re-runs it per child)

  // echo
  double rate = 10'000.0;           // echo requests per second, all connections together
  std::uint32_t message_size = 64;  // payload bytes of echo requests and chat publishes

  // chat
  std::uint32_t channels = 100;
  std::uint32_t channels_per_user = 4;
  double zipf_s = 1.1;
  double publish_rate = 1000.0;  // publishes per second, all users together
  double churn = 0.01;           // reconnects per second per connection (resume with since)
  double read_sync_rate = 0.5;   // read-cursor updates per second per second device
  std::uint64_t history_keep_messages = 1000;  // --verify: resumes within this must recover
  double presence_share = 0.0;     // share of users whose subs ask for presence ("presence":true)
  double reconnect_storm_s = -1.0;  // seconds into the load when every connection drops; <0 = none
  std::string storm_drop = "close";  // how the storm drops: "close" (WebSocket closing handshake)
                                     // or "reset" (TCP RST)
  bool pipeline_subs = false;  // send the subs right behind auth, not after its reply
  // A sub answered `unavailable` is sent again after capped exponential backoff with jitter.
  std::uint32_t sub_retries = 5;              // retries per sub; 0 = never retry
  std::uint32_t sub_retry_backoff_ms = 200;   // first backoff; doubles per retry
  std::uint32_t sub_retry_max_backoff_ms = 5'000;  // cap of one backoff
  double sub_retry_window_s = 30.0;           // no retry later than this after the first attempt

  // rides
  std::uint32_t drivers = 1000;
  std::uint32_t riders = 1000;
  double loc_rate = 1.0;    // location updates per second per driver
  double ride_rate = 10.0;  // ride requests per second, all riders together

  bool verify = false;
  std::string report_file;
  std::string csv_file;
  std::string html_file;  // --html: self-contained HTML report drawn from the JSON report
  std::uint64_t seed = 1;
  std::string source_addrs_text;          // as given
  std::vector<std::string> source_addrs;  // expanded, e.g. 127.0.0.1 ... 127.0.0.8

  /// Whether the clients load engines of their own (--url) rather than one in this process.
  [[nodiscard]] bool has_url() const noexcept { return !urls.empty(); }
  /// The --url list as one string ("ws://a:1,ws://b:2"), or "in-process".
  [[nodiscard]] std::string target_name() const;
  /// Whether this process is one child of a --processes run.
  [[nodiscard]] bool is_slice() const noexcept { return sample_fd >= 0; }
  /// Connections the run opens in total (scenario dependent).
  [[nodiscard]] std::uint64_t total_connections() const noexcept;
  /// Flag name -> value as it will run, for the report's "settings".
  [[nodiscard]] std::vector<std::pair<std::string, std::string>> settings() const;
};

/// Result of parsing: either options to run with, or text to print and an exit code
/// (0 for --help, 2 for a usage error).
struct ParseOutcome {
  std::optional<SimOptions> options;
  int exit_code = 0;
  std::string message;  // help or "error: ..." text; empty when options are set
};

/// Parses argv (argv[0] is the program name) and validates. Never throws, never exits.
/// `ports_per_source_addr` is how many local ports one source address offers (see
/// ephemeral_ports_per_source_addr()); 0 means read it from the system.
ParseOutcome parse_options(int argc, const char* const* argv,
                           std::uint32_t ports_per_source_addr = 0);

/// Cross-flag checks on already-parsed options; each string is one actionable error.
std::vector<std::string> validate(const SimOptions& options, std::uint32_t ports_per_source_addr);

/// Expands "127.0.0.1-127.0.0.8" and comma-separated lists of addresses or ranges to addresses.
/// Throws std::invalid_argument with a reason for anything that is not IPv4.
std::vector<std::string> expand_source_addrs(std::string_view text);

/// Size of the local port range in /proc/sys/net/ipv4/ip_local_port_range (28232 if unreadable):
/// the most connections one source address can open to one server address and port.
std::uint32_t ephemeral_ports_per_source_addr();

/// The full --help text (also used by the docs test to check every flag is explained).
std::string help_text();

}  // namespace hexwire::sim
