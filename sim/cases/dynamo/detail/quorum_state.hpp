// Private state of QuorumModel, shared by its four source files: quorum_model.cpp (set-up,
// dispatch, crashes, per-node service queue, the durability check), quorum_coordinator.cpp
// (coordinating reads and writes, forwarding), quorum_replica.cpp (replica storage, hints,
// handoff) and quorum_clients.cpp (closed-loop read-modify-write clients).
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "sim/cases/dynamo/quorum_model.hpp"

namespace hexwire::sim::cases::dynamo {

struct QuorumModel::Impl {
  struct Target {
    NodeId node;
    NodeId hint;  // kNoNode: a home replica; else the home node this stand-in holds it for
  };
  struct Reply {
    NodeId node;
    VersionSet set;
  };
  /// One read or write a storage node coordinates.
  struct Coordinated {
    bool is_put = false;
    NodeId reply_to = kNoNode;
    std::uint64_t client_request = 0;
    std::uint32_t key = 0;
    std::vector<Target> targets;
    std::vector<Reply> replies;  // reads
    std::vector<NodeId> acked;   // writes
    VersionSet payload;          // writes: the coordinator's set for the key
    bool answered = false;
    int attempt = 0;
    TimerId timer = 0;
  };
  struct Relay {
    NodeId reply_to;
    std::uint64_t request;
  };
  struct PendingHandoff {
    NodeId home;
    std::uint32_t key;
    std::vector<std::uint64_t> gids;
  };
  struct Storage {
    // durable (kept over a restart, lost by a wipe)
    std::unordered_map<std::uint32_t, VersionSet> store;
    std::unordered_map<NodeId, std::unordered_map<std::uint32_t, VersionSet>> hints;
    std::uint32_t incarnation = 0;
    std::uint64_t dot_counter = 0;
    // volatile
    std::unordered_map<NodeId, SimTime> down_until;
    std::unordered_map<std::uint64_t, Coordinated> inflight;
    std::unordered_map<std::uint64_t, Relay> relays;
    std::unordered_map<std::uint64_t, PendingHandoff> handoffs;
    std::uint64_t next_request = 1;
    SimTime busy_until = 0;
  };
  enum class Phase : std::uint8_t { kIdle, kGet, kThink, kPut };
  struct Client {
    Phase phase = Phase::kIdle;
    std::uint64_t request = 0;
    std::uint32_t key = 0;
    std::uint64_t gid = 0;
    VectorClock context;
    std::vector<NodeId> tried;
    std::unordered_map<NodeId, SimTime> down_until;
    SimTime started = 0;
    SimTime served_at = 0;
    TimerId timer = 0;
  };
  struct Truth {
    std::uint32_t key = 0;
    bool acked = false;
    std::vector<std::uint64_t> parents;
  };

  Impl(const QuorumConfig& config, Network& network, const RngStreams& rng);

  // quorum_model.cpp
  [[nodiscard]] bool is_storage(NodeId node) const noexcept { return node < cfg.nodes; }
  [[nodiscard]] std::uint32_t actor(NodeId node) const noexcept {
    return node * 1024 + storage[node].incarnation % 1024;
  }
  [[nodiscard]] std::uint64_t now_ms() const noexcept {
    return static_cast<std::uint64_t>(net.now() / kMillisecond);
  }
  void send(NodeId from, NodeId to, std::string body);
  void handle(NodeId to, NodeId from, std::string_view body);
  [[nodiscard]] std::vector<NodeId> preference(std::uint32_t key) const;

  // quorum_coordinator.cpp
  void on_client_request(NodeId self, NodeId from, std::string_view kind, MessageReader& in);
  void coordinate_get(NodeId self, NodeId reply_to, std::uint64_t request, std::uint32_t key);
  void coordinate_put(NodeId self, NodeId reply_to, std::uint64_t request, std::uint32_t key,
                      std::uint64_t gid, VectorClock context);
  void on_got(NodeId self, NodeId from, MessageReader& in);
  void on_put_ok(NodeId self, NodeId from, MessageReader& in);
  void on_coordinator_timeout(NodeId self, std::uint64_t id);
  void on_relayed_reply(NodeId self, std::string_view kind, MessageReader& in);
  std::vector<Target> pick_targets(NodeId self, std::uint32_t key) const;
  bool add_substitute(NodeId self, Coordinated& c, const Target& missing);
  void answer_get(NodeId self, Coordinated& c);
  void finish_get(NodeId self, std::uint64_t id);
  [[nodiscard]] bool believed_down(NodeId self, NodeId other) const;

  // quorum_replica.cpp
  void on_replica_get(NodeId self, NodeId from, MessageReader& in);
  void on_replica_put(NodeId self, NodeId from, MessageReader& in);
  void on_repair(NodeId self, MessageReader& in);
  void on_handoff(NodeId self, NodeId from, MessageReader& in);
  void on_handoff_ok(NodeId self, MessageReader& in);
  void schedule_handoff(NodeId self);
  void run_handoff(NodeId self);
  [[nodiscard]] VersionSet local_view(NodeId self, std::uint32_t key) const;

  // quorum_clients.cpp
  void begin_operation(NodeId client);
  void send_client_request(NodeId client);
  void on_client_timeout(NodeId client, std::uint64_t request);
  void on_client_reply(NodeId client, std::string_view kind, MessageReader& in);
  void start_put(NodeId client);
  void end_operation(NodeId client);
  [[nodiscard]] Client& client(NodeId node) { return clients[node - cfg.nodes]; }

  QuorumConfig cfg;
  Network& net;
  HashRing ring;
  std::uint64_t key_salt = 0;
  Rng client_rng;
  Rng service_rng;
  Rng balancer_rng;
  std::vector<Storage> storage;
  std::vector<Client> clients;
  NodeId balancer = kNoNode;
  SimTime balancer_busy_until = 0;
  std::unordered_map<std::uint64_t, Relay> balancer_relays;
  std::uint64_t balancer_next = 1;
  std::vector<Truth> truth;  // by gid (gid 0 unused)
  std::uint64_t operations = 0;
  QuorumStats stats;
};

}  // namespace hexwire::sim::cases::dynamo
