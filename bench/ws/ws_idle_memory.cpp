// Idle WebSocket memory: starts the `hexwire` binary as a child process, opens N idle WebSocket
// connections to /echo from this process (net's client role on a core::Runtime), and reports the
// server's resident set (/proc/<pid>/statm) before and after, per connection. Kernel socket
// buffers are not part of a process's RSS, so the figure is the engine's user-space cost.
// A baseline row opens the same number of plain TCP connections that stay in HTTP (no upgrade).
// Usage: hexwire-ws-idle-memory [--connections 10000] [--hexwire PATH] [--backend io_uring|epoll]
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include "core/runtime.hpp"
#include "net/ws_client.hpp"

using namespace hexwire;

namespace {

struct Counts {
  std::atomic<unsigned> opened{0};
  std::atomic<unsigned> failed{0};
};

class IdleClient final : public net::WsApplication {
 public:
  explicit IdleClient(Counts& counts) : counts_(counts) {}
  void on_open(net::WsSession&) noexcept override { counts_.opened.fetch_add(1); }
  void on_message(net::WsSession&, net::Opcode, std::span<const std::byte>) noexcept override {}
  void on_connect_failed(std::string_view) noexcept override { counts_.failed.fetch_add(1); }

 private:
  Counts& counts_;
};

/// A TCP connection that never sends anything (stays an idle HTTP keep-alive connection).
class IdleTcp final : public core::ConnectionHandler {
 public:
  explicit IdleTcp(Counts& counts) : counts_(counts) {}
  void on_open(core::Connection&) noexcept override { counts_.opened.fetch_add(1); }
  void on_data(core::Connection&, std::span<const std::byte>) noexcept override {}
  void on_close(core::Connection& c, core::CloseReason reason) noexcept override {
    if (reason == core::CloseReason::connect_failed) {
      counts_.failed.fetch_add(1);
    }
  }

 private:
  Counts& counts_;
};

long resident_bytes(pid_t pid) {
  std::ifstream statm("/proc/" + std::to_string(pid) + "/statm");
  long size = 0;
  long resident = 0;
  statm >> size >> resident;
  return resident * sysconf(_SC_PAGESIZE);
}

struct Child {
  pid_t pid = -1;
  std::uint16_t port = 0;
};

Child spawn_server(const std::string& binary, const std::string& backend) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) {
    throw std::runtime_error("pipe failed");
  }
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(pipe_fds[1], STDOUT_FILENO);
    close(pipe_fds[0]);
    execl(binary.c_str(), binary.c_str(), "--port", "0", "--shards", "1", "--backend",
          backend.c_str(), "--log-level", "warn", "--http-idle-timeout-ms", "600000", "--echo",
          static_cast<char*>(nullptr));
    _exit(127);
  }
  close(pipe_fds[1]);
  std::string out;
  char buffer[512];
  Child child{pid, 0};
  while (child.port == 0) {
    const ssize_t n = read(pipe_fds[0], buffer, sizeof(buffer));
    if (n <= 0) {
      throw std::runtime_error("hexwire did not print its listening line (is the path right?)");
    }
    out.append(buffer, static_cast<std::size_t>(n));
    if (const auto at = out.find("http://127.0.0.1:");
        at != std::string::npos && out.find(' ', at) != std::string::npos) {
      child.port = static_cast<std::uint16_t>(std::stoul(out.substr(at + 17)));
    }
  }
  close(pipe_fds[0]);
  return child;
}

/// Opens `count` more connections in batches, waiting for each batch; returns how many are open.
unsigned open_connections(core::Runtime& clients, std::uint16_t port, unsigned count,
                          bool websocket, Counts& counts) {
  static net::WsClientOptions options;
  options.target = "/echo";
  const core::SocketAddress server = core::SocketAddress::parse("127.0.0.1", port);
  constexpr unsigned kBatch = 500;
  const unsigned base = counts.opened.load() + counts.failed.load();
  for (unsigned started = 0; started < count; started += kBatch) {
    const unsigned batch = std::min(kBatch, count - started);
    clients.post(0, [&counts, batch, server, websocket] {
      core::Reactor& reactor = core::Runtime::this_shard()->reactor();
      for (unsigned i = 0; i < batch; ++i) {
        core::Connection* c = websocket
                                  ? net::connect_websocket(reactor, server, options,
                                                           std::make_unique<IdleClient>(counts))
                                  : reactor.connect(server, std::make_unique<IdleTcp>(counts));
        if (c == nullptr) {
          counts.failed.fetch_add(1);
        }
      }
    });
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (counts.opened.load() + counts.failed.load() < base + started + batch &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  return counts.opened.load();
}

void measure(const std::string& binary, const std::string& backend, unsigned count,
             bool websocket) {
  Child child = spawn_server(binary, backend);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const long before = resident_bytes(child.pid);
  core::RuntimeConfig config;
  config.shards = 1;
  config.pin_threads = false;
  config.backend = backend == "epoll" ? core::BackendKind::epoll : core::BackendKind::io_uring;
  Counts counts;
  unsigned half_opened = 0;
  unsigned opened = 0;
  long half = 0;
  long after = 0;
  {
    core::Runtime clients(config);
    clients.start();
    // RSS at N/2 and N: the slope between them is the marginal cost of one more connection,
    // free of fixed costs (touched receive buffers, first allocations, table growth steps).
    half_opened = open_connections(clients, child.port, count / 2, websocket, counts);
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    half = resident_bytes(child.pid);
    opened = open_connections(clients, child.port, count - count / 2, websocket, counts);
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    after = resident_bytes(child.pid);
    clients.request_stop();
    clients.join();
  }
  kill(child.pid, SIGTERM);
  int status = 0;
  waitpid(child.pid, &status, 0);
  const double average = opened > 0 ? static_cast<double>(after - before) / opened : 0.0;
  const double marginal =
      opened > half_opened ? static_cast<double>(after - half) / (opened - half_opened) : 0.0;
  std::printf("%-9s %-10s %8u %8u %10.1f %10.1f %10.1f %10.0f %10.0f\n", backend.c_str(),
              websocket ? "websocket" : "tcp/http", count, opened, before / 1048576.0,
              half / 1048576.0, after / 1048576.0, average, marginal);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  unsigned count = 10000;
  std::string binary = HEXWIRE_BINARY;
  std::string backend = "io_uring";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string arg = argv[i];
    if (arg == "--connections") {
      count = static_cast<unsigned>(std::stoul(argv[i + 1]));
    } else if (arg == "--hexwire") {
      binary = argv[i + 1];
    } else if (arg == "--backend") {
      backend = argv[i + 1];
    }
  }
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    limit.rlim_cur = limit.rlim_max;
    (void)setrlimit(RLIMIT_NOFILE, &limit);
  }
  std::printf("server RSS (hexwire child process, 1 shard) before/after idle connections\n");
  std::printf("%-9s %-10s %8s %8s %10s %10s %10s %10s %10s\n", "backend", "kind", "wanted",
              "opened", "MiB_at_0", "MiB_at_N/2", "MiB_at_N", "avg_B/conn", "marg_B/conn");
  measure(binary, backend, count, false);  // baseline: connections that never upgrade
  measure(binary, backend, count, true);
  return 0;
}
