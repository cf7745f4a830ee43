// QuorumModel: nodes and their names, the message dispatch behind each node's service queue
// (one message at a time, a service time each), crash and recovery, and the ground-truth check.
#include "sim/cases/dynamo/quorum_model.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>
#include <string>

#include "sim/cases/dynamo/detail/quorum_state.hpp"

namespace hexwire::sim::cases::dynamo {

QuorumModel::Impl::Impl(const QuorumConfig& config, Network& network, const RngStreams& rng)
    : cfg(config),
      net(network),
      client_rng(rng.stream("quorum-clients")),
      service_rng(rng.stream("quorum-service")),
      balancer_rng(rng.stream("quorum-balancer")) {
  if (cfg.n > cfg.nodes || cfg.r > cfg.n || cfg.w > cfg.n || cfg.r == 0 || cfg.w == 0) {
    throw std::invalid_argument(fmt::format(
        "need 1 <= R <= N, 1 <= W <= N and N <= nodes (got N={} R={} W={} nodes={})", cfg.n,
        cfg.r, cfg.w, cfg.nodes));
  }
  Rng ring_rng = rng.stream("quorum-ring");
  ring = HashRing(cfg.nodes, cfg.vnodes, ring_rng);
  key_salt = ring_rng.next_u64();
  storage.resize(cfg.nodes);
  clients.resize(cfg.clients);
  for (std::uint32_t i = 0; i < cfg.nodes; ++i) {
    network.add_node(fmt::format("n{}", i));
  }
  for (std::uint32_t i = 0; i < cfg.clients; ++i) {
    network.add_node(fmt::format("c{}", i));
  }
  if (cfg.coordination == Coordination::kServer) {
    balancer = network.add_node("lb");
  }
  truth.emplace_back();  // gid 0 is never a version
}

std::vector<NodeId> QuorumModel::Impl::preference(std::uint32_t key) const {
  std::vector<std::uint32_t> list;
  ring.preference_list(key_hash(key, key_salt), cfg.nodes, list);
  return {list.begin(), list.end()};
}

void QuorumModel::Impl::send(NodeId from, NodeId to, std::string body) {
  if (from == to) {
    // A node's message to itself is a local call: no network, no second pass through its queue.
    net.after(from, 0, [this, from, text = std::move(body)] { handle(from, from, text); });
    return;
  }
  net.send(from, to, body);
}

void QuorumModel::Impl::handle(NodeId to, NodeId from, std::string_view body) {
  MessageReader in(body);
  const std::string_view kind = in.word();
  if (to == balancer) {
    if (kind == "cget" || kind == "cput") {
      // The load balancer passes a client's request to a random node and relays the answer.
      const std::uint64_t request = in.number();
      const std::uint64_t id = balancer_next++;
      balancer_relays[id] = Relay{from, request};
      const auto node = static_cast<NodeId>(balancer_rng.below(cfg.nodes));
      std::string rest(body.substr(body.find(' ', kind.size() + 1) + 1));
      send(balancer, node, fmt::format("{} {} {}", kind, id, rest));
    } else if (kind == "rget" || kind == "rput") {
      const std::uint64_t id = in.number();
      const auto it = balancer_relays.find(id);
      if (it != balancer_relays.end()) {
        const Relay relay = it->second;
        balancer_relays.erase(it);
        std::string rest(body.substr(body.find(' ', kind.size() + 1) + 1));
        send(balancer, relay.reply_to, fmt::format("{} {} {}", kind, relay.request, rest));
      }
    }
    return;
  }
  if (!is_storage(to)) {
    on_client_reply(to, kind, in);
    return;
  }
  if (kind == "cget" || kind == "cput") {
    on_client_request(to, from, kind, in);
  } else if (kind == "get") {
    on_replica_get(to, from, in);
  } else if (kind == "got") {
    on_got(to, from, in);
  } else if (kind == "put") {
    on_replica_put(to, from, in);
  } else if (kind == "putok") {
    on_put_ok(to, from, in);
  } else if (kind == "repair") {
    on_repair(to, in);
  } else if (kind == "handoff") {
    on_handoff(to, from, in);
  } else if (kind == "handoffok") {
    on_handoff_ok(to, in);
  } else if (kind == "rget" || kind == "rput") {
    on_relayed_reply(to, kind, in);
  }
}

QuorumModel::QuorumModel(const QuorumConfig& config, Network& network, const RngStreams& rng)
    : impl_(std::make_unique<Impl>(config, network, rng)) {
  network.set_events(*this);
}

QuorumModel::~QuorumModel() = default;

void QuorumModel::start() {
  for (NodeId node = 0; node < impl_->cfg.nodes; ++node) {
    impl_->schedule_handoff(node);
  }
  for (std::uint32_t i = 0; i < impl_->cfg.clients; ++i) {
    impl_->begin_operation(impl_->cfg.nodes + i);
  }
}

void QuorumModel::on_message(NodeId to, NodeId from, std::string_view body) {
  Impl& m = *impl_;
  SimTime* busy = nullptr;
  if (m.is_storage(to)) {
    busy = &m.storage[to].busy_until;
  } else if (to == m.balancer) {
    busy = &m.balancer_busy_until;
  }
  if (busy == nullptr) {
    m.handle(to, from, body);
    return;
  }
  // One message at a time per server: it waits for the ones before it, then takes its service.
  const SimTime now = m.net.now();
  const SimTime done = std::max(now, *busy) + m.cfg.service.sample(m.service_rng);
  *busy = done;
  m.net.after(to, done - now,
              [&m, to, from, text = std::string(body)] { m.handle(to, from, text); });
}

void QuorumModel::on_crash(NodeId node, CrashKind kind) {
  Impl& m = *impl_;
  if (node == m.balancer) {
    m.balancer_relays.clear();
    m.balancer_busy_until = 0;
    return;
  }
  if (!m.is_storage(node)) {
    m.client(node).phase = Impl::Phase::kIdle;
    return;
  }
  Impl::Storage& s = m.storage[node];
  s.down_until.clear();
  s.inflight.clear();
  s.relays.clear();
  s.handoffs.clear();
  s.busy_until = 0;
  if (kind == CrashKind::kWipe) {
    s.store.clear();
    s.hints.clear();
    s.dot_counter = 0;
    ++s.incarnation;  // a new identity in vector clocks: its old counters are not reused
  }
}

void QuorumModel::on_recover(NodeId node) {
  Impl& m = *impl_;
  if (m.is_storage(node)) {
    m.schedule_handoff(node);
  } else if (node != m.balancer) {
    m.begin_operation(node);
  }
}

const QuorumStats& QuorumModel::stats() const noexcept {
  return impl_->stats;
}

std::uint64_t QuorumModel::operations() const noexcept {
  return impl_->operations;
}

std::uint64_t QuorumModel::pending_hints() const noexcept {
  std::uint64_t count = 0;
  for (const Impl::Storage& s : impl_->storage) {
    for (const auto& [home, keys] : s.hints) {
      count += keys.size();
    }
  }
  return count;
}

DurabilityCheck QuorumModel::check_durability() const {
  const Impl& m = *impl_;
  std::vector<bool> reachable(m.truth.size(), false);
  std::vector<std::uint64_t> stack;
  std::unordered_map<std::uint32_t, VersionSet> final_sets;
  for (NodeId node = 0; node < m.cfg.nodes; ++node) {
    if (!m.net.is_up(node)) {
      continue;
    }
    const Impl::Storage& s = m.storage[node];
    const auto collect = [&](std::uint32_t key, const VersionSet& set) {
      for (const Version& v : set) {
        stack.push_back(v.gid);
      }
      sync_into(final_sets[key], set, m.cfg.clock);
    };
    for (const auto& [key, set] : s.store) {
      collect(key, set);
    }
    for (const auto& [home, keys] : s.hints) {
      for (const auto& [key, set] : keys) {
        collect(key, set);
      }
    }
  }
  // Everything a surviving version descends from (through the merges clients really did).
  while (!stack.empty()) {
    const std::uint64_t gid = stack.back();
    stack.pop_back();
    if (gid >= reachable.size() || reachable[gid]) {
      continue;
    }
    reachable[gid] = true;
    for (const std::uint64_t parent : m.truth[gid].parents) {
      stack.push_back(parent);
    }
  }
  DurabilityCheck check;
  for (std::uint64_t gid = 1; gid < m.truth.size(); ++gid) {
    if (m.truth[gid].acked) {
      ++check.acknowledged;
      check.lost += reachable[gid] ? 0 : 1;
    }
  }
  for (const auto& [key, set] : final_sets) {
    // What a read of every live copy would return: more than one version is unresolved siblings.
    check.keys_with_siblings += set.size() > 1 ? 1 : 0;
  }
  return check;
}

}  // namespace hexwire::sim::cases::dynamo
