// Fan-out cost per delivery of one published message to 1k, 10k and 100k subscribers spread over
// 4 logical shards, through the real Broker. The encode-once sink builds the outgoing frame once
// per (shard, message) and appends a reference-counted SharedBuffer to each subscriber's outbound
// vector; the baseline sink encodes a std::string per subscriber. BM_SinkOnlyEncodeOnce calls the
// same sink without the broker and BM_FanoutNoopSink the broker with a sink that does nothing,
// isolating the broker's own cost. Run: see bench/pubsub/README.md.
#include <benchmark/benchmark.h>

#include <charconv>
#include <memory>
#include <string>
#include <vector>

#include "core/metrics.hpp"
#include "core/shared_buffer.hpp"
#include "core/testing/fake_executor.hpp"
#include "pubsub/local_broker.hpp"

namespace {

using namespace hexwire;
using namespace hexwire::pubsub;

constexpr unsigned kShards = 4;

void append_number(std::string& out, std::uint64_t value) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), value);
  out.append(digits, end);
}

/// A WebSocket text frame (server to client, unmasked) carrying the protocol's `msg` event.
std::string encode_msg_frame(const Message& m) {
  std::string json;
  json.reserve(96 + m.channel.size() + m.from.size() + m.payload.size());
  json += R"({"op":"msg","channel":")";
  json += m.channel;
  json += R"(","seq":)";
  append_number(json, m.seq);
  json += R"(,"from":")";
  json += m.from;
  json += R"(","ts":)";
  append_number(json, static_cast<std::uint64_t>(m.ts_us));
  json += R"(,"data":)";
  json += m.payload.view();
  json += '}';
  std::string frame;
  frame.reserve(json.size() + 4);
  frame += static_cast<char>(0x81);  // FIN + text
  if (json.size() < 126) {
    frame += static_cast<char>(json.size());
  } else {
    frame += static_cast<char>(126);
    frame += static_cast<char>((json.size() >> 8) & 0xff);
    frame += static_cast<char>(json.size() & 0xff);
  }
  frame += json;
  return frame;
}

/// Per-subscriber outbound queues, indexed [shard][subscriber id], standing in for connections.
template <typename Frame>
struct Outbound {
  std::vector<std::vector<std::vector<Frame>>> queues;
  // Each queue gets its storage up front, as a connection would at accept time, so every variant
  // appends into memory laid out the same way whatever else was allocated in between.
  explicit Outbound(std::size_t per_shard)
      : queues(kShards, std::vector<std::vector<Frame>>(per_shard)) {
    for (auto& shard : queues) {
      for (auto& queue : shard) {
        queue.reserve(4);
      }
    }
  }
  void drain() {  // the sends completed: every connection releases its frames
    for (auto& shard : queues) {
      for (auto& queue : shard) {
        queue.clear();
      }
    }
  }
};

class SinkBase : public DeliverySink {
 public:
  explicit SinkBase(core::Executor& executor) : executor_(executor) {}
  void presence_changed(std::string_view, std::span<const PresenceChange>,
                        std::span<const SubscriberId>) noexcept override {}
  void presence_count(std::string_view, std::uint64_t,
                      std::span<const SubscriberId>) noexcept override {}
  void read_synced(std::string_view, std::uint64_t,
                   std::span<const SubscriberId>) noexcept override {}
  void notify(const MessageRef&, std::span<const SubscriberId>) noexcept override {}
  void pending_drained(SubscriberId, std::span<const MessageRef>, std::uint64_t) noexcept override {
  }

 protected:
  core::Executor& executor_;
};

/// Encodes once per (shard, message); every subscriber gets a reference to the same bytes.
class EncodeOnceSink final : public SinkBase {
 public:
  EncodeOnceSink(core::Executor& executor, std::size_t per_shard)
      : SinkBase(executor), outbound(per_shard) {}
  std::size_t deliver(const MessageRef& message,
                      std::span<const SubscriberId> subscribers) noexcept override {
    const core::SharedBuffer frame = core::SharedBuffer::copy_of(encode_msg_frame(*message));
    auto& queues = outbound.queues[executor_.current_shard()];
    for (SubscriberId id : subscribers) {
      queues[id].push_back(frame);
    }
    return 0;
  }
  Outbound<core::SharedBuffer> outbound;
};

/// Does nothing: what remains is the broker's own cost per message.
class NoopSink final : public SinkBase {
 public:
  NoopSink(core::Executor& executor, std::size_t) : SinkBase(executor) {}
  std::size_t deliver(const MessageRef&,
                      std::span<const SubscriberId> subscribers) noexcept override {
    benchmark::DoNotOptimize(subscribers.data());
    return 0;
  }
  struct {
    void drain() {}
  } outbound;
};

/// Baseline: encodes a fresh std::string for every subscriber.
class EncodePerSubscriberSink final : public SinkBase {
 public:
  EncodePerSubscriberSink(core::Executor& executor, std::size_t per_shard)
      : SinkBase(executor), outbound(per_shard) {}
  std::size_t deliver(const MessageRef& message,
                      std::span<const SubscriberId> subscribers) noexcept override {
    auto& queues = outbound.queues[executor_.current_shard()];
    for (SubscriberId id : subscribers) {
      queues[id].push_back(encode_msg_frame(*message));
    }
    return 0;
  }
  Outbound<std::string> outbound;
};

template <typename Sink>
void run_fanout(benchmark::State& state) {
  const auto subscribers = static_cast<std::size_t>(state.range(0));
  const std::size_t per_shard = subscribers / kShards;
  core::testing::FakeExecutor exec(kShards);
  core::MetricsRegistry metrics(kShards);
  Sink sink(exec, per_shard);
  Config config;
  config.max_members_per_channel = subscribers;
  LocalBroker broker(exec, metrics, sink, config);
  const std::string channel = "general";
  for (unsigned shard = 0; shard < kShards; ++shard) {
    exec.run_on(shard, [&] {
      for (SubscriberId id = 0; id < per_shard; ++id) {
        broker.connection_opened(id, "user-" + std::to_string(shard) + "-" + std::to_string(id));
        broker.subscribe(id, channel, std::nullopt, nullptr);
      }
    });
  }
  exec.run_until_idle();
  const std::string payload =
      R"({"text":"hello, this is a typical chat message of some length","n":1})";
  for (auto _ : state) {
    exec.run_on(0, [&] {
      broker.publish("publisher", channel, core::SharedBuffer::copy_of(payload), nullptr);
    });
    exec.run_until_idle();
    sink.outbound.drain();  // send completion releases the frames: part of the cost
  }
  const auto delivered = static_cast<double>(per_shard * kShards);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * delivered));
  state.counters["per_delivery"] = benchmark::Counter(
      delivered, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

/// No broker at all: the same encode-once sink called directly with each shard's subscriber span,
/// to show what the broker itself adds per message (sequencing, history, forwarding).
void BM_SinkOnlyEncodeOnce(benchmark::State& state) {
  const auto subscribers = static_cast<std::size_t>(state.range(0));
  const std::size_t per_shard = subscribers / kShards;
  core::testing::FakeExecutor exec(kShards);
  EncodeOnceSink sink(exec, per_shard);
  std::vector<SubscriberId> ids(per_shard);
  for (std::size_t i = 0; i < per_shard; ++i) {
    ids[i] = i;
  }
  const std::string payload =
      R"({"text":"hello, this is a typical chat message of some length","n":1})";
  std::uint64_t seq = 0;
  for (auto _ : state) {
    auto message = std::make_shared<Message>();
    message->channel = "general";
    message->from = "publisher";
    message->seq = ++seq;
    message->payload = core::SharedBuffer::copy_of(payload);
    const MessageRef ref(std::move(message));
    for (unsigned shard = 0; shard < kShards; ++shard) {
      exec.run_on(shard, [&] { sink.deliver(ref, ids); });
    }
    sink.outbound.drain();
  }
  const auto delivered = static_cast<double>(per_shard * kShards);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * delivered));
  state.counters["per_delivery"] = benchmark::Counter(
      delivered, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

void BM_FanoutEncodeOnce(benchmark::State& state) {
  run_fanout<EncodeOnceSink>(state);
}
void BM_FanoutNoopSink(benchmark::State& state) {
  run_fanout<NoopSink>(state);
}
void BM_FanoutEncodePerSubscriber(benchmark::State& state) {
  run_fanout<EncodePerSubscriberSink>(state);
}

BENCHMARK(BM_SinkOnlyEncodeOnce)
    ->Arg(1'000)
    ->Arg(10'000)
    ->Arg(100'000)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_FanoutEncodeOnce)
    ->Arg(1'000)
    ->Arg(10'000)
    ->Arg(100'000)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_FanoutNoopSink)->Arg(1'000)->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_FanoutEncodePerSubscriber)
    ->Arg(1'000)
    ->Arg(10'000)
    ->Arg(100'000)
    ->Unit(benchmark::kMicrosecond);

}  // namespace
