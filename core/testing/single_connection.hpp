// A reactor with one accepted loopback connection and a plain client socket reading from it: the
// set-up shared by the tests of output holding (fixed write delay, adaptive batching). Set-up
// failures throw, so any test framework reports them; reads never assert on speed.
#pragma once

#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include "core/testing/loopback_support.hpp"

namespace hexwire::core::testing {

/// Records the one connection a test listener accepts (nullptr again once it closes).
struct ConnectionSlot : ConnectionHandler {
  Connection** slot;
  explicit ConnectionSlot(Connection** s) : slot(s) {}
  void on_open(Connection& c) noexcept override { *slot = &c; }
  void on_data(Connection&, std::span<const std::byte>) noexcept override {}
  void on_close(Connection&, CloseReason) noexcept override { *slot = nullptr; }
};

/// `reactor` has accepted `server`; `client` is its blocking peer. The counters are wired to the
/// reactor's send, hold and write-delay metrics.
struct SingleConnection {
  Counter sends;
  Counter held;
  Gauge delay_us;
  Reactor reactor;
  Connection* server = nullptr;
  int client = -1;

  explicit SingleConnection(const ReactorConfig& config) : reactor(config, metrics()) {
    const LoopbackListener listener = open_loopback_listener(config.backend);
    reactor.add_listener(listener.fd,
                         [this](Connection&) { return std::make_unique<ConnectionSlot>(&server); });
    client = connect_plain(listener.port);
    if (client < 0 || !run_until(reactor, [&] { return server != nullptr; })) {
      throw std::runtime_error("loopback connection was not accepted");
    }
  }
  ~SingleConnection() {
    if (client >= 0) {
      ::close(client);
    }
  }
  SingleConnection(const SingleConnection&) = delete;
  SingleConnection& operator=(const SingleConnection&) = delete;

  /// Queues `text` on the server connection; throws when the reactor refuses it.
  void send_text(std::string_view text) {
    SharedBuffer b = SharedBuffer::allocate(text.size());
    std::memcpy(b.mutable_data(), text.data(), text.size());
    if (!server->send(std::move(b))) {
      throw std::runtime_error("server connection refused a send");
    }
  }

  /// What the client socket holds now, without blocking; "" when nothing arrived.
  std::string read_available() {
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = ::recv(client, buf, sizeof buf, MSG_DONTWAIT)) > 0) {
      out.append(buf, static_cast<std::size_t>(n));
    }
    return out;
  }

  /// Runs the reactor until the client has read `expected` bytes (or the hang guard expires).
  std::string read_exactly(std::size_t expected) {
    std::string got;
    run_until(reactor, [&] {
      got += read_available();
      return got.size() >= expected;
    });
    return got;
  }

 private:
  ReactorMetrics metrics() {
    ReactorMetrics m;
    m.sends_started = &sends;
    m.writes_held = &held;
    m.write_delay_us = &delay_us;
    return m;
  }
};

}  // namespace hexwire::core::testing
