// The API node and its two dependencies (see breaker_model.hpp). Messages: "call ID" (api ->
// dependency), "ok ID" / "err ID" (dependency -> api).
#include "sim/cases/netflix/breaker_model.hpp"

#include <cmath>
#include <string>

#include "sim/cases/message.hpp"

namespace hexwire::sim::cases::netflix {
namespace {

/// The arrival time of request `index` of a stream at `rate` per second starting at `offset`.
SimTime arrival(double rate, SimTime offset, std::uint64_t index) {
  return offset + static_cast<SimTime>(std::llround(static_cast<double>(index) * 1e9 / rate));
}

SimTime stream_offset(const BreakerModelConfig& c, std::size_t dep) {
  return dep == kFlaky ? 0 : static_cast<SimTime>(std::llround(0.5e9 / c.rate[dep]));
}

}  // namespace

BreakerModel::BreakerModel(const BreakerModelConfig& config, Network& net, Rng service_rng)
    : cfg_(config),
      net_(net),
      service_rng_(service_rng),
      breakers_{CircuitBreaker(config.breaker), CircuitBreaker(config.breaker)},
      pools_{Bulkhead(config.threads), Bulkhead(config.threads)} {
  api_ = net.add_node("api");
  deps_[kFlaky] = net.add_node("flaky");
  deps_[kHealthy] = net.add_node("healthy");
  net.set_events(*this);
}

void BreakerModel::start() {
  for (std::size_t dep = 0; dep < 2; ++dep) {
    if (cfg_.rate[dep] > 0) {
      net_.after(api_, stream_offset(cfg_, dep), [this, dep] { arrive(dep, 0); });
    }
  }
}

void BreakerModel::arrive(std::size_t dep, std::uint64_t index) {
  const SimTime now = net_.now();
  if (now >= cfg_.duration) {
    return;
  }
  DependencyCounts& n = counts_[dep];
  ++n.requests;
  const bool window = failing(now);
  n.requests_failing += window ? 1 : 0;
  const Admission admission = cfg_.breaker_on ? breakers_[dep].admit(now) : Admission::kRun;
  if (admission == Admission::kShortCircuit) {
    ++n.short_circuited;
    fallback(dep);
  } else {
    call(dep, admission, window);
  }
  const SimTime next = arrival(cfg_.rate[dep], stream_offset(cfg_, dep), index + 1);
  net_.after(api_, next - now, [this, dep, index] { arrive(dep, index + 1); });
}

void BreakerModel::call(std::size_t dep, Admission admission, bool failing_window) {
  DependencyCounts& n = counts_[dep];
  if (!pool(dep).acquire()) {
    ++n.rejected;
    if (cfg_.breaker_on) {
      breakers_[dep].record(net_.now(), Outcome::kRejected, admission);
    }
    fallback(dep);
    return;
  }
  const std::uint64_t id = next_id_++;
  ++n.reached;
  n.reached_failing += failing_window ? 1 : 0;
  const TimerId timer = net_.after(api_, cfg_.timeout, [this, id] { finish(id, Outcome::kTimeout); });
  pending_.emplace(id, Pending{dep, admission, timer, failing_window});
  net_.send(api_, deps_[dep], MessageWriter().word("call").number(id).take());
}

void BreakerModel::finish(std::uint64_t id, Outcome outcome) {
  const auto it = pending_.find(id);
  if (it == pending_.end()) {
    return;  // answered after its timeout: the caller already has its fallback
  }
  const Pending p = it->second;
  pending_.erase(it);
  if (outcome != Outcome::kTimeout) {
    net_.cancel(p.timeout);
  }
  pool(p.dep).release();
  if (cfg_.breaker_on) {
    breakers_[p.dep].record(net_.now(), outcome, p.admission);
  }
  DependencyCounts& n = counts_[p.dep];
  if (outcome == Outcome::kSuccess) {
    ++n.succeeded;
    n.succeeded_failing += p.failing_window ? 1 : 0;
    return;
  }
  (outcome == Outcome::kTimeout ? n.timed_out : n.failed) += 1;
  fallback(p.dep);
}

void BreakerModel::fallback(std::size_t dep) {
  ++counts_[dep].fallbacks;  // Netflix's pattern: a static or cached answer instead of an error
}

void BreakerModel::on_message(NodeId to, NodeId from, std::string_view body) {
  MessageReader in(body);
  const std::string_view kind = in.word();
  const std::uint64_t id = in.number();
  if (!in.ok()) {
    return;
  }
  if (to == api_) {
    finish(id, kind == "ok" ? Outcome::kSuccess : Outcome::kFailure);
    return;
  }
  if (kind != "call") {
    return;
  }
  const bool broken = to == deps_[kFlaky] && failing(net_.now());
  if (broken && cfg_.failure == FailureMode::kHang) {
    return;  // the dependency holds the call: the caller's timeout ends it
  }
  const SimTime service = cfg_.service.sample(service_rng_);
  const std::string reply = MessageWriter().word(broken ? "err" : "ok").number(id).take();
  net_.after(to, service, [this, to, reply] { net_.send(to, api_, reply); });
}

}  // namespace hexwire::sim::cases::netflix
