// Coordinating a read or a write at a storage node: targets (the key's top N, with a stand-in and
// a hint for each home node believed down), waiting for R replies or W acks, one retry round with
// substitutes for nodes that did not answer in time, read repair, and (server-driven mode) the
// forwarding of a request to a node of the key's top N.
#include <fmt/format.h>

#include <algorithm>

#include "sim/cases/dynamo/detail/quorum_state.hpp"

namespace hexwire::sim::cases::dynamo {

bool QuorumModel::Impl::believed_down(NodeId self, NodeId other) const {
  if (other == self) {
    return false;
  }
  const auto it = storage[self].down_until.find(other);
  return it != storage[self].down_until.end() && it->second > net.now();
}

std::vector<QuorumModel::Impl::Target> QuorumModel::Impl::pick_targets(NodeId self,
                                                                      std::uint32_t key) const {
  const std::vector<NodeId> list = preference(key);
  std::vector<Target> targets;
  std::size_t next_spare = cfg.n;
  for (std::size_t i = 0; i < cfg.n && i < list.size(); ++i) {
    if (!believed_down(self, list[i])) {
      targets.push_back(Target{list[i], kNoNode});
      continue;
    }
    // Sloppy quorum: the next healthy node past the top N stands in and keeps a hint.
    while (next_spare < list.size() && believed_down(self, list[next_spare])) {
      ++next_spare;
    }
    if (next_spare < list.size()) {
      targets.push_back(Target{list[next_spare++], list[i]});
    }
  }
  return targets;
}

bool QuorumModel::Impl::add_substitute(NodeId self, Coordinated& c, const Target& missing) {
  for (const NodeId node : preference(c.key)) {
    const bool used = std::any_of(c.targets.begin(), c.targets.end(),
                                  [node](const Target& t) { return t.node == node; });
    if (used || believed_down(self, node)) {
      continue;
    }
    const NodeId home = missing.hint == kNoNode ? missing.node : missing.hint;
    c.targets.push_back(Target{node, home});
    return true;
  }
  return false;
}

void QuorumModel::Impl::on_client_request(NodeId self, NodeId from, std::string_view kind,
                                          MessageReader& in) {
  const std::uint64_t request = in.number();
  const auto key = static_cast<std::uint32_t>(in.number());
  std::uint64_t gid = 0;
  VectorClock context;
  if (kind == "cput") {
    gid = in.number();
    decode_clock(in, context);
  }
  if (!in.ok() || key >= cfg.keys) {
    return;
  }
  if (cfg.coordination == Coordination::kServer && from == balancer) {
    const std::vector<NodeId> list = preference(key);
    const bool in_top = std::find(list.begin(), list.begin() + cfg.n, self) != list.begin() + cfg.n;
    if (!in_top) {
      // Not a replica of this key: pass it to the first top-N node believed up.
      for (std::size_t i = 0; i < cfg.n; ++i) {
        if (!believed_down(self, list[i])) {
          Storage& s = storage[self];
          const std::uint64_t id = s.next_request++;
          s.relays[id] = Relay{from, request};
          ++stats.forwards;
          MessageWriter out;
          out.word(kind).number(id).number(key);
          if (kind == "cput") {
            out.number(gid);
            encode_clock(out, context);
          }
          send(self, list[i], out.take());
          return;
        }
      }
    }
  }
  if (kind == "cget") {
    coordinate_get(self, from, request, key);
  } else {
    coordinate_put(self, from, request, key, gid, std::move(context));
  }
}

void QuorumModel::Impl::on_relayed_reply(NodeId self, std::string_view kind, MessageReader& in) {
  Storage& s = storage[self];
  const std::uint64_t id = in.number();
  const auto it = s.relays.find(id);
  if (!in.ok() || it == s.relays.end()) {
    return;
  }
  const Relay relay = it->second;
  s.relays.erase(it);
  // The rest of the reply is passed on unchanged under the requester's own id.
  std::string rest;
  for (std::string_view w = in.word(); !w.empty(); w = in.word()) {
    rest += ' ';
    rest += w;
  }
  send(self, relay.reply_to, fmt::format("{} {}{}", kind, relay.request, rest));
}

void QuorumModel::Impl::coordinate_get(NodeId self, NodeId reply_to, std::uint64_t request,
                                       std::uint32_t key) {
  Storage& s = storage[self];
  const std::uint64_t id = s.next_request++;
  Coordinated& c = s.inflight[id];
  c.reply_to = reply_to;
  c.client_request = request;
  c.key = key;
  c.targets = pick_targets(self, key);
  for (const Target& t : c.targets) {
    send(self, t.node, MessageWriter().word("get").number(id).number(key).take());
  }
  c.timer = net.after(self, cfg.replica_timeout, [this, self, id] { on_coordinator_timeout(self, id); });
}

void QuorumModel::Impl::on_got(NodeId self, NodeId from, MessageReader& in) {
  Storage& s = storage[self];
  const std::uint64_t id = in.number();
  VersionSet set;
  if (!decode_set(in, set)) {
    return;
  }
  const auto it = s.inflight.find(id);
  if (it == s.inflight.end() || it->second.is_put) {
    return;
  }
  Coordinated& c = it->second;
  const bool duplicate = std::any_of(c.replies.begin(), c.replies.end(),
                                     [from](const Reply& r) { return r.node == from; });
  if (duplicate) {
    return;
  }
  c.replies.push_back(Reply{from, std::move(set)});
  if (!c.answered && c.replies.size() >= cfg.r) {
    answer_get(self, c);
  }
  if (c.replies.size() == c.targets.size()) {
    finish_get(self, id);
  }
}

void QuorumModel::Impl::answer_get(NodeId self, Coordinated& c) {
  c.answered = true;
  VersionSet merged;
  for (const Reply& r : c.replies) {
    sync_into(merged, r.set, cfg.clock);
  }
  MessageWriter out;
  out.word("rget").number(c.client_request).number(static_cast<std::uint64_t>(net.now()));
  out.word("ok");
  encode_set(out, merged);
  send(self, c.reply_to, out.take());
}

void QuorumModel::Impl::finish_get(NodeId self, std::uint64_t id) {
  Storage& s = storage[self];
  Coordinated& c = s.inflight[id];
  net.cancel(c.timer);
  // Read repair: every home replica that answered without the newest versions gets them.
  VersionSet merged;
  for (const Reply& r : c.replies) {
    sync_into(merged, r.set, cfg.clock);
  }
  const std::vector<NodeId> list = preference(c.key);
  for (const Reply& r : c.replies) {
    const bool home = std::find(list.begin(), list.begin() + cfg.n, r.node) != list.begin() + cfg.n;
    if (home && !contains_all(r.set, merged)) {
      MessageWriter out;
      out.word("repair").number(c.key);
      encode_set(out, merged);
      send(self, r.node, out.take());
      ++stats.read_repairs;
    }
  }
  s.inflight.erase(id);
}

void QuorumModel::Impl::coordinate_put(NodeId self, NodeId reply_to, std::uint64_t request,
                                       std::uint32_t key, std::uint64_t gid, VectorClock context) {
  Storage& s = storage[self];
  Version v;
  v.gid = gid;
  v.clock = std::move(context);
  if (cfg.clock == ClockMode::kDotted) {
    v.dot_actor = actor(self);
    v.dot_counter = ++s.dot_counter;
  } else {
    // Dynamo's own rule: bump this coordinator's entry past what it and the client have seen.
    std::uint64_t highest = v.clock.get(actor(self));
    for (const Version& local : s.store[key]) {
      highest = std::max(highest, local.clock.get(actor(self)));
    }
    v.clock.raise(actor(self), highest + 1, now_ms());
  }
  stats.truncations += v.clock.truncate(cfg.clock_limit);
  // The coordinator keeps the write and sends its whole set for the key, so a replica that
  // receives this version also receives every version it does not supersede.
  sync_into(s.store[key], VersionSet{v}, cfg.clock);
  const std::uint64_t id = s.next_request++;
  Coordinated& c = s.inflight[id];
  c.is_put = true;
  c.reply_to = reply_to;
  c.client_request = request;
  c.key = key;
  c.payload = s.store[key];
  c.targets = pick_targets(self, key);
  for (const Target& t : c.targets) {
    if (t.node == self && t.hint == kNoNode) {
      c.acked.push_back(self);
      continue;
    }
    stats.hinted_writes += t.hint == kNoNode ? 0 : 1;
    MessageWriter out;
    out.word("put").number(id).number(key).number(t.hint == kNoNode ? 0 : t.hint + 1);
    encode_set(out, c.payload);
    send(self, t.node, out.take());
  }
  if (c.acked.size() >= cfg.w) {
    c.answered = true;
    send(self, reply_to,
         MessageWriter().word("rput").number(request).number(static_cast<std::uint64_t>(net.now())).word("ok").take());
  }
  c.timer = net.after(self, cfg.replica_timeout, [this, self, id] { on_coordinator_timeout(self, id); });
}

void QuorumModel::Impl::on_put_ok(NodeId self, NodeId from, MessageReader& in) {
  Storage& s = storage[self];
  const std::uint64_t id = in.number();
  const auto it = s.inflight.find(id);
  if (!in.ok() || it == s.inflight.end() || !it->second.is_put) {
    return;
  }
  Coordinated& c = it->second;
  if (std::find(c.acked.begin(), c.acked.end(), from) != c.acked.end()) {
    return;
  }
  c.acked.push_back(from);
  if (!c.answered && c.acked.size() >= cfg.w) {
    c.answered = true;
    send(self, c.reply_to,
         MessageWriter().word("rput").number(c.client_request).number(static_cast<std::uint64_t>(net.now())).word("ok").take());
  }
  if (c.acked.size() == c.targets.size()) {
    net.cancel(c.timer);
    s.inflight.erase(it);
  }
}

void QuorumModel::Impl::on_coordinator_timeout(NodeId self, std::uint64_t id) {
  Storage& s = storage[self];
  const auto it = s.inflight.find(id);
  if (it == s.inflight.end()) {
    return;
  }
  Coordinated& c = it->second;
  // Who did not answer is believed down for a while (a local failure detector).
  std::vector<Target> silent;
  for (const Target& t : c.targets) {
    const bool answered =
        c.is_put ? std::find(c.acked.begin(), c.acked.end(), t.node) != c.acked.end()
                 : std::any_of(c.replies.begin(), c.replies.end(),
                               [&t](const Reply& r) { return r.node == t.node; });
    if (!answered) {
      silent.push_back(t);
      s.down_until[t.node] = net.now() + cfg.down_for;
    }
  }
  const std::size_t needed = c.is_put ? cfg.w : cfg.r;
  const std::size_t have = c.is_put ? c.acked.size() : c.replies.size();
  if (c.attempt == 0 && have < needed) {
    c.attempt = 1;
    for (const Target& missing : silent) {
      if (!add_substitute(self, c, missing)) {
        break;
      }
      const Target& t = c.targets.back();
      if (c.is_put) {
        ++stats.hinted_writes;
        MessageWriter out;
        out.word("put").number(id).number(c.key).number(t.hint + 1);
        encode_set(out, c.payload);
        send(self, t.node, out.take());
      } else {
        send(self, t.node, MessageWriter().word("get").number(id).number(c.key).take());
      }
    }
    c.timer = net.after(self, cfg.replica_timeout, [this, self, id] { on_coordinator_timeout(self, id); });
    return;
  }
  if (!c.answered) {
    send(self, c.reply_to,
         MessageWriter().word(c.is_put ? "rput" : "rget").number(c.client_request).number(static_cast<std::uint64_t>(net.now())).word("fail").take());
  }
  if (c.is_put) {
    s.inflight.erase(it);
  } else {
    finish_get(self, id);
  }
}

}  // namespace hexwire::sim::cases::dynamo
