// Shared helpers for the WebSocket/HTTP integration tests: an in-process engine on 127.0.0.1 and
// a free port (skips with exit code 4 when the io_uring backend cannot be created), and a blocking
// raw-socket client with receive timeouts that crafts frames byte by byte and reads the server's
// frames and HTTP answers. Everything is bounded in time.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "app/config.hpp"
#include "app/node.hpp"

namespace hexwire::test {

inline constexpr int kSkipExitCode = 4;

/// Defaults for tests: one shard, port 0, short shutdown, /echo served (the session tests use it).
inline app::EngineConfig test_engine_config(app::BackendKind backend = app::BackendKind::kIoUring) {
  app::EngineConfig config;
  config.host = "127.0.0.1";
  config.port = 0;
  config.shards = 1;
  config.backend = backend;
  config.pin_threads = false;
  config.shutdown_timeout_ms = 1000;
  config.log_level = "warn";
  config.echo = true;
  return config;
}

/// Starts an engine; exits the test process with code 4 (skipped) when io_uring is unavailable.
inline std::unique_ptr<app::Node> start_engine(const app::EngineConfig& config) {
  auto engine = std::make_unique<app::Node>(config);
  try {
    engine->start();
  } catch (const std::system_error& e) {
    if (config.backend == app::BackendKind::kIoUring) {
      std::fprintf(stderr, "SKIPPED: io_uring backend unavailable: %s\n", e.what());
      std::exit(kSkipExitCode);
    }
    throw;
  }
  return engine;
}

/// A blocking TCP client with a receive timeout (a hung server fails the test, never hangs it).
class RawClient {
 public:
  /// `receive_buffer` > 0 shrinks SO_RCVBUF before connecting (to make the server's queue grow).
  explicit RawClient(std::uint16_t port, int timeout_ms = 5000, int receive_buffer = 0) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) {
      throw std::system_error(errno, std::generic_category(), "socket");
    }
    if (receive_buffer > 0) {
      ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof(receive_buffer));
    }
    timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      throw std::system_error(errno, std::generic_category(), "connect");
    }
  }
  ~RawClient() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  void send_all(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) {
        throw std::system_error(errno, std::generic_category(), "send");
      }
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
  }

  /// Sends as much as the peer takes within `timeout_ms` per send; false when it stopped
  /// taking bytes (timeout) or the connection failed.
  bool try_send_all(std::string_view bytes, int timeout_ms) {
    timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) {
        return false;
      }
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  /// Reads at least one byte into the buffer; false on EOF/reset/timeout.
  bool fill() {
    char chunk[65536];
    const ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
    if (n <= 0) {
      return false;
    }
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }

  /// Waits for EOF (or reset); true when the server closed the connection within the timeout.
  bool wait_closed() {
    char chunk[4096];
    while (true) {
      const ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
      if (n == 0) {
        return true;
      }
      if (n < 0) {
        return errno == ECONNRESET;
      }
    }
  }

  /// Reads one HTTP response (head and Content-Length body); nullopt on EOF/timeout.
  struct HttpAnswer {
    int status = 0;
    std::string head;
    std::string body;
  };
  std::optional<HttpAnswer> read_http() {
    std::size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill()) {
        return std::nullopt;
      }
    }
    HttpAnswer answer;
    answer.head = buffer_.substr(0, end + 4);
    answer.status = std::atoi(answer.head.c_str() + 9);
    std::size_t length = 0;
    if (const std::size_t at = lower(answer.head).find("content-length:");
        at != std::string::npos) {
      length = std::strtoul(answer.head.c_str() + at + 15, nullptr, 10);
    }
    while (buffer_.size() < end + 4 + length) {
      if (!fill()) {
        return std::nullopt;
      }
    }
    answer.body = buffer_.substr(end + 4, length);
    buffer_.erase(0, end + 4 + length);
    return answer;
  }

  /// Performs the opening handshake on `path`; returns the HTTP status (101 on success).
  int upgrade(std::string_view path, std::string_view extra_headers = {}) {
    std::string request = "GET " + std::string(path) +
                          " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                          "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                          "Sec-WebSocket-Version: 13\r\n" +
                          std::string(extra_headers) + "\r\n";
    send_all(request);
    const auto answer = read_http();
    return answer ? answer->status : 0;
  }

  /// Builds a client frame: masked unless told otherwise, rsv = bits 4..6 of the first byte.
  static std::string frame(std::uint8_t opcode, std::string_view payload, bool fin = true,
                           bool masked = true, std::uint8_t rsv = 0) {
    std::string out;
    out.push_back(static_cast<char>((fin ? 0x80 : 0) | (rsv << 4) | (opcode & 0x0f)));
    const std::uint8_t mask_bit = masked ? 0x80 : 0;
    if (payload.size() < 126) {
      out.push_back(static_cast<char>(mask_bit | payload.size()));
    } else if (payload.size() <= 0xffff) {
      out.push_back(static_cast<char>(mask_bit | 126));
      out.push_back(static_cast<char>(payload.size() >> 8));
      out.push_back(static_cast<char>(payload.size() & 0xff));
    } else {
      out.push_back(static_cast<char>(mask_bit | 127));
      for (int shift = 56; shift >= 0; shift -= 8) {
        out.push_back(
            static_cast<char>((static_cast<std::uint64_t>(payload.size()) >> shift) & 0xff));
      }
    }
    const char key[4] = {0x12, 0x34, 0x56, 0x78};
    if (masked) {
      out.append(key, 4);
    }
    for (std::size_t i = 0; i < payload.size(); ++i) {
      out.push_back(masked ? static_cast<char>(payload[i] ^ key[i & 3]) : payload[i]);
    }
    return out;
  }

  struct Frame {
    std::uint8_t opcode = 0;
    bool fin = false;
    std::uint8_t rsv = 0;
    std::string payload;
  };
  /// Reads one server frame (must be unmasked); nullopt on EOF/timeout.
  std::optional<Frame> read_frame() {
    while (true) {
      if (buffer_.size() >= 2) {
        const auto b0 = static_cast<std::uint8_t>(buffer_[0]);
        const auto b1 = static_cast<std::uint8_t>(buffer_[1]);
        std::size_t header = 2;
        std::uint64_t length = b1 & 0x7f;
        if (length == 126) {
          header = 4;
        } else if (length == 127) {
          header = 10;
        }
        if (buffer_.size() >= header) {
          if (header == 4) {
            length = (static_cast<std::uint8_t>(buffer_[2]) << 8) |
                     static_cast<std::uint8_t>(buffer_[3]);
          } else if (header == 10) {
            length = 0;
            for (int i = 2; i < 10; ++i) {
              length = (length << 8) | static_cast<std::uint8_t>(buffer_[i]);
            }
          }
          if (buffer_.size() >= header + length) {
            Frame f;
            f.opcode = b0 & 0x0f;
            f.fin = (b0 & 0x80) != 0;
            f.rsv = (b0 >> 4) & 0x7;
            f.payload = buffer_.substr(header, length);
            buffer_.erase(0, header + length);
            return f;
          }
        }
      }
      if (!fill()) {
        return std::nullopt;
      }
    }
  }

  /// Skips data/ping/pong frames until a close frame; returns its code (1005 for an empty close
  /// payload), or -1 when the connection ended or timed out first.
  int read_close_code(std::string* reason = nullptr) {
    while (auto f = read_frame()) {
      if (f->opcode == 0x8) {
        if (f->payload.size() < 2) {
          return 1005;
        }
        if (reason != nullptr) {
          *reason = f->payload.substr(2);
        }
        return (static_cast<std::uint8_t>(f->payload[0]) << 8) |
               static_cast<std::uint8_t>(f->payload[1]);
      }
    }
    return -1;
  }

  [[nodiscard]] int fd() const noexcept { return fd_; }

 private:
  static std::string lower(std::string text) {
    for (char& ch : text) {
      if (ch >= 'A' && ch <= 'Z') {
        ch = static_cast<char>(ch - 'A' + 'a');
      }
    }
    return text;
  }

  int fd_ = -1;
  std::string buffer_;
};

/// A close frame payload: 2-byte code + reason.
inline std::string close_payload(std::uint16_t code, std::string_view reason = {}) {
  std::string out;
  out.push_back(static_cast<char>(code >> 8));
  out.push_back(static_cast<char>(code & 0xff));
  out.append(reason);
  return out;
}

}  // namespace hexwire::test
