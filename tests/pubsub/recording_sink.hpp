// In-memory DeliverySink for pubsub tests: records every call per shard (each shard writes only
// its own slot, so it is safe on real threads too) and can refuse deliveries to chosen
// connections to act as a slow consumer.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/executor.hpp"
#include "pubsub/delivery_sink.hpp"

namespace hexwire::pubsub::testing {

class RecordingSink : public DeliverySink {
 public:
  struct DeliverCall {
    MessageRef message;
    std::vector<SubscriberId> subscribers;
  };
  struct PresenceCall {
    std::string channel;
    std::vector<PresenceChange> changes;
    std::vector<SubscriberId> subscribers;
  };
  struct CountCall {
    std::string channel;
    std::uint64_t count;
    std::vector<SubscriberId> subscribers;
  };
  struct ReadCall {
    std::string channel;
    std::uint64_t seq;
    std::vector<SubscriberId> connections;
  };
  struct NotifyCall {
    MessageRef message;
    SubscriberId connection;
  };
  struct DrainCall {
    SubscriberId connection;
    std::vector<MessageRef> pending;
    std::uint64_t dropped;
  };
  struct PerShard {
    std::vector<DeliverCall> delivers;
    std::map<SubscriberId, std::vector<MessageRef>> received;  // accepted messages per connection
    std::vector<PresenceCall> presence;
    std::vector<CountCall> counts;
    std::vector<ReadCall> reads;
    std::vector<NotifyCall> notifies;
    std::vector<DrainCall> drains;
    std::set<SubscriberId> refuse;  // slow consumers: deliveries to them are dropped
  };

  explicit RecordingSink(core::Executor& executor)
      : executor_(executor), shards_(executor.shard_count()) {}

  std::size_t deliver(const MessageRef& message,
                      std::span<const SubscriberId> subscribers) noexcept override {
    PerShard& s = here();
    if (record_calls_) {
      s.delivers.push_back({message, {subscribers.begin(), subscribers.end()}});
    }
    std::size_t dropped = 0;
    for (SubscriberId id : subscribers) {
      if (s.refuse.contains(id)) {
        ++dropped;
      } else {
        s.received[id].push_back(message);
      }
    }
    return dropped;
  }
  void presence_changed(std::string_view channel, std::span<const PresenceChange> changes,
                        std::span<const SubscriberId> subscribers) noexcept override {
    here().presence.push_back({std::string(channel),
                               {changes.begin(), changes.end()},
                               {subscribers.begin(), subscribers.end()}});
  }
  void presence_count(std::string_view channel, std::uint64_t count,
                      std::span<const SubscriberId> subscribers) noexcept override {
    here().counts.push_back(
        {std::string(channel), count, {subscribers.begin(), subscribers.end()}});
  }
  void read_synced(std::string_view channel, std::uint64_t seq,
                   std::span<const SubscriberId> connections) noexcept override {
    here().reads.push_back({std::string(channel), seq, {connections.begin(), connections.end()}});
  }
  void notify(const MessageRef& message,
              std::span<const SubscriberId> connections) noexcept override {
    for (SubscriberId id : connections) {
      here().notifies.push_back({message, id});
    }
  }
  void pending_drained(SubscriberId connection, std::span<const MessageRef> pending,
                       std::uint64_t dropped) noexcept override {
    here().drains.push_back({connection, {pending.begin(), pending.end()}, dropped});
  }

  PerShard& shard(unsigned index) { return shards_[index]; }
  /// Seqs accepted by connection `id` of shard `shard`, in delivery order.
  std::vector<std::uint64_t> seqs(unsigned shard_index, SubscriberId id) {
    std::vector<std::uint64_t> out;
    for (const MessageRef& m : shards_[shard_index].received[id]) {
      out.push_back(m->seq);
    }
    return out;
  }
  /// Turn off per-call recording (the multi-threaded test keeps only `received`).
  void set_record_calls(bool on) { record_calls_ = on; }

 private:
  PerShard& here() { return shards_[executor_.current_shard()]; }

  core::Executor& executor_;
  std::vector<PerShard> shards_;
  bool record_calls_ = true;
};

}  // namespace hexwire::pubsub::testing
