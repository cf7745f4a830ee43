// Test support: real redis-server processes for tests and benchmarks. RedisServer starts one on a
// free 127.0.0.1 port with its own temporary directory; RedisCluster starts N of them with
// cluster mode on and joins them with `redis-cli --cluster create`. Both stop their processes in
// the destructor (and the kernel kills them if the test process dies: PR_SET_PDEATHSIG), and
// remove the directories. A small blocking client (hiredis's synchronous API) lets a test inspect
// or change Redis directly; it is for test threads only, never for a shard.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace hexwire::testing {

struct RedisServerOptions {
  bool append_only = false;
  std::string appendfsync = "always";  // with append_only
  bool cluster = false;
  std::vector<std::string> extra_args;  // e.g. {"--maxmemory", "10mb"}
};

/// The reply of a blocking command, flattened: strings, statuses and errors as text, integers in
/// decimal, nil as "(nil)", arrays element by element (nested arrays flattened in order).
struct SyncReply {
  bool error = false;                            // an error reply
  std::vector<std::string> values;               // one entry for a scalar
  [[nodiscard]] const std::string& str() const;  // values[0] (empty string when none)
  [[nodiscard]] long long integer() const;
};

class RedisServer {
 public:
  /// Starts redis-server and waits until it answers PING. Throws std::runtime_error (with the end
  /// of its log) when it cannot start within 10 s, or when redis-server is not installed
  /// ("run scripts/setup.sh").
  explicit RedisServer(RedisServerOptions options = {});
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
  [[nodiscard]] std::string address() const;  // "127.0.0.1:port"
  [[nodiscard]] std::string url() const;      // "redis://127.0.0.1:port"
  [[nodiscard]] const std::string& dir() const noexcept { return dir_; }
  [[nodiscard]] bool running() const noexcept { return pid_ > 0; }

  /// SIGKILL and wait: whatever the server had not written to disk is gone.
  void kill();
  /// Starts it again on the same port and directory (it reloads its AOF) and waits for PING.
  void start();
  /// SIGSTOP / SIGCONT: a server that keeps its connections but answers nothing.
  void pause();
  void resume();

  /// Runs one command on a fresh blocking connection (2 s timeout). Throws on I/O errors.
  SyncReply command(std::initializer_list<std::string_view> args) const;
  SyncReply command(const std::vector<std::string>& args) const;

 private:
  void launch();
  void wait_ready();
  [[nodiscard]] std::string log_tail() const;

  RedisServerOptions options_;
  std::string dir_;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
  bool paused_ = false;
};

class RedisCluster {
 public:
  /// Starts `masters` cluster-mode servers, creates the cluster (no replicas) and waits until
  /// every node reports cluster_state:ok.
  explicit RedisCluster(unsigned masters = 3);
  ~RedisCluster();

  [[nodiscard]] unsigned size() const noexcept { return static_cast<unsigned>(nodes_.size()); }
  [[nodiscard]] RedisServer& node(unsigned index) { return *nodes_[index]; }
  /// "redis+cluster://127.0.0.1:p1,127.0.0.1:p2,..."
  [[nodiscard]] std::string url() const;
  /// The index of the node serving `slot` (asks node 0's CLUSTER SLOTS).
  [[nodiscard]] unsigned owner_of(std::uint16_t slot) const;
  /// The cluster node id of node `index`.
  [[nodiscard]] std::string node_id(unsigned index) const;

  /// Starts moving `slot` to node `to`: the target IMPORTING, the source MIGRATING. Keys still on
  /// the source are served there; missing ones get ASK to the target.
  void begin_migration(std::uint16_t slot, unsigned to);
  /// Moves every key of `slot` still on the source (MIGRATE) and assigns the slot to `to` on all
  /// nodes. After this the source answers MOVED.
  void finish_migration(std::uint16_t slot, unsigned to);
  /// begin_migration + finish_migration.
  void move_slot(std::uint16_t slot, unsigned to);

 private:
  void wait_state_ok();
  std::vector<std::unique_ptr<RedisServer>> nodes_;
};

/// True when redis-server and redis-cli are on PATH.
[[nodiscard]] bool redis_installed();

}  // namespace hexwire::testing
