// hexwire-echo-bench: closed-loop TCP ping-pong through the core runtime. An echo server runs on
// one Runtime, a client population on a second Runtime in the same process; each connection sends
// a message, waits for its full echo, records the round trip in a per-shard core::Histogram, and
// sends the next. Prints messages/s, p50/p99/p99.9/max and system calls per message (server and
// client side, measured window only) for io_uring and epoll side by side.
// Usage: hexwire-echo-bench [--backend io_uring|epoll|both] [--connections N] [--message-size B]
//                           [--duration S] [--shards N] [--warmup S] [--buffers N]
//                           [--buffer-size B] [--no-pin]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

#include "core/clock.hpp"
#include "core/histogram.hpp"
#include "core/runtime.hpp"

using namespace hexwire::core;

namespace {

struct Options {
  std::string backend = "both";
  unsigned connections = 100;
  std::size_t message_size = 64;
  double duration_s = 5.0;
  double warmup_s = 1.0;
  unsigned shards = 1;
  unsigned buffer_count = 1024;
  unsigned buffer_size = 16 * 1024;
  bool pin = true;
};

struct Result {
  BackendKind kind;
  std::uint64_t messages = 0;
  double seconds = 0;
  Histogram latency;
  std::uint64_t server_syscalls = 0;  // inside the window, all server shards
  std::uint64_t client_syscalls = 0;
};

/// Sum of the backends' system-call counters over a runtime's shards, read on each shard's thread.
std::uint64_t syscalls_of(Runtime& runtime) {
  std::vector<std::promise<std::uint64_t>> answers(runtime.shard_count());
  for (unsigned shard = 0; shard < runtime.shard_count(); ++shard) {
    runtime.post(shard, [&answers, shard] {
      answers[shard].set_value(Runtime::this_shard()->reactor().backend_stats().syscalls);
    });
  }
  std::uint64_t total = 0;
  for (auto& answer : answers) {
    total += answer.get_future().get();
  }
  return total;
}

void sleep_until_ns(std::uint64_t deadline_ns) {
  while (monotonic_ns() < deadline_ns) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

struct EchoHandler : ConnectionHandler {
  void on_data(Connection& c, std::span<const std::byte> bytes) noexcept override {
    c.send(SharedBuffer::copy_of(bytes));
  }
  void on_close(Connection&, CloseReason) noexcept override {}
};

/// Shared by all client connections; the measurement window is set before the first connect.
struct Window {
  std::uint64_t start_ns = 0;
  std::uint64_t end_ns = 0;
  std::vector<Histogram>* histograms = nullptr;  // one per client shard (single writer each)
  std::vector<std::uint64_t>* completed =
      nullptr;  // messages finished inside the window, per shard
  std::atomic<int> failures{0};
};

class PingPong : public ConnectionHandler {
 public:
  PingPong(Window* window, SharedBuffer message, unsigned shard)
      : window_(window), message_(std::move(message)), shard_(shard) {}

  void on_open(Connection& c) noexcept override { send(c); }

  void on_data(Connection& c, std::span<const std::byte> bytes) noexcept override {
    received_ += bytes.size();
    if (received_ < message_.size()) {
      return;
    }
    const std::uint64_t now = monotonic_ns();
    if (sent_at_ >= window_->start_ns && now <= window_->end_ns) {
      (*window_->histograms)[shard_].record(now - sent_at_);
      ++(*window_->completed)[shard_];
    }
    if (now < window_->end_ns) {
      send(c);
    } else {
      c.close();
    }
  }

  void on_close(Connection&, CloseReason reason) noexcept override {
    if (reason != CloseReason::kLocalClose && reason != CloseReason::kShutdown) {
      window_->failures.fetch_add(1);
    }
  }

 private:
  void send(Connection& c) noexcept {
    received_ = 0;
    sent_at_ = monotonic_ns();
    c.send(message_);  // the same bytes every time: a reference, never a copy
  }

  Window* window_;
  SharedBuffer message_;
  unsigned shard_;
  std::size_t received_ = 0;
  std::uint64_t sent_at_ = 0;
};

Result run_one(BackendKind kind, const Options& options) {
  const unsigned cpus = std::max(1u, std::thread::hardware_concurrency());
  RuntimeConfig server_config;
  server_config.shards = options.shards;
  server_config.backend = kind;
  server_config.pin_threads = options.pin;
  server_config.first_cpu = 0;
  server_config.thread_name = "echo-srv";
  server_config.reactor.backend_config.buffer_count = options.buffer_count;
  server_config.reactor.backend_config.buffer_size = options.buffer_size;
  RuntimeConfig client_config = server_config;
  client_config.first_cpu = options.shards % cpus;  // clients on the other core(s) when possible
  client_config.thread_name = "echo-cli";

  Runtime server(server_config);
  server.start();
  const std::uint16_t port =
      server.listen("127.0.0.1", 0, [](Connection&) { return std::make_unique<EchoHandler>(); });

  Runtime clients(client_config);
  clients.start();
  std::vector<Histogram> histograms(options.shards);
  std::vector<std::uint64_t> completed(options.shards, 0);
  Window window;
  window.histograms = &histograms;
  window.completed = &completed;
  const auto to_ns = [](double s) { return static_cast<std::uint64_t>(s * 1e9); };
  window.start_ns = monotonic_ns() + to_ns(options.warmup_s);
  window.end_ns = window.start_ns + to_ns(options.duration_s);

  SharedBuffer message = SharedBuffer::allocate(options.message_size);
  for (std::size_t i = 0; i < message.size(); ++i) {
    message.mutable_data()[i] = static_cast<std::byte>('a' + i % 26);
  }
  const SocketAddress target = SocketAddress::parse("127.0.0.1", port);
  for (unsigned shard = 0; shard < options.shards; ++shard) {
    clients.post(shard, [&, shard] {
      for (unsigned i = shard; i < options.connections; i += options.shards) {
        if (Runtime::this_shard()->reactor().connect(
                target, std::make_unique<PingPong>(&window, message, shard)) == nullptr) {
          window.failures.fetch_add(1);
        }
      }
    });
  }
  sleep_until_ns(window.start_ns);
  const std::uint64_t server_before = syscalls_of(server);
  const std::uint64_t client_before = syscalls_of(clients);
  sleep_until_ns(window.end_ns);
  const std::uint64_t server_after = syscalls_of(server);
  const std::uint64_t client_after = syscalls_of(clients);
  sleep_until_ns(window.end_ns + 200'000'000);
  clients.request_stop();
  clients.join();
  server.request_stop();
  server.join();

  Result result{kind,
                0,
                options.duration_s,
                Histogram(),
                server_after - server_before,
                client_after - client_before};
  for (unsigned shard = 0; shard < options.shards; ++shard) {
    result.latency.merge(histograms[shard]);
    result.messages += completed[shard];
  }
  if (window.failures.load() != 0) {
    std::fprintf(stderr, "%s: %d connection(s) failed\n", std::string(to_string(kind)).c_str(),
                 window.failures.load());
  }
  return result;
}

double us(std::uint64_t ns) {
  return static_cast<double>(ns) / 1000.0;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  CLI::App app{
      "hexwire-echo-bench: TCP echo round trips through the core runtime, io_uring vs epoll"};
  app.add_option("--backend", options.backend, "io_uring, epoll or both")
      ->check(CLI::IsMember({"io_uring", "epoll", "both"}));
  app.add_option("--connections", options.connections, "concurrent ping-pong connections")
      ->check(CLI::Range(1u, 100000u));
  app.add_option("--message-size", options.message_size, "bytes per message")
      ->check(CLI::Range(std::size_t{1}, std::size_t{16} << 20));
  app.add_option("--duration", options.duration_s, "measured seconds per backend")
      ->check(CLI::Range(0.1, 3600.0));
  app.add_option("--warmup", options.warmup_s, "unmeasured seconds before the window")
      ->check(CLI::Range(0.0, 600.0));
  app.add_option("--shards", options.shards, "shards in the server and in the client runtime")
      ->check(CLI::Range(1u, 256u));
  app.add_option("--buffers", options.buffer_count,
                 "provided receive buffers per shard (power of two; io_uring)")
      ->check(CLI::Range(1u, 32768u));
  app.add_option("--buffer-size", options.buffer_size,
                 "bytes per receive buffer (io_uring) / scratch buffer (epoll)")
      ->check(CLI::Range(64u, 1u << 20));
  app.add_flag("!--no-pin", options.pin, "do not pin shard threads to CPUs");
  CLI11_PARSE(app, argc, argv);

  std::vector<BackendKind> kinds;
  if (options.backend == "both" || options.backend == "io_uring") {
    if (io_uring_supported()) {
      kinds.push_back(BackendKind::kIoUring);
    } else {
      std::fprintf(stderr, "io_uring is not available here; skipping it\n");
    }
  }
  if (options.backend == "both" || options.backend == "epoll") {
    kinds.push_back(BackendKind::kEpoll);
  }
  std::printf(
      "echo: %u connections, %zu-byte messages, %u+%u shards, %.1f s measured (+%.1f s "
      "warm-up), closed loop\n",
      options.connections, options.message_size, options.shards, options.shards, options.duration_s,
      options.warmup_s);
  std::vector<Result> results;
  for (const BackendKind kind : kinds) {
    results.push_back(run_one(kind, options));
  }
  std::printf("%-9s %12s %9s %9s %9s %9s %12s %12s\n", "backend", "messages/s", "p50 us", "p99 us",
              "p99.9 us", "max us", "srv sys/msg", "cli sys/msg");
  for (const Result& r : results) {
    const double messages = static_cast<double>(std::max<std::uint64_t>(r.messages, 1));
    std::printf("%-9s %12.0f %9.1f %9.1f %9.1f %9.1f %12.3f %12.3f\n",
                std::string(to_string(r.kind)).c_str(), static_cast<double>(r.messages) / r.seconds,
                us(r.latency.percentile(50)), us(r.latency.percentile(99)),
                us(r.latency.percentile(99.9)), us(r.latency.max()),
                static_cast<double>(r.server_syscalls) / messages,
                static_cast<double>(r.client_syscalls) / messages);
  }
  if (results.size() == 2 && results[1].messages > 0) {
    std::printf(
        "io_uring/epoll throughput ratio: %.2f\n",
        static_cast<double>(results[0].messages) / static_cast<double>(results[1].messages));
  }
  return 0;
}
