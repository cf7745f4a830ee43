// Runtime: shard threads (pinned, each creating its own reactor), the loop turn, the cross-shard
// sleep/wake handshake, listeners on every shard behind a probe bind, and graceful stop.
// Memory orders of the handshake are explained at Shard::turn and Runtime::wake_if_sleeping.
#include "core/runtime.hpp"

#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <string>
#include <system_error>

#include <spdlog/spdlog.h>

#include "core/clock.hpp"

namespace hexwire::core {

namespace {
thread_local Shard* tls_shard = nullptr;
constexpr std::uint64_t kStopPollNs = 5'000'000;        // sleep bound while stopping
constexpr std::uint64_t kAbortGraceNs = 1'000'000'000;  // after aborting, wait this for completions
// While backpressure stops reading, the receivers' drains are polled this often (they do not wake
// the sender): the gate reopens within about this much of the backlog falling to low water.
constexpr std::uint64_t kGatedPollNs = 1'000'000;

unsigned online_cpus() noexcept {
  const long count = ::sysconf(_SC_NPROCESSORS_ONLN);
  return count > 0 ? static_cast<unsigned>(count) : 1u;
}
}  // namespace

/// Tasks posted from threads that are not shards (control path: listen, tests, start-up).
struct Shard::Inbox {
  std::mutex mutex;
  std::vector<Task> tasks;
  std::atomic<bool> has_tasks{false};  // seq_cst both sides: pairs with waker_ (see post())
};

struct Shard::Counters {
  Counter* loop_turns = nullptr;
  Counter* mailbox_tasks = nullptr;
  Gauge* mailbox_depth = nullptr;
  Gauge* mailbox_outgoing = nullptr;
  Counter* mailbox_backpressure = nullptr;
};

Shard::Shard(Runtime& runtime, unsigned id)
    : runtime_(&runtime),
      id_(id),
      inbox_(std::make_unique<Inbox>()),
      counters_(std::make_unique<Counters>()) {}

Shard::~Shard() = default;

MetricsRegistry& Shard::metrics() noexcept {
  return runtime_->metrics();
}

void Shard::setup() {
  MetricsRegistry& registry = runtime_->metrics();
  ReactorMetrics metrics;
  metrics.connections_open = &registry.gauge("connections_open", "Open TCP connections", id_);
  metrics.connections_accepted =
      &registry.counter("connections_accepted_total", "TCP connections accepted", id_);
  metrics.connections_closed =
      &registry.counter("connections_closed_total", "TCP connections closed", id_);
  metrics.bytes_received =
      &registry.counter("bytes_received_total", "Bytes read from sockets", id_);
  metrics.bytes_sent = &registry.counter("bytes_sent_total", "Bytes written to sockets", id_);
  metrics.recv_enobufs_rearms =
      &registry.counter("recv_enobufs_rearms_total",
                        "Receives re-armed after the buffer ring ran dry (ENOBUFS)", id_);
  metrics.recv_budget_deferrals =
      &registry.counter("recv_budget_deferrals_total",
                        "Receives deferred a turn by the per-connection fairness cap", id_);
  metrics.accept_pauses = &registry.counter(
      "accept_pauses_total", "Listeners paused after running out of descriptors or memory", id_);
  metrics.sends_started =
      &registry.counter("sends_total", "sendmsg operations started (frames per send = "
                        "frames sent / this)", id_);
  metrics.writes_held = &registry.counter(
      "writes_held_total", "Connections whose sending waited for the write delay", id_);
  metrics.write_delay_us = &registry.gauge(
      "write_delay_us", "Write hold in use (adaptive batching's choice, or --write-delay-us)", id_);
  metrics.loop_busy_permille = &registry.gauge(
      "loop_busy_permille",
      "Adaptive batching: smoothed share of time the shard thread was on CPU, per mille", id_);
  metrics.send_queue_bytes =
      &registry.gauge("send_queue_bytes", "Bytes queued for sending, not yet written", id_);
  metrics.connections_refused = &registry.counter(
      "connections_refused_total",
      "Connections refused at accept because --max-connections were open", id_);
  metrics.gated_reads = &registry.counter(
      "mailbox_backpressure_paused_total",
      "Connections whose reading mailbox backpressure stopped (they sent while it held)", id_);
  metrics.connect_port_fallbacks = &registry.counter(
      "connect_port_fallbacks_total",
      "Outbound connects whose source-port window was full, retried with the whole range", id_);
  counters_->loop_turns = &registry.counter("loop_turns_total", "Event loop turns", id_);
  counters_->mailbox_tasks = &registry.counter("mailbox_tasks_total", "Cross-shard tasks run", id_);
  counters_->mailbox_depth =
      &registry.gauge("mailbox_depth", "Tasks waiting in this shard's inbound mailboxes", id_);
  counters_->mailbox_outgoing = &registry.gauge(
      "mailbox_outgoing_backlog",
      "Largest backlog of tasks this shard queued for one shard that have not run yet", id_);
  counters_->mailbox_backpressure = &registry.counter(
      "mailbox_backpressure_total",
      "Times this shard stopped reading its connections: an outgoing mailbox reached "
      "--mailbox-high-water",
      id_);

  ReactorConfig config = runtime_->config().reactor;
  config.backend = runtime_->config().backend;
  config.connection_cap = runtime_->connection_cap_.get();
  reactor_ = std::make_unique<Reactor>(config, metrics);
  now_ns_ = monotonic_ns();
  timers_ = std::make_unique<TimerWheel>(now_ns_, runtime_->config().timer_tick_ns);
}

void Shard::run_inbox() noexcept {
  if (!inbox_->has_tasks.load(std::memory_order_seq_cst)) {
    return;
  }
  std::vector<Task> tasks;
  {
    std::lock_guard lock(inbox_->mutex);
    tasks.swap(inbox_->tasks);
    inbox_->has_tasks.store(false, std::memory_order_seq_cst);
  }
  for (Task& task : tasks) {
    task();
  }
}

void Shard::turn(std::uint64_t max_sleep_ns) noexcept {
  // reap completions -> dispatch -> drain mailboxes -> run timers -> flush sends -> one submit
  // -> sleep (docs/core.md).
  reactor_->reap();
  now_ns_ = monotonic_ns();
  run_inbox();
  MailboxMesh& mailboxes = runtime_->mailboxes_;
  // Everything queued by now runs in this turn, not only mailbox_batch per sender: the tasks one
  // turn's I/O produced (a reap takes up to 4x the ring size of completions) must not trickle
  // out over hundreds of turns while new reads keep queueing more, until backpressure stops the
  // reading (a reconnect storm's subscribes waited ~0.5 s here). The backlog is bounded by
  // mailbox_high_water, so is the turn.
  std::size_t ran =
      mailboxes.drain(id_, std::max(runtime_->config().mailbox_batch, mailboxes.depth(id_)));
  // One more pass over what that drain queued: mostly answers to this shard's own requests (a
  // `sub` is a task to the channel's owner, its `subbed` a task back), which would otherwise wait
  // behind the whole next reap (up to 4x the ring size of completions) before they are flushed.
  // Still bounded: at most what was queued when the pass starts.
  if (ran != 0) {
    ran += mailboxes.drain(id_, mailboxes.depth(id_));
  }
  counters_->mailbox_tasks->add(ran);
  check_outgoing();
  timers_->advance(now_ns_);
  reactor_->flush();
  counters_->loop_turns->add();
  const std::size_t depth = mailboxes.depth(id_);
  counters_->mailbox_depth->set(static_cast<std::int64_t>(depth));

  std::uint64_t timeout = std::min({max_sleep_ns, timers_->ns_until_next(now_ns_),
                                    reactor_->ns_until_held_write(now_ns_),
                                    gated_ ? kGatedPollNs : UINT64_MAX});
  if (reactor_->has_pending_work() || depth > 0) {
    timeout = 0;
  }
  if (timeout > 0) {
    // Sleep handshake, receiver side. The seq_cst store of `sleeping_` followed by a seq_cst fence
    // pairs with the sender's fence between its push and its load of `sleeping_`
    // (Runtime::wake_if_sleeping): in the single total order of the two fences, either ours comes
    // first (the sender then sees sleeping_ == true and writes our eventfd) or theirs does (our
    // re-check below then sees their task). Either way no task waits for a full sleep.
    sleeping_.store(true, std::memory_order_seq_cst);
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (mailboxes.depth(id_) > 0 || inbox_->has_tasks.load(std::memory_order_seq_cst) ||
        (!stopping_ && runtime_->stop_requested())) {
      timeout = 0;
    }
  }
  reactor_->submit_and_wait(timeout);
  // Relaxed: only an optimisation hint for senders from here on (a stale `true` costs one
  // redundant eventfd write, never a lost wake-up).
  sleeping_.store(false, std::memory_order_relaxed);
}

void Shard::close_gate() noexcept {
  gated_ = true;
  reactor_->set_input_gate(true);
  counters_->mailbox_backpressure->add();
}

void Shard::check_outgoing() noexcept {
  const std::size_t high_water = runtime_->config().mailbox_high_water;
  if (high_water == 0) {
    return;
  }
  const MailboxMesh& mailboxes = runtime_->mailboxes_;
  std::size_t largest = 0;
  for (unsigned to = 0; to < mailboxes.shards(); ++to) {
    largest = std::max(largest, mailboxes.backlog(id_, to));
  }
  counters_->mailbox_outgoing->set(static_cast<std::int64_t>(largest));
  if (gated_ && largest <= high_water / 2) {
    gated_ = false;
    reactor_->set_input_gate(false);
  }
}

void Shard::begin_stop() noexcept {
  stopping_ = true;
  reactor_->close_listeners();
  if (runtime_->stop_hook_) {
    runtime_->stop_hook_(*this);
  }
  reactor_->close_all(false);
  drain_deadline_ns_ = monotonic_ns() + runtime_->config().shutdown_drain_ns;
}

bool Shard::stop_finished() noexcept {
  if (reactor_->connection_count() == 0) {
    return true;
  }
  const std::uint64_t now = monotonic_ns();
  if (!aborted_ && now >= drain_deadline_ns_) {
    spdlog::warn("shard {}: {} connection(s) did not drain in time; aborting them", id_,
                 reactor_->connection_count());
    reactor_->close_all(true);
    aborted_ = true;
    abort_deadline_ns_ = now + kAbortGraceNs;
  }
  return aborted_ && now >= abort_deadline_ns_;
}

void Shard::run() noexcept {
  tls_shard = this;
  const RuntimeConfig& config = runtime_->config();
  while (true) {
    if (!stopping_ && runtime_->stop_requested()) {
      begin_stop();
    }
    if (stopping_ && stop_finished()) {
      break;
    }
    turn(stopping_ ? std::min(config.max_sleep_ns, kStopPollNs) : config.max_sleep_ns);
  }
  // Tasks still queued for this shard are dropped with the mesh; the reactor is destroyed by
  // Runtime::join() once every thread has exited.
  tls_shard = nullptr;
}

// ---------------------------------------------------------------------------------------------

Runtime::Runtime(RuntimeConfig config)
    : config_(std::move(config)),
      shard_count_(config_.shards != 0 ? config_.shards : online_cpus()),
      owned_metrics_(config_.metrics == nullptr ? std::make_unique<MetricsRegistry>(shard_count_)
                                                : nullptr),
      metrics_(config_.metrics != nullptr ? config_.metrics : owned_metrics_.get()),
      mailboxes_(shard_count_, config_.mailbox_capacity),
      connection_cap_(config_.max_connections != 0
                          ? std::make_unique<ConnectionCap>(config_.max_connections,
                                                            config_.refusal)
                          : nullptr) {
  if (metrics_->shards() < shard_count_) {
    throw std::invalid_argument("RuntimeConfig::metrics has fewer shards than the runtime");
  }
  for (unsigned id = 0; id < shard_count_; ++id) {
    shards_.push_back(new Shard(*this, id));
  }
}

Runtime::~Runtime() {
  request_stop();
  join();
  for (Shard* shard : shards_) {
    delete shard;
  }
}

void Runtime::start() {
  if (started_) {
    throw std::logic_error("Runtime::start() called twice");
  }
  started_ = true;
  struct Startup {
    std::mutex mutex;
    std::condition_variable ready;
    unsigned pending = 0;
    std::exception_ptr error;
  } startup;
  startup.pending = shard_count_;
  const unsigned cpus = online_cpus();
  for (unsigned id = 0; id < shard_count_; ++id) {
    threads_.emplace_back([this, id, cpus, &startup] {
      Shard& shard = *shards_[id];
      tls_shard = &shard;
      const std::string name = (config_.thread_name + "-" + std::to_string(id)).substr(0, 15);
      (void)pthread_setname_np(pthread_self(), name.c_str());
      if (config_.pin_threads) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET((config_.first_cpu + id) % cpus, &set);
        if (const int rc = pthread_setaffinity_np(pthread_self(), sizeof(set), &set); rc != 0) {
          spdlog::warn("shard {}: could not pin to CPU {} ({}); running unpinned", id,
                       (config_.first_cpu + id) % cpus, std::strerror(rc));
        }
      }
      bool ok = true;
      try {
        shard.setup();
        // seq_cst: pairs with post()'s has_tasks store / waker_ load (one side sees the other).
        shard.waker_.store(shard.reactor_.get(), std::memory_order_seq_cst);
      } catch (...) {
        ok = false;
        std::lock_guard lock(startup.mutex);
        if (!startup.error) {
          startup.error = std::current_exception();
        }
      }
      {
        // Notify under the lock: start() destroys `startup` as soon as it sees pending == 0.
        std::lock_guard lock(startup.mutex);
        --startup.pending;
        startup.ready.notify_all();
      }
      if (ok) {
        shard.run_inbox();
        shard.run();
      }
    });
  }
  std::unique_lock lock(startup.mutex);
  startup.ready.wait(lock, [&] { return startup.pending == 0; });
  if (startup.error) {
    lock.unlock();
    request_stop();
    join();
    std::rethrow_exception(startup.error);
  }
}

void Runtime::post(unsigned shard, Task task) {
  Shard& target = *shards_.at(shard);
  {
    std::lock_guard lock(target.inbox_->mutex);
    target.inbox_->tasks.push_back(std::move(task));
    target.inbox_->has_tasks.store(true, std::memory_order_seq_cst);
  }
  if (Reactor* reactor = target.waker_.load(std::memory_order_seq_cst)) {
    reactor->wake();
  }
}

void Runtime::request_stop() noexcept {
  stop_requested_.store(true, std::memory_order_seq_cst);
  for (Shard* shard : shards_) {
    if (Reactor* reactor = shard->waker_.load(std::memory_order_seq_cst)) {
      reactor->wake();
    }
  }
}

void Runtime::join() {
  assert(this_shard() == nullptr || &this_shard()->runtime() != this);
  for (std::thread& thread : threads_) {
    if (thread.joinable()) {
      thread.join();
    }
  }
  for (Shard* shard : shards_) {
    shard->waker_.store(nullptr, std::memory_order_seq_cst);
    shard->reactor_.reset();
    shard->timers_.reset();
  }
}

unsigned Runtime::current_shard() const noexcept {
  assert(tls_shard != nullptr && tls_shard->runtime_ == this);
  return tls_shard->id_;
}

void Runtime::submit_to(unsigned shard, Task task) {
  Shard* self = tls_shard;
  assert(self != nullptr && self->runtime_ == this && shard < shard_count_);
  mailboxes_.push(self->id_, shard, std::move(task));
  if (shard != self->id_) {
    wake_if_sleeping(*shards_[shard]);
  }
  if (!self->gated_ && config_.mailbox_high_water != 0 &&
      mailboxes_.backlog(self->id_, shard) >= config_.mailbox_high_water) {
    self->close_gate();  // connections being read now still finish; the next ones wait
  }
}

void Runtime::wake_if_sleeping(Shard& target) noexcept {
  // Sender side of the sleep handshake (see Shard::turn): the fence orders our push before the
  // load of `sleeping_`; only a shard that is (about to be) asleep costs an eventfd write.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (target.sleeping_.load(std::memory_order_relaxed)) {
    if (Reactor* reactor = target.waker_.load(std::memory_order_acquire)) {
      reactor->wake();
    }
  }
}

TimerWheel& Runtime::timers() noexcept {
  assert(tls_shard != nullptr && tls_shard->runtime_ == this);
  return *tls_shard->timers_;
}

Shard* Runtime::this_shard() noexcept {
  return tls_shard;
}

std::uint16_t Runtime::listen(std::string_view host, std::uint16_t port,
                              AcceptHandlerFactory factory) {
  if (!started_) {
    throw std::logic_error("Runtime::listen() needs a started runtime (call start() first)");
  }
  if (tls_shard != nullptr && tls_shard->runtime_ == this) {
    throw std::logic_error("Runtime::listen() must not be called from one of its shard threads");
  }
  SocketAddress address = SocketAddress::parse(host, port);
  if (!config_.share_port || port == 0) {
    address.set_port(probe_bind(address));  // throws EADDRINUSE when a stale process holds it
  }
  ListenOptions options;
  options.nonblocking = config_.backend == BackendKind::kEpoll;
  std::vector<int> fds;
  try {
    for (unsigned id = 0; id < shard_count_; ++id) {
      fds.push_back(open_listener(address, options));
    }
  } catch (const std::system_error& error) {
    for (const int fd : fds) {
      ::close(fd);
    }
    if (error.code().value() == EADDRINUSE && config_.share_port) {
      throw std::system_error(
          error.code(),
          "port " + std::to_string(address.port()) + " on " + std::string(host) +
              " is held by a socket that does not share it (no SO_REUSEPORT, or another "
              "user's process): only processes started with --reuse-port by the same user can "
              "share a port");
    }
    throw;
  } catch (...) {
    for (const int fd : fds) {
      ::close(fd);
    }
    throw;
  }
  struct Registration {
    std::mutex mutex;
    std::condition_variable done;
    unsigned pending = 0;
  };
  auto registration = std::make_shared<Registration>();
  registration->pending = shard_count_;
  for (unsigned id = 0; id < shard_count_; ++id) {
    post(id, [registration, fd = fds[id], factory] {
      Runtime::this_shard()->reactor().add_listener(fd, factory);
      {
        std::lock_guard lock(registration->mutex);
        --registration->pending;
      }
      registration->done.notify_all();
    });
  }
  std::unique_lock lock(registration->mutex);
  if (!registration->done.wait_for(lock, std::chrono::seconds(10),
                                   [&] { return registration->pending == 0; })) {
    throw std::runtime_error(
        "Runtime::listen(): shards did not register the listener within 10 s "
        "(is the runtime stopping?)");
  }
  return address.port();
}

}  // namespace hexwire::core
