// Bounds the core puts on what clients can make it hold: mailbox backpressure (a shard whose
// outgoing mailbox reaches the high water stops reading the connections that feed it, and
// resumes without losing or reordering a byte), the reactor's input gate (independent of an
// owner's pause), and the engine-wide connection cap (refusal bytes, then close; the slot comes
// back when a connection ends). Real sockets over 127.0.0.1, both backends; no speed assertions.
#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "core/runtime.hpp"
#include "core/testing/loopback_support.hpp"

using namespace hexwire::core;
using namespace hexwire::core::testing;
using namespace std::chrono_literals;

namespace {

BackendKind backend_under_test() {
  const BackendKind kind = GENERATE(BackendKind::kIoUring, BackendKind::kEpoll);
  skip_unless_supported(kind);
  return kind;
}

/// Forwards every receive buffer to the other shard as one task; the tasks are slow, so the
/// mailbox fills faster than it drains.
struct Forwarder : ConnectionHandler {
  Runtime& runtime;
  std::string& received;  // touched only by the receiving shard's tasks
  std::atomic<int>& in_flight;
  std::atomic<int>& max_in_flight;
  std::promise<void>& all_arrived;
  std::size_t expected;
  Forwarder(Runtime& r, std::string& out, std::atomic<int>& flight, std::atomic<int>& max_flight,
            std::promise<void>& done, std::size_t total)
      : runtime(r),
        received(out),
        in_flight(flight),
        max_in_flight(max_flight),
        all_arrived(done),
        expected(total) {}

  void on_data(Connection& /*c*/, std::span<const std::byte> bytes) noexcept override {
    const int now = in_flight.fetch_add(1) + 1;
    int seen = max_in_flight.load();
    while (now > seen && !max_in_flight.compare_exchange_weak(seen, now)) {
    }
    const unsigned to = 1 - runtime.current_shard();
    runtime.submit_to(to, [this, chunk = std::string(reinterpret_cast<const char*>(bytes.data()),
                                                     bytes.size())] {
      const auto until = std::chrono::steady_clock::now() + 20us;  // a busy receiver
      while (std::chrono::steady_clock::now() < until) {
      }
      received += chunk;
      in_flight.fetch_sub(1);
      if (received.size() == expected) {
        all_arrived.set_value();
      }
    });
  }
  void on_close(Connection&, CloseReason) noexcept override {}
};

struct Recorder : ConnectionHandler {
  std::string data;
  Connection* connection = nullptr;
  bool pause_on_first = false;
  bool* closed = nullptr;  // set at on_close (the handler is destroyed right after)
  void on_open(Connection& c) noexcept override { connection = &c; }
  void on_data(Connection& c, std::span<const std::byte> bytes) noexcept override {
    data.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    if (pause_on_first) {
      pause_on_first = false;
      c.pause_reading();
    }
  }
  void on_close(Connection&, CloseReason) noexcept override {
    connection = nullptr;
    if (closed != nullptr) {
      *closed = true;
    }
  }
};

struct Echo : ConnectionHandler {
  void on_data(Connection& c, std::span<const std::byte> bytes) noexcept override {
    c.send(SharedBuffer::copy_of(bytes));
  }
  void on_close(Connection&, CloseReason) noexcept override {}
};

/// Sends `text` and reads as many bytes back; true when the echo came.
bool round_trip(int fd, std::string_view text) {
  if (::send(fd, text.data(), text.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(text.size())) {
    return false;
  }
  std::string reply(text.size(), '\0');
  return ::recv(fd, reply.data(), reply.size(), MSG_WAITALL) ==
             static_cast<ssize_t>(text.size()) &&
         reply == text;
}

std::string read_to_eof(int fd) {
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  std::string out;
  char chunk[4096];
  ssize_t n;
  while ((n = ::recv(fd, chunk, sizeof(chunk), 0)) > 0) {
    out.append(chunk, static_cast<std::size_t>(n));
  }
  return n == 0 ? out : out + "<error>";
}

}  // namespace

TEST_CASE("mailbox backpressure: a shard stops reading the connections that feed a full mailbox, "
          "then resumes, losing nothing",
          "[backpressure]") {
  const BackendKind kind = backend_under_test();
  RuntimeConfig config;
  config.shards = 2;
  config.backend = kind;
  config.pin_threads = false;
  config.reactor.backend_config.ring_entries = 256;
  config.reactor.backend_config.buffer_count = 64;
  config.reactor.backend_config.buffer_size = 256;  // many small receives: many tasks
  config.mailbox_batch = 8;
  config.mailbox_high_water = 64;
  Runtime runtime(config);
  runtime.start();

  std::string payload;
  for (int i = 0; payload.size() < (1u << 20); ++i) {
    payload += std::to_string(i) + ",";
  }
  std::string received;
  std::atomic<int> in_flight{0};
  std::atomic<int> max_in_flight{0};
  std::promise<void> arrived;
  const std::uint16_t port = runtime.listen("127.0.0.1", 0, [&](Connection&) {
    return std::make_unique<Forwarder>(runtime, received, in_flight, max_in_flight, arrived,
                                       payload.size());
  });
  const int fd = connect_plain(port);
  REQUIRE(fd >= 0);
  std::thread sender([&] {  // blocks in send() whenever the engine stops reading: that is the point
    (void)::send(fd, payload.data(), payload.size(), MSG_NOSIGNAL);
  });
  auto done = arrived.get_future();
  REQUIRE(done.wait_for(30s) == std::future_status::ready);
  sender.join();
  ::close(fd);
  CHECK(received == payload);  // in order, nothing lost
  CHECK(max_in_flight.load() <= 64);
  CHECK(runtime.metrics().counter_total("mailbox_backpressure_total") >= 1);
  CHECK(runtime.metrics().counter_total("mailbox_backpressure_paused_total") >= 1);
  runtime.request_stop();
  runtime.join();
}

TEST_CASE("input gate: holds a connection's bytes until it opens, and never resumes one its "
          "owner paused",
          "[backpressure]") {
  const BackendKind kind = backend_under_test();
  Reactor reactor(test_reactor_config(kind, 64, 4096));
  LoopbackListener listener = open_loopback_listener(kind);
  Recorder* recorder = nullptr;
  bool closed = false;
  reactor.add_listener(listener.fd, [&](Connection&) {
    auto handler = std::make_unique<Recorder>();
    recorder = handler.get();
    recorder->closed = &closed;
    return handler;
  });
  const int fd = connect_plain(listener.port);
  REQUIRE(fd >= 0);
  REQUIRE(run_until(reactor, [&] { return recorder != nullptr && recorder->connection; }));
  auto turns = [&](int n) {
    for (int i = 0; i < n; ++i) {
      reactor.run_once(5'000'000);
    }
  };

  reactor.set_input_gate(true);
  REQUIRE(::send(fd, "a", 1, MSG_NOSIGNAL) == 1);
  turns(20);
  CHECK(recorder->data.empty());  // received, kept, not handed over
  reactor.set_input_gate(false);
  REQUIRE(run_until(reactor, [&] { return recorder->data == "a"; }));

  recorder->pause_on_first = true;
  REQUIRE(::send(fd, "b", 1, MSG_NOSIGNAL) == 1);
  REQUIRE(run_until(reactor, [&] { return recorder->data == "ab"; }));  // and now owner-paused
  REQUIRE(::send(fd, "c", 1, MSG_NOSIGNAL) == 1);
  reactor.set_input_gate(true);
  turns(20);
  reactor.set_input_gate(false);
  turns(20);
  CHECK(recorder->data == "ab");  // the gate opening did not undo the owner's pause
  recorder->connection->resume_reading();
  REQUIRE(run_until(reactor, [&] { return recorder->data == "abc"; }));
  ::close(fd);
  REQUIRE(run_until(reactor, [&] { return closed; }));
}

TEST_CASE("connection cap: over the engine-wide limit a connection gets the refusal and EOF, a "
          "closed connection frees its slot",
          "[backpressure]") {
  const BackendKind kind = backend_under_test();
  RuntimeConfig config;
  config.shards = 2;  // connections land on both shards: the limit is the engine's, not a shard's
  config.backend = kind;
  config.pin_threads = false;
  config.reactor.backend_config.ring_entries = 256;
  config.reactor.backend_config.buffer_count = 64;
  config.max_connections = 3;
  config.refusal = "BUSY\n";
  Runtime runtime(config);
  runtime.start();
  const std::uint16_t port =
      runtime.listen("127.0.0.1", 0, [](Connection&) { return std::make_unique<Echo>(); });
  std::vector<int> open;
  for (int i = 0; i < 3; ++i) {
    open.push_back(connect_plain(port));
    REQUIRE(open.back() >= 0);
    REQUIRE(round_trip(open.back(), "hello"));
  }
  CHECK(runtime.connection_cap()->open() == 3);
  const int refused = connect_plain(port);
  REQUIRE(refused >= 0);
  CHECK(read_to_eof(refused) == "BUSY\n");
  ::close(refused);
  CHECK(runtime.metrics().counter_total("connections_refused_total") == 1);

  ::close(open.back());  // one leaves: its slot comes back once the server saw it go
  open.pop_back();
  const auto give_up = std::chrono::steady_clock::now() + 10s;
  while (runtime.connection_cap()->open() != 2 && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(5ms);
  }
  REQUIRE(runtime.connection_cap()->open() == 2);
  open.push_back(connect_plain(port));
  CHECK(round_trip(open.back(), "welcome back"));
  for (const int fd : open) {
    ::close(fd);
  }
  runtime.request_stop();
  runtime.join();
  CHECK(runtime.connection_cap()->open() == 0);
}
