// Socket set-up helpers for the reactor: an IPv4/IPv6 address value type, name resolution, and
// the listening/connecting sockets the backends use (SO_REUSEPORT listeners per shard, the probe
// bind that refuses a port already in use). Boundary code: failures throw std::system_error with
// a message naming the address.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace hexwire::core {

/// An IPv4 or IPv6 socket address held by value (32 bytes; no allocation).
class SocketAddress {
 public:
  SocketAddress() noexcept;
  /// Parses a numeric host ("127.0.0.1", "::1", "0.0.0.0"; "localhost" and "" mean 127.0.0.1 and
  /// 0.0.0.0) and a port. Throws std::invalid_argument on anything else (no DNS on this path).
  static SocketAddress parse(std::string_view host, std::uint16_t port);
  /// Copies `len` bytes of a kernel-filled address (AF_INET or AF_INET6; others give an empty
  /// value).
  static SocketAddress from_sockaddr(const sockaddr* addr, socklen_t len) noexcept;

  [[nodiscard]] const sockaddr* data() const noexcept { return &storage_.any; }
  [[nodiscard]] sockaddr* data() noexcept { return &storage_.any; }
  [[nodiscard]] socklen_t size() const noexcept { return length_; }
  [[nodiscard]] int family() const noexcept { return storage_.any.sa_family; }
  [[nodiscard]] std::uint16_t port() const noexcept;
  void set_port(std::uint16_t port) noexcept;
  /// "1.2.3.4:80" or "[::1]:80"; "-" when empty.
  [[nodiscard]] std::string to_string() const;

 private:
  union Storage {
    sockaddr any;
    sockaddr_in v4;
    sockaddr_in6 v6;
  };
  Storage storage_;
  socklen_t length_ = 0;
};

/// Options for listening sockets.
struct ListenOptions {
  bool reuse_port = true;    // SO_REUSEPORT: one listener per shard on the same port
  bool nonblocking = false;  // epoll needs O_NONBLOCK; io_uring works on blocking sockets
  int backlog = 4096;
};

/// Creates, binds and listens. Throws std::system_error (errno kept) with the address in the text.
[[nodiscard]] int open_listener(const SocketAddress& address, const ListenOptions& options);

/// Probes whether `address` can be bound by a socket WITHOUT SO_REUSEPORT (SO_REUSEADDR only, so
/// TIME_WAIT leftovers do not count as "in use"). Returns the bound port (the kernel's choice when
/// the port is 0). Throws std::system_error(EADDRINUSE) "port N on HOST is already in use ..." when
/// another socket (e.g. a stale process) holds the port.
[[nodiscard]] std::uint16_t probe_bind(const SocketAddress& address);

/// The port a bound socket has (getsockname). 0 on error.
[[nodiscard]] std::uint16_t bound_port(int fd) noexcept;

/// A TCP socket for an outbound connect() of `family`, CLOEXEC, optionally non-blocking,
/// TCP_NODELAY set. Returns -errno on failure.
[[nodiscard]] int open_stream_socket(int family, bool nonblocking) noexcept;

/// Binds an unconnected stream socket to `local` (its port is ignored: 0 is used) with
/// IP_BIND_ADDRESS_NO_PORT set, so the kernel picks the source port at connect() time per
/// (source, destination) pair instead of reserving one now. Returns 0 or -errno (EADDRNOTAVAIL
/// when the address is not on this host).
int bind_source_address(int fd, const SocketAddress& local) noexcept;

/// An inclusive range of local ports; {0, 0} is none.
struct PortRange {
  std::uint16_t low = 0;
  std::uint16_t high = 0;
};

/// Narrows the source ports connect() may pick for the unconnected `fd` to `ports`
/// (IP_LOCAL_PORT_RANGE, Linux >= 6.3; the kernel intersects it with ip_local_port_range and
/// keeps its own rules for sharing ports and reusing TIME_WAIT). Returns 0 or -errno (ENOPROTOOPT
/// on older kernels, which then search the whole range).
int set_local_port_range(int fd, PortRange ports) noexcept;

/// Sets TCP_NODELAY (Nagle off: the engine batches its own writes). Returns 0 or -errno.
int set_no_delay(int fd) noexcept;
/// Sets SO_LINGER {on, 0} so close() sends RST (abortive close). Returns 0 or -errno.
int set_linger_zero(int fd) noexcept;

}  // namespace hexwire::core
