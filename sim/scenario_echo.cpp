// The echo scenario: --connections connections to /echo, each an open-loop stream of
// rate/connections requests per second; every request is a probe of --message-size bytes (intended
// send time, connection, running number), so the reply alone gives the round trip from the
// intended send time and, with --verify, its order and integrity (EchoVerifier).
#include <algorithm>

#include "sim/probe.hpp"
#include "sim/scenario.hpp"
#include "sim/schedule.hpp"

namespace hexwire::sim {
namespace {

class EchoPart final : public ScenarioPart {
 public:
  explicit EchoPart(const SimOptions& options)
      : scheduler_(options.arrival, options.seed),
        per_connection_rate_(options.rate / std::max<std::uint32_t>(1, options.connections)) {}

  void populate(WorkerContext& ctx) override {
    scheduler_ = SendScheduler(ctx.options.arrival, derive_seed(ctx.options.seed, ctx.worker));
    for (std::uint32_t g = ctx.worker; g < ctx.options.connections; g += ctx.workers) {
      const std::uint32_t local = ctx.pool->add(ClientKind::kEcho, g, g);
      if (local >= numbers_.size()) {
        numbers_.resize(local + 1, 0);
      }
    }
  }

  void tick(WorkerContext& ctx) noexcept override {
    scheduler_.drain_due(
        ctx.now_ns,
        [&](SendScheduler::StreamId local, std::uint64_t intended) {
          ClientSlot& slot = ctx.pool->slot(local);
          const std::uint64_t number = numbers_[local] + 1;
          ctx.out.clear();
          write_probe_text(Probe{intended, slot.global, number}, ctx.options.message_size, ctx.out);
          if (!ctx.send_out(local)) {
            ctx.unsent();  // the connection is gone or refused the send: counted, not skipped
            return;
          }
          numbers_[local] = number;
          ++sent_;
          ctx.recorder.count(Counter::kSent);
          if (ctx.options.verify) {
            verifier_.on_sent(slot.global, number);
          }
        },
        8192);
  }

  std::uint64_t next_due_ns() noexcept override { return scheduler_.next_ns(); }

  void on_open(WorkerContext& ctx, ClientSlot& slot) noexcept override {
    ctx.recorder.record(LatencyKind::kConnect, slot.connect_intended_ns, ctx.now_ns);
    const std::uint64_t start = std::max(ctx.timeline.load_start_ns, ctx.now_ns);
    try {
      scheduler_.add(slot.local, per_connection_rate_, start, ctx.timeline.load_end_ns);
    } catch (...) {
      ctx.recorder.error(ErrorKind::kProtocol);
    }
  }

  void on_text(WorkerContext& ctx, ClientSlot& slot, std::string_view text) noexcept override {
    ctx.recorder.count(Counter::kBytesReceived, text.size());
    const std::optional<Probe> probe = read_probe_text(text);
    if (probe && probe->sender == slot.global) {
      ctx.recorder.record(LatencyKind::kRtt, probe->intended_ns, ctx.now_ns);
      ctx.recorder.count(Counter::kReceived);
      ++replies_;
    } else {
      ctx.recorder.error(ErrorKind::kProtocol);
    }
    if (ctx.options.verify) {
      const ReceiptVerdict verdict = verifier_.on_reply(slot.global, probe);
      if (verdict != ReceiptVerdict::kInOrder) {
        ctx.recorder.error(ErrorKind::kVerify);
      }
    }
  }

  void on_closed(WorkerContext& ctx, ClientSlot& slot, bool /*was_open*/) noexcept override {
    // A connection the server dropped keeps its schedule: each send it can no longer issue is
    // counted as unsent, so the offered load stays visible.
    if (ctx.closing) {
      scheduler_.remove(slot.local);
    }
  }

  void finish(WorkerContext& ctx, VerificationSummary* echo_verification) noexcept override {
    if (sent_ > replies_) {
      ctx.recorder.error(ErrorKind::kTimeout, sent_ - replies_);
    }
    if (ctx.options.verify && echo_verification != nullptr) {
      merge_into(*echo_verification, verifier_.finish());
    }
  }

 private:
  SendScheduler scheduler_;
  double per_connection_rate_;
  std::vector<std::uint64_t> numbers_;  // per local slot: last request number sent
  EchoVerifier verifier_;
  std::uint64_t sent_ = 0;
  std::uint64_t replies_ = 0;
};

}  // namespace

std::unique_ptr<ScenarioPart> make_echo_part(const SimOptions& options) {
  return std::make_unique<EchoPart>(options);
}

}  // namespace hexwire::sim
