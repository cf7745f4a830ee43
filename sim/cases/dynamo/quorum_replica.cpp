// The replica side of a storage node: serving reads (its own copy plus any hints it holds for the
// key), storing writes (in its store, or under the home node's name when it stands in), read
// repairs, and handing hints off to their home node once that node answers again.
#include <algorithm>

#include "sim/cases/dynamo/detail/quorum_state.hpp"

namespace hexwire::sim::cases::dynamo {

VersionSet QuorumModel::Impl::local_view(NodeId self, std::uint32_t key) const {
  const Storage& s = storage[self];
  VersionSet view;
  if (const auto it = s.store.find(key); it != s.store.end()) {
    view = it->second;
  }
  for (const auto& [home, keys] : s.hints) {
    if (const auto it = keys.find(key); it != keys.end()) {
      sync_into(view, it->second, cfg.clock);
    }
  }
  return view;
}

void QuorumModel::Impl::on_replica_get(NodeId self, NodeId from, MessageReader& in) {
  const std::uint64_t id = in.number();
  const auto key = static_cast<std::uint32_t>(in.number());
  if (!in.ok()) {
    return;
  }
  MessageWriter out;
  out.word("got").number(id);
  encode_set(out, local_view(self, key));
  send(self, from, out.take());
}

void QuorumModel::Impl::on_replica_put(NodeId self, NodeId from, MessageReader& in) {
  const std::uint64_t id = in.number();
  const auto key = static_cast<std::uint32_t>(in.number());
  const std::uint64_t hint = in.number();
  VersionSet set;
  if (!decode_set(in, set) || hint > cfg.nodes) {
    return;
  }
  Storage& s = storage[self];
  if (hint == 0) {
    sync_into(s.store[key], set, cfg.clock);
  } else {
    sync_into(s.hints[static_cast<NodeId>(hint - 1)][key], set, cfg.clock);
  }
  send(self, from, MessageWriter().word("putok").number(id).take());
}

void QuorumModel::Impl::on_repair(NodeId self, MessageReader& in) {
  const auto key = static_cast<std::uint32_t>(in.number());
  VersionSet set;
  if (decode_set(in, set)) {
    sync_into(storage[self].store[key], set, cfg.clock);
  }
}

void QuorumModel::Impl::schedule_handoff(NodeId self) {
  net.after(self, cfg.handoff_every, [this, self] {
    run_handoff(self);
    schedule_handoff(self);
  });
}

void QuorumModel::Impl::run_handoff(NodeId self) {
  Storage& s = storage[self];
  // Acks of the previous round that have not come back are forgotten: this round resends.
  s.handoffs.clear();
  for (const auto& [home, keys] : s.hints) {
    for (const auto& [key, set] : keys) {
      // Resent every round until acknowledged: the home node may still be down.
      const std::uint64_t id = s.next_request++;
      PendingHandoff pending{home, key, {}};
      for (const Version& v : set) {
        pending.gids.push_back(v.gid);
      }
      s.handoffs[id] = std::move(pending);
      MessageWriter out;
      out.word("handoff").number(id).number(key);
      encode_set(out, set);
      send(self, home, out.take());
    }
  }
}

void QuorumModel::Impl::on_handoff(NodeId self, NodeId from, MessageReader& in) {
  const std::uint64_t id = in.number();
  const auto key = static_cast<std::uint32_t>(in.number());
  VersionSet set;
  if (!decode_set(in, set)) {
    return;
  }
  sync_into(storage[self].store[key], set, cfg.clock);
  send(self, from, MessageWriter().word("handoffok").number(id).take());
}

void QuorumModel::Impl::on_handoff_ok(NodeId self, MessageReader& in) {
  Storage& s = storage[self];
  const std::uint64_t id = in.number();
  const auto it = s.handoffs.find(id);
  if (!in.ok() || it == s.handoffs.end()) {
    return;
  }
  const PendingHandoff pending = std::move(it->second);
  s.handoffs.erase(it);
  const auto home = s.hints.find(pending.home);
  if (home == s.hints.end()) {
    return;
  }
  const auto keyed = home->second.find(pending.key);
  if (keyed == home->second.end()) {
    return;
  }
  // Only what the home node acknowledged goes; a version hinted since stays for the next round.
  std::erase_if(keyed->second, [&pending](const Version& v) {
    return std::find(pending.gids.begin(), pending.gids.end(), v.gid) != pending.gids.end();
  });
  ++stats.handoffs;
  if (keyed->second.empty()) {
    home->second.erase(keyed);
    if (home->second.empty()) {
      s.hints.erase(home);
    }
  }
}

}  // namespace hexwire::sim::cases::dynamo
