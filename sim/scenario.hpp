// What a hexwire-sim scenario plugs into: the run's timeline (ramp, measured load, drain), the
// per-worker context (recorder, parser, pool, shared verifier) and the ScenarioPart interface. A
// worker runs one or more parts (mixed = chat part + rides part) over one ClientPool; each part
// owns the slots of its client kinds and gets their events.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "sim/client_pool.hpp"
#include "sim/latency_recorder.hpp"
#include "sim/options.hpp"
#include "sim/rides_verifier.hpp"
#include "sim/verifier.hpp"
#include "sim/wire.hpp"

namespace hexwire::sim {

/// Monotonic instants of the run, the same for every worker.
struct RunTimeline {
  std::uint64_t run_start_ns = 0;   // ramp-up begins
  std::uint64_t load_start_ns = 0;  // scheduled sends begin (ramp-up done)
  std::uint64_t load_end_ns = 0;    // no send is scheduled at or after this
  std::uint64_t drain_end_ns = 0;   // replies still missing now are timeouts
};

/// The chat verifier is shared by every worker (publisher and receivers of one channel live on
/// different workers): each call takes the mutex. Only used with --verify.
struct SharedVerifier {
  explicit SharedVerifier(VerifierOptions options) : verifier(options) {}
  std::mutex mutex;
  Verifier verifier;
  RidesVerifier rides;
};

/// A worker thread's shared tools. Single-threaded except `verifier`.
struct WorkerContext {
  WorkerContext(const SimOptions& o, RunTimeline t, unsigned worker_id, unsigned worker_count,
                SharedVerifier* shared)
      : options(o),
        timeline(t),
        worker(worker_id),
        workers(worker_count),
        recorder(t.run_start_ns),
        verifier(shared) {}

  const SimOptions& options;
  RunTimeline timeline;
  unsigned worker;
  unsigned workers;
  LatencyRecorder recorder;
  ServerFrameParser parser;
  ServerEvent event;
  ClientPool* pool = nullptr;
  SharedVerifier* verifier;  // null without --verify (or for echo)
  std::string out;           // scratch for building requests
  std::uint64_t now_ns = 0;  // read when the current event (frame, open, close, turn) is handled
  bool closing = false;      // end of run: closes are expected, not errors

  /// Parses a server frame into `event`; counts a protocol error and returns false when it is not
  /// a protocol message.
  bool parse(std::string_view text) noexcept {
    if (parser.parse(text, event) != ParseStatus::kOk) {
      recorder.error(ErrorKind::kProtocol);
      return false;
    }
    return true;
  }
  /// Sends `out` on slot `local`, counting its bytes; false when the slot is not open or the
  /// session refused it (the caller decides whether that send counts as `unsent`).
  bool send_out(std::uint32_t local) noexcept {
    if (!pool->send(local, out)) {
      return false;
    }
    recorder.count(Counter::kBytesSent, out.size());
    return true;
  }
  /// A scheduled send that could not be issued: counted, never silently skipped.
  void unsent(std::uint64_t n = 1) noexcept { recorder.error(ErrorKind::kUnsent, n); }
};

/// A scenario's share of one worker. Every call runs on the worker thread.
class ScenarioPart {
 public:
  virtual ~ScenarioPart() = default;
  /// Adds this worker's slots to ctx.pool (clients whose global index % workers == worker).
  virtual void populate(WorkerContext& ctx) = 0;
  /// Issues every send due at ctx.now_ns (open loop: each with its intended time).
  virtual void tick(WorkerContext& ctx) noexcept = 0;
  /// Earliest intended time of the next send (kNever when none).
  [[nodiscard]] virtual std::uint64_t next_due_ns() noexcept = 0;
  virtual void on_open(WorkerContext& ctx, ClientSlot& slot) noexcept = 0;
  virtual void on_text(WorkerContext& ctx, ClientSlot& slot, std::string_view text) noexcept = 0;
  /// The slot's connection ended (already counted by the worker).
  virtual void on_closed(WorkerContext& ctx, ClientSlot& slot, bool was_open) noexcept = 0;
  /// After the drain: count what never came back as timeouts; add echo verification if any.
  virtual void finish(WorkerContext& ctx, VerificationSummary* echo_verification) noexcept = 0;
  /// Named counts for the final output, summed over workers (e.g. "chat reconnects").
  virtual void add_facts(std::map<std::string, std::uint64_t>& facts) const {}
  /// True when the part's clients are all past their set-up (auth, subscriptions).
  [[nodiscard]] virtual bool ready() const noexcept { return true; }
};

/// Factories (scenario_*.cpp). `first_global` is the run-wide index of the part's first client.
std::unique_ptr<ScenarioPart> make_echo_part(const SimOptions& options);
std::unique_ptr<ScenarioPart> make_chat_part(const SimOptions& options, std::uint32_t first_global);
std::unique_ptr<ScenarioPart> make_rides_part(const SimOptions& options,
                                              std::uint32_t first_global);

}  // namespace hexwire::sim
