// Connection memory: starts the `hexwire` binary (1 shard) as a child process, opens idle
// connections to it from this process in steps (e.g. 1,000 then 16,000), and reports the server's
// resident set and peak (VmRSS, VmHWM) and the kernel's socket memory (/proc/slabinfo,
// /proc/net/sockstat) at each step. The slope between two steps is the cost of one more
// connection, free of fixed costs. Kinds: `tcp` (never upgrades: the baseline), `echo` (idle
// WebSocket on /echo), `ws` (authenticated /ws chat connection with --subs subscriptions).
// Usage: hexwire-ws-idle-memory [--kinds tcp,echo,ws] [--connections 1000,16000] [--subs 4]
//          [--channels 1000] [--backend io_uring|epoll] [--hexwire PATH] [--json FILE]
//          [--mappings] [--heaptrack OUT_PREFIX] [--server-arg ARG]...
// --heaptrack attaches heaptrack to the server after start-up, so its report lists the allocations
// made for the connections by call site (heaptrack_print OUT_PREFIX.*.zst).
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/runtime.hpp"
#include "idle_clients.hpp"
#include "proc_memory.hpp"

using namespace hexwire;
using namespace hexwire::bench;

namespace {

struct Options {
  std::vector<std::string> kinds{"tcp", "echo", "ws"};
  std::vector<unsigned> steps{1000, 16000};
  unsigned subs = 4;
  unsigned channels = 1000;  // 0: every subscription gets a channel of its own
  unsigned sources = 4;      // 127.0.0.1..N as source addresses (ephemeral ports per source)
  std::string binary = HEXWIRE_BINARY;
  std::string backend = "io_uring";
  std::string json_path;
  std::string heaptrack_prefix;
  bool mappings = false;
  std::vector<std::string> server_args;
};

struct Child {
  pid_t pid = -1;
  std::uint16_t port = 0;
};

Child spawn_server(const Options& options, bool anonymous) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) {
    throw std::runtime_error("pipe failed");
  }
  std::vector<std::string> args{options.binary, "--port", "0", "--shards", "1", "--backend",
                                options.backend, "--log-level", "warn",
                                "--http-idle-timeout-ms", "600000"};
  if (anonymous) {
    args.emplace_back("--anonymous");
  } else {
    args.emplace_back("--echo");  // /echo is served only when asked for
  }
  args.insert(args.end(), options.server_args.begin(), options.server_args.end());
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(pipe_fds[1], STDOUT_FILENO);
    close(pipe_fds[0]);
    std::vector<char*> argv;
    for (std::string& arg : args) {
      argv.push_back(arg.data());
    }
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
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

struct Point {
  unsigned wanted = 0;
  unsigned ready = 0;
  ProcessMemory server;
  KernelMemory kernel;
};

void print_point(const std::string& kind, const Point& p) {
  std::printf("%-5s %8u %8u %10.2f %10.2f %10lld %12.2f\n", kind.c_str(), p.wanted, p.ready,
              p.server.rss_bytes / 1048576.0, p.server.hwm_bytes / 1048576.0,
              static_cast<long long>(p.kernel.tcp_sockets), p.kernel.slab_bytes / 1048576.0);
  std::fflush(stdout);
}

double per_connection(std::int64_t from, std::int64_t to, unsigned opened) {
  return opened == 0 ? 0.0 : static_cast<double>(to - from) / opened;
}

void print_slopes(const std::string& kind, const std::vector<Point>& points) {
  for (std::size_t i = 1; i < points.size(); ++i) {
    const Point& a = points[i - 1];
    const Point& b = points[i];
    const unsigned added = b.ready - a.ready;
    std::printf("%-5s %6u -> %-6u  user space: RSS %7.0f B/conn, HWM %7.0f B/conn   kernel "
                "(both ends): slab %7.0f B/conn, TCP buffers %5.0f B/conn\n",
                kind.c_str(), a.ready, b.ready,
                per_connection(a.server.rss_bytes, b.server.rss_bytes, added),
                per_connection(a.server.hwm_bytes, b.server.hwm_bytes, added),
                per_connection(a.kernel.slab_bytes, b.kernel.slab_bytes, added),
                per_connection(a.kernel.tcp_buffer_bytes, b.kernel.tcp_buffer_bytes, added));
    if (i == points.size() - 1 && b.kernel.slabinfo_readable) {
      std::printf("      largest slab growth per connection:");
      for (const auto& [cache, bytes] : largest_slab_growth(a.kernel, b.kernel, 6)) {
        std::printf(" %s %.0f", cache.c_str(), static_cast<double>(bytes) / added);
      }
      std::printf("\n");
    }
  }
  std::fflush(stdout);
}

void write_json(const Options& options, const std::string& kind, const std::vector<Point>& points) {
  if (options.json_path.empty()) {
    return;
  }
  FILE* out = std::fopen(options.json_path.c_str(), "a");
  if (out == nullptr) {
    throw std::runtime_error("cannot open " + options.json_path);
  }
  for (const Point& p : points) {
    std::fprintf(out,
                 "{\"kind\":\"%s\",\"backend\":\"%s\",\"subs\":%u,\"channels\":%u,"
                 "\"wanted\":%u,\"ready\":%u,\"rss\":%lld,\"hwm\":%lld,\"tcp_sockets\":%lld,"
                 "\"tcp_buffer_bytes\":%lld,\"slab_bytes\":%lld}\n",
                 kind.c_str(), options.backend.c_str(), kind == "ws" ? options.subs : 0,
                 kind == "ws" ? options.channels : 0, p.wanted, p.ready,
                 static_cast<long long>(p.server.rss_bytes),
                 static_cast<long long>(p.server.hwm_bytes),
                 static_cast<long long>(p.kernel.tcp_sockets),
                 static_cast<long long>(p.kernel.tcp_buffer_bytes),
                 static_cast<long long>(p.kernel.slab_bytes));
  }
  std::fclose(out);
}

void print_mappings(pid_t pid) {
  auto by_kind = resident_by_mapping(pid);
  std::vector<std::pair<std::string, std::int64_t>> sorted(by_kind.begin(), by_kind.end());
  std::sort(sorted.begin(), sorted.end(),
            [](const auto& a, const auto& b) { return a.second > b.second; });
  std::printf("      start-up resident set by mapping:");
  for (const auto& [kind, bytes] : sorted) {
    if (bytes >= 64 * 1024) {
      std::printf(" [%s] %.2f MiB", kind.c_str(), bytes / 1048576.0);
    }
  }
  std::printf("\n");
}

/// Attaches heaptrack to `pid` (it records until the process exits); returns its pid.
pid_t attach_heaptrack(pid_t pid, const std::string& prefix) {
  const pid_t tracer = fork();
  if (tracer == 0) {
    const std::string target = std::to_string(pid);
    const int null_fd = open("/dev/null", O_WRONLY);
    dup2(null_fd, STDOUT_FILENO);
    execlp("heaptrack", "heaptrack", "-o", prefix.c_str(), "-p", target.c_str(),
           static_cast<char*>(nullptr));
    _exit(127);
  }
  std::this_thread::sleep_for(std::chrono::seconds(5));  // gdb attaches and injects the library
  return tracer;
}

void measure(const Options& options, const std::string& kind) {
  const IdleKind idle = parse_idle_kind(kind);
  Child child = spawn_server(options, idle == IdleKind::ws);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  std::vector<Point> points;
  points.push_back({0, 0, read_process_memory(child.pid), read_kernel_memory()});
  print_point(kind, points.back());
  if (options.mappings) {
    print_mappings(child.pid);
  }
  const pid_t tracer = options.heaptrack_prefix.empty()
                           ? -1
                           : attach_heaptrack(child.pid, options.heaptrack_prefix + "." + kind);
  core::RuntimeConfig config;
  config.shards = 1;
  config.pin_threads = false;
  config.backend =
      options.backend == "epoll" ? core::BackendKind::kEpoll : core::BackendKind::kIoUring;
  {
    core::Runtime clients(config);
    clients.start();
    IdleClientPool pool(clients, child.port,
                        IdleClientPlan{idle, options.subs, options.channels, options.sources});
    for (const unsigned step : options.steps) {
      const unsigned ready = pool.open_until(step);
      std::this_thread::sleep_for(std::chrono::milliseconds(800));
      points.push_back({step, ready, read_process_memory(child.pid), read_kernel_memory()});
      print_point(kind, points.back());
      if (!pool.first_error().empty()) {
        std::printf("      first failure: %s\n", pool.first_error().c_str());
      }
    }
    clients.request_stop();
    clients.join();
  }
  kill(child.pid, SIGTERM);
  int status = 0;
  waitpid(child.pid, &status, 0);
  if (tracer > 0) {
    waitpid(tracer, &status, 0);
  }
  print_slopes(kind, points);
  write_json(options, kind, points);
}

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto comma = text.find(',', start);
    const auto end = comma == std::string::npos ? text.size() : comma;
    if (end > start) {
      parts.push_back(text.substr(start, end - start));
    }
    start = end + 1;
  }
  return parts;
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--mappings") {
      o.mappings = true;
      continue;
    }
    if (i + 1 >= argc) {
      throw std::invalid_argument(arg + " needs a value (see the usage line in the source)");
    }
    const std::string value = argv[++i];
    if (arg == "--kinds") {
      o.kinds = split(value);
    } else if (arg == "--connections") {
      o.steps.clear();
      for (const std::string& n : split(value)) {
        o.steps.push_back(static_cast<unsigned>(std::stoul(n)));
      }
      std::sort(o.steps.begin(), o.steps.end());
    } else if (arg == "--subs") {
      o.subs = static_cast<unsigned>(std::stoul(value));
    } else if (arg == "--channels") {
      o.channels = static_cast<unsigned>(std::stoul(value));
    } else if (arg == "--source-addrs") {
      o.sources = std::clamp(static_cast<unsigned>(std::stoul(value)), 1u, 250u);
    } else if (arg == "--hexwire") {
      o.binary = value;
    } else if (arg == "--backend") {
      o.backend = value;
    } else if (arg == "--json") {
      o.json_path = value;
    } else if (arg == "--heaptrack") {
      o.heaptrack_prefix = value;
    } else if (arg == "--server-arg") {
      o.server_args.push_back(value);
    } else {
      throw std::invalid_argument("unknown flag " + arg);
    }
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  try {
    options = parse(argc, argv);
    for (const std::string& kind : options.kinds) {
      (void)parse_idle_kind(kind);
    }
  } catch (const std::exception& error) {
    std::fprintf(stderr, "hexwire-ws-idle-memory: %s\n", error.what());
    return 2;
  }
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    limit.rlim_cur = limit.rlim_max;
    (void)setrlimit(RLIMIT_NOFILE, &limit);
    if (options.steps.back() + 64 > limit.rlim_cur) {
      std::fprintf(stderr, "hexwire-ws-idle-memory: %u connections need more than the %llu open "
                   "files this process may have\n", options.steps.back(),
                   static_cast<unsigned long long>(limit.rlim_cur));
      return 2;
    }
  }
  std::printf("server: hexwire, 1 shard, %s; /ws connections: %u subscriptions each over %u "
              "channels (0 = one channel per subscription); each user's own user:<id> arrives "
              "without one (personal channel)\n",
              options.backend.c_str(), options.subs, options.channels);
  std::printf("%-5s %8s %8s %10s %10s %10s %12s\n", "kind", "wanted", "ready", "RSS_MiB",
              "HWM_MiB", "tcp_socks", "slab_MiB");
  try {
    for (const std::string& kind : options.kinds) {
      measure(options, kind);
    }
  } catch (const std::exception& error) {
    std::fprintf(stderr, "hexwire-ws-idle-memory: %s\n", error.what());
    return 1;
  }
  return 0;
}
