// Fuzzes a server WsSession on a real loopback connection (epoll reactor, one per process) with a
// script: client frames and raw bytes fed to the session, application sends of each kind (data,
// reply, streams), reactor turns, and client reads — so control frames meet a full outbound queue
// under both slow-consumer policies. Checked on every input: queued bytes stay within the limits,
// the session ends exactly once, and what the client received decodes as valid server frames with
// at most one close, last; every stream arrives in order; every gap in the numbered data messages
// is announced by a drop notice right before it; and a peer that drained everything got every
// stream whole and every drop announced.
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/reactor.hpp"
#include "core/socket.hpp"
#include "net/ws_frame.hpp"
#include "net/ws_session.hpp"

using namespace hexwire;
using namespace hexwire::net;

namespace {

constexpr std::size_t kSoft = 1024;
constexpr std::size_t kHard = 4096;
constexpr std::size_t kReserve = 1024;
constexpr std::size_t kMaxAppFrame = 1200;  // the largest frame the script makes the app send

/// A broken invariant: report which (the line) and crash, so the fuzzer keeps the input.
[[noreturn]] void fail_check(int line) {
  std::fprintf(stderr, "ws_session_fuzz: invariant at line %d broken\n", line);
  std::abort();
}
#define FAIL_CHECK() fail_check(__LINE__)

WsSessionConfig session_config(BackpressurePolicy policy) {
  WsSessionConfig c;
  c.max_frame_payload = 2048;
  c.max_message_size = 4096;
  c.ping_interval_ns = 0;  // no shard timers here
  c.idle_timeout_ns = 0;
  c.outbound_soft_limit = kSoft;
  c.outbound_hard_limit = kHard;
  c.outbound_reply_reserve = kReserve;
  c.policy = policy;
  return c;
}

/// What one run observed on the server side.
struct Run {
  WsSession* session = nullptr;
  int closes = 0;
  std::uint64_t dropped = 0;  // kData sends the session dropped
  int streams = 0;
  std::map<int, int> stream_length;
};

/// Frames "S<id>:<index>:<padding>" produced on demand.
class CountingStream final : public WsFrameStream {
 public:
  CountingStream(int id, int count, std::size_t padding)
      : id_(id), count_(count), padding_(padding) {}
  core::SharedBuffer next() noexcept override {
    if (index_ == count_) {
      return {};
    }
    std::string text = "S" + std::to_string(id_) + ":" + std::to_string(index_++) + ":";
    text.append(padding_, 's');
    return encode_text_frame(text);
  }

 private:
  int id_;
  int count_;
  int index_ = 0;
  std::size_t padding_;
};

class FuzzApp final : public WsApplication {
 public:
  explicit FuzzApp(Run& run) : run_(run) {}
  void on_open(WsSession& session) noexcept override { run_.session = &session; }
  void on_message(WsSession& session, Opcode /*opcode*/,
                  std::span<const std::byte> payload) noexcept override {
    // Answer from inside the callback, as applications do (a reply, never dropped).
    (void)session.send_text("R" + std::to_string(payload.size()), WsSendKind::kReply);
  }
  void on_close(WsSession& /*session*/, std::uint16_t /*code*/) noexcept override {
    ++run_.closes;
    run_.session = nullptr;
  }
  core::SharedBuffer drop_notice(WsSession& /*session*/, std::uint64_t dropped) noexcept override {
    return encode_text_frame("D" + std::to_string(dropped));
  }

 private:
  Run& run_;
};

/// Accepted connections become a WsSession at once (no HTTP in between).
class SessionStarter final : public core::ConnectionHandler {
 public:
  SessionStarter(const WsSessionConfig& config, Run& run) : config_(config), run_(run) {}
  void on_open(core::Connection& connection) noexcept override {
    auto session = std::make_unique<WsSession>(Role::kServer, config_, nullptr,
                                               std::make_unique<FuzzApp>(run_), std::nullopt);
    WsSession& ws = *session;
    connection.set_handler(std::move(session));
    ws.start(connection, {});
  }
  void on_data(core::Connection&, std::span<const std::byte>) noexcept override {}
  void on_close(core::Connection&, core::CloseReason) noexcept override {}

 private:
  const WsSessionConfig& config_;
  Run& run_;
};

struct Harness {
  core::Reactor reactor{[] {
    core::ReactorConfig config;
    config.backend = core::BackendKind::kEpoll;
    config.send_soft_limit = kSoft;
    config.send_low_water = kSoft / 4;
    return config;
  }()};
  std::uint16_t port = 0;
  const WsSessionConfig* config = nullptr;  // of the current run
  Run* run = nullptr;

  Harness() {
    core::ListenOptions options;
    options.nonblocking = true;
    const int fd = core::open_listener(core::SocketAddress::parse("127.0.0.1", 0), options);
    port = core::bound_port(fd);
    reactor.add_listener(fd, [this](core::Connection&) {
      return std::make_unique<SessionStarter>(*config, *run);
    });
  }
};

Harness& harness() {
  static Harness instance;
  return instance;
}

/// Reads the fuzz script.
class Script {
 public:
  Script(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  [[nodiscard]] bool done() const { return pos_ >= size_; }
  std::uint8_t byte() { return pos_ < size_ ? data_[pos_++] : 0; }
  std::string bytes(std::size_t n) {
    n = std::min(n, size_ - std::min(pos_, size_));
    std::string out(reinterpret_cast<const char*>(data_ + pos_), n);
    pos_ += n;
    return out;
  }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

std::string client_frame(std::uint8_t flags, const std::string& payload) {
  static const std::uint8_t kOpcodes[] = {0x0, 0x1, 0x2, 0x8, 0x9, 0xA, 0x3, 0xB};
  std::string out;
  const bool fin = (flags & 0x08) == 0;
  const bool masked = (flags & 0x10) == 0;
  out.push_back(static_cast<char>((fin ? 0x80 : 0) | (flags & 0x20 ? 0x40 : 0) | kOpcodes[flags & 7]));
  const std::uint8_t mask_bit = masked ? 0x80 : 0;
  if (payload.size() < 126) {
    out.push_back(static_cast<char>(mask_bit | payload.size()));
  } else {
    out.push_back(static_cast<char>(mask_bit | 126));
    out.push_back(static_cast<char>(payload.size() >> 8));
    out.push_back(static_cast<char>(payload.size() & 0xff));
  }
  const char key[4] = {0x11, 0x22, 0x33, 0x44};
  if (masked) {
    out.append(key, 4);
  }
  for (std::size_t i = 0; i < payload.size(); ++i) {
    out.push_back(masked ? static_cast<char>(payload[i] ^ key[i & 3]) : payload[i]);
  }
  return out;
}

/// Checks the server's frames as the client received them.
class ServerStreamChecker final : public WsFrameSink {
 public:
  void on_message(Opcode opcode, std::span<std::byte> payload, bool /*final*/) noexcept override {
    if (closed_ || opcode != Opcode::kText || payload.empty()) {
      FAIL_CHECK();  // the app sends text only, and nothing may follow a close
    }
    const std::string text(reinterpret_cast<const char*>(payload.data()), payload.size());
    switch (text[0]) {
      case 'S': {  // S<id>:<index>:...
        const int id = std::atoi(text.c_str() + 1);
        const int index = std::atoi(text.c_str() + text.find(':') + 1);
        if (index != stream_next[id]++) {
          FAIL_CHECK();  // a stream out of order or with a hole
        }
        break;
      }
      case 'A': {  // A<n>: numbered data; a gap must be announced right before it
        const std::uint64_t n = std::strtoull(text.c_str() + 1, nullptr, 10);
        if (n < next_data_ || n - next_data_ != announced_) {
          FAIL_CHECK();
        }
        announced_ = 0;
        next_data_ = n + 1;
        break;
      }
      case 'D':
        announced_ += std::strtoull(text.c_str() + 1, nullptr, 10);
        notices_total += std::strtoull(text.c_str() + 1, nullptr, 10);
        break;
      default:
        break;  // replies "R<n>" and "B<n>"
    }
  }
  void on_control(Opcode opcode, std::span<const std::byte> /*payload*/) noexcept override {
    if (closed_) {
      FAIL_CHECK();
    }
    closed_ = opcode == Opcode::kClose;
  }
  void on_error(CloseCode /*code*/, std::string_view /*reason*/) noexcept override {
    FAIL_CHECK();  // the server sent an invalid frame
  }

  std::map<int, int> stream_next;
  std::uint64_t notices_total = 0;
  [[nodiscard]] bool closed() const { return closed_; }
  [[nodiscard]] std::uint64_t pending_announced() const { return announced_; }
  [[nodiscard]] std::uint64_t data_expected_next() const { return next_data_; }

 private:
  bool closed_ = false;
  std::uint64_t announced_ = 0;
  std::uint64_t next_data_ = 0;
};

void read_available(int fd, std::string& received) {
  char chunk[16384];
  while (true) {
    const ssize_t n = ::recv(fd, chunk, sizeof(chunk), MSG_DONTWAIT);
    if (n <= 0) {
      return;
    }
    received.append(chunk, static_cast<std::size_t>(n));
  }
}

/// The harness itself could not run an input (not a finding about the session): says why, then
/// aborts so that the run fails with the reason in its log.
[[noreturn]] void harness_failure(const char* call, int error) {
  std::fprintf(stderr, "ws_session_fuzz harness: %s failed: %s (errno %d)\n", call,
               std::strerror(error), error);
  std::abort();
}

void check_bounds(const Run& run) {
  if (run.session != nullptr && run.session->buffered_bytes() >
                                    kHard + kReserve + 2 * kMaxAppFrame + 2 * 131) {
    FAIL_CHECK();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Script script(data, size);
  const WsSessionConfig config = session_config(
      (script.byte() & 1) != 0 ? BackpressurePolicy::kDrop : BackpressurePolicy::kClose);
  Harness& h = harness();
  Run run;
  h.config = &config;
  h.run = &run;

  const int client = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (client < 0) {
    harness_failure("socket", errno);
  }
  int small = 4096;
  ::setsockopt(client, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
  const auto address = core::SocketAddress::parse("127.0.0.1", h.port);
  if (::connect(client, address.data(), address.size()) != 0) {
    harness_failure("connect", errno);
  }
  for (int i = 0; i < 1000 && run.session == nullptr; ++i) {
    h.reactor.run_once(1'000'000);
  }
  if (run.session == nullptr) {
    std::abort();
  }

  std::string received;
  std::uint64_t next_data = 0;
  while (!script.done() && run.session != nullptr) {
    WsSession& s = *run.session;
    core::Connection* connection = s.connection();
    const std::uint8_t op = script.byte();
    switch (op % 7) {
      case 0: {  // a client frame (any opcode, flags, masking), fed as the reactor would
        const std::uint8_t flags = script.byte();
        const std::string frame = client_frame(flags, script.bytes(script.byte()));
        if (connection != nullptr && connection->is_open()) {
          s.on_data(*connection, std::as_bytes(std::span(frame)));
        }
        break;
      }
      case 1: {  // raw bytes (split frames, garbage)
        const std::string raw = script.bytes(script.byte() % 32);
        if (connection != nullptr && connection->is_open()) {
          s.on_data(*connection, std::as_bytes(std::span(raw)));
        }
        break;
      }
      case 2: {  // numbered data, possibly dropped
        std::string text = "A" + std::to_string(next_data) + ":";
        text.append(script.byte() * 4u, 'a');
        const WsSendResult result = s.send_text(text, WsSendKind::kData);
        if (result == WsSendResult::kQueued) {
          ++next_data;
        } else if (result == WsSendResult::kDropped) {
          ++next_data;
          ++run.dropped;
        }
        break;
      }
      case 3: {  // a reply
        std::string text = "B";
        text.append(script.byte() * 4u, 'b');
        (void)s.send_text(text, WsSendKind::kReply);
        break;
      }
      case 4: {  // a stream
        const int count = script.byte() % 64;
        const int id = run.streams++;
        run.stream_length[id] = count;
        (void)s.send_stream(std::make_unique<CountingStream>(id, count, script.byte() * 4u));
        break;
      }
      case 5:
        h.reactor.run_once(0);
        break;
      case 6:
        read_available(client, received);
        h.reactor.run_once(0);
        break;
    }
    check_bounds(run);
  }

  // A peer that reads everything: the session (if still open) must get rid of all it holds.
  for (int i = 0; i < 2000 && run.session != nullptr &&
                  (run.session->streaming() || run.session->buffered_bytes() > 0);
       ++i) {
    read_available(client, received);
    h.reactor.run_once(0);
  }
  const bool open_and_drained = run.session != nullptr && run.session->is_open() &&
                                !run.session->streaming() && run.session->buffered_bytes() == 0;
  if (open_and_drained) {
    // Everything is in the kernel: read until the socket stays empty for a moment.
    pollfd ready{client, POLLIN, 0};
    while (::poll(&ready, 1, 20) > 0) {
      const std::size_t before = received.size();
      read_available(client, received);
      if (received.size() == before) {
        break;  // readable but empty: the server closed
      }
    }
  }
  ::close(client);
  for (int i = 0; i < 5000 && run.closes == 0; ++i) {
    h.reactor.run_once(1'000'000);
  }
  if (run.closes != 1) {
    std::abort();  // on_close exactly once
  }

  ServerStreamChecker checker;
  WsFrameDecoder decoder(Role::kClient, WsDecoderOptions{.max_frame_payload = 1u << 20,
                                                         .max_message_size = 1u << 20});
  std::span<std::byte> bytes(reinterpret_cast<std::byte*>(received.data()), received.size());
  const std::size_t consumed = decoder.feed(bytes, checker);
  if (consumed != received.size() && !checker.closed()) {
    FAIL_CHECK();
  }
  if (open_and_drained) {
    for (const auto& [id, length] : run.stream_length) {
      if (checker.stream_next[id] != length) {
        FAIL_CHECK();  // a stream the peer read to the end arrived whole
      }
    }
    if (checker.notices_total != run.dropped) {
      FAIL_CHECK();  // every drop was announced
    }
  }
  return 0;
}
