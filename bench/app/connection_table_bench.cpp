// The DeliverySink's per-frame lookup (app/connection_table.hpp): a shard holds 16,000 /ws
// connections and a message to a 640-member channel looks each listed subscriber id up before it
// queues the frame. The ConnectionTable (slot + generation ids, one index into a dense array)
// against the std::unordered_map<id, connection*> it replaced, in the same run; the "connections"
// are 256-byte objects whose first byte is read, as deliver() reads the connection's state.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <random>
#include <unordered_map>
#include <vector>

#include "app/connection_table.hpp"

namespace {

using hexwire::pubsub::SubscriberId;

struct FakeConnection {
  std::array<char, 256> state{};
};

constexpr std::size_t kConnections = 16'000;
constexpr std::size_t kMembers = 640;

/// The old table: ids 1, 2, 3, ... handed out in order, one hash node each.
struct MapTable {
  std::unordered_map<SubscriberId, FakeConnection*> map;
  SubscriberId next_id = 1;
  SubscriberId add(FakeConnection* c) {
    map.emplace(next_id, c);
    return next_id++;
  }
  void remove(SubscriberId id) { map.erase(id); }
  [[nodiscard]] FakeConnection* find(SubscriberId id) const {
    auto it = map.find(id);
    return it == map.end() ? nullptr : it->second;
  }
};

using SlotTable = hexwire::app::ConnectionTable<FakeConnection>;

/// A shard after a storm: every connection closed and reopened once, so that the map's nodes
/// and the table's slots are where a churned heap leaves them.
template <typename Table>
struct Shard {
  std::vector<std::unique_ptr<FakeConnection>> connections;
  std::vector<SubscriberId> ids;
  Table table;
  Shard() {
    for (std::size_t i = 0; i < kConnections; ++i) {
      connections.push_back(std::make_unique<FakeConnection>());
      ids.push_back(table.add(connections.back().get()));
    }
    std::mt19937_64 random(5);
    std::shuffle(ids.begin(), ids.end(), random);
    for (SubscriberId& id : ids) {
      FakeConnection* c = table.find(id);
      table.remove(id);
      id = table.add(c);
    }
  }
};

/// One delivered message: look up the channel's 640 members (random ids of the shard).
template <typename Table>
void BM_LookupChannelMembers(benchmark::State& state) {
  Shard<Table> shard;
  std::vector<SubscriberId> members(shard.ids.begin(), shard.ids.begin() + kMembers);
  std::size_t found = 0;
  for (auto _ : state) {
    for (const SubscriberId id : members) {
      if (FakeConnection* c = shard.table.find(id)) {
        found += static_cast<std::size_t>(c->state[0] == 0);
      }
    }
  }
  benchmark::DoNotOptimize(found);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kMembers));
}

/// A close and a reopen: the table forgets one id and registers a new connection.
template <typename Table>
void BM_CloseReopen(benchmark::State& state) {
  Shard<Table> shard;
  std::mt19937_64 random(9);
  for (auto _ : state) {
    SubscriberId& id = shard.ids[random() % kConnections];
    FakeConnection* c = shard.table.find(id);
    shard.table.remove(id);
    id = shard.table.add(c);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

}  // namespace

BENCHMARK_TEMPLATE(BM_LookupChannelMembers, MapTable);
BENCHMARK_TEMPLATE(BM_LookupChannelMembers, SlotTable);
BENCHMARK_TEMPLATE(BM_CloseReopen, MapTable);
BENCHMARK_TEMPLATE(BM_CloseReopen, SlotTable);
