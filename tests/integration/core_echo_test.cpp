// End-to-end test of the core runtime: a TCP echo service on a 2-shard server runtime, driven by
// 300 concurrent client connections on a second 2-shard runtime, each doing ping-pong with
// varied-size payloads (1 byte up to several receive buffers), every byte checked. Both backends.
// Also: a second engine refuses a port the first one holds, and the first keeps serving alone.
#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <random>
#include <system_error>

#include "core/runtime.hpp"
#include "core/testing/loopback_support.hpp"

using namespace hexwire::core;
using namespace hexwire::core::testing;
using namespace std::chrono_literals;

namespace {

constexpr unsigned kShards = 2;
constexpr int kClients = 300;
constexpr int kMessagesPerClient = 6;
constexpr unsigned kBufferSize = 16 * 1024;

RuntimeConfig config_for(BackendKind kind) {
  skip_unless_supported(kind);
  RuntimeConfig config;
  config.shards = kShards;
  config.backend = kind;
  config.pin_threads = false;  // server and client runtimes share two cores with other work
  config.reactor.backend_config.buffer_size = kBufferSize;
  config.reactor.backend_config.buffer_count = 256;
  return config;
}

struct EchoHandler : ConnectionHandler {
  void on_data(Connection& c, std::span<const std::byte> bytes) noexcept override {
    c.send(SharedBuffer::copy_of(bytes));
  }
  void on_close(Connection&, CloseReason) noexcept override {}
};

/// Shared results of all client connections (written from both client shards).
struct Tally {
  std::atomic<int> finished{0};
  std::atomic<int> verified{0};
  std::atomic<int> mismatched{0};
  std::atomic<int> failed{0};
  std::atomic<std::uint64_t> bytes{0};
  std::promise<void> all_done;
  void finish() {
    if (finished.fetch_add(1) + 1 == kClients) {
      all_done.set_value();
    }
  }
};

/// One client connection: sends a message, checks the echo byte by byte, sends the next; closes
/// after the last one.
class PingPongClient : public ConnectionHandler {
 public:
  PingPongClient(Tally* tally, std::uint32_t seed) : tally_(tally), rng_(seed) {}

  void on_open(Connection& c) noexcept override { send_next(c); }

  void on_data(Connection& c, std::span<const std::byte> bytes) noexcept override {
    for (const std::byte b : bytes) {
      if (checked_ >= current_.size() || b != current_.data()[checked_]) {
        mismatch_ = true;
      }
      ++checked_;
    }
    tally_->bytes.fetch_add(bytes.size(), std::memory_order_relaxed);
    if (checked_ >= current_.size()) {
      if (++messages_done_ == kMessagesPerClient) {
        c.close();
      } else {
        send_next(c);
      }
    }
  }

  void on_close(Connection&, CloseReason reason) noexcept override {
    if (mismatch_) {
      tally_->mismatched.fetch_add(1);
    } else if (messages_done_ == kMessagesPerClient && reason == CloseReason::kLocalClose) {
      tally_->verified.fetch_add(1);
    } else {
      tally_->failed.fetch_add(1);
    }
    tally_->finish();
  }

 private:
  void send_next(Connection& c) {
    // 1 byte, around the receive-buffer size, several buffers, and random sizes in between.
    static constexpr std::size_t kSizes[] = {
        1, 2, 100, 1500, kBufferSize - 1, kBufferSize, kBufferSize + 1, 40'000, 70'000};
    std::size_t size = kSizes[rng_() % std::size(kSizes)];
    if (rng_() % 3 == 0) {
      size = 1 + rng_() % 60'000;
    }
    current_ = SharedBuffer::allocate(size);
    for (std::size_t i = 0; i < size; ++i) {
      current_.mutable_data()[i] = static_cast<std::byte>(rng_());
    }
    checked_ = 0;
    c.send(current_);
  }

  Tally* tally_;
  std::mt19937 rng_;
  SharedBuffer current_;
  std::size_t checked_ = 0;
  int messages_done_ = 0;
  bool mismatch_ = false;
};

std::uint64_t sum_over_shards(MetricsRegistry& registry, const char* name, unsigned shard) {
  return registry.counter(name, "", shard).value();
}

void echo_many_clients(BackendKind kind) {
  Runtime server(config_for(kind));
  server.start();
  const std::uint16_t port =
      server.listen("127.0.0.1", 0, [](Connection&) { return std::make_unique<EchoHandler>(); });
  REQUIRE(port != 0);

  Runtime clients(config_for(kind));
  clients.start();
  Tally tally;
  const SocketAddress target = SocketAddress::parse("127.0.0.1", port);
  for (unsigned shard = 0; shard < kShards; ++shard) {
    clients.post(shard, [&, shard] {
      for (int i = static_cast<int>(shard); i < kClients; i += kShards) {
        Connection* c = Runtime::this_shard()->reactor().connect(
            target,
            std::make_unique<PingPongClient>(&tally, static_cast<std::uint32_t>(i) * 7919u));
        if (c == nullptr) {
          tally.failed.fetch_add(1);
          tally.finish();
        }
      }
    });
  }
  auto done = tally.all_done.get_future();
  const bool finished = done.wait_for(120s) == std::future_status::ready;  // hang guard only
  clients.request_stop();
  clients.join();
  server.request_stop();
  server.join();
  REQUIRE(finished);
  std::printf("%s: %d clients verified, %llu bytes echoed and checked\n",
              std::string(to_string(kind)).c_str(), tally.verified.load(),
              static_cast<unsigned long long>(tally.bytes.load()));
  CHECK(tally.verified.load() == kClients);
  CHECK(tally.mismatched.load() == 0);
  CHECK(tally.failed.load() == 0);
  // SO_REUSEPORT spread the connections over both server shards' listeners.
  std::uint64_t accepted = 0;
  for (unsigned shard = 0; shard < kShards; ++shard) {
    const std::uint64_t on_shard =
        sum_over_shards(server.metrics(), "connections_accepted_total", shard);
    CHECK(on_shard > 0);
    accepted += on_shard;
  }
  CHECK(accepted == static_cast<std::uint64_t>(kClients));
}

bool echo_once(std::uint16_t port) {
  const int fd = connect_plain(port);
  if (fd < 0) {
    return false;
  }
  bool ok = ::send(fd, "hello", 5, MSG_NOSIGNAL) == 5;
  char reply[5] = {};
  ok = ok && ::recv(fd, reply, sizeof(reply), MSG_WAITALL) == 5 &&
       std::string_view(reply, 5) == "hello";
  ::close(fd);
  return ok;
}

}  // namespace

TEST_CASE("integration echo: io_uring, 2 shards, 300 ping-pong clients, every byte verified",
          "[integration]") {
  echo_many_clients(BackendKind::kIoUring);
}

TEST_CASE("integration echo: epoll, 2 shards, 300 ping-pong clients, every byte verified",
          "[integration]") {
  echo_many_clients(BackendKind::kEpoll);
}

TEST_CASE("integration: a second engine refuses a port in use and the first keeps serving alone",
          "[integration]") {
  const BackendKind kind = io_uring_supported() ? BackendKind::kIoUring : BackendKind::kEpoll;
  Runtime first(config_for(kind));
  first.start();
  const std::uint16_t port =
      first.listen("127.0.0.1", 0, [](Connection&) { return std::make_unique<EchoHandler>(); });
  Runtime second(config_for(kind));
  second.start();
  bool refused = false;
  try {
    (void)second.listen("127.0.0.1", port,
                        [](Connection&) { return std::make_unique<EchoHandler>(); });
  } catch (const std::system_error& error) {
    refused = error.code().value() == EADDRINUSE;
    INFO(error.what());
  }
  CHECK(refused);
  // Had the second engine joined the SO_REUSEPORT group, about half of these would reach a
  // runtime with no listener registered... and every one would still need an echo. All must.
  int echoed = 0;
  for (int i = 0; i < 40; ++i) {
    echoed += echo_once(port) ? 1 : 0;
  }
  CHECK(echoed == 40);
  std::uint64_t accepted_by_second = 0;
  for (unsigned shard = 0; shard < kShards; ++shard) {
    accepted_by_second += second.metrics().counter("connections_accepted_total", "", shard).value();
  }
  CHECK(accepted_by_second == 0);
  second.request_stop();
  second.join();
  first.request_stop();
  first.join();
}
