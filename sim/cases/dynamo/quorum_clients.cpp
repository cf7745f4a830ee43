// Closed-loop clients: each pauses, reads a random key, thinks, and writes back its merge of every
// version it read plus its own change (a shopping cart's union). Client-driven coordination sends
// to the first node of the key's top N that the client has not seen time out; server-driven sends
// everything to the load balancer. A client retries a timed-out request N times before giving up.
#include <algorithm>

#include "sim/cases/dynamo/detail/quorum_state.hpp"

namespace hexwire::sim::cases::dynamo {

void QuorumModel::Impl::begin_operation(NodeId node) {
  Client& c = client(node);
  const SimTime pause = static_cast<SimTime>(client_rng.exponential(static_cast<double>(cfg.pause)));
  c.phase = Phase::kIdle;
  net.after(node, pause, [this, node] {
    Client& c = client(node);
    if (net.now() >= cfg.duration || c.phase != Phase::kIdle) {
      return;
    }
    c.phase = Phase::kGet;
    c.key = static_cast<std::uint32_t>(client_rng.below(cfg.keys));
    c.tried.clear();
    c.started = net.now();
    send_client_request(node);
  });
}

void QuorumModel::Impl::send_client_request(NodeId node) {
  Client& c = client(node);
  NodeId target = balancer;
  if (cfg.coordination == Coordination::kClient) {
    const std::vector<NodeId> list = preference(c.key);
    target = kNoNode;
    // First choice: a top-N node not tried in this operation and not recently silent; then any
    // node not tried yet (a stand-in coordinator when the whole top N is unreachable).
    for (int pass = 0; pass < 2 && target == kNoNode; ++pass) {
      const std::size_t limit = pass == 0 ? cfg.n : list.size();
      for (std::size_t i = 0; i < limit; ++i) {
        const bool tried = std::find(c.tried.begin(), c.tried.end(), list[i]) != c.tried.end();
        const auto down = c.down_until.find(list[i]);
        const bool silent = down != c.down_until.end() && down->second > net.now();
        if (!tried && (!silent || pass == 1)) {
          target = list[i];
          break;
        }
      }
    }
  }
  c.tried.push_back(target);
  const std::uint64_t request = ++c.request;
  MessageWriter out;
  if (c.phase == Phase::kGet) {
    out.word("cget").number(request).number(c.key);
  } else {
    out.word("cput").number(request).number(c.key).number(c.gid);
    encode_clock(out, c.context);
  }
  send(node, target, out.take());
  c.timer = net.after(node, cfg.client_timeout,
                      [this, node, request] { on_client_timeout(node, request); });
}

void QuorumModel::Impl::on_client_timeout(NodeId node, std::uint64_t request) {
  Client& c = client(node);
  if (c.request != request || (c.phase != Phase::kGet && c.phase != Phase::kPut)) {
    return;
  }
  if (!c.tried.empty() && c.tried.back() != balancer) {
    c.down_until[c.tried.back()] = net.now() + cfg.down_for;
  }
  if (c.tried.size() < cfg.n) {
    send_client_request(node);
    return;
  }
  ++(c.phase == Phase::kGet ? stats.reads_failed : stats.writes_failed);
  end_operation(node);
}

void QuorumModel::Impl::on_client_reply(NodeId node, std::string_view kind, MessageReader& in) {
  if (node < cfg.nodes || node >= cfg.nodes + cfg.clients) {
    return;
  }
  Client& c = client(node);
  const std::uint64_t request = in.number();
  const auto at = static_cast<SimTime>(in.number());
  const bool ok = in.word() == "ok";
  const bool expected = (kind == "rget" && c.phase == Phase::kGet) ||
                        (kind == "rput" && c.phase == Phase::kPut);
  if (!in.ok() || request != c.request || !expected) {
    return;  // a late answer to a request already retried or abandoned
  }
  net.cancel(c.timer);
  if (!ok) {
    ++(kind == "rget" ? stats.reads_failed : stats.writes_failed);
    end_operation(node);
    return;
  }
  if (kind == "rget") {
    VersionSet set;
    if (!decode_set(in, set)) {
      return;
    }
    ++stats.reads_ok;
    ++stats.versions_seen[std::min<std::size_t>(std::max<std::size_t>(set.size(), 1), 4) - 1];
    stats.get_latency_ns.record(static_cast<std::uint64_t>(net.now() - c.started));
    c.served_at = at;
    // The client's merge: the new version descends from every version it read.
    c.context = context_of(set, cfg.clock);
    Truth t;
    t.key = c.key;
    for (const Version& v : set) {
      t.parents.push_back(v.gid);
    }
    c.gid = truth.size();
    truth.push_back(std::move(t));
    c.phase = Phase::kThink;
    const auto think = static_cast<SimTime>(client_rng.exponential(static_cast<double>(cfg.think)));
    net.after(node, think, [this, node] { start_put(node); });
    return;
  }
  ++stats.writes_acked;
  truth[c.gid].acked = true;
  stats.put_latency_ns.record(static_cast<std::uint64_t>(net.now() - c.started));
  stats.conflict_window_s.add(to_seconds(at - c.served_at));
  ++operations;
  end_operation(node);
}

void QuorumModel::Impl::start_put(NodeId node) {
  Client& c = client(node);
  if (c.phase != Phase::kThink) {
    return;
  }
  c.phase = Phase::kPut;
  c.tried.clear();
  c.started = net.now();
  send_client_request(node);
}

void QuorumModel::Impl::end_operation(NodeId node) {
  begin_operation(node);
}

}  // namespace hexwire::sim::cases::dynamo
