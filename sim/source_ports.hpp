// The source ports hexwire-sim lets the kernel choose from. Left alone, connect() looks for a free
// ephemeral port of one parity first, then of the other: once one (source address, server) pair
// holds half of the range (about 14,000 connections with the default 32768-60999), every further
// connect() walks all of those ports before it finds one. In the 16,000-connection storm
// benchmark that walk took 80-85% of the simulator's one thread for the last ~2,000 connections
// and showed up as the engine's connect latency (bench/e2e/README.md "Connection storms"). A
// SourcePorts cursor gives each connection a small window of the range instead (a socket option,
// core::set_local_port_range), one port further on each time: the kernel still picks the port
// and keeps its own rules (ports shared between destinations, TIME_WAIT reuse, reserved ports),
// and searches only the window: when all of it is taken toward the server, the reactor retries the
// connect with the whole range (core::Reactor::connect), so a full window never fails a connect.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "core/socket.hpp"

namespace hexwire::sim {

/// "32768\t60999" (the format of /proc/sys/net/ipv4/ip_local_port_range); nullopt when malformed
/// or empty (low > high, 0).
std::optional<core::PortRange> parse_port_range(std::string_view text) noexcept;
/// The system's ephemeral range (Linux's default 32768-60999 when it cannot be read).
core::PortRange system_port_range();

class SourcePorts {
 public:
  /// Ports per window: the most the kernel searches for one connection.
  static constexpr std::uint32_t kWindow = 64;

  /// Windows of the system's range, the first drawn from `seed` so that the pools of several
  /// threads or processes rarely search the same ports.
  static SourcePorts from_system(std::uint64_t seed);

  SourcePorts(core::PortRange range, std::uint64_t seed) noexcept;

  /// The window for the next connection: kWindow ports (the whole range when it is smaller),
  /// starting one port after the previous window's start and wrapping within the range.
  [[nodiscard]] core::PortRange next() noexcept;

 private:
  core::PortRange range_;
  std::uint32_t starts_;  // window starts in the range
  std::uint32_t cursor_;  // offset from range_.low of the next window's start
};

}  // namespace hexwire::sim
