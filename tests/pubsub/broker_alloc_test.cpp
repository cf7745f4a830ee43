// Fan-out to a large channel allocates per message and per shard, never per subscriber: counts
// global operator new calls while one message reaches 20,000 subscribers on 4 shards.
#include <catch2/catch.hpp>

#include "tests/counting_new.hpp"
#include "tests/pubsub/harness.hpp"

using namespace hexwire::pubsub;
using namespace hexwire::pubsub::testing;

namespace {

/// Counts deliveries without storing anything (a sink that allocates would hide the broker's).
struct CountingSink : RecordingSink {
  using RecordingSink::RecordingSink;
  std::uint64_t delivered = 0;
  std::uint64_t calls = 0;
  std::size_t deliver(const MessageRef&,
                      std::span<const SubscriberId> subscribers) noexcept override {
    delivered += subscribers.size();
    ++calls;
    return 0;
  }
};

}  // namespace

TEST_CASE("publishing to 20,000 subscribers allocates per message and shard, not per subscriber",
          "[pubsub][fanout][alloc]") {
  constexpr unsigned kShards = 4;
  constexpr SubscriberId kPerShard = 5'000;
  FakeExecutor exec(kShards);
  hexwire::core::MetricsRegistry metrics(kShards);
  CountingSink sink(exec);
  LocalBroker broker(exec, metrics, sink);
  for (unsigned s = 0; s < kShards; ++s) {
    exec.run_on(s, [&] {
      for (SubscriberId id = 0; id < kPerShard; ++id) {
        REQUIRE(broker.connection_opened(id, "u" + std::to_string(s * kPerShard + id)) ==
                Status::kOk);
        REQUIRE(broker.subscribe(id, "big", std::nullopt, nullptr) == Status::kOk);
      }
    });
  }
  exec.run_until_idle();
  const auto payload = bytes(R"({"text":"hi"})");
  // Warm up (history deque chunk, executor queues), then measure a handful of messages.
  for (int i = 0; i < 3; ++i) {
    exec.run_on(1, [&] { broker.publish("p", "big", payload, nullptr); });
    exec.run_until_idle();
  }
  constexpr int kMessages = 5;
  const std::uint64_t before = hexwire::testing::allocation_count.load();
  for (int i = 0; i < kMessages; ++i) {
    exec.run_on(1, [&] { broker.publish("p", "big", payload, nullptr); });
    exec.run_until_idle();
  }
  const std::uint64_t allocations = hexwire::testing::allocation_count.load() - before;
  CHECK(sink.delivered == (3 + kMessages) * kShards * kPerShard);
  CHECK(sink.calls == (3 + kMessages) * kShards);  // one sink call per shard per message
  INFO("allocations for " << kMessages << " messages: " << allocations);
  CHECK(allocations <= kMessages * 4);  // the message record and the odd queue chunk
}
