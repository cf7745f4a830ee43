// Command-line and config-file parsing for the hexwire server (CLI11). Every flag is documented in
// --help and in docs/configuration.md; a config file uses the same names (TOML or INI).
#include "app/config.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <iostream>
#include <map>
#include <thread>

#include "app/dispatch_ops.hpp"

namespace hexwire::app {

namespace {

void add_network_flags(CLI::App& cli, EngineConfig& c) {
  cli.add_option("--host", c.host, "Address to listen on (IPv4 or IPv6 literal)")->capture_default_str();
  cli.add_option("--port", c.port, "TCP port to listen on; 0 picks a free port")->capture_default_str();
  cli.add_option("--shards", c.shards,
                 "Shard threads, one event loop and io_uring each; 0 = one per online CPU")
      ->capture_default_str()
      ->check(CLI::Range(0u, 1024u));
  const std::map<std::string, BackendKind> backends{{"io_uring", BackendKind::kIoUring},
                                                    {"epoll", BackendKind::kEpoll}};
  // Bound through a function: CLI11's default-value text would find core::to_string by ADL.
  cli.add_option_function<BackendKind>(
         "--backend", [&c](const BackendKind& kind) { c.backend = kind; },
         "Reactor backend: io_uring (default) or epoll (comparison, old kernels)")
      ->transform(CLI::CheckedTransformer(backends, CLI::ignore_case))
      ->default_str("io_uring");
  cli.add_flag("!--no-pin", c.pin_threads, "Do not pin shard threads to CPUs");
  cli.add_option("--write-batching", c.write_batching,
                 "adaptive: each shard holds output (so frames queued meanwhile share one send) "
                 "only as long as its load calls for, 0 while it has room; fixed: every send "
                 "waits --write-delay-us. Giving --write-delay-us selects fixed")
      ->capture_default_str()
      ->check(CLI::IsMember({"adaptive", "fixed"}));
  cli.add_option("--write-delay-us", c.write_delay_us,
                 "Fixed batching: hold a connection's output this long (fewer TCP segments under "
                 "fan-out load, up to this much added latency); 0 = send every loop turn")
      ->capture_default_str()
      ->check(CLI::Range(0u, 1'000'000u));
  cli.add_option("--write-delay-max-us", c.write_delay_max_us,
                 "Adaptive batching: the longest hold a busy shard may choose")
      ->capture_default_str()
      ->check(CLI::Range(100u, 1'000'000u));
  cli.add_option("--recv-buffers", c.recv_buffers,
                 "Receive buffers each shard gives the kernel (io_uring provided buffers; a power "
                 "of two). With --recv-buffer-kib this is the shard's fixed receive memory, "
                 "resident from start-up (docs/capacity.md)")
      ->capture_default_str()
      ->check(CLI::Range(16u, 32768u))
      ->check(CLI::Validator(
          [](const std::string& text) {
            const unsigned long n = std::stoul(text);
            return (n & (n - 1)) == 0 ? std::string() : std::string("must be a power of two");
          },
          "POWER OF TWO"));
  cli.add_option("--recv-buffer-kib", c.recv_buffer_kib,
                 "Size of one receive buffer in KiB (also the epoll backend's read size)")
      ->capture_default_str()
      ->check(CLI::Range(1u, 1024u));
  cli.add_option("--shutdown-timeout-ms", c.shutdown_timeout_ms,
                 "On SIGINT/SIGTERM: how long queued output may drain before connections are cut")
      ->capture_default_str();
  cli.add_option("--max-connections", c.max_connections,
                 "Open connections the engine accepts (all shards); more get 503 and are closed. "
                 "0 = the process's open-file limit minus 64")
      ->capture_default_str();
  cli.add_flag("--reuse-port", c.reuse_port,
               "Share --port with other hexwire processes of the same user that also pass "
               "--reuse-port: the kernel spreads new connections over all of them (a gateway "
               "pool on one host; docs/scale-out.md). Without it a port any other process "
               "holds is refused");
  cli.add_option("--mailbox-high-water", c.mailbox_high_water,
                 "Cross-shard tasks a shard may have queued for another before it stops reading "
                 "its connections (backpressure; reading resumes at half); 0 = unbounded")
      ->capture_default_str();
}

void add_http_flags(CLI::App& cli, EngineConfig& c) {
  cli.add_option("--http-max-header-bytes", c.http_max_header_bytes,
                 "Largest HTTP request head accepted (larger: 431)")
      ->capture_default_str()
      ->check(CLI::Range(512u, 1u << 20));
  cli.add_option("--http-max-body-bytes", c.http_max_body_bytes,
                 "Largest HTTP request body accepted (larger: 413)")
      ->capture_default_str();
  cli.add_option("--http-idle-timeout-ms", c.http_idle_timeout_ms,
                 "Close an HTTP keep-alive connection idle for this long")
      ->capture_default_str();
  cli.add_option("--http-header-timeout-ms", c.http_header_timeout_ms,
                 "A request head must be complete this long after its first byte, and a new "
                 "connection must send one within this long (slowloris); else 408 and close. "
                 "0 = no deadline")
      ->capture_default_str();
}

void add_websocket_flags(CLI::App& cli, EngineConfig& c) {
  cli.add_option("--ws-max-frame-bytes", c.ws_max_frame_bytes,
                 "Largest WebSocket frame payload accepted (larger: close 1009)")
      ->capture_default_str()
      ->check(CLI::Range(125u, 1u << 30));
  cli.add_option("--ws-max-message-bytes", c.ws_max_message_bytes,
                 "Largest /ws message; above: too_large (close 1009 only above --ws-max-frame-bytes)")
      ->capture_default_str()
      ->check(CLI::Range(125u, 1u << 30));
  cli.add_flag("--echo", c.echo,
               "Serve the /echo WebSocket endpoint (benchmarks, conformance tests); off by default: "
               "it answers anyone with whatever they send");
  cli.add_option("--echo-max-message-bytes", c.echo_max_message_bytes,
                 "Largest frame and message on /echo (larger: close 1009)")
      ->capture_default_str()
      ->check(CLI::Range(125u, 1u << 30));
  cli.add_option("--ws-ping-interval-ms", c.ws_ping_interval_ms,
                 "Send a ping to a WebSocket peer silent for this long; 0 = never")
      ->capture_default_str();
  cli.add_option("--ws-idle-timeout-ms", c.ws_idle_timeout_ms,
                 "Close (1001) a WebSocket peer that sent no data and answered no ping for this "
                 "long (its own pings do not count); 0 = never")
      ->capture_default_str();
  cli.add_option("--ws-close-timeout-ms", c.ws_close_timeout_ms,
                 "After sending a close frame, wait this long for the peer's reply")
      ->capture_default_str();
  cli.add_option("--ws-outbound-soft-limit", c.ws_outbound_soft_limit,
                 "Queued outbound bytes above which a connection counts as slow")
      ->capture_default_str();
  cli.add_option("--ws-outbound-hard-limit", c.ws_outbound_hard_limit,
                 "Queued outbound bytes above which --ws-slow-policy applies")
      ->capture_default_str();
  cli.add_option("--ws-outbound-reply-reserve", c.ws_outbound_reply_reserve,
                 "Replies and pongs are never dropped; a connection whose queue passes the hard "
                 "limit + this is closed 1008 (a peer that sends requests or pings and does not "
                 "read)")
      ->capture_default_str();
  cli.add_option("--ws-slow-policy", c.ws_slow_policy,
                 "Above the hard limit: close (close 1008) or drop (drop events, counted, and tell "
                 "the client how many with {\"op\":\"dropped\"})")
      ->capture_default_str()
      ->check(CLI::IsMember({"close", "drop"}));
  cli.add_flag("--ws-deflate", c.ws_deflate,
               "Accept permessage-deflate (RFC 7692) when a client offers it (off by default)");
  cli.add_option("--ws-deflate-level", c.ws_deflate_level, "zlib level for permessage-deflate")
      ->capture_default_str()
      ->check(CLI::Range(1, 9));
  cli.add_option("--ws-allowed-origin", c.ws_allowed_origins,
                 "Origin allowed to open a WebSocket (repeatable); none given = any origin");
}

}  // namespace

ParseOutcome parse_engine_config(int argc, char** argv) {
  ParseOutcome outcome;
  EngineConfig& c = outcome.config;
  CLI::App cli{"hexwire: real-time messaging and matching engine (WebSocket, shard-per-core io_uring)",
               "hexwire"};
  cli.set_config("--config", "", "Read flags from a TOML/INI file (same names as the flags)");
  cli.set_version_flag("--version", "hexwire 0.1.0");
  add_network_flags(cli, c);
  add_http_flags(cli, c);
  add_websocket_flags(cli, c);
  add_ws_app_options(cli, c.ws_app);
  add_dispatch_flags(cli, c.dispatch);
  add_dashboard_options(cli, c.dashboard);
  add_scaleout_options(cli, c.scaleout);
  cli.add_option("--log-level", c.log_level, "trace, debug, info, warn, error, critical or off")
      ->capture_default_str()
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));
  bool print_config = false;
  cli.add_flag("--print-config", print_config, "Print the effective configuration as TOML and exit");
  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    outcome.exit_code = cli.exit(e);
    return outcome;
  }
  // Scripts that pass only --write-delay-us N keep meaning "hold every send N us".
  if (cli.count("--write-delay-us") > 0 && cli.count("--write-batching") == 0) {
    c.write_batching = "fixed";
  }
  // Settings the engine would refuse to start with (--anonymous beside a secret, a short secret,
  // --broker redis without --redis...) are refused by --print-config too: a printed file starts.
  try {
    finalize_ws_app_config(c.ws_app);
    finalize_scaleout_config(c.scaleout);
  } catch (const std::exception& e) {
    std::cerr << "hexwire: " << e.what() << "\n";
    outcome.exit_code = 2;
    return outcome;
  }
  if (print_config) {
    std::cout << to_toml(c);
    return outcome;
  }
  if (c.shards == 0) {
    c.shards = std::max(1u, std::thread::hardware_concurrency());
  }
  outcome.should_run = true;
  return outcome;
}

std::string to_toml(const EngineConfig& c) {
  std::string out;
  out += fmt::format("host = \"{}\"\nport = {}\nshards = {}\nbackend = \"{}\"\n", c.host, c.port,
                     c.shards, to_string(c.backend));
  out += fmt::format(
      "write-batching = \"{}\"\nwrite-delay-us = {}\nwrite-delay-max-us = {}\n"
      "shutdown-timeout-ms = {}\nrecv-buffers = {}\nrecv-buffer-kib = {}\nmax-connections = {}\n"
      "mailbox-high-water = {}\nreuse-port = {}\n",
      c.write_batching, c.write_delay_us, c.write_delay_max_us, c.shutdown_timeout_ms,
      c.recv_buffers, c.recv_buffer_kib, c.max_connections, c.mailbox_high_water,
      c.reuse_port ? "true" : "false");
  out += fmt::format(
      "http-max-header-bytes = {}\nhttp-max-body-bytes = {}\nhttp-idle-timeout-ms = {}\n"
      "http-header-timeout-ms = {}\n",
      c.http_max_header_bytes, c.http_max_body_bytes, c.http_idle_timeout_ms,
      c.http_header_timeout_ms);
  out += fmt::format(
      "ws-max-frame-bytes = {}\nws-max-message-bytes = {}\necho = {}\necho-max-message-bytes = {}\n"
      "ws-ping-interval-ms = {}\nws-idle-timeout-ms = {}\nws-close-timeout-ms = {}\n",
      c.ws_max_frame_bytes, c.ws_max_message_bytes, c.echo ? "true" : "false",
      c.echo_max_message_bytes,
      c.ws_ping_interval_ms, c.ws_idle_timeout_ms, c.ws_close_timeout_ms);
  out += fmt::format(
      "ws-outbound-soft-limit = {}\nws-outbound-hard-limit = {}\nws-outbound-reply-reserve = {}\n"
      "ws-slow-policy = \"{}\"\nws-deflate = {}\nws-deflate-level = {}\n",
      c.ws_outbound_soft_limit, c.ws_outbound_hard_limit, c.ws_outbound_reply_reserve,
      c.ws_slow_policy,
      c.ws_deflate ? "true" : "false", c.ws_deflate_level);
  out += "ws-allowed-origin = [";
  for (std::size_t i = 0; i < c.ws_allowed_origins.size(); ++i) {
    out += fmt::format("{}\"{}\"", i == 0 ? "" : ", ", c.ws_allowed_origins[i]);
  }
  out += "]\n";
  out += ws_app_config_toml(c.ws_app);
  out += dispatch_config_toml(c.dispatch);
  out += fmt::format("web-root = \"{}\"\nstats-interval-ms = {}\nstats-top-channels = {}\n",
                     c.dashboard.web_root, c.dashboard.stats_interval_ms,
                     c.dashboard.stats_top_channels);
  out += scaleout_config_toml(c.scaleout);
  out += fmt::format("log-level = \"{}\"\n", c.log_level);
  return out;
}

}  // namespace hexwire::app
