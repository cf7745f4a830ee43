// The shard-per-core runtime: N pinned threads, each owning a Reactor (its own io_uring or epoll,
// created on that thread), a TimerWheel, its slice of the metrics, and its end of the cross-shard
// MailboxMesh. Implements core::Executor for the layers above. See docs/core.md for the loop turn,
// the wake-up protocol and the shutdown sequence.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/executor.hpp"
#include "core/mailbox.hpp"
#include "core/metrics.hpp"
#include "core/reactor.hpp"
#include "core/timer_wheel.hpp"

namespace hexwire::core {

struct RuntimeConfig {
  unsigned shards = 0;                          // 0: one per online CPU
  BackendKind backend = BackendKind::kIoUring;  // overrides reactor.backend
  bool pin_threads = true;              // pthread_setaffinity_np; failure is tolerated (logged)
  unsigned first_cpu = 0;               // shard i is pinned to CPU (first_cpu + i) % online CPUs
  ReactorConfig reactor;                // buffer ring size/count, send limits, linger
  std::size_t mailbox_capacity = 4096;  // initial tasks per ordered shard pair
  std::size_t mailbox_batch = 256;  // tasks run per sender per loop turn, or all queued if more
  /// Backpressure: when the tasks a shard queued for another (or itself) and that have not run
  /// reach this, the shard stops reading its connections (they feed the mailboxes) until every
  /// one of its outgoing queues is back to half of it. 0 = unbounded (no backpressure).
  std::size_t mailbox_high_water = 32768;
  /// Open accepted connections, engine-wide; over it a new connection gets `refusal` and is
  /// closed. 0 = no limit.
  std::size_t max_connections = 0;
  /// Bytes written to a connection refused by max_connections before it is closed.
  std::string refusal;
  std::uint64_t timer_tick_ns = 1'000'000;  // timer wheel resolution
  std::uint64_t max_sleep_ns =
      100'000'000;  // upper bound of one sleep (gauges refresh at least this often)
  std::uint64_t shutdown_drain_ns = 2'000'000'000;  // how long queued sends may drain at stop
  std::string thread_name = "hw-shard";             // threads are named "<thread_name>-<id>"
  /// listen() on a port other processes already listen on with SO_REUSEPORT (same user): join
  /// them, and the kernel spreads new connections over every listener (hexwire --reuse-port).
  /// false (default): a port any other socket holds is refused with EADDRINUSE.
  bool share_port = false;
  MetricsRegistry* metrics = nullptr;  // shared registry; when null the runtime owns one
};

class Runtime;

/// One shard as seen from its own thread (Runtime::this_shard()).
class Shard {
 public:
  [[nodiscard]] unsigned id() const noexcept { return id_; }
  [[nodiscard]] Reactor& reactor() noexcept { return *reactor_; }
  [[nodiscard]] TimerWheel& timers() noexcept { return *timers_; }
  [[nodiscard]] MetricsRegistry& metrics() noexcept;
  [[nodiscard]] Runtime& runtime() noexcept { return *runtime_; }
  /// Monotonic time sampled at the start of the current loop turn (cheap "now" for handlers).
  [[nodiscard]] std::uint64_t now_ns() const noexcept { return now_ns_; }
  /// True once the runtime is stopping (listeners closed, connections draining).
  [[nodiscard]] bool stopping() const noexcept { return stopping_; }
  /// True while mailbox backpressure keeps this shard from reading its connections.
  [[nodiscard]] bool reading_gated() const noexcept { return gated_; }

 private:
  friend class Runtime;
  struct Inbox;
  struct Counters;
  explicit Shard(Runtime& runtime, unsigned id);
  ~Shard();
  void run() noexcept;
  void setup();
  void turn(std::uint64_t max_sleep_ns) noexcept;
  void begin_stop() noexcept;
  [[nodiscard]] bool stop_finished() noexcept;
  void run_inbox() noexcept;
  /// Mailbox backpressure: stop reading connections (an outgoing queue reached the high water).
  void close_gate() noexcept;
  /// Reopens the gate once every outgoing queue is at or below half the high water; refreshes
  /// the outgoing-backlog gauge.
  void check_outgoing() noexcept;

  Runtime* runtime_;
  unsigned id_;
  std::unique_ptr<Reactor> reactor_;
  std::unique_ptr<TimerWheel> timers_;
  std::unique_ptr<Inbox> inbox_;  // tasks posted from non-shard threads
  std::unique_ptr<Counters> counters_;
  std::uint64_t now_ns_ = 0;
  std::uint64_t drain_deadline_ns_ = 0;  // stopping: orderly closes may run until then
  std::uint64_t abort_deadline_ns_ = 0;  // stopping: aborted connections must be gone by then
  bool stopping_ = false;
  bool aborted_ = false;
  bool gated_ = false;  // mailbox backpressure: connections are not read
  // The sleep/wake handshake (see Runtime::submit_to and docs/core.md). Written by the shard
  // (seq_cst store before its final mailbox check) and read by senders after their push.
  alignas(64) std::atomic<bool> sleeping_{false};
  // The reactor to wake(); published (seq_cst) once the shard's backend exists. Reactors outlive
  // their threads (destroyed in Runtime::join) so a late wake never touches freed memory.
  std::atomic<Reactor*> waker_{nullptr};
};

class Runtime final : public Executor {
 public:
  /// Validates the configuration; starts nothing yet.
  explicit Runtime(RuntimeConfig config = {});
  /// request_stop() and join().
  ~Runtime() override;
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  /// Starts the shard threads and waits until every shard has created its backend (on its own
  /// thread). Throws std::system_error if any shard could not (e.g. io_uring disabled); in that
  /// case every thread is already joined. Call once.
  void start();

  /// Opens a TCP listener on every shard (SO_REUSEPORT, one socket each) for host:port. First a
  /// probe bind WITHOUT SO_REUSEPORT makes a port held by another process fail with a
  /// std::system_error (EADDRINUSE) naming the port; with RuntimeConfig::share_port the probe is
  /// skipped and only a holder without SO_REUSEPORT (or of another user) makes the bind fail, with
  /// the same error. Port 0 picks a free port once; every shard
  /// binds that one. Returns the bound port. Call after start(), from a thread that is NOT a
  /// shard of this runtime (it waits for every shard to register its listener).
  std::uint16_t listen(std::string_view host, std::uint16_t port, AcceptHandlerFactory factory);

  /// Runs `task` on shard `shard`'s thread soon. Any thread (takes a mutex: control path, not hot).
  /// Tasks posted before start() run when the shard starts; after stop they are dropped.
  void post(unsigned shard, Task task);

  /// Asks every shard to stop: close listeners, run the stop hook, orderly-close connections,
  /// let queued sends drain for at most shutdown_drain_ns, abort the rest, exit. Any thread and
  /// async-signal-safe (an atomic store and one eventfd write per shard). Idempotent.
  void request_stop() noexcept;
  [[nodiscard]] bool stop_requested() const noexcept {
    return stop_requested_.load(std::memory_order_acquire);
  }
  /// Waits for every shard thread to exit (after request_stop, or when they stop by themselves).
  /// Must not be called from a shard thread.
  void join();

  /// Runs on each shard's thread when stopping begins, before its connections are closed (e.g.
  /// to send WebSocket close frames, which still flush). Set before start().
  void set_stop_hook(std::function<void(Shard&)> hook) { stop_hook_ = std::move(hook); }

  // ---- Executor ----
  [[nodiscard]] unsigned shard_count() const noexcept override { return shard_count_; }
  /// The calling shard's id. Calling from a thread that is not one of this runtime's shards is a
  /// bug (asserted).
  [[nodiscard]] unsigned current_shard() const noexcept override;
  /// Queues `task` for shard `shard` through the calling shard's mailbox (FIFO per pair) and wakes
  /// the target only if it is asleep. Must be called from one of this runtime's shard threads;
  /// use post() from elsewhere.
  void submit_to(unsigned shard, Task task) override;
  [[nodiscard]] TimerWheel& timers() noexcept override;

  /// The shard whose thread is calling (any runtime in the process), nullptr off shard threads.
  [[nodiscard]] static Shard* this_shard() noexcept;
  /// Shard `id` of this runtime (its reactor/timers must only be used from its own thread).
  [[nodiscard]] Shard& shard(unsigned id) noexcept { return *shards_[id]; }
  [[nodiscard]] MetricsRegistry& metrics() noexcept { return *metrics_; }
  [[nodiscard]] const RuntimeConfig& config() const noexcept { return config_; }
  /// The engine-wide connection limit (null when max_connections is 0).
  [[nodiscard]] const ConnectionCap* connection_cap() const noexcept {
    return connection_cap_.get();
  }

 private:
  friend class Shard;
  void wake_if_sleeping(Shard& target) noexcept;

  RuntimeConfig config_;
  unsigned shard_count_;
  std::unique_ptr<MetricsRegistry> owned_metrics_;
  MetricsRegistry* metrics_;
  MailboxMesh mailboxes_;
  std::unique_ptr<ConnectionCap> connection_cap_;  // null without max_connections
  std::vector<Shard*> shards_;
  std::vector<std::thread> threads_;
  std::function<void(Shard&)> stop_hook_;
  // Set (seq_cst) by request_stop, which then writes every published shard's eventfd; shards load
  // it (acquire) at the top of each turn and in the pre-sleep re-check. No wake-up can be lost:
  // the eventfd keeps its count until the shard's armed read consumes it, even if the write comes
  // before the shard starts sleeping.
  std::atomic<bool> stop_requested_{false};
  bool started_ = false;
};

}  // namespace hexwire::core
