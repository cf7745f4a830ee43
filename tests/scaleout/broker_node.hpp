// Test harness for RedisBroker: one "node" = a core::Runtime with its own shards and a
// RedisBroker on it, plus a thread-safe recording sink; blocking helpers run one broker call on a
// shard and wait for its callback. Several nodes in one test share one redis-server, as a pool of
// engine processes would.
#pragma once

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/runtime.hpp"
#include "scaleout/redis_broker.hpp"

namespace hexwire::scaleout::testing {

struct Received {
  std::string channel;
  std::uint64_t seq = 0;
  std::string from;
  std::string data;
};

class LockedSink final : public pubsub::DeliverySink {
 public:
  std::size_t deliver(const pubsub::MessageRef& m,
                      std::span<const pubsub::SubscriberId> to) noexcept override {
    std::lock_guard lock(mutex_);
    for (pubsub::SubscriberId id : to) {
      received_[id].push_back({m->channel, m->seq, m->from, std::string(m->payload.view())});
    }
    return 0;
  }
  void presence_changed(std::string_view channel, std::span<const pubsub::PresenceChange> changes,
                        std::span<const pubsub::SubscriberId> to) noexcept override {
    std::lock_guard lock(mutex_);
    for (pubsub::SubscriberId id : to) {
      for (const auto& change : changes) {
        presence_[id].push_back(std::string(channel) + (change.joined ? " +" : " -") + change.user);
      }
    }
  }
  void presence_count(std::string_view channel, std::uint64_t count,
                      std::span<const pubsub::SubscriberId> to) noexcept override {
    std::lock_guard lock(mutex_);
    for (pubsub::SubscriberId id : to) {
      presence_[id].push_back(std::string(channel) + " #" + std::to_string(count));
    }
  }
  std::size_t deliver_backlog(pubsub::SubscriberId id,
                              std::span<const pubsub::MessageRef> messages) noexcept override {
    std::lock_guard lock(mutex_);
    for (const auto& m : messages) {
      received_[id].push_back({m->channel, m->seq, m->from, std::string(m->payload.view())});
    }
    backlog_[id] += messages.size();
    return 0;
  }
  void read_synced(std::string_view channel, std::uint64_t seq,
                   std::span<const pubsub::SubscriberId> to) noexcept override {
    std::lock_guard lock(mutex_);
    for (pubsub::SubscriberId id : to) {
      reads_[id].push_back(std::string(channel) + "@" + std::to_string(seq));
    }
  }
  void notify(const pubsub::MessageRef& m,
              std::span<const pubsub::SubscriberId> to) noexcept override {
    std::lock_guard lock(mutex_);
    for (pubsub::SubscriberId id : to) {
      notified_[id].push_back({m->channel, m->seq, m->from, std::string(m->payload.view())});
    }
  }
  void pending_drained(pubsub::SubscriberId id, std::span<const pubsub::MessageRef> pending,
                       std::uint64_t dropped) noexcept override {
    std::lock_guard lock(mutex_);
    for (const auto& m : pending) {
      drained_[id].push_back({m->channel, m->seq, m->from, std::string(m->payload.view())});
    }
    dropped_[id] += dropped;
  }

  template <typename Fn>
  auto with(Fn&& fn) {
    std::lock_guard lock(mutex_);
    return fn(*this);
  }
  std::vector<Received> received(pubsub::SubscriberId id) {
    return with([&](LockedSink& s) { return s.received_[id]; });
  }
  std::vector<std::string> presence(pubsub::SubscriberId id) {
    return with([&](LockedSink& s) { return s.presence_[id]; });
  }
  std::vector<std::string> reads(pubsub::SubscriberId id) {
    return with([&](LockedSink& s) { return s.reads_[id]; });
  }
  std::vector<Received> notified(pubsub::SubscriberId id) {
    return with([&](LockedSink& s) { return s.notified_[id]; });
  }
  std::vector<Received> drained(pubsub::SubscriberId id) {
    return with([&](LockedSink& s) { return s.drained_[id]; });
  }
  /// How many of received(id) came as a resume backlog.
  std::size_t backlog(pubsub::SubscriberId id) {
    return with([&](LockedSink& s) { return s.backlog_[id]; });
  }
  std::uint64_t dropped(pubsub::SubscriberId id) {
    return with([&](LockedSink& s) { return s.dropped_[id]; });
  }

 private:
  std::mutex mutex_;
  std::map<pubsub::SubscriberId, std::vector<Received>> received_;
  std::map<pubsub::SubscriberId, std::vector<std::string>> presence_;
  std::map<pubsub::SubscriberId, std::vector<std::string>> reads_;
  std::map<pubsub::SubscriberId, std::vector<Received>> notified_;
  std::map<pubsub::SubscriberId, std::vector<Received>> drained_;
  std::map<pubsub::SubscriberId, std::uint64_t> dropped_;
  std::map<pubsub::SubscriberId, std::size_t> backlog_;
};

inline RedisBrokerConfig broker_config(const std::string& url, const std::string& node_id) {
  RedisBrokerConfig config;
  config.redis.target = redis::parse_target(url);
  config.redis.connection.command_timeout_ns = 1'000'000'000;
  config.node.node_id = node_id;
  config.node.heartbeat_interval_ns = 100'000'000;
  config.node.node_ttl_ms = 1'000;
  config.pubsub.presence_flush_interval_ns = 20'000'000;
  config.reactor = []() -> core::Reactor& { return core::Runtime::this_shard()->reactor(); };
  return config;
}

/// One node: a runtime of `shards` shards and a RedisBroker on it.
class BrokerNode {
 public:
  /// Runs fn() on shard `shard` and returns its result.
  template <typename Fn>
  auto run_on(unsigned shard, Fn fn) {
    using R = decltype(fn());
    std::promise<R> promise;
    auto future = promise.get_future();
    runtime_.post(shard, [&] {
      if constexpr (std::is_void_v<R>) {
        fn();
        promise.set_value();
      } else {
        promise.set_value(fn());
      }
    });
    return future.get();
  }


  BrokerNode(RedisBrokerConfig config, unsigned shards = 2)
      : runtime_(runtime_config(shards)),
        broker_(runtime_, runtime_.metrics(), sink_, std::move(config)) {
    runtime_.start();
    for (unsigned s = 0; s < shards; ++s) {
      run_on(s, [&] { broker_.start_shard(); });
    }
  }
  ~BrokerNode() { stop(); }

  /// Leaves the pool and stops the runtime (what the engine does on SIGTERM).
  void stop() {
    if (stopped_) {
      return;
    }
    stopped_ = true;
    for (unsigned s = 0; s < runtime_.shard_count(); ++s) {
      run_on(s, [&] { broker_.stop_shard(); });
    }
    runtime_.request_stop();
    runtime_.join();
  }

  /// Issues a call whose callback delivers a T on shard `shard`; waits up to 10 s for it.
  template <typename T, typename Call>
  std::optional<T> call(unsigned shard, Call call) {
    auto promise = std::make_shared<std::promise<T>>();
    auto future = promise->get_future();
    const pubsub::Status status = run_on(shard, [&] {
      return call([promise](const T& value) { promise->set_value(value); });
    });
    if (status != pubsub::Status::kOk) {
      T failed{};
      failed.status = status;
      return failed;
    }
    if (future.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
      return std::nullopt;
    }
    return future.get();
  }

  void open(unsigned shard, pubsub::SubscriberId id, const std::string& user) {
    REQUIRE(run_on(shard, [&] { return broker_.connection_opened(id, user); }) ==
            pubsub::Status::kOk);
  }
  void close(unsigned shard, pubsub::SubscriberId id) {
    run_on(shard, [&] { broker_.connection_closed(id); });
  }
  pubsub::SubscribeResult subscribe(unsigned shard, pubsub::SubscriberId id,
                                    const std::string& channel,
                                    std::optional<std::uint64_t> since = std::nullopt,
                                    bool presence = false) {
    auto r = call<pubsub::SubscribeResult>(shard, [&](auto done) {
      return broker_.subscribe(id, channel, pubsub::SubscribeOptions{since, std::nullopt, presence},
                               std::move(done));
    });
    REQUIRE(r.has_value());
    return *r;
  }
  pubsub::PublishAck publish(unsigned shard, const std::string& user, const std::string& channel,
                             const std::string& data) {
    auto r = call<pubsub::PublishAck>(shard, [&](auto done) {
      return broker_.publish(user, channel, core::SharedBuffer::copy_of(data), std::move(done));
    });
    REQUIRE(r.has_value());
    return *r;
  }

  /// Starts a subscribe on shard `shard` without waiting for it; its result lands in `statuses`
  /// (any thread may read it under `mutex`).
  struct Replies {
    std::mutex mutex;
    std::vector<pubsub::Status> statuses;
    std::size_t size() {
      std::lock_guard lock(mutex);
      return statuses.size();
    }
    std::size_t count(pubsub::Status status) {
      std::lock_guard lock(mutex);
      return static_cast<std::size_t>(std::count(statuses.begin(), statuses.end(), status));
    }
  };
  void subscribe_async(unsigned shard, pubsub::SubscriberId id, const std::string& channel,
                       const std::shared_ptr<Replies>& replies) {
    const pubsub::Status started = run_on(shard, [&] {
      return broker_.subscribe(id, channel, pubsub::SubscribeOptions{},
                               [replies](const pubsub::SubscribeResult& r) {
                                 std::lock_guard lock(replies->mutex);
                                 replies->statuses.push_back(r.status);
                               });
    });
    REQUIRE(started == pubsub::Status::kOk);
  }
  /// A counter or gauge of this node's metrics, summed over shards.
  std::int64_t metric(std::string_view name) {
    std::int64_t total = 0;
    for (unsigned s = 0; s < runtime_.shard_count(); ++s) {
      if (const auto* c = runtime_.metrics().find_counter(name, s)) {
        total += static_cast<std::int64_t>(c->value());
      } else if (const auto* g = runtime_.metrics().find_gauge(name, s)) {
        total += g->value();
      }
    }
    return total;
  }

  [[nodiscard]] RedisBroker& broker() noexcept { return broker_; }
  [[nodiscard]] LockedSink& sink() noexcept { return sink_; }
  [[nodiscard]] core::Runtime& runtime() noexcept { return runtime_; }

 private:
  static core::RuntimeConfig runtime_config(unsigned shards) {
    core::RuntimeConfig config;
    config.shards = shards;
    config.pin_threads = false;
    config.reactor.backend_config.ring_entries = 256;
    config.reactor.backend_config.buffer_count = 64;
    return config;
  }

  LockedSink sink_;
  core::Runtime runtime_;
  RedisBroker broker_;
  bool stopped_ = false;
};

/// Waits (polling, at most 10 s) until `done()`; never asserts on speed.
template <typename Done>
bool eventually(Done done) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!done()) {
    if (std::chrono::steady_clock::now() > give_up) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

}  // namespace hexwire::scaleout::testing
