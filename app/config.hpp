// Engine configuration: every tunable of the hexwire server with its documented default, filled
// from command-line flags and an optional TOML/INI config file (CLI11). Parsing lives at the
// boundary and throws/returns errors a user can act on; the rest of the engine reads plain fields.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "app/dashboard_config.hpp"
#include "app/scaleout_config.hpp"
#include "app/ws_app_config.hpp"
#include "core/backend.hpp"
#include "geo/dispatch/engine.hpp"

namespace hexwire::app {

/// The reactor backend is core's (--backend io_uring|epoll; core::to_string names it).
using core::BackendKind;

struct EngineConfig {
  // Network.
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
  unsigned shards = 0;  // 0: one per online CPU
  BackendKind backend = BackendKind::kIoUring;
  bool pin_threads = true;
  std::string write_batching = "adaptive";  // "adaptive" or "fixed" (docs/core.md)
  std::uint32_t write_delay_us = 0;        // fixed: hold each send this long (0 = none)
  std::uint32_t write_delay_max_us = 20'000;  // adaptive: the longest hold it may choose
  std::uint32_t shutdown_timeout_ms = 5000;
  // Provided receive buffers per shard (power of two): 256 x 16 KiB = 4 MiB resident per shard.
  // 1,024 (16 MiB) received no faster in bench/results/recv-ring-2026-12-05.txt (docs/capacity.md).
  std::uint32_t recv_buffers = 256;
  std::uint32_t recv_buffer_kib = 16;    // bytes per receive buffer, in KiB
  std::uint32_t max_connections = 0;  // open connections; 0 = the open-file limit - 64
  std::uint32_t mailbox_high_water = 32768;  // cross-shard backlog that stops reading; 0 = off
  bool reuse_port = false;  // share --port with other hexwire processes (SO_REUSEPORT)

  // HTTP.
  std::uint32_t http_max_header_bytes = 8 * 1024;
  std::uint32_t http_max_body_bytes = 1024 * 1024;
  std::uint32_t http_idle_timeout_ms = 60'000;
  std::uint32_t http_header_timeout_ms = 10'000;  // a request head must arrive within this

  // WebSocket sessions (net/ws_session.hpp; docs/websocket-sessions.md).
  std::uint32_t ws_max_frame_bytes = 1024 * 1024;     // one frame's payload; above: close 1009
  std::uint32_t ws_max_message_bytes = 64 * 1024;     // /ws message; above: close 1009
  bool echo = false;                                  // serve /echo (benchmarks, conformance)
  std::uint32_t echo_max_message_bytes = 1024 * 1024;  // /echo frame and message limit
  std::uint32_t ws_ping_interval_ms = 30'000;         // ping a silent peer; 0 = never
  std::uint32_t ws_idle_timeout_ms = 120'000;         // close 1001 after this much silence; 0 = never
  std::uint32_t ws_close_timeout_ms = 5'000;          // wait for the peer's close reply
  std::uint32_t ws_outbound_soft_limit = 256 * 1024;  // queued bytes: above = slow connection
  std::uint32_t ws_outbound_hard_limit = 1024 * 1024; // queued bytes: above = policy applies
  std::uint32_t ws_outbound_reply_reserve = 256 * 1024;  // replies/pongs past hard + this: 1008
  std::string ws_slow_policy = "close";               // "close" (1008) or "drop" (count and drop)
  bool ws_deflate = false;                            // accept permessage-deflate offers
  int ws_deflate_level = 6;                           // zlib level 1..9
  std::vector<std::string> ws_allowed_origins;        // empty: every Origin accepted

  // Logging.
  std::string log_level = "info";

  // The /ws application (identity, per-connection limits): app/ws_app_config.hpp.
  WsAppConfig ws_app;

  // Dispatch over /ws (matching, offers, live map, surge): app/dispatch_ops.hpp.
  geo::DispatchConfig dispatch;

  // Dashboard: static files at / and the sys:stats / sys:channels streams (app/dashboard.hpp).
  DashboardConfig dashboard;

  // The broker (memory or redis) and the node's place in a pool (app/scaleout_config.hpp).
  ScaleoutConfig scaleout;
};

/// Result of parsing the command line: either a config to run, or an exit code with the text
/// already printed (for --help, --version, bad flags).
struct ParseOutcome {
  EngineConfig config;
  bool should_run = false;
  int exit_code = 0;
};

/// Parses argv into an EngineConfig. Prints help/errors to stdout/stderr as CLI11 does.
ParseOutcome parse_engine_config(int argc, char** argv);

/// Renders the effective configuration as TOML (for --print-config and the docs).
std::string to_toml(const EngineConfig& config);

}  // namespace hexwire::app
