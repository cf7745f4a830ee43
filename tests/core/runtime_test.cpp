// Runtime tests with real shard threads: submit_to keeps per-pair FIFO order across shards, a
// sleeping shard is woken by a sender, timers run on the shard that set them, listen() refuses a
// port held elsewhere and supports port 0, and stop closes connections and joins.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <system_error>
#include <thread>
#include <vector>

#include "core/runtime.hpp"
#include "core/testing/loopback_support.hpp"

using namespace hexwire::core;
using namespace hexwire::core::testing;
using namespace std::chrono_literals;

namespace {

constexpr auto kHangGuard = 30s;  // only catches hangs; no test asserts on speed

RuntimeConfig small_config(BackendKind kind, unsigned shards = 2) {
  skip_unless_supported(kind);
  RuntimeConfig config;
  config.shards = shards;
  config.backend = kind;
  config.pin_threads = false;
  config.reactor.backend_config.ring_entries = 256;
  config.reactor.backend_config.buffer_count = 64;
  return config;
}

template <typename T>
T wait_for(std::future<T>& future) {
  REQUIRE(future.wait_for(kHangGuard) == std::future_status::ready);
  return future.get();
}

void submit_order(BackendKind kind) {
  Runtime runtime(small_config(kind));
  runtime.start();
  constexpr int kTasks = 20'000;
  // Each shard sends kTasks numbered tasks to the other; the receiver checks they arrive in order.
  std::vector<int> next_expected(2, 0);
  std::atomic<int> out_of_order{0};
  std::promise<void> done[2];
  for (unsigned from = 0; from < 2; ++from) {
    runtime.post(from, [&, from] {
      const unsigned to = 1 - from;
      for (int i = 0; i < kTasks; ++i) {
        runtime.submit_to(to, [&, to, i] {
          if (runtime.current_shard() != to || next_expected[to] != i) {
            out_of_order.fetch_add(1);
          }
          next_expected[to] = i + 1;
          if (i == kTasks - 1) {
            done[to].set_value();
          }
        });
      }
    });
  }
  auto f0 = done[0].get_future();
  auto f1 = done[1].get_future();
  wait_for(f0);
  wait_for(f1);
  CHECK(out_of_order.load() == 0);
  runtime.request_stop();
  runtime.join();
}

void wake_sleeping_shard(BackendKind kind) {
  RuntimeConfig config = small_config(kind);
  config.max_sleep_ns = UINT64_MAX;  // without a wake-up the target would sleep forever
  Runtime runtime(config);
  runtime.start();
  std::promise<unsigned> ran_on;
  // Let shard 1 go to sleep (nothing to do, no timers), then send it work from shard 0.
  std::this_thread::sleep_for(100ms);
  runtime.post(0,
               [&] { runtime.submit_to(1, [&] { ran_on.set_value(runtime.current_shard()); }); });
  auto future = ran_on.get_future();
  CHECK(wait_for(future) == 1u);
  runtime.request_stop();
  runtime.join();
}

void timers_on_their_shard(BackendKind kind) {
  Runtime runtime(small_config(kind));
  runtime.start();
  std::promise<unsigned> fired[2];
  for (unsigned shard = 0; shard < 2; ++shard) {
    runtime.post(shard, [&, shard] {
      runtime.timers().add_after(
          2'000'000, [&, shard] { fired[shard].set_value(Runtime::this_shard()->id()); });
    });
  }
  auto f0 = fired[0].get_future();
  auto f1 = fired[1].get_future();
  CHECK(wait_for(f0) == 0u);
  CHECK(wait_for(f1) == 1u);
  runtime.request_stop();
  runtime.join();
}

struct CountingHandler : ConnectionHandler {
  std::atomic<int>* closed_for_shutdown;
  explicit CountingHandler(std::atomic<int>* counter) : closed_for_shutdown(counter) {}
  void on_data(Connection& c, std::span<const std::byte> bytes) noexcept override {
    c.send(SharedBuffer::copy_of(bytes));
  }
  void on_close(Connection&, CloseReason reason) noexcept override {
    if (reason == CloseReason::kShutdown) {
      closed_for_shutdown->fetch_add(1);
    }
  }
};

void stop_closes_connections(BackendKind kind) {
  Runtime runtime(small_config(kind));
  runtime.start();
  std::atomic<int> closed{0};
  const std::uint16_t port = runtime.listen(
      "127.0.0.1", 0, [&](Connection&) { return std::make_unique<CountingHandler>(&closed); });
  REQUIRE(port != 0);
  constexpr int kClients = 10;
  std::vector<int> fds;
  for (int i = 0; i < kClients; ++i) {
    const int fd = connect_plain(port);
    REQUIRE(fd >= 0);
    // A round trip proves the shard accepted it (an echo comes back).
    REQUIRE(::send(fd, "ping", 4, MSG_NOSIGNAL) == 4);
    char reply[4];
    REQUIRE(::recv(fd, reply, sizeof(reply), MSG_WAITALL) == 4);
    fds.push_back(fd);
  }
  std::thread stopper([&] { runtime.request_stop(); });  // from another thread
  stopper.join();
  runtime.join();
  CHECK(closed.load() == kClients);
  for (const int fd : fds) {
    char byte;
    CHECK(::recv(fd, &byte, 1, 0) == 0);  // orderly: the client sees EOF
    ::close(fd);
  }
  CHECK(connect_plain(port) == -1);  // listeners are closed
}

/// A shard that queues far more tasks for itself than mailbox_batch runs all of them in its next
/// turn, not mailbox_batch per turn: what one turn's I/O produced must not trickle out over many
/// turns while new reads keep queueing (docs/core.md, loop turn step 2).
void backlog_runs_in_the_next_turn(BackendKind kind) {
  RuntimeConfig config = small_config(kind, 1);
  config.mailbox_batch = 4;
  Runtime runtime(config);
  runtime.start();
  constexpr int kTasks = 1000;
  const auto turns = [&] { return runtime.metrics().counter_total("loop_turns_total"); };
  std::uint64_t first_turn = 0;
  std::uint64_t last_turn = 0;
  int ran = 0;
  std::promise<void> done;
  runtime.post(0, [&] {
    for (int i = 0; i < kTasks; ++i) {
      runtime.submit_to(0, [&] {
        (ran == 0 ? first_turn : last_turn) = turns();
        if (++ran == kTasks) {
          done.set_value();
        }
      });
    }
  });
  auto finished = done.get_future();
  wait_for(finished);
  CHECK(last_turn - first_turn <= 1);  // at most mailbox_batch per turn would take 250 turns
  runtime.request_stop();
  runtime.join();
}

/// A task that answers another task of the same shard (as a `sub` does: a task to the channel's
/// owner, whose reply is a task back) gets its answer run in the same turn, so the answer is
/// flushed with that turn's sends instead of waiting behind the next reap.
void answers_run_in_the_turn_of_their_request(BackendKind kind) {
  RuntimeConfig config = small_config(kind, 1);
  config.mailbox_batch = 4;
  Runtime runtime(config);
  runtime.start();
  constexpr int kRequests = 1000;
  const auto turns = [&] { return runtime.metrics().counter_total("loop_turns_total"); };
  int answered = 0;
  int answered_later = 0;
  std::promise<void> done;
  runtime.post(0, [&] {
    for (int i = 0; i < kRequests; ++i) {
      runtime.submit_to(0, [&] {
        const std::uint64_t request_turn = turns();
        runtime.submit_to(0, [&, request_turn] {
          answered_later += turns() != request_turn ? 1 : 0;
          if (++answered == kRequests) {
            done.set_value();
          }
        });
      });
    }
  });
  auto finished = done.get_future();
  wait_for(finished);
  CHECK(answered_later == 0);
  runtime.request_stop();
  runtime.join();
}

Runtime* signal_target = nullptr;

extern "C" void stop_on_signal(int) {
  signal_target->request_stop();
}

}  // namespace

TEST_CASE("runtime: request_stop from a signal handler stops and joins", "[runtime]") {
  RuntimeConfig config = small_config(BackendKind::kEpoll);
  config.max_sleep_ns = UINT64_MAX;  // shards sleep until woken: only the eventfd write ends it
  Runtime runtime(config);
  runtime.start();
  signal_target = &runtime;
  struct sigaction action {};
  action.sa_handler = stop_on_signal;
  struct sigaction previous {};
  REQUIRE(::sigaction(SIGUSR1, &action, &previous) == 0);
  REQUIRE(::raise(SIGUSR1) == 0);
  runtime.join();  // returns only because the handler's request_stop woke and stopped the shards
  CHECK(runtime.stop_requested());
  ::sigaction(SIGUSR1, &previous, nullptr);
  signal_target = nullptr;
}

TEST_CASE("io_uring runtime: submit_to keeps FIFO order between shards", "[runtime]") {
  submit_order(BackendKind::kIoUring);
}
TEST_CASE("epoll runtime: submit_to keeps FIFO order between shards", "[runtime]") {
  submit_order(BackendKind::kEpoll);
}
TEST_CASE("io_uring runtime: a backlog beyond mailbox_batch runs in the next turn", "[runtime]") {
  backlog_runs_in_the_next_turn(BackendKind::kIoUring);
}
TEST_CASE("epoll runtime: a backlog beyond mailbox_batch runs in the next turn", "[runtime]") {
  backlog_runs_in_the_next_turn(BackendKind::kEpoll);
}
TEST_CASE("io_uring runtime: answers to a shard's own tasks run in the same turn", "[runtime]") {
  answers_run_in_the_turn_of_their_request(BackendKind::kIoUring);
}
TEST_CASE("epoll runtime: answers to a shard's own tasks run in the same turn", "[runtime]") {
  answers_run_in_the_turn_of_their_request(BackendKind::kEpoll);
}
TEST_CASE("io_uring runtime: a sleeping shard is woken by submit_to", "[runtime]") {
  wake_sleeping_shard(BackendKind::kIoUring);
}
TEST_CASE("epoll runtime: a sleeping shard is woken by submit_to", "[runtime]") {
  wake_sleeping_shard(BackendKind::kEpoll);
}
TEST_CASE("io_uring runtime: timers fire on the shard that set them", "[runtime]") {
  timers_on_their_shard(BackendKind::kIoUring);
}
TEST_CASE("epoll runtime: timers fire on the shard that set them", "[runtime]") {
  timers_on_their_shard(BackendKind::kEpoll);
}
TEST_CASE("io_uring runtime: stop closes connections and listeners, then joins", "[runtime]") {
  stop_closes_connections(BackendKind::kIoUring);
}
TEST_CASE("epoll runtime: stop closes connections and listeners, then joins", "[runtime]") {
  stop_closes_connections(BackendKind::kEpoll);
}

TEST_CASE("runtime: listen refuses a port held by another socket, even one with SO_REUSEPORT",
          "[runtime]") {
  Runtime runtime(small_config(BackendKind::kEpoll));
  runtime.start();
  ListenOptions stale;  // what a stale hexwire process would hold: SO_REUSEPORT listeners
  stale.reuse_port = true;
  const int fd = open_listener(SocketAddress::parse("127.0.0.1", 0), stale);
  const std::uint16_t taken = bound_port(fd);
  try {
    (void)runtime.listen("127.0.0.1", taken,
                         [](Connection&) { return std::unique_ptr<ConnectionHandler>(); });
    FAIL("listen() on a port in use must throw");
  } catch (const std::system_error& error) {
    CHECK(error.code().value() == EADDRINUSE);
    CHECK(std::string(error.what()).find("already in use") != std::string::npos);
  }
  ::close(fd);
  runtime.request_stop();
  runtime.join();
}

TEST_CASE("runtime: share_port joins a port other SO_REUSEPORT listeners hold, never another one",
          "[runtime]") {
  RuntimeConfig config = small_config(BackendKind::kEpoll);
  config.share_port = true;  // hexwire --reuse-port
  Runtime runtime(config);
  runtime.start();
  ListenOptions sharing;  // what another hexwire --reuse-port process holds
  sharing.reuse_port = true;
  const int shared_fd = open_listener(SocketAddress::parse("127.0.0.1", 0), sharing);
  const std::uint16_t shared = bound_port(shared_fd);
  CHECK(runtime.listen("127.0.0.1", shared,
                       [](Connection&) { return std::unique_ptr<ConnectionHandler>(); }) ==
        shared);
  ListenOptions exclusive;  // a socket that does not share its port
  exclusive.reuse_port = false;
  const int exclusive_fd = open_listener(SocketAddress::parse("127.0.0.1", 0), exclusive);
  const std::uint16_t taken = bound_port(exclusive_fd);
  try {
    (void)runtime.listen("127.0.0.1", taken,
                         [](Connection&) { return std::unique_ptr<ConnectionHandler>(); });
    FAIL("listen() on a port held without SO_REUSEPORT must throw, even with share_port");
  } catch (const std::system_error& error) {
    CHECK(error.code().value() == EADDRINUSE);
    CHECK(std::string(error.what()).find("does not share it") != std::string::npos);
  }
  ::close(shared_fd);
  ::close(exclusive_fd);
  runtime.request_stop();
  runtime.join();
}

TEST_CASE("runtime: start fails cleanly when a shard cannot create its backend", "[runtime]") {
  RuntimeConfig config = small_config(BackendKind::kEpoll);
  config.reactor.backend_config.buffer_size = 0;  // the buffer ring refuses zero-sized buffers
  config.backend = BackendKind::kIoUring;
  skip_unless_supported(BackendKind::kIoUring);
  Runtime runtime(config);
  CHECK_THROWS(runtime.start());
}
