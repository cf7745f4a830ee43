// Socket set-up helpers: address parsing/printing, listeners (SO_REUSEPORT per shard), the probe
// bind that detects a port held by another process, and outbound stream sockets.
#include "core/socket.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>

namespace hexwire::core {
namespace {

[[noreturn]] void throw_errno(int error, const std::string& what) {
  throw std::system_error(error, std::generic_category(), what);
}

int set_flag(int fd, int level, int option) noexcept {
  const int one = 1;
  return ::setsockopt(fd, level, option, &one, sizeof(one)) == 0 ? 0 : -errno;
}

}  // namespace

SocketAddress::SocketAddress() noexcept {
  std::memset(&storage_, 0, sizeof(storage_));
}

SocketAddress SocketAddress::parse(std::string_view host, std::uint16_t port) {
  SocketAddress out;
  std::string text(host);
  if (text.empty()) {
    text = "0.0.0.0";
  } else if (text == "localhost") {
    text = "127.0.0.1";
  }
  if (text.size() > 2 && text.front() == '[' && text.back() == ']') {
    text = text.substr(1, text.size() - 2);
  }
  if (::inet_pton(AF_INET, text.c_str(), &out.storage_.v4.sin_addr) == 1) {
    out.storage_.v4.sin_family = AF_INET;
    out.storage_.v4.sin_port = htons(port);
    out.length_ = sizeof(sockaddr_in);
    return out;
  }
  if (::inet_pton(AF_INET6, text.c_str(), &out.storage_.v6.sin6_addr) == 1) {
    out.storage_.v6.sin6_family = AF_INET6;
    out.storage_.v6.sin6_port = htons(port);
    out.length_ = sizeof(sockaddr_in6);
    return out;
  }
  throw std::invalid_argument("not a numeric IPv4/IPv6 address: '" + std::string(host) +
                              "' (use e.g. 127.0.0.1, 0.0.0.0 or ::1)");
}

SocketAddress SocketAddress::from_sockaddr(const sockaddr* addr, socklen_t len) noexcept {
  SocketAddress out;
  if (addr == nullptr) {
    return out;
  }
  if (addr->sa_family == AF_INET && len >= static_cast<socklen_t>(sizeof(sockaddr_in))) {
    std::memcpy(&out.storage_.v4, addr, sizeof(sockaddr_in));
    out.length_ = sizeof(sockaddr_in);
  } else if (addr->sa_family == AF_INET6 && len >= static_cast<socklen_t>(sizeof(sockaddr_in6))) {
    std::memcpy(&out.storage_.v6, addr, sizeof(sockaddr_in6));
    out.length_ = sizeof(sockaddr_in6);
  }
  return out;
}

std::uint16_t SocketAddress::port() const noexcept {
  if (family() == AF_INET) {
    return ntohs(storage_.v4.sin_port);
  }
  if (family() == AF_INET6) {
    return ntohs(storage_.v6.sin6_port);
  }
  return 0;
}

void SocketAddress::set_port(std::uint16_t port) noexcept {
  if (family() == AF_INET) {
    storage_.v4.sin_port = htons(port);
  } else if (family() == AF_INET6) {
    storage_.v6.sin6_port = htons(port);
  }
}

std::string SocketAddress::to_string() const {
  char text[INET6_ADDRSTRLEN] = {};
  if (family() == AF_INET) {
    ::inet_ntop(AF_INET, &storage_.v4.sin_addr, text, sizeof(text));
    return std::string(text) + ":" + std::to_string(port());
  }
  if (family() == AF_INET6) {
    ::inet_ntop(AF_INET6, &storage_.v6.sin6_addr, text, sizeof(text));
    return "[" + std::string(text) + "]:" + std::to_string(port());
  }
  return "-";
}

int open_listener(const SocketAddress& address, const ListenOptions& options) {
  int type = SOCK_STREAM | SOCK_CLOEXEC | (options.nonblocking ? SOCK_NONBLOCK : 0);
  const int fd = ::socket(address.family(), type, 0);
  if (fd < 0) {
    throw_errno(errno, "socket() for listener on " + address.to_string());
  }
  int rc = set_flag(fd, SOL_SOCKET, SO_REUSEADDR);
  if (rc == 0 && options.reuse_port) {
    rc = set_flag(fd, SOL_SOCKET, SO_REUSEPORT);
  }
  if (rc != 0) {
    ::close(fd);
    throw_errno(-rc, "setsockopt(SO_REUSEADDR/SO_REUSEPORT) on " + address.to_string());
  }
  if (::bind(fd, address.data(), address.size()) != 0) {
    const int error = errno;
    ::close(fd);
    throw_errno(error, "bind() to " + address.to_string());
  }
  if (::listen(fd, options.backlog) != 0) {
    const int error = errno;
    ::close(fd);
    throw_errno(error, "listen() on " + address.to_string());
  }
  return fd;
}

std::uint16_t probe_bind(const SocketAddress& address) {
  const int fd = ::socket(address.family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    throw_errno(errno, "socket() for the probe bind on " + address.to_string());
  }
  // SO_REUSEADDR only: TIME_WAIT leftovers are fine, a live listener (even one with SO_REUSEPORT)
  // makes the bind fail.
  (void)set_flag(fd, SOL_SOCKET, SO_REUSEADDR);
  if (::bind(fd, address.data(), address.size()) != 0) {
    const int error = errno;
    ::close(fd);
    if (error == EADDRINUSE) {
      throw_errno(error, "port " + std::to_string(address.port()) + " on " + address.to_string() +
                             " is already in use (is another hexwire process still running?)");
    }
    throw_errno(error, "probe bind() to " + address.to_string());
  }
  const std::uint16_t port = bound_port(fd);
  ::close(fd);
  return port;
}

std::uint16_t bound_port(int fd) noexcept {
  sockaddr_storage storage{};
  socklen_t length = sizeof(storage);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length) != 0) {
    return 0;
  }
  return SocketAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&storage), length).port();
}

int open_stream_socket(int family, bool nonblocking) noexcept {
  const int fd =
      ::socket(family, SOCK_STREAM | SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0), 0);
  if (fd < 0) {
    return -errno;
  }
  (void)set_no_delay(fd);
  return fd;
}

int bind_source_address(int fd, const SocketAddress& local) noexcept {
  // IP_BIND_ADDRESS_NO_PORT is an IPPROTO_IP option but the kernel honours it for IPv6 sockets
  // too. Without it bind(port 0) would reserve a port per source address for any destination.
  if (const int result = set_flag(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT); result != 0) {
    return result;
  }
  SocketAddress any_port = local;
  any_port.set_port(0);
  return ::bind(fd, any_port.data(), any_port.size()) == 0 ? 0 : -errno;
}

int set_local_port_range(int fd, PortRange ports) noexcept {
#ifndef IP_LOCAL_PORT_RANGE
  constexpr int IP_LOCAL_PORT_RANGE = 51;  // linux/in.h; older libc headers lack it
#endif
  const std::uint32_t value = (std::uint32_t{ports.high} << 16) | ports.low;
  return ::setsockopt(fd, IPPROTO_IP, IP_LOCAL_PORT_RANGE, &value, sizeof(value)) == 0 ? 0 : -errno;
}

int set_no_delay(int fd) noexcept {
  return set_flag(fd, IPPROTO_TCP, TCP_NODELAY);
}

int set_linger_zero(int fd) noexcept {
  const linger option{1, 0};
  return ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &option, sizeof(option)) == 0 ? 0 : -errno;
}

}  // namespace hexwire::core
