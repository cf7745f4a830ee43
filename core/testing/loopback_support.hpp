// Helpers for tests that drive a real reactor over 127.0.0.1: skip when io_uring is refused, a
// small test ReactorConfig, driving a reactor until a condition holds (with a hang guard, never a
// speed assertion), a loopback listener on a free port and a plain blocking client.
#pragma once

#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "core/clock.hpp"
#include "core/reactor.hpp"

namespace hexwire::core::testing {

/// Only catches hangs; no test asserts on speed.
inline constexpr std::uint64_t kHangGuardNs = 30'000'000'000ull;

/// Ends the test binary with the skip code (4) when `kind` is io_uring and the kernel refuses it.
inline void skip_unless_supported(BackendKind kind) {
  if (kind == BackendKind::kIoUring && !io_uring_supported()) {
    std::puts("SKIPPED: io_uring is not available here (ENOSYS/EPERM)");
    std::exit(4);
  }
}

/// A test reactor: 256 ring entries and `buffer_count` receive buffers of `buffer_size` bytes.
inline ReactorConfig test_reactor_config(BackendKind kind, unsigned buffer_count,
                                         unsigned buffer_size) {
  ReactorConfig config;
  config.backend = kind;
  config.backend_config.ring_entries = 256;
  config.backend_config.buffer_count = buffer_count;
  config.backend_config.buffer_size = buffer_size;
  // Fixed batching (no hold unless a test sets write_delay_ns): the send counts these tests check
  // must not depend on how busy the machine is. write_batching_test covers the adaptive mode.
  config.write_batching = WriteBatching::kFixed;
  return config;
}

/// Runs the reactor until `done()` or the hang guard expires; returns done().
template <typename Done>
bool run_until(Reactor& reactor, Done done) {
  const std::uint64_t give_up = monotonic_ns() + kHangGuardNs;
  while (!done() && monotonic_ns() < give_up) {
    reactor.run_once(10'000'000);
  }
  return done();
}

struct LoopbackListener {
  int fd;
  std::uint16_t port;
};

/// A listening socket on 127.0.0.1 and a free port; non-blocking for the epoll backend.
inline LoopbackListener open_loopback_listener(BackendKind kind) {
  ListenOptions options;
  options.nonblocking = kind == BackendKind::kEpoll;
  const int fd = open_listener(SocketAddress::parse("127.0.0.1", 0), options);
  return {fd, bound_port(fd)};
}

/// A plain blocking client socket (not on any reactor) connected to 127.0.0.1:port, or -1.
inline int connect_plain(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const SocketAddress address = SocketAddress::parse("127.0.0.1", port);
  if (fd < 0 || ::connect(fd, address.data(), address.size()) != 0) {
    if (fd >= 0) {
      ::close(fd);
    }
    return -1;
  }
  return fd;
}

}  // namespace hexwire::core::testing
