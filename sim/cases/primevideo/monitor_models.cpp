// The distributed and monolithic stream-quality monitors on the Transport (see monitor_models.hpp).
// Messages: "chunks COUNT PRODUCED_NS" (source -> orchestrator or instance), "convert ID",
// "put ID FRAMES", "stored ID", "converted ID", "detect ID", "get ID FRAMES", "frames ID",
// "verdict ID", "done COUNT PRODUCED_NS" (back to the source).
#include "sim/cases/primevideo/monitor_models.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "sim/cases/message.hpp"

namespace hexwire::sim::cases::primevideo {
namespace {

constexpr SimTime kPumpInterval = 10 * kMillisecond;

SimTime seconds(double s) { return static_cast<SimTime>(std::llround(s * 1e9)); }

std::string chunks_message(std::string_view kind, std::uint64_t count, SimTime produced) {
  return MessageWriter().word(kind).number(count).number(static_cast<std::uint64_t>(produced)).take();
}

}  // namespace

MonitorModel::MonitorModel(const CostConfig& config, Network& net, std::uint32_t phases)
    : cfg_(config), net_(net), phases_(std::max(phases, 1u)) {
  source_ = net.add_node("source");
}

void MonitorModel::start(SimTime arrivals_end, SimTime window_start) {
  arrivals_end_ = arrivals_end;
  window_start_ = window_start;
  on_start();
  const SimTime interval = seconds(cfg_.chunk_s);
  for (std::uint32_t phase = 0; phase < phases_; ++phase) {
    if (streams_in_phase(phase) == 0) {
      continue;
    }
    const SimTime offset = interval * phase / phases_;
    net_.after(source_, offset, [this, phase] { emit(phase); });
  }
}

void MonitorModel::emit(std::uint32_t phase) {
  if (net_.now() >= arrivals_end_) {
    return;
  }
  const std::uint64_t count = streams_in_phase(phase);
  counts_.chunks_demanded += count;
  on_chunks(phase, count);
  net_.after(source_, seconds(cfg_.chunk_s), [this, phase] { emit(phase); });
}

std::uint64_t MonitorModel::streams_in_phase(std::uint32_t phase) const noexcept {
  return cfg_.streams / phases_ + (phase < cfg_.streams % phases_ ? 1 : 0);
}

bool MonitorModel::on_source_message(NodeId to, std::string_view body) {
  MessageReader in(body);
  if (to != source_ || in.word() != "done") {
    return false;
  }
  const std::uint64_t count = in.number();
  const auto produced = static_cast<SimTime>(in.number());
  if (in.ok()) {
    complete(produced, count);
  }
  return true;
}

void MonitorModel::complete(SimTime produced, std::uint64_t count) {
  counts_.chunks_completed += count;
  if (net_.now() >= window_start_ && net_.now() < arrivals_end_) {
    counts_.chunks_in_window += count;
  }
  const auto latency = static_cast<std::uint64_t>(std::max<SimTime>(net_.now() - produced, 0));
  for (std::uint64_t i = 0; i < count; ++i) {
    counts_.chunk_latency_ns.record(latency);
  }
}

std::uint64_t MonitorModel::take_completed_since_last() noexcept {
  const std::uint64_t delta = counts_.chunks_completed - completed_at_last_take_;
  completed_at_last_take_ = counts_.chunks_completed;
  return delta;
}

// ---- distributed ----------------------------------------------------------------------------

DistributedMonitor::DistributedMonitor(const CostConfig& config, Network& net)
    : MonitorModel(config, net, 10) {
  orchestrator_ = net.add_node("orchestrator");
  converter_ = net.add_node("converter");
  s3_ = net.add_node("s3");
  for (std::uint32_t d = 0; d < config.detectors; ++d) {
    detectors_.push_back(net.add_node(fmt::format("d{}", d)));
  }
  frames_per_chunk_ = static_cast<std::uint64_t>(std::llround(config.frames_per_s * config.chunk_s));
  // The bucket starts empty: the run measures the sustained rate, not a first second's burst.
  tokens_ = 0;
  net.set_events(*this);
}

void DistributedMonitor::on_start() {
  refilled_at_ = net_.now();
  net_.after(orchestrator_, kPumpInterval, [this] { pump(); });
}

std::uint64_t DistributedMonitor::not_started() const noexcept {
  std::uint64_t n = 0;
  for (const Batch& b : waiting_) {
    n += b.count;
  }
  return n;
}

void DistributedMonitor::on_chunks(std::uint32_t, std::uint64_t count) {
  net_.send(source_, orchestrator_, chunks_message("chunks", count, net_.now()));
}

void DistributedMonitor::refill() {
  const double elapsed = static_cast<double>(net_.now() - refilled_at_) / 1e9;
  tokens_ = std::min(cfg_.transition_limit, tokens_ + elapsed * cfg_.transition_limit);
  refilled_at_ = net_.now();
}

/// Every 10 ms: spend the bucket on transitions, running workflows first, then new ones.
void DistributedMonitor::pump() {
  refill();
  while (tokens_ >= 1.0) {
    if (!ready_.empty()) {
      const auto [workflow, key] = *ready_.begin();
      ready_.erase(ready_.begin());
      transition(Ready{workflow, static_cast<Step>(key >> 8), key & 0xff});
    } else if (!waiting_.empty() && net_.now() < arrivals_end()) {
      const std::uint64_t id = workflows_.size();
      workflows_.push_back(Workflow{waiting_.front().produced, 0});
      if (--waiting_.front().count == 0) {
        waiting_.pop_front();
      }
      transition(Ready{id, Step::kConvert, 0});
    } else {
      break;
    }
  }
  net_.after(orchestrator_, kPumpInterval, [this] { pump(); });
}

void DistributedMonitor::push_ready(const Ready& ready) {
  ready_.emplace(ready.workflow, (static_cast<std::uint32_t>(ready.step) << 8) | ready.detector);
}

void DistributedMonitor::transition(const Ready& next) {
  tokens_ -= 1.0;
  ++counts_.transitions;
  const std::string id = MessageWriter().number(next.workflow).take();
  switch (next.step) {
    case Step::kConvert:
      net_.send(orchestrator_, converter_, "convert " + id);
      break;
    case Step::kParallel:
      for (std::uint32_t d = 0; d < detectors_.size(); ++d) {
        push_ready(Ready{next.workflow, Step::kDetect, d});
      }
      break;
    case Step::kDetect:
      net_.send(orchestrator_, detectors_[next.detector], "detect " + id);
      break;
    case Step::kAggregate:
      net_.send(orchestrator_, source_, chunks_message("done", 1, workflows_[next.workflow].produced));
      break;
  }
}

void DistributedMonitor::on_message(NodeId to, NodeId from, std::string_view body) {
  if (on_source_message(to, body)) {
    return;
  }
  MessageReader in(body);
  const std::string_view kind = in.word();
  const std::uint64_t id = in.number();
  if (!in.ok()) {
    return;
  }
  const std::string tail = MessageWriter().number(id).take();
  if (to == orchestrator_ && kind == "chunks") {
    const auto produced = static_cast<SimTime>(in.number());
    waiting_.push_back(Batch{produced, id});
  } else if (to == converter_ && kind == "convert") {
    ++counts_.lambda_invocations;
    counts_.lambda_gb_s += cfg_.convert_cpu_s * cfg_.lambda_gb;
    net_.after(converter_, seconds(cfg_.convert_cpu_s), [this, tail] {
      net_.send(converter_, s3_, fmt::format("put {} {}", tail, frames_per_chunk_));
    });
  } else if (to == s3_ && (kind == "put" || kind == "get")) {
    const std::uint64_t frames = in.number();
    (kind == "put" ? counts_.s3_puts : counts_.s3_gets) += frames;
    net_.send(s3_, from, (kind == "put" ? "stored " : "frames ") + tail);
  } else if (to == converter_ && kind == "stored") {
    net_.send(converter_, orchestrator_, "converted " + tail);
  } else if (kind == "detect") {
    ++counts_.lambda_invocations;
    counts_.lambda_gb_s += cfg_.detect_cpu_s * cfg_.lambda_gb;
    net_.send(to, s3_, fmt::format("get {} {}", tail, frames_per_chunk_));
  } else if (kind == "frames") {
    net_.after(to, seconds(cfg_.detect_cpu_s), [this, to, tail] {
      net_.send(to, orchestrator_, "verdict " + tail);
    });
  } else if (to == orchestrator_ && id < workflows_.size()) {
    if (kind == "converted") {
      push_ready(Ready{id, Step::kParallel, 0});
    } else if (kind == "verdict" && ++workflows_[id].verdicts == detectors_.size()) {
      push_ready(Ready{id, Step::kAggregate, 0});
    }
  }
}

// ---- monolith -------------------------------------------------------------------------------

MonolithMonitor::MonolithMonitor(const CostConfig& config, Network& net)
    : MonitorModel(config, net, static_cast<std::uint32_t>(monolith_instances(config, config.streams))) {
  instances_.resize(phases_);
  for (std::uint32_t i = 0; i < phases_; ++i) {
    instances_[i].node = net.add_node(fmt::format("m{}", i));
  }
  net.set_events(*this);
}

/// Instance `phase` hosts the streams of that phase: one message per chunk interval.
void MonolithMonitor::on_chunks(std::uint32_t phase, std::uint64_t count) {
  net_.send(source_, instances_[phase].node, chunks_message("chunks", count, net_.now()));
}

void MonolithMonitor::on_message(NodeId to, NodeId, std::string_view body) {
  if (on_source_message(to, body)) {
    return;
  }
  MessageReader in(body);
  if (in.word() != "chunks") {
    return;
  }
  const std::uint64_t count = in.number();
  const auto produced = static_cast<SimTime>(in.number());
  // Instances were added one after another, so their node ids are consecutive.
  const std::size_t index = to - instances_.front().node;
  if (!in.ok() || to < instances_.front().node || index >= instances_.size()) {
    return;
  }
  Instance* it = &instances_[index];
  // The vCPUs work through the chunks in arrival order: conversion and every detector in-process,
  // frames handed over in memory.
  const double work_s = static_cast<double>(count) * cfg_.cpu_per_stream_s() * cfg_.chunk_s;
  counts_.instance_busy_s += work_s;
  it->busy_until = std::max(it->busy_until, net_.now()) + seconds(work_s / cfg_.vcpus_per_instance);
  net_.after(to, it->busy_until - net_.now(), [this, to, count, produced] {
    net_.send(to, source_, chunks_message("done", count, produced));
  });
}

}  // namespace hexwire::sim::cases::primevideo
