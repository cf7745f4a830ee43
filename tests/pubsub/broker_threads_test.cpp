// pubsub::Broker on real threads, both on the test's ThreadExecutor and on core::Runtime:
// concurrent publishers on every shard, steady subscribers on every shard and clients that keep
// reconnecting with resume; afterwards every stream must be the complete, identical seq order.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <system_error>
#include <thread>

#include "core/metrics.hpp"
#include "core/runtime.hpp"
#include "core/testing/thread_executor.hpp"
#include "pubsub/local_broker.hpp"
#include "tests/pubsub/recording_sink.hpp"

using namespace hexwire;
using namespace hexwire::pubsub;
using namespace hexwire::pubsub::testing;
using hexwire::core::testing::ThreadExecutor;

namespace {

constexpr unsigned kShards = 4;
constexpr SubscriberId kSteadyPerShard = 3;
constexpr int kBatches = 20;
constexpr int kBatchSize = 100;
constexpr std::uint64_t kTotal = std::uint64_t{kShards} * kBatches * kBatchSize;

/// Polls `done` (evaluated on the driver thread) until true or 60 s have passed.
template <typename Pred>
bool wait_for(Pred done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

/// Posts a task to a shard from the driver thread (not a shard thread).
using PostFn = std::function<void(unsigned, core::Task)>;

/// Runs `fn` on `shard` and waits for its result.
template <typename Fn>
auto run_on(const PostFn& post, unsigned shard, Fn fn) {
  std::promise<decltype(fn())> done;
  auto result = done.get_future();
  post(shard, [&] { done.set_value(fn()); });
  return result.get();
}

void check_complete_identical_streams(core::Executor& exec, const PostFn& post,
                                      const std::function<void()>& stop) {
  core::MetricsRegistry metrics(kShards);
  RecordingSink sink(exec);
  sink.set_record_calls(false);
  Config config;
  config.history_keep_messages = kTotal;
  config.history_max_messages = kTotal;
  LocalBroker broker(exec, metrics, sink, config);

  std::atomic<int> subscribed{0};
  std::atomic<std::uint64_t> acked{0};
  std::atomic<int> failures{0};
  // Touched only by their shard's thread until exec.stop() joins them.
  std::vector<std::vector<SubscriberId>> resumer_connections(kShards);
  std::vector<std::vector<std::pair<int, std::uint64_t>>> acks(kShards);

  auto last_seen = [&](unsigned shard) -> std::uint64_t {
    std::uint64_t last = 0;
    for (SubscriberId id : resumer_connections[shard]) {
      auto& got = sink.shard(shard).received[id];
      if (!got.empty()) {
        last = got.back()->seq;
      }
    }
    return last;
  };
  auto on_subscribed = [&](const SubscribeResult& r) {
    if ((r.status != Status::kOk && r.status != Status::kCancelled) ||
        (r.status == Status::kOk && !r.recovered)) {
      failures.fetch_add(1, std::memory_order_relaxed);
    }
    subscribed.fetch_add(1, std::memory_order_relaxed);
  };
  auto connect_resumer = [&](unsigned shard) {  // runs on `shard`
    auto& conns = resumer_connections[shard];
    const std::uint64_t since = last_seen(shard);
    if (!conns.empty()) {
      broker.connection_closed(conns.back());
    }
    const SubscriberId id = 1000 + conns.size();
    conns.push_back(id);
    if (broker.connection_opened(id, "resumer" + std::to_string(shard)) != Status::kOk ||
        broker.subscribe(id, "mt", since, on_subscribed) != Status::kOk) {
      failures.fetch_add(1, std::memory_order_relaxed);
    }
  };

  for (unsigned s = 0; s < kShards; ++s) {
    post(s, [&, s] {
      for (SubscriberId k = 1; k <= kSteadyPerShard; ++k) {
        broker.connection_opened(k, "u" + std::to_string(s) + "-" + std::to_string(k));
        broker.subscribe(k, "mt", std::nullopt, on_subscribed);
      }
      connect_resumer(s);
    });
  }
  REQUIRE(wait_for([&] { return subscribed.load() == int{kShards * (kSteadyPerShard + 1)}; }));

  for (int b = 0; b < kBatches; ++b) {
    for (unsigned s = 0; s < kShards; ++s) {
      post(s, [&, s, b] {
        for (int i = b * kBatchSize; i < (b + 1) * kBatchSize; ++i) {
          const std::string payload = std::to_string(s) + "-" + std::to_string(i);
          broker.publish("pub" + std::to_string(s), "mt", core::SharedBuffer::copy_of(payload),
                         [&, s, i](const PublishAck& ack) {
                           acks[s].emplace_back(i, ack.seq);
                           acked.fetch_add(1, std::memory_order_relaxed);
                         });
        }
        if (b % 3 == 1) {
          connect_resumer(s);
        }
      });
    }
  }
  REQUIRE(wait_for([&] { return acked.load() == kTotal; }));
  // Quiescence: every stream has reached the last seq.
  REQUIRE(wait_for([&] {
    for (unsigned s = 0; s < kShards; ++s) {
      const bool complete = run_on(post, s, [&] {
        for (SubscriberId k = 1; k <= kSteadyPerShard; ++k) {
          if (sink.shard(s).received[k].size() < kTotal) {
            return false;
          }
        }
        return last_seen(s) == kTotal;
      });
      if (!complete) {
        return false;
      }
    }
    return true;
  }));
  stop();

  CHECK(failures.load() == 0);
  const auto& reference = sink.shard(0).received[1];
  REQUIRE(reference.size() == kTotal);
  for (std::uint64_t i = 0; i < kTotal; ++i) {
    REQUIRE(reference[i]->seq == i + 1);
  }
  for (unsigned s = 0; s < kShards; ++s) {
    for (SubscriberId k = 1; k <= kSteadyPerShard; ++k) {
      const auto& got = sink.shard(s).received[k];
      REQUIRE(got.size() == kTotal);
      for (std::uint64_t i = 0; i < kTotal; ++i) {
        REQUIRE(got[i].get() == reference[i].get());  // one shared message, same order
      }
    }
    std::vector<std::uint64_t> stream;
    for (SubscriberId id : resumer_connections[s]) {
      for (const auto& m : sink.shard(s).received[id]) {
        stream.push_back(m->seq);
      }
    }
    REQUIRE(resumer_connections[s].size() > 5);
    REQUIRE(stream.size() == kTotal);
    for (std::uint64_t i = 0; i < kTotal; ++i) {
      REQUIRE(stream[i] == i + 1);
    }
    REQUIRE(acks[s].size() == std::size_t{kBatches} * kBatchSize);
    for (std::size_t i = 0; i < acks[s].size(); ++i) {
      REQUIRE(acks[s][i].first == static_cast<int>(i));
      const auto& m = reference[acks[s][i].second - 1];
      REQUIRE(m->payload.view() == std::to_string(s) + "-" + std::to_string(i));
    }
  }
}

}  // namespace

TEST_CASE("on the test's thread-per-shard executor all streams are complete and identical",
          "[pubsub][threads]") {
  ThreadExecutor exec(kShards);
  check_complete_identical_streams(
      exec, [&](unsigned shard, core::Task task) { exec.post(shard, std::move(task)); },
      [&] { exec.stop(); });
}

TEST_CASE("on core::Runtime all streams are complete and identical", "[pubsub][threads]") {
  core::RuntimeConfig config;
  config.shards = kShards;
  config.pin_threads = false;
  auto started = std::make_unique<core::Runtime>(config);
  try {
    started->start();
  } catch (const std::system_error&) {  // no io_uring here: the epoll backend runs the same loop
    config.backend = core::BackendKind::kEpoll;
    started = std::make_unique<core::Runtime>(config);
    started->start();
  }
  core::Runtime& runtime = *started;
  check_complete_identical_streams(
      runtime, [&](unsigned shard, core::Task task) { runtime.post(shard, std::move(task)); },
      [&] {
        runtime.request_stop();
        runtime.join();
      });
}
