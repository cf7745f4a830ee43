// Kernel ceiling for small-message fan-out over loopback TCP: how many fixed-size messages per
// second one sending process can push through N connections to one receiving process on this
// machine, with no WebSocket, JSON or pub/sub in the way. It is the baseline the end-to-end
// `hexwire` + `hexwire-sim` figures are compared with: both run the same kernel path (one
// io_uring send per connection per message, multishot receives into a provided-buffer ring).
//
// The parent process accepts N connections and sends; a forked child connects them and receives.
// Each message carries its intended send time (open loop: message k, counted from 0, is due at
// start + (k + 1) / rate), so the child's latency histogram includes any queueing at the sender.
// With --batch B each send carries B messages to one connection, which shows what coalescing
// frames per segment is worth. With --burst K messages come due K at a time, one each to K
// connections in a row, as one publish fans out to K subscribers: the floor of a fan-out's tail.
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/histogram.hpp"

namespace {

struct Options {
  int connections = 10'000;
  int size = 100;        // bytes per message
  double rate = 0;       // messages per second, 0 = as fast as the sender can go
  int batch = 1;         // messages per send (to one connection)
  int burst = 1;         // messages due at the same moment, to consecutive connections
  double seconds = 5;    // measured window
  double warmup = 1;     // seconds before the window
  int in_flight = 2048;  // sends in flight at most
};

std::uint64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ull + ts.tv_nsec;
}

void check(bool ok, const char* what) {
  if (!ok) {
    throw std::runtime_error(std::string(what) + ": " + std::strerror(errno));
  }
}

int listen_loopback(int backlog, std::uint16_t& port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  check(fd >= 0, "socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  check(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0, "bind");
  check(listen(fd, backlog) == 0, "listen");
  socklen_t len = sizeof addr;
  check(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0, "getsockname");
  port = ntohs(addr.sin_port);
  return fd;
}

int connect_loopback(std::uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  check(fd >= 0, "socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  check(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0, "connect");
  return fd;
}

// ---- receiver (child process) ----

constexpr unsigned kBufCount = 4096;
constexpr unsigned kBufSize = 4096;
constexpr int kBufGroup = 1;
// Deferred task-work items Linux 6.13+ runs per pass on a DEFER_TASKRUN ring (see core's
// io_uring backend): after a full pass, ask for another instead of sleeping.
constexpr unsigned kTaskWorkPerPass = 20;

struct RecvConn {
  int fd = -1;
  std::uint32_t offset = 0;  // bytes of the current message seen so far
  std::uint8_t head[8]{};    // first bytes of the current message (its intended send time)
};

class Receiver {
 public:
  Receiver(const Options& opt, std::vector<int> fds) : opt_(opt) {
    conns_.resize(fds.size());
    for (std::size_t i = 0; i < fds.size(); ++i) conns_[i].fd = fds[i];
    io_uring_params p{};
    p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_CQSIZE;
    p.cq_entries = 65536;
    check(io_uring_queue_init_params(8192, &ring_, &p) == 0, "io_uring_queue_init");
    setup_buffers();
    for (std::size_t i = 0; i < conns_.size(); ++i) arm(i);
  }

  // Runs warm-up plus window; returns messages received in the window and fills the histogram.
  std::uint64_t run(hexwire::core::Histogram& latency) {
    const std::uint64_t start = now_ns();
    const std::uint64_t window_begin = start + static_cast<std::uint64_t>(opt_.warmup * 1e9);
    const std::uint64_t window_end = window_begin + static_cast<std::uint64_t>(opt_.seconds * 1e9);
    std::uint64_t counted = 0;
    unsigned seen = 0;
    while (true) {
      const std::uint64_t now = now_ns();
      if (now >= window_end) break;
      io_uring_cqe* cqe = nullptr;
      if (seen >= kTaskWorkPerPass) {
        io_uring_get_events(&ring_);  // Linux 6.13+: more receives may wait as deferred task work
      } else {
        __kernel_timespec ts{0, 1'000'000};
        io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, &ts, nullptr);
      }
      const std::uint64_t t = now_ns();
      const bool in_window = t >= window_begin;
      unsigned head = 0;
      seen = 0;
      io_uring_for_each_cqe(&ring_, head, cqe) {
        counted += on_cqe(*cqe, t, in_window ? &latency : nullptr);
        ++seen;
      }
      io_uring_cq_advance(&ring_, seen);
      if (!in_window) counted = 0;
    }
    return counted;
  }

 private:
  void setup_buffers() {
    const std::size_t ring_bytes = kBufCount * sizeof(io_uring_buf);
    void* mem = mmap(nullptr, ring_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    check(mem != MAP_FAILED, "mmap");
    br_ = static_cast<io_uring_buf_ring*>(mem);
    io_uring_buf_ring_init(br_);
    io_uring_buf_reg reg{};
    reg.ring_addr = reinterpret_cast<std::uint64_t>(mem);
    reg.ring_entries = kBufCount;
    reg.bgid = kBufGroup;
    errno = -io_uring_register_buf_ring(&ring_, &reg, 0);
    check(errno == 0, "io_uring_register_buf_ring");
    storage_.resize(static_cast<std::size_t>(kBufCount) * kBufSize);
    for (unsigned i = 0; i < kBufCount; ++i) give_back(i);
  }

  void give_back(unsigned bid) {
    io_uring_buf_ring_add(br_, storage_.data() + static_cast<std::size_t>(bid) * kBufSize, kBufSize,
                          static_cast<unsigned short>(bid), io_uring_buf_ring_mask(kBufCount), 0);
    io_uring_buf_ring_advance(br_, 1);
  }

  void arm(std::size_t index) {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    if (sqe == nullptr) {
      io_uring_submit(&ring_);
      sqe = io_uring_get_sqe(&ring_);
    }
    io_uring_prep_recv_multishot(sqe, conns_[index].fd, nullptr, 0, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = kBufGroup;
    io_uring_sqe_set_data64(sqe, index);
  }

  std::uint64_t on_cqe(const io_uring_cqe& cqe, std::uint64_t now, hexwire::core::Histogram* latency) {
    const std::size_t index = io_uring_cqe_get_data64(&cqe);
    std::uint64_t messages = 0;
    if (cqe.res > 0) {
      const unsigned bid = cqe.flags >> IORING_CQE_BUFFER_SHIFT;
      const std::uint8_t* data = storage_.data() + static_cast<std::size_t>(bid) * kBufSize;
      messages = consume(conns_[index], data, static_cast<std::size_t>(cqe.res), now, latency);
      give_back(bid);
    }
    if ((cqe.flags & IORING_CQE_F_MORE) == 0 && (cqe.res > 0 || cqe.res == -ENOBUFS)) arm(index);
    return messages;
  }

  std::uint64_t consume(RecvConn& c, const std::uint8_t* data, std::size_t len, std::uint64_t now,
                        hexwire::core::Histogram* latency) {
    const auto size = static_cast<std::uint32_t>(opt_.size);
    std::uint64_t messages = 0;
    while (len > 0) {
      const std::size_t take = std::min<std::size_t>(len, size - c.offset);
      if (c.offset < sizeof c.head) {
        const std::size_t head_bytes = std::min<std::size_t>(take, sizeof c.head - c.offset);
        std::memcpy(c.head + c.offset, data, head_bytes);
      }
      c.offset += static_cast<std::uint32_t>(take);
      data += take;
      len -= take;
      if (c.offset == size) {
        std::uint64_t intended = 0;
        std::memcpy(&intended, c.head, sizeof intended);
        if (latency != nullptr) latency->record(now > intended ? now - intended : 0);
        c.offset = 0;
        ++messages;
      }
    }
    return messages;
  }

  const Options& opt_;
  io_uring ring_{};
  io_uring_buf_ring* br_ = nullptr;
  std::vector<std::uint8_t> storage_;
  std::vector<RecvConn> conns_;
};

// ---- sender (parent process) ----

class Sender {
 public:
  Sender(const Options& opt, std::vector<int> fds) : opt_(opt), fds_(std::move(fds)) {
    io_uring_params p{};
    p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_CQSIZE;
    p.cq_entries = 16384;
    check(io_uring_queue_init_params(4096, &ring_, &p) == 0, "io_uring_queue_init");
    const std::size_t slot_bytes = static_cast<std::size_t>(opt_.batch) * opt_.size;
    slots_.assign(static_cast<std::size_t>(opt_.in_flight) * slot_bytes, 0);
    for (int i = opt_.in_flight - 1; i >= 0; --i) free_slots_.push_back(i);
    busy_.assign(fds_.size(), false);
  }

  [[nodiscard]] std::uint64_t errors() const noexcept { return errors_; }

  // Sends until `deadline` or until `done_fd` (the receiver's report pipe) becomes readable, so
  // no send goes to a receiver that has finished; returns messages handed to the kernel.
  std::uint64_t run(std::uint64_t deadline, int done_fd) {
    const std::uint64_t start = now_ns();
    std::uint64_t sent = 0;
    std::size_t next = 0;
    std::uint64_t next_check = start;
    while (true) {
      const std::uint64_t now = now_ns();
      if (now >= deadline) break;
      if (now >= next_check) {
        pollfd done{done_fd, POLLIN, 0};
        if (::poll(&done, 1, 0) > 0) break;
        next_check = now + 1'000'000;
      }
      const std::uint64_t due = messages_due(now - start);
      std::size_t skipped = 0;
      while (sent + opt_.batch <= due && !free_slots_.empty() && skipped < fds_.size()) {
        const std::size_t conn = next++ % fds_.size();
        if (busy_[conn]) {
          ++skipped;
          continue;
        }
        queue_send(conn, start, sent, now);
        sent += opt_.batch;
      }
      // Sleep until the next message is due (paced) or a send completes; never spin.
      std::uint64_t wait_ns = 1'000'000;
      if (opt_.rate > 0 && !free_slots_.empty()) {
        const auto next_due = start + due_at(sent + opt_.batch - 1);
        const std::uint64_t t = now_ns();
        wait_ns = next_due > t ? std::min<std::uint64_t>(next_due - t, wait_ns) : 0;
      } else if (!free_slots_.empty()) {
        wait_ns = 0;  // unpaced and slots free: submit and keep going
      }
      __kernel_timespec ts{0, static_cast<long long>(wait_ns)};
      io_uring_cqe* cqe = nullptr;
      io_uring_submit_and_wait_timeout(&ring_, &cqe, wait_ns > 0 ? 1 : 0, &ts, nullptr);
      reap();
    }
    return sent;
  }

 private:
  // Messages due `elapsed_ns` after the start: whole bursts only (paced), or unbounded.
  [[nodiscard]] std::uint64_t messages_due(std::uint64_t elapsed_ns) const noexcept {
    if (opt_.rate <= 0) return UINT64_MAX;
    const auto bursts = static_cast<std::uint64_t>(static_cast<double>(elapsed_ns) * 1e-9 * opt_.rate / opt_.burst);
    return bursts * static_cast<std::uint64_t>(opt_.burst);
  }
  // When message `index` (from 0) comes due, after the start: with its whole burst.
  [[nodiscard]] std::uint64_t due_at(std::uint64_t index) const noexcept {
    const std::uint64_t burst = index / static_cast<std::uint64_t>(opt_.burst) + 1;
    return static_cast<std::uint64_t>(static_cast<double>(burst * opt_.burst) * 1e9 / opt_.rate);
  }

  void queue_send(std::size_t conn, std::uint64_t start, std::uint64_t first, std::uint64_t now) {
    const int slot = free_slots_.back();
    free_slots_.pop_back();
    const std::size_t slot_bytes = static_cast<std::size_t>(opt_.batch) * opt_.size;
    std::uint8_t* buf = slots_.data() + static_cast<std::size_t>(slot) * slot_bytes;
    for (int m = 0; m < opt_.batch; ++m) {
      const std::uint64_t intended = opt_.rate > 0 ? start + due_at(first + m) : now;
      std::memcpy(buf + static_cast<std::size_t>(m) * opt_.size, &intended, sizeof intended);
    }
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    if (sqe == nullptr) {
      io_uring_submit(&ring_);
      sqe = io_uring_get_sqe(&ring_);
    }
    io_uring_prep_send(sqe, fds_[conn], buf, slot_bytes, MSG_NOSIGNAL | MSG_WAITALL);
    io_uring_sqe_set_data64(sqe, (static_cast<std::uint64_t>(conn) << 32) | static_cast<unsigned>(slot));
    busy_[conn] = true;
  }

  void reap() {
    unsigned head = 0;
    unsigned seen = 0;
    io_uring_cqe* cqe = nullptr;
    io_uring_for_each_cqe(&ring_, head, cqe) {
      const std::uint64_t data = io_uring_cqe_get_data64(cqe);
      busy_[data >> 32] = false;
      free_slots_.push_back(static_cast<int>(data & 0xffffffffu));
      if (cqe->res < 0) errors_++;
      ++seen;
    }
    io_uring_cq_advance(&ring_, seen);
  }

  const Options& opt_;
  std::vector<int> fds_;
  io_uring ring_{};
  std::vector<std::uint8_t> slots_;
  std::vector<int> free_slots_;
  std::vector<bool> busy_;
  std::uint64_t errors_ = 0;
};

int run_child(const Options& opt, std::uint16_t port, int report_fd) {
  std::vector<int> fds;
  fds.reserve(static_cast<std::size_t>(opt.connections));
  for (int i = 0; i < opt.connections; ++i) fds.push_back(connect_loopback(port));
  Receiver receiver(opt, std::move(fds));
  hexwire::core::Histogram latency;
  const std::uint64_t received = receiver.run(latency);
  const double per_s = static_cast<double>(received) / opt.seconds;
  char line[512];
  const int n = std::snprintf(
      line, sizeof line,
      "{\"connections\":%d,\"size\":%d,\"batch\":%d,\"burst\":%d,\"offered_per_s\":%.0f,\"received_per_s\":%.0f,"
      "\"p50_us\":%.1f,\"p99_us\":%.1f,\"p999_us\":%.1f,\"max_us\":%.1f}\n",
      opt.connections, opt.size, opt.batch, opt.burst, opt.rate, per_s, latency.percentile(50) / 1e3,
      latency.percentile(99) / 1e3, latency.percentile(99.9) / 1e3, latency.max() / 1e3);
  if (write(report_fd, line, static_cast<std::size_t>(n)) != n) return 1;
  return 0;
}

int run(const Options& opt) {
  std::uint16_t port = 0;
  const int listener = listen_loopback(std::min(opt.connections, 4096), port);
  int pipe_fds[2];
  check(pipe(pipe_fds) == 0, "pipe");
  const pid_t child = fork();
  check(child >= 0, "fork");
  if (child == 0) {
    close(listener);
    close(pipe_fds[0]);
    _exit(run_child(opt, port, pipe_fds[1]));
  }
  close(pipe_fds[1]);
  std::vector<int> fds;
  for (int i = 0; i < opt.connections; ++i) {
    const int fd = accept(listener, nullptr, nullptr);
    check(fd >= 0, "accept");
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fds.push_back(fd);
  }
  Sender sender(opt, std::move(fds));
  const std::uint64_t deadline = now_ns() + static_cast<std::uint64_t>((opt.warmup + opt.seconds + 0.5) * 1e9);
  const std::uint64_t sent = sender.run(deadline, pipe_fds[0]);
  char report[512];
  const ssize_t n = read(pipe_fds[0], report, sizeof report - 1);
  int status = 0;
  waitpid(child, &status, 0);
  if (n <= 0) {
    std::fprintf(stderr, "loopback_ceiling: receiver failed (status %d)\n", status);
    return 1;
  }
  report[n] = '\0';
  std::fprintf(stderr, "sender handed %llu messages to the kernel, %llu sends failed\n",
               static_cast<unsigned long long>(sent),
               static_cast<unsigned long long>(sender.errors()));
  std::fputs(report, stdout);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  CLI::App app{"Loopback TCP ceiling: fixed-size messages/s from one sending to one receiving process"};
  app.add_option("--connections", opt.connections, "TCP connections")->check(CLI::Range(1, 19'000));
  app.add_option("--size", opt.size, "bytes per message")->check(CLI::Range(8, 65'536));
  app.add_option("--rate", opt.rate, "offered messages/s (open loop); 0 = as fast as possible");
  app.add_option("--batch", opt.batch, "messages per send to one connection")->check(CLI::Range(1, 64));
  app.add_option("--burst", opt.burst, "messages due at once, one each to consecutive connections (a fan-out)")
      ->check(CLI::Range(1, 19'000));
  app.add_option("--seconds", opt.seconds, "measured window")->check(CLI::PositiveNumber);
  app.add_option("--warmup", opt.warmup, "seconds before the window");
  app.add_option("--in-flight", opt.in_flight, "sends in flight at most")->check(CLI::Range(1, 4096));
  CLI11_PARSE(app, argc, argv);
  try {
    return run(opt);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "loopback_ceiling: %s\n", e.what());
    return 1;
  }
}
