// SimWorker: the per-thread loop of hexwire-sim and the routing of connection events to the
// scenario part that owns each client kind.
#include "sim/worker.hpp"

#include <algorithm>
#include <exception>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/clock.hpp"
#include "core/reactor.hpp"
#include "sim/schedule.hpp"

namespace hexwire::sim {
namespace {

constexpr std::uint64_t kSecondNs = 1'000'000'000ull;
constexpr std::uint64_t kMaxSleepNs = 5'000'000;
constexpr std::size_t kMaxOpensPerTurn = 256;

}  // namespace

class SimWorker::Impl final : public ClientEvents {
 public:
  Impl(const SimOptions& options, RunTimeline timeline, WorkerSlot slot,
       SharedVerifier* verifier, ClientPoolConfig pool_config)
      : ctx_(options, timeline, slot.global, slot.count, verifier),
        aggregator_slot_(slot.local),
        pool_config_(std::move(pool_config)) {}

  void run(RunAggregator& aggregator, WorkerOutput& output) noexcept {
    try {
      reactor_ = std::make_unique<core::Reactor>(client_reactor_config(512));
      pool_ = std::make_unique<ClientPool>(*reactor_, pool_config_, *this);
      ctx_.pool = pool_.get();
      build_parts();
      for (auto& part : parts_) {
        part->populate(ctx_);
      }
      for (std::uint32_t local = 0; local < pool_->size(); ++local) {
        by_local_.push_back(part_of(pool_->slot(local).kind));
      }
    } catch (const std::exception& e) {
      output.failure = e.what();
      aggregator.submit(aggregator_slot_, ctx_.recorder.take());
      return;
    }
    const SimOptions& o = ctx_.options;
    RampSchedule ramp(pool_->size(), o.ramp_rate / ctx_.workers, ctx_.timeline.run_start_ns);
    loop(aggregator, ramp, ctx_.timeline.drain_end_ns);
    // End of run: close every connection (closes are expected now), wait up to 2 s for them.
    ctx_.closing = true;
    pool_->close_all();
    const std::uint64_t close_deadline = core::monotonic_ns() + 2 * kSecondNs;
    while (pool_->open_count() + pool_->connecting_count() > 0 &&
           core::monotonic_ns() < close_deadline) {
      turn(aggregator, nullptr, close_deadline);
    }
    VerificationSummary* echo = &output.echo_verification;
    for (auto& part : parts_) {
      part->finish(ctx_, echo);
      part->add_facts(output.facts);
    }
    add_server_facts(output.facts);
    output.last_receive_ns = last_receive_ns_;
    // The reactor goes first: it aborts connections still closing, and their callbacks reach the
    // pool and the parts, which must still exist.
    reactor_.reset();
    aggregator.submit(aggregator_slot_, ctx_.recorder.take());
    parts_.clear();
    pool_.reset();
  }

  // ---- ClientEvents ----
  // Each event reads the clock when it is handled: a loop turn may handle thousands of frames, and
  // a time read once per turn would charge them all the turn's start (docs/simulator.md).
  void on_open(ClientSlot& slot) noexcept override {
    ctx_.now_ns = core::monotonic_ns();
    ctx_.recorder.count(Counter::kConnectsOpened);
    by_local_[slot.local]->on_open(ctx_, slot);
  }
  void on_text(ClientSlot& slot, std::string_view text) noexcept override {
    ctx_.now_ns = core::monotonic_ns();
    if (!ctx_.closing) {
      last_receive_ns_ = ctx_.now_ns;
    }
    by_local_[slot.local]->on_text(ctx_, slot, text);
  }
  void on_closed(ClientSlot& slot, bool was_open, bool by_us, std::uint16_t /*code*/,
                 std::string_view why) noexcept override {
    ctx_.now_ns = core::monotonic_ns();
    if (was_open) {
      ctx_.recorder.count(Counter::kConnectsClosed);
      if (!by_us && !ctx_.closing) {
        ctx_.recorder.error(ErrorKind::kClosed);
      }
    } else {
      ctx_.recorder.error(ErrorKind::kConnect);
      if (first_connect_failure_.empty()) {
        first_connect_failure_ = std::string(why);
      }
    }
    by_local_[slot.local]->on_closed(ctx_, slot, was_open);
  }

  /// With several --url: how many connections each engine took (round-robin, then failover).
  void add_server_facts(std::map<std::string, std::uint64_t>& facts) const {
    const std::vector<std::string>& urls = ctx_.options.urls;
    const std::vector<std::uint64_t>& opened = pool_->opened_per_server();
    for (std::size_t k = 0; urls.size() > 1 && k < urls.size() && k < opened.size(); ++k) {
      facts[connections_opened_fact(urls[k])] += opened[k];
    }
  }

  [[nodiscard]] const std::string& first_connect_failure() const noexcept {
    return first_connect_failure_;
  }

 private:
  void build_parts() {
    const SimOptions& o = ctx_.options;
    switch (o.scenario) {
      case Scenario::kEcho:
        parts_.push_back(make_echo_part(o));
        break;
      case Scenario::kChat:
        parts_.push_back(make_chat_part(o, 0));
        break;
      case Scenario::kRides:
        parts_.push_back(make_rides_part(o, 0));
        break;
      case Scenario::kMixed:
        parts_.push_back(make_chat_part(o, 0));
        parts_.push_back(make_rides_part(o, o.connections));
        break;
    }
  }

  ScenarioPart* part_of(ClientKind kind) noexcept {
    if (ctx_.options.scenario == Scenario::kMixed) {
      return (kind == ClientKind::kChat) ? parts_[0].get() : parts_[1].get();
    }
    return parts_[0].get();
  }

  void loop(RunAggregator& aggregator, RampSchedule& ramp, std::uint64_t until_ns) noexcept {
    while (core::monotonic_ns() < until_ns) {
      turn(aggregator, &ramp, until_ns);
    }
  }

  void turn(RunAggregator& aggregator, RampSchedule* ramp, std::uint64_t until_ns) noexcept {
    reactor_->reap();  // every event handled here reads its own time
    ctx_.now_ns = core::monotonic_ns();
    std::uint64_t next = until_ns;
    if (ramp != nullptr) {
      ramp->drain_due(
          ctx_.now_ns,
          [&](std::uint64_t local, std::uint64_t intended) {
            pool_->connect(static_cast<std::uint32_t>(local), intended);
          },
          kMaxOpensPerTurn);
      next = std::min(next, ramp->next_ns());
      for (auto& part : parts_) {
        part->tick(ctx_);
        next = std::min(next, part->next_due_ns());
      }
    }
    if (auto finished = ctx_.recorder.roll(ctx_.now_ns)) {
      aggregator.submit(aggregator_slot_, std::move(*finished));
    }
    reactor_->flush();
    const std::uint64_t now = core::monotonic_ns();
    const std::uint64_t sleep =
        reactor_->has_pending_work() || next <= now ? 0 : std::min(next - now, kMaxSleepNs);
    reactor_->submit_and_wait(sleep);
  }

  WorkerContext ctx_;
  unsigned aggregator_slot_;  // index in this process's aggregator (ctx_.worker is global)
  ClientPoolConfig pool_config_;
  std::unique_ptr<core::Reactor> reactor_;
  std::unique_ptr<ClientPool> pool_;
  std::vector<std::unique_ptr<ScenarioPart>> parts_;
  std::vector<ScenarioPart*> by_local_;
  std::string first_connect_failure_;
  std::uint64_t last_receive_ns_ = 0;
};

SimWorker::SimWorker(const SimOptions& options, RunTimeline timeline, WorkerSlot slot,
                     SharedVerifier* verifier, ClientPoolConfig pool_config)
    : impl_(std::make_unique<Impl>(options, timeline, slot, verifier, std::move(pool_config))) {}

SimWorker::~SimWorker() = default;

void SimWorker::run(RunAggregator& aggregator, WorkerOutput& output) noexcept {
  impl_->run(aggregator, output);
}

const std::string& SimWorker::first_connect_failure() const noexcept {
  return impl_->first_connect_failure();
}

}  // namespace hexwire::sim
