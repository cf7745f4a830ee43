// End-to-end WebSocket echo over loopback: the engine (app::Node, /echo, one shard on CPU 0)
// and N client connections (net's client role on a second core::Runtime, one shard on CPU 1),
// each keeping W messages in flight. Reports echoed messages/s, round-trip p50/p99/p99.9
// (core::Histogram), wire bytes and process CPU per message, for io_uring and epoll side by side
// (epoll is the baseline: every speed claim is the io_uring/epoll ratio of the same run).
// Usage: hexwire-ws-echo-bench [--connections 100,1000] [--window 8] [--size 512] [--seconds 3]
//        [--backends io_uring,epoll] [--payload binary|json] [--deflate] [--deflate-level 6]
//        [--recv-buffers 1024] [--recv-buffer-kib 16]   (the engine shard's receive ring)
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "app/node.hpp"
#include "core/clock.hpp"
#include "core/histogram.hpp"
#include "core/runtime.hpp"
#include "net/ws_client.hpp"

using namespace hexwire;

namespace {

struct Options {
  std::vector<unsigned> connections = {100, 1000};
  unsigned window = 8;
  std::size_t size = 512;
  double seconds = 3.0;
  double warmup = 1.0;
  std::vector<std::string> backends = {"io_uring", "epoll"};
  bool json = false;
  bool deflate = false;
  int deflate_level = 6;
  std::uint32_t recv_buffers = app::EngineConfig{}.recv_buffers;
  std::uint32_t recv_buffer_kib = app::EngineConfig{}.recv_buffer_kib;
};

enum class Phase : int { kWarmup, kMeasure, kStop };

/// Shared by the client shard (writer) and the main thread (reader after the run).
struct Shared {
  std::atomic<int> phase{static_cast<int>(Phase::kWarmup)};
  std::atomic<unsigned> opened{0};
  std::atomic<unsigned> failed{0};
  std::atomic<std::uint64_t> echoed{0};  // during kMeasure
  core::Histogram rtt;                   // ns, during kMeasure
  std::vector<std::string> payloads;     // message templates (first 16 bytes: send time, hex)
  bool text = false;
};

/// One client connection: keeps `window` messages in flight, each stamped with its send time.
class EchoClient final : public net::WsApplication {
 public:
  EchoClient(Shared& shared, unsigned window) : shared_(shared), window_(window) {}

  void on_open(net::WsSession& session) noexcept override {
    shared_.opened.fetch_add(1, std::memory_order_relaxed);
    for (unsigned i = 0; i < window_; ++i) {
      send(session);
    }
  }

  void on_message(net::WsSession& session, net::Opcode,
                  std::span<const std::byte> payload) noexcept override {
    const auto phase = static_cast<Phase>(shared_.phase.load(std::memory_order_relaxed));
    if (phase == Phase::kStop) {
      return;
    }
    std::uint64_t sent_ns = 0;
    if (payload.size() >= 16) {
      sent_ns = decode(payload);
    }
    if (phase == Phase::kMeasure) {
      shared_.rtt.record(core::monotonic_ns() - sent_ns);
      shared_.echoed.fetch_add(1, std::memory_order_relaxed);
    }
    send(session);
  }

  void on_connect_failed(std::string_view reason) noexcept override {
    shared_.failed.fetch_add(1, std::memory_order_relaxed);
    (void)reason;
  }

 private:
  /// The send time is written as 16 hex digits so that text (JSON) payloads stay valid UTF-8.
  static std::uint64_t decode(std::span<const std::byte> payload) noexcept {
    std::uint64_t value = 0;
    for (int i = 0; i < 16; ++i) {
      const auto c = static_cast<char>(payload[static_cast<std::size_t>(i)]);
      value = (value << 4) | static_cast<std::uint64_t>(c <= '9' ? c - '0' : c - 'a' + 10);
    }
    return value;
  }

  void send(net::WsSession& session) noexcept {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string& message = scratch_;
    message = shared_.payloads[next_++ % shared_.payloads.size()];
    std::uint64_t now = core::monotonic_ns();
    for (int i = 15; i >= 0; --i) {
      message[static_cast<std::size_t>(i)] = kHex[now & 0xf];
      now >>= 4;
    }
    if (shared_.text) {
      session.send_text(message);
    } else {
      session.send_binary(std::as_bytes(std::span<const char>(message.data(), message.size())));
    }
  }

  Shared& shared_;
  unsigned window_;
  std::size_t next_ = 0;
  std::string scratch_;
};

/// Message templates. Binary: one pattern. JSON: 1,024 distinct chat events (seeded word choice,
/// varying seq, user and ts), far more than a 32 KiB deflate window holds, so context takeover
/// cannot just find the previous copy of the same message.
std::vector<std::string> make_payloads(const Options& options) {
  if (!options.json) {
    std::string out(options.size, 'x');
    for (std::size_t i = 16; i < out.size(); ++i) {
      out[i] = static_cast<char>('a' + (i * 7) % 26);
    }
    return {out};
  }
  static const char* const kWords[] = {
      "the ",   "meeting ", "moved ",  "to ",     "three ",    "pm ",     "see ",    "you ",
      "there ", "deploy ",  "finished ", "ok ",   "review ",   "my ",     "pull ",   "request ",
      "lunch ", "today ",   "running ", "late ",  "green ",    "build ",  "great ",  "idea ",
      "ship ",  "it ",      "tomorrow ", "coffee ", "anyone ", "incident ", "resolved ", "thanks "};
  std::mt19937_64 rng(2026);
  std::vector<std::string> out;
  for (int m = 0; m < 1024; ++m) {
    std::string event = "0000000000000000{\"op\":\"msg\",\"channel\":\"general\",\"seq\":" +
                        std::to_string(100000 + m * 7) + ",\"from\":\"user-" +
                        std::to_string(rng() % 5000) + "\",\"ts\":" +
                        std::to_string(1764320000000000ull + rng() % 1000000000ull) +
                        ",\"data\":{\"text\":\"";
    while (event.size() + 3 < options.size) {
      event += kWords[rng() % 32];
    }
    event.resize(options.size - 3);
    event += "\"}}";
    out.push_back(std::move(event));
  }
  return out;
}

struct Result {
  std::string backend;
  unsigned connections = 0;
  double messages_per_s = 0;
  double p50_us = 0, p99_us = 0, p999_us = 0;
  double wire_bytes_per_message = 0;  // server bytes received + sent per echoed message
  double cpu_us_per_message = 0;      // whole process (client + server) CPU time
  unsigned failed = 0;
};

double process_cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

std::uint64_t server_bytes(app::Node& engine) {
  std::uint64_t total = 0;
  const std::string text = engine.metrics().prometheus_text();
  for (const char* name : {"\nhexwire_bytes_received_total ", "\nhexwire_bytes_sent_total "}) {
    const std::size_t at = text.find(name);
    if (at != std::string::npos) {
      total += std::stoull(text.substr(at + std::strlen(name)));
    }
  }
  return total;
}

Result run_once(const Options& options, const std::string& backend, unsigned connections) {
  app::EngineConfig config;
  config.host = "127.0.0.1";
  config.port = 0;
  config.shards = 1;
  config.backend = backend == "epoll" ? app::BackendKind::kEpoll : app::BackendKind::kIoUring;
  config.log_level = "warn";
  config.echo = true;
  config.echo_max_message_bytes = 16u << 20;  // the 16 KiB-message rows and larger
  config.ws_deflate = options.deflate;
  config.ws_deflate_level = options.deflate_level;
  config.ws_outbound_hard_limit = 64u << 20;  // measure the engine, not the slow-reader policy
  config.recv_buffers = options.recv_buffers;
  config.recv_buffer_kib = options.recv_buffer_kib;
  app::Node engine(config);
  engine.start();

  core::RuntimeConfig client_config;
  client_config.shards = 1;
  client_config.first_cpu = 1;
  client_config.backend = config.backend == app::BackendKind::kEpoll ? core::BackendKind::kEpoll
                                                                     : core::BackendKind::kIoUring;
  client_config.thread_name = "hw-client";
  core::Runtime clients(client_config);
  clients.start();

  auto shared = std::make_shared<Shared>();
  shared->payloads = make_payloads(options);
  shared->text = options.json;
  static net::WsClientOptions ws_options;
  ws_options.target = "/echo";
  ws_options.handshake.offer_deflate = options.deflate;
  ws_options.session.deflate_level = options.deflate_level;
  const core::SocketAddress server = core::SocketAddress::parse("127.0.0.1", engine.port());
  clients.post(0, [shared, connections, window = options.window, server] {
    core::Reactor& reactor = core::Runtime::this_shard()->reactor();
    for (unsigned i = 0; i < connections; ++i) {
      if (net::connect_websocket(reactor, server, ws_options,
                                 std::make_unique<EchoClient>(*shared, window)) == nullptr) {
        shared->failed.fetch_add(1, std::memory_order_relaxed);
      }
    }
  });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (shared->opened.load() + shared->failed.load() < connections &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(options.warmup));
  const std::uint64_t bytes_before = server_bytes(engine);
  const double cpu_before = process_cpu_seconds();
  const auto start = std::chrono::steady_clock::now();
  shared->phase.store(static_cast<int>(Phase::kMeasure));
  std::this_thread::sleep_for(std::chrono::duration<double>(options.seconds));
  shared->phase.store(static_cast<int>(Phase::kStop));
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double cpu = process_cpu_seconds() - cpu_before;
  const std::uint64_t bytes = server_bytes(engine) - bytes_before;

  Result result;
  result.backend = backend;
  result.connections = connections;
  const auto echoed = static_cast<double>(shared->echoed.load());
  result.messages_per_s = echoed / elapsed;
  result.p50_us = static_cast<double>(shared->rtt.percentile(50)) / 1e3;
  result.p99_us = static_cast<double>(shared->rtt.percentile(99)) / 1e3;
  result.p999_us = static_cast<double>(shared->rtt.percentile(99.9)) / 1e3;
  result.wire_bytes_per_message = echoed > 0 ? static_cast<double>(bytes) / echoed : 0;
  result.cpu_us_per_message = echoed > 0 ? cpu * 1e6 / echoed : 0;
  result.failed = shared->failed.load();
  clients.request_stop();
  clients.join();
  engine.request_stop();
  engine.join();
  return result;
}

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = text.find(',', start);
    out.push_back(
        text.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) {
      break;
    }
    start = comma + 1;
  }
  return out;
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", arg.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--connections") {
      o.connections.clear();
      for (const auto& part : split(value())) {
        o.connections.push_back(static_cast<unsigned>(std::stoul(part)));
      }
    } else if (arg == "--window") {
      o.window = static_cast<unsigned>(std::stoul(value()));
    } else if (arg == "--size") {
      o.size = std::max<std::size_t>(32, std::stoul(value()));
    } else if (arg == "--seconds") {
      o.seconds = std::stod(value());
    } else if (arg == "--warmup") {
      o.warmup = std::stod(value());
    } else if (arg == "--backends") {
      o.backends = split(value());
    } else if (arg == "--payload") {
      o.json = value() == "json";
    } else if (arg == "--deflate") {
      o.deflate = true;
    } else if (arg == "--deflate-level") {
      o.deflate_level = std::stoi(value());
    } else if (arg == "--recv-buffers") {
      o.recv_buffers = static_cast<std::uint32_t>(std::stoul(value()));
    } else if (arg == "--recv-buffer-kib") {
      o.recv_buffer_kib = static_cast<std::uint32_t>(std::stoul(value()));
    } else {
      std::fprintf(stderr,
                   "usage: %s [--connections 100,1000] [--window 8] [--size 512] [--seconds 3] "
                   "[--warmup 1] [--backends io_uring,epoll] [--payload binary|json] [--deflate] "
                   "[--deflate-level 6] "
                   "[--recv-buffers 1024] [--recv-buffer-kib 16]\n",
                   argv[0]);
      std::exit(arg == "--help" ? 0 : 2);
    }
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = parse(argc, argv);
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    limit.rlim_cur = limit.rlim_max;
    (void)setrlimit(RLIMIT_NOFILE, &limit);
  }
  std::printf(
      "WebSocket echo over loopback: %zu-byte %s messages, window %u per connection, %s, "
      "%.1f s measured after %.1f s warm-up\n",
      options.size, options.json ? "JSON text" : "binary", options.window,
      options.deflate ? "permessage-deflate on" : "no compression", options.seconds,
      options.warmup);
  std::printf("engine receive ring: %u buffers x %u KiB = %u KiB per shard\n", options.recv_buffers,
              options.recv_buffer_kib, options.recv_buffers * options.recv_buffer_kib);
  std::printf("%-9s %6s %12s %9s %9s %9s %11s %10s\n", "backend", "conns", "msgs/s", "p50_us",
              "p99_us", "p99.9_us", "wire_B/msg", "cpu_us/msg");
  for (const unsigned connections : options.connections) {
    std::vector<Result> results;
    for (const std::string& backend : options.backends) {
      try {
        results.push_back(run_once(options, backend, connections));
      } catch (const std::exception& e) {
        std::printf("%-9s %6u  unavailable: %s\n", backend.c_str(), connections, e.what());
        continue;
      }
      const Result& r = results.back();
      std::printf("%-9s %6u %12.0f %9.1f %9.1f %9.1f %11.1f %10.2f%s\n", r.backend.c_str(),
                  r.connections, r.messages_per_s, r.p50_us, r.p99_us, r.p999_us,
                  r.wire_bytes_per_message, r.cpu_us_per_message,
                  r.failed != 0 ? "  (some connections failed)" : "");
      std::fflush(stdout);
    }
    if (results.size() == 2 && results[1].messages_per_s > 0) {
      std::printf("ratio %s/%s at %u connections: throughput %.2fx, p99 %.2fx\n",
                  results[0].backend.c_str(), results[1].backend.c_str(), connections,
                  results[0].messages_per_s / results[1].messages_per_s,
                  results[1].p99_us > 0 ? results[0].p99_us / results[1].p99_us : 0.0);
    }
  }
  return 0;
}
