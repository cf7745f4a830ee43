// ClientPool over loopback against the engine's /echo (app::Node in this process): slots connect,
// send and receive through the net client role, reconnect with a new generation, report connect
// failures, close, spread connections over source addresses (--source-addrs) and bound the kernel's
// search for their source ports; plus parse_ws_url, which turns --url into the server address.
#include <catch2/catch.hpp>

#include <algorithm>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/reactor.hpp"
#include "sim/client_pool.hpp"
#include "sim/options.hpp"
#include "sim/runner.hpp"
#include "sim/source_ports.hpp"
#include "sim/tools/embedded_engine.hpp"

using namespace hexwire;

namespace {

struct RecordingEvents final : sim::ClientEvents {
  std::vector<std::string> log;
  std::vector<std::string> texts;
  void on_open(sim::ClientSlot& slot) noexcept override {
    log.push_back("open " + std::to_string(slot.local) + " gen " + std::to_string(slot.generation));
  }
  void on_text(sim::ClientSlot& slot, std::string_view text) noexcept override {
    texts.emplace_back(text);
    log.push_back("text " + std::to_string(slot.local));
  }
  void on_closed(sim::ClientSlot& slot, bool was_open, bool by_us, std::uint16_t /*code*/,
                 std::string_view /*why*/) noexcept override {
    log.push_back("closed " + std::to_string(slot.local) + (was_open ? " open" : " failed") +
                  (by_us ? " by us" : ""));
  }
};

template <typename Done>
void run_until(core::Reactor& reactor, Done done) {
  const std::uint64_t deadline = core::monotonic_ns() + 5'000'000'000ull;
  while (!done() && core::monotonic_ns() < deadline) {
    reactor.run_once(1'000'000);
  }
  REQUIRE(done());
}

}  // namespace

TEST_CASE("ClientPool: connect, echo a message, close, and reconnect with a new generation") {
  sim::EmbeddedEngine engine("127.0.0.1", 1);
  core::Reactor reactor(core::ReactorConfig{});
  RecordingEvents events;
  sim::ClientPoolConfig config;
  config.servers.push_back(core::SocketAddress::parse("127.0.0.1", engine.port()));
  sim::ClientPool pool(reactor, config, events);
  const std::uint32_t a = pool.add(sim::ClientKind::kEcho, 10, 10);
  const std::uint32_t b = pool.add(sim::ClientKind::kEcho, 11, 11);
  REQUIRE(pool.connect(a, core::monotonic_ns()));
  REQUIRE(pool.connect(b, core::monotonic_ns()));
  CHECK_FALSE(pool.connect(a, core::monotonic_ns()));  // already connecting
  run_until(reactor, [&] { return pool.open_count() == 2; });

  REQUIRE(pool.send(a, "hello"));
  run_until(reactor, [&] { return events.texts.size() == 1; });
  CHECK(events.texts[0] == "hello");

  pool.close(a);
  CHECK_FALSE(pool.send(a, "late"));  // closing: sends refused
  run_until(reactor, [&] { return pool.open_count() == 1; });
  CHECK(events.log.back() == "closed 0 open by us");
  CHECK(pool.slot(a).state == sim::SlotState::kIdle);

  REQUIRE(pool.connect(a, core::monotonic_ns()));
  run_until(reactor, [&] { return pool.open_count() == 2; });
  CHECK(events.log.back() == "open 0 gen 2");
  pool.close_all();
  run_until(reactor, [&] { return pool.open_count() == 0; });
}

TEST_CASE("ClientPool: a refused connection is reported as a failure, not an open") {
  core::Reactor reactor(core::ReactorConfig{});
  RecordingEvents events;
  sim::ClientPoolConfig config;
  std::uint16_t closed_port = 0;
  {
    // A port that was just free: nothing listens there now.
    sim::EmbeddedEngine engine("127.0.0.1", 1);
    closed_port = engine.port();
  }
  config.servers.push_back(core::SocketAddress::parse("127.0.0.1", closed_port));
  sim::ClientPool pool(reactor, config, events);
  const std::uint32_t a = pool.add(sim::ClientKind::kChat, 0, 0);
  REQUIRE(pool.connect(a, core::monotonic_ns()));
  run_until(reactor, [&] { return pool.connecting_count() == 0; });
  REQUIRE(events.log.size() == 1);
  CHECK(events.log[0] == "closed 0 failed");
  CHECK(pool.open_count() == 0);
}

TEST_CASE("ClientPool: source addresses are used round-robin toward one server address") {
  // A plain core listener on 127.0.0.1 records each peer and refuses the connection, so every
  // slot ends as a failed handshake once the server has seen where it came from.
  core::Reactor reactor(core::ReactorConfig{});
  core::ListenOptions listen_options;
  const int listener =
      core::open_listener(core::SocketAddress::parse("127.0.0.1", 0), listen_options);
  std::vector<std::string> peer_hosts;
  reactor.add_listener(listener,
                       [&](core::Connection& c) -> std::unique_ptr<core::ConnectionHandler> {
                         const std::string peer = c.peer().to_string();
                         peer_hosts.push_back(peer.substr(0, peer.rfind(':')));
                         return nullptr;
                       });
  RecordingEvents events;
  sim::ClientPoolConfig config;
  config.servers.push_back(core::SocketAddress::parse("127.0.0.1", core::bound_port(listener)));
  for (const std::string& source : sim::expand_source_addrs("127.0.0.1-127.0.0.3")) {
    config.sources.push_back(core::SocketAddress::parse(source, 0));
  }
  sim::ClientPool pool(reactor, config, events);
  for (std::uint32_t i = 0; i < 6; ++i) {
    REQUIRE(pool.connect(pool.add(sim::ClientKind::kChat, i, i), core::monotonic_ns()));
  }
  run_until(reactor, [&] { return peer_hosts.size() == 6 && pool.connecting_count() == 0; });
  CHECK(std::set<std::string>(peer_hosts.begin(), peer_hosts.end()) ==
        std::set<std::string>{"127.0.0.1", "127.0.0.2", "127.0.0.3"});
  CHECK(pool.open_count() == 0);
  reactor.close_listeners();
}

TEST_CASE("ClientPool: each connection's source port comes from the next window of the range") {
  // Not the kernel's search over the whole range, which turns into a walk over every port in use
  // once a (source, server) pair holds half of it (sim/source_ports.hpp).
  core::Reactor reactor(core::ReactorConfig{});
  const int listener =
      core::open_listener(core::SocketAddress::parse("127.0.0.1", 0), core::ListenOptions{});
  std::vector<std::uint16_t> peer_ports;
  reactor.add_listener(listener,
                       [&](core::Connection& c) -> std::unique_ptr<core::ConnectionHandler> {
                         peer_ports.push_back(c.peer().port());
                         return nullptr;
                       });
  RecordingEvents events;
  sim::ClientPoolConfig config;
  config.servers.push_back(core::SocketAddress::parse("127.0.0.1", core::bound_port(listener)));
  sim::ClientPool pool(reactor, config, events);
  constexpr std::uint32_t kClients = 5;
  for (std::uint32_t i = 0; i < kClients; ++i) {
    REQUIRE(pool.connect(pool.add(sim::ClientKind::kChat, i, i), core::monotonic_ns()));
  }
  run_until(reactor,
            [&] { return peer_ports.size() == kClients && pool.connecting_count() == 0; });
  const core::PortRange range = sim::system_port_range();
  std::sort(peer_ports.begin(), peer_ports.end());
  CHECK(std::adjacent_find(peer_ports.begin(), peer_ports.end()) == peer_ports.end());
  for (const std::uint16_t port : peer_ports) {
    CHECK((port >= range.low && port <= range.high));
  }
  // Windows that start one port apart: all five fit in kClients + kWindow ports (unless the
  // cursor wrapped from the top of the range to its bottom in between).
  const bool wrapped = peer_ports.back() - peer_ports.front() > range.high - range.low - 200;
  if (!wrapped) {
    CHECK(peer_ports.back() - peer_ports.front() < kClients + sim::SourcePorts::kWindow);
  }
  reactor.close_listeners();
}

TEST_CASE("ClientPool: a source address not on this host fails the slot at once") {
  core::Reactor reactor(core::ReactorConfig{});
  RecordingEvents events;
  sim::ClientPoolConfig config;
  config.servers.push_back(core::SocketAddress::parse("127.0.0.1", 9));
  config.sources.push_back(core::SocketAddress::parse("192.0.2.1", 0));  // TEST-NET-1
  sim::ClientPool pool(reactor, config, events);
  const std::uint32_t a = pool.add(sim::ClientKind::kChat, 0, 0);
  CHECK_FALSE(pool.connect(a, core::monotonic_ns()));
  REQUIRE(events.log.size() == 1);
  CHECK(events.log[0] == "closed 0 failed");
  CHECK(pool.connecting_count() == 0);
}

TEST_CASE("ClientPool: clients spread round-robin over several servers by run-wide index") {
  sim::EmbeddedEngine first("127.0.0.1", 1);
  sim::EmbeddedEngine second("127.0.0.1", 1);
  core::Reactor reactor(core::ReactorConfig{});
  RecordingEvents events;
  sim::ClientPoolConfig config;
  config.servers.push_back(core::SocketAddress::parse("127.0.0.1", first.port()));
  config.servers.push_back(core::SocketAddress::parse("127.0.0.1", second.port()));
  sim::ClientPool pool(reactor, config, events);
  // Run-wide indexes 7..12 (as a second worker would have): 7, 9, 11 on server 1, the rest on 0.
  for (std::uint32_t i = 7; i < 13; ++i) {
    const std::uint32_t local = pool.add(sim::ClientKind::kEcho, i, i);
    CHECK(pool.slot(local).server == i % 2);
    REQUIRE(pool.connect(local, core::monotonic_ns()));
  }
  run_until(reactor, [&] { return pool.open_count() == 6; });
  CHECK(pool.opened_per_server() == std::vector<std::uint64_t>{3, 3});
  // Both engines answer: a message on a client of each comes back.
  REQUIRE(pool.send(0, "to one"));
  REQUIRE(pool.send(1, "to the other"));
  run_until(reactor, [&] { return events.texts.size() == 2; });
  // A close of our own keeps the client on its server.
  pool.close(1);
  run_until(reactor, [&] { return pool.open_count() == 5; });
  CHECK(pool.slot(1).server == 0);
  pool.close_all();
  run_until(reactor, [&] { return pool.open_count() == 0; });
}

TEST_CASE("ClientPool: a client whose server is gone moves to the next server") {
  std::uint16_t gone_port = 0;
  {
    sim::EmbeddedEngine gone("127.0.0.1", 1);
    gone_port = gone.port();
  }
  sim::EmbeddedEngine alive("127.0.0.1", 1);
  core::Reactor reactor(core::ReactorConfig{});
  RecordingEvents events;
  sim::ClientPoolConfig config;
  config.servers.push_back(core::SocketAddress::parse("127.0.0.1", gone_port));
  config.servers.push_back(core::SocketAddress::parse("127.0.0.1", alive.port()));
  sim::ClientPool pool(reactor, config, events);
  const std::uint32_t a = pool.add(sim::ClientKind::kEcho, 0, 0);
  REQUIRE(pool.connect(a, core::monotonic_ns()));
  run_until(reactor, [&] { return pool.connecting_count() == 0; });
  CHECK(events.log.back() == "closed 0 failed");
  CHECK(pool.slot(a).server == 1);  // refused: the next attempt goes elsewhere
  REQUIRE(pool.connect(a, core::monotonic_ns()));
  run_until(reactor, [&] { return pool.open_count() == 1; });
  CHECK(pool.opened_per_server() == std::vector<std::uint64_t>{0, 1});
  pool.close_all();
  run_until(reactor, [&] { return pool.open_count() == 0; });
}

TEST_CASE("parse_ws_url: host and port from --url") {
  std::string host;
  std::uint16_t port = 0;
  sim::parse_ws_url("ws://127.0.0.2:9000/ws", host, port);
  CHECK(host == "127.0.0.2");
  CHECK(port == 9000);
  sim::parse_ws_url("ws://localhost", host, port);
  CHECK(host == "127.0.0.1");
  CHECK(port == 80);
  CHECK_THROWS_AS(sim::parse_ws_url("http://127.0.0.1:80", host, port), std::invalid_argument);
  CHECK_THROWS_AS(sim::parse_ws_url("ws://127.0.0.1:0", host, port), std::invalid_argument);
}
