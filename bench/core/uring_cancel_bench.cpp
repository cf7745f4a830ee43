// Why IoUringBackend::cancel_all cancels by user_data: N sockets each with a receive armed on one
// io_uring (as N open connections), then every receive cancelled in one batch (as N connections
// closed in one turn) — by fd with IORING_ASYNC_CANCEL_ALL (the old cancel_all: the kernel walks
// every armed poll request for each cancel) against by user_data (one hash lookup each). Times
// the cancel batch until every receive and cancel completed; the arming is not timed.
// Usage: uring_cancel_bench [--benchmark_repetitions=3] (needs 2 descriptors per connection)
#include <benchmark/benchmark.h>
#include <liburing.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <vector>

namespace {

enum class CancelBy { kFd, kUserData };

class ArmedSockets {
 public:
  explicit ArmedSockets(int count) : buffer_(static_cast<std::size_t>(count)) {
    io_uring_params params{};
    params.flags = IORING_SETUP_CQSIZE | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
    params.cq_entries = 4 * static_cast<unsigned>(count);
    ring_ok_ = io_uring_queue_init_params(4096, &ring_, &params) == 0;
    ok_ = ring_ok_;
    for (int i = 0; ok_ && i < count; ++i) {
      int pair[2];
      ok_ = ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) == 0;
      if (ok_) {
        fds_.push_back(pair[0]);
        fds_.push_back(pair[1]);
      }
    }
  }
  ~ArmedSockets() {
    if (ring_ok_) {
      io_uring_queue_exit(&ring_);
    }
    for (const int fd : fds_) {
      ::close(fd);
    }
  }
  ArmedSockets(const ArmedSockets&) = delete;
  ArmedSockets& operator=(const ArmedSockets&) = delete;

  [[nodiscard]] bool ok() const { return ok_; }

  /// One receive per connection, parked in the kernel's poll table (nothing to read).
  void arm() {
    for (std::size_t i = 0; i < buffer_.size(); ++i) {
      io_uring_sqe* sqe = sqe_or_submit();
      io_uring_prep_recv(sqe, fds_[2 * i], &buffer_[i], 1, 0);
      io_uring_sqe_set_data64(sqe, kReceiveTag | i);
    }
    io_uring_submit_and_get_events(&ring_);
  }

  /// Cancels every receive and waits for all 2N completions (receive + cancel result).
  void cancel_all(CancelBy by) {
    for (std::size_t i = 0; i < buffer_.size(); ++i) {
      io_uring_sqe* sqe = sqe_or_submit();
      if (by == CancelBy::kFd) {
        io_uring_prep_cancel_fd(sqe, fds_[2 * i], IORING_ASYNC_CANCEL_ALL);
      } else {
        io_uring_prep_cancel64(sqe, kReceiveTag | i, 0);
      }
      io_uring_sqe_set_data64(sqe, 0);
    }
    std::size_t left = 2 * buffer_.size();
    while (left > 0) {
      io_uring_submit_and_wait(&ring_, 1);
      io_uring_cqe* cqe = nullptr;
      unsigned head = 0;
      unsigned seen = 0;
      io_uring_for_each_cqe(&ring_, head, cqe) {
        ++seen;
      }
      io_uring_cq_advance(&ring_, seen);
      left -= seen;
    }
  }

 private:
  static constexpr std::uint64_t kReceiveTag = std::uint64_t{1} << 40;

  io_uring_sqe* sqe_or_submit() {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    while (sqe == nullptr) {
      io_uring_submit(&ring_);
      sqe = io_uring_get_sqe(&ring_);
    }
    return sqe;
  }

  io_uring ring_{};
  bool ring_ok_ = false;
  bool ok_ = false;
  std::vector<int> fds_;
  std::vector<char> buffer_;
};

void raise_descriptor_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
}

void BM_CancelBatch(benchmark::State& state, CancelBy by) {
  raise_descriptor_limit();
  const int connections = static_cast<int>(state.range(0));
  ArmedSockets sockets(connections);
  if (!sockets.ok()) {
    state.SkipWithError("io_uring or socketpair set-up failed (descriptor limit?)");
    return;
  }
  double total_s = 0;
  for (auto _ : state) {
    sockets.arm();
    const auto start = std::chrono::steady_clock::now();
    sockets.cancel_all(by);
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    state.SetIterationTime(elapsed);
    total_s += elapsed;
  }
  state.counters["us_per_connection"] =
      total_s * 1e6 / (static_cast<double>(state.iterations()) * connections);
}

/// Armed receives per batch, timed by hand (only the cancel batch).
void cancel_batch_sizes(benchmark::internal::Benchmark* bench) {
  for (const int connections : {1000, 2000, 4000, 8000}) {
    bench->Arg(connections);
  }
  bench->UseManualTime()->Unit(benchmark::kMillisecond);
}

}  // namespace

BENCHMARK_CAPTURE(BM_CancelBatch, by_fd, CancelBy::kFd)->Apply(cancel_batch_sizes);
BENCHMARK_CAPTURE(BM_CancelBatch, by_user_data, CancelBy::kUserData)->Apply(cancel_batch_sizes);
