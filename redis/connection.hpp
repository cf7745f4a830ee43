// One TCP connection to one Redis server, on a shard's core::Reactor: commands are pipelined
// (queued in the reactor's batched sends, answered in order), replies parsed by ReplyReader, and
// every request is answered exactly once through the owner, by a reply or by a failure. The
// connection reconnects by itself with exponential backoff. It is mechanism only: routing,
// redirects and subscriptions belong to RedisClient (redis/client.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "core/reactor.hpp"
#include "core/timer_wheel.hpp"
#include "redis/request.hpp"
#include "redis/resp.hpp"
#include "redis/script.hpp"
#include "redis/target.hpp"

namespace hexwire::redis {

struct ConnectionOptions {
  std::uint64_t connect_timeout_ns = 1'000'000'000;
  /// The oldest unanswered request may wait this long; then the server is declared unresponsive,
  /// the connection is dropped and every request on it fails with RedisStatus::kTimeout.
  std::uint64_t command_timeout_ns = 2'000'000'000;
  std::uint64_t reconnect_min_ns = 50'000'000;     // first backoff after a failure
  std::uint64_t reconnect_max_ns = 2'000'000'000;  // backoff doubles up to this
  std::size_t max_in_flight = 65'536;              // more: RedisStatus::kOverloaded
  std::string password;                            // AUTH after connecting, when not empty
  bool subscriber = false;                         // pub/sub connection: pushes go to on_push
  /// SCRIPT LOAD of each, sent first on every (re)connection of a command connection (after
  /// AUTH): an EVALSHA pipelined behind them never meets NOSCRIPT on a cold or restarted server.
  /// The scripts must outlive the connection.
  std::vector<const Script*> scripts;
};

class RedisConnection;

/// Receives every outcome of a RedisConnection. Called on the reactor's thread, never from inside
/// RedisConnection::send (failures of a send are deferred to the next timer tick).
class ConnectionOwner {
 public:
  /// `request` was answered by `reply` (which may be an error reply such as MOVED).
  virtual void on_reply(RedisConnection& connection, Request&& request, ReplyView reply) = 0;
  /// `request` was not answered (see RedisStatus). It may or may not have run on the server when
  /// `status` is timeout or disconnected.
  virtual void on_failed(RedisConnection& connection, Request&& request, RedisStatus status) = 0;
  /// A pub/sub push on a subscriber connection that answers no request: a message, or an
  /// unsubscribe the server decided on (e.g. its slot moved).
  virtual void on_push(RedisConnection& connection, ReplyView push) = 0;
  /// The connection became usable (true) or was lost (false; requests in flight already failed).
  virtual void on_state(RedisConnection& connection, bool up) = 0;

 protected:
  ~ConnectionOwner() = default;
};

struct ConnectionStats {
  std::uint64_t requests = 0;
  std::uint64_t replies = 0;
  std::uint64_t failures = 0;
  std::uint64_t connects = 0;  // successful connections (the first one included)
  std::uint64_t timeouts = 0;  // connections dropped because the server stopped answering
};

class RedisConnection {
 public:
  enum class State : std::uint8_t { kConnecting, kReady, kBackoff };

  /// Starts connecting at once. `reactor` and `timers` belong to the calling shard and must
  /// outlive the connection; so must `owner`.
  RedisConnection(core::Reactor& reactor, core::TimerWheel& timers, Endpoint endpoint,
                  ConnectionOptions options, ConnectionOwner& owner);
  /// Drops the socket; requests still in flight are destroyed without being answered.
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  /// Queues `request` (its bytes go out with the loop turn's other sends). While connecting the
  /// bytes wait for the connection; in backoff, or above max_in_flight, the request fails
  /// (unavailable / overloaded) at the next timer tick.
  void send(Request&& request);

  [[nodiscard]] State state() const noexcept { return state_; }
  [[nodiscard]] bool ready() const noexcept { return state_ == State::kReady; }
  /// Monotonic time the connection was last usable: while ready, when it became ready; after a
  /// loss, when it was lost; before any, when it was created.
  [[nodiscard]] std::uint64_t last_ready_ns() const noexcept { return last_ready_ns_; }
  [[nodiscard]] const Endpoint& endpoint() const noexcept { return endpoint_; }
  [[nodiscard]] std::size_t in_flight() const noexcept { return in_flight_.size(); }
  [[nodiscard]] const ConnectionStats& stats() const noexcept { return stats_; }
  [[nodiscard]] bool subscriber() const noexcept { return options_.subscriber; }

 private:
  class Link;
  friend class Link;

  void connect();
  void on_open();
  void on_bytes(std::span<const std::byte> bytes);
  void on_link_closed(int error);
  void dispatch_reply(Reply&& reply);
  [[nodiscard]] bool answers_front(ReplyView reply) const noexcept;
  void fail_all(RedisStatus status);
  void enter_backoff();
  void arm_watchdog();
  void on_watchdog();
  void defer_failure(Request&& request, RedisStatus status);
  void run_deferred();

  core::Reactor& reactor_;
  core::TimerWheel& timers_;
  Endpoint endpoint_;
  ConnectionOptions options_;
  ConnectionOwner& owner_;
  State state_ = State::kConnecting;
  Link* link_ = nullptr;  // the live socket's handler (owned by the reactor)
  core::Connection* socket_ = nullptr;
  ReplyReader reader_;
  std::deque<Request> in_flight_;  // sent (or queued to send), oldest first
  std::deque<std::pair<Request, RedisStatus>> deferred_;
  core::TimerId deferred_timer_ = 0;
  core::TimerId watchdog_ = 0;
  core::TimerId retry_timer_ = 0;
  core::TimerId connect_timer_ = 0;
  std::uint64_t backoff_ns_ = 0;
  std::uint64_t jitter_state_;
  bool timed_out_ = false;
  std::uint64_t last_ready_ns_;
  ConnectionStats stats_;
};

}  // namespace hexwire::redis
