// One TCP connection to one Redis server, on a shard's core::Reactor: commands are pipelined
// (queued in the reactor's batched sends, answered in order), replies parsed by ReplyReader, and
// every request is answered exactly once through the owner, by a reply or by a failure. A request
// past its deadline fails alone and its slot stays in the pipeline, abandoned, until its late
// reply arrives and is discarded; the connection is dropped only when the server sends nothing at
// all for the liveness interval while replies are owed (or on a socket error). At most max_sent
// requests are on the wire; the rest wait in order in the connection's queue, and one that waits
// past its deadline fails without ever reaching Redis. Requests in flight are bounded. The
// connection reconnects by itself with exponential backoff. It is mechanism
// only: routing, redirects and subscriptions belong to RedisClient (redis/client.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "core/histogram.hpp"
#include "core/metrics.hpp"
#include "core/reactor.hpp"
#include "core/timer_wheel.hpp"
#include "redis/request.hpp"
#include "redis/resp.hpp"
#include "redis/script.hpp"
#include "redis/target.hpp"

namespace hexwire::redis {

/// Counters and a histogram a connection records into besides its ConnectionStats (all optional,
/// written only on the connection's shard): what an exporter shows as hexwire_redis_*.
struct ConnectionMetrics {
  core::Counter* commands_timed_out = nullptr;  // requests failed alone at their deadline
  core::Counter* expired_queued = nullptr;      // ... of them still queued: never sent
  core::Counter* late_replies = nullptr;        // replies of such requests, discarded
  core::Counter* refused = nullptr;             // requests refused at max_in_flight
  core::Counter* unresponsive = nullptr;        // connections dropped for silence (liveness)
  core::Counter* lost = nullptr;                // connections lost, for any reason
  core::Histogram* reply_wait = nullptr;        // ns from a request's send to its reply
};

/// Registers (or finds) the hexwire_redis_* metrics of shard `shard` (redis/metrics.cpp).
[[nodiscard]] ConnectionMetrics connection_metrics(core::MetricsRegistry& registry,
                                                   unsigned shard);

struct ConnectionOptions {
  std::uint64_t connect_timeout_ns = 1'000'000'000;
  /// A request waits this long for its reply; then it alone fails with RedisStatus::kTimeout
  /// (it may still run: its reply, when it arrives, is discarded in order). The connection stays.
  std::uint64_t command_timeout_ns = 2'000'000'000;
  /// While replies are owed, the server must send something at least this often: after this long
  /// with nothing received it is declared unresponsive, the connection is dropped and every
  /// request on it fails with RedisStatus::kTimeout. A busy server answering slowly keeps the
  /// connection (its late commands fail one by one); a hung one loses it. At least
  /// command_timeout_ns (a shorter value is raised to it).
  std::uint64_t liveness_timeout_ns = 5'000'000'000;
  std::uint64_t reconnect_min_ns = 50'000'000;     // first backoff after a failure
  std::uint64_t reconnect_max_ns = 2'000'000'000;  // backoff doubles up to this
  /// Requests written to the socket and owed a reply (abandoned ones included): the depth of
  /// Redis's queue for this connection. More wait in the connection's queue and are written as
  /// replies come back; a queued request past its deadline fails (kTimeout) without reaching
  /// Redis, so an overloaded server does not spend itself on commands nobody waits for.
  std::size_t max_sent = 1'024;
  /// Requests owed an answer, written or queued; beyond it a request fails at once with
  /// RedisStatus::kOverloaded.
  std::size_t max_in_flight = 65'536;
  ConnectionMetrics metrics;
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
  std::uint64_t timeouts = 0;  // connections dropped because the server sent nothing (liveness)
  std::uint64_t commands_timed_out = 0;  // requests failed alone at their deadline
  std::uint64_t expired_queued = 0;      // ... of them still queued: never reached Redis
  std::uint64_t late_replies = 0;        // replies to those, discarded when they arrived
  std::uint64_t refused = 0;             // requests refused at max_in_flight (kOverloaded)
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
  /// Requests owed an answer: written (abandoned ones included) or queued.
  [[nodiscard]] std::size_t in_flight() const noexcept {
    return in_flight_.size() + queued_.size();
  }
  [[nodiscard]] const ConnectionStats& stats() const noexcept { return stats_; }
  [[nodiscard]] bool subscriber() const noexcept { return options_.subscriber; }

 private:
  class Link;
  friend class Link;
  /// A pipeline slot. An abandoned one failed at its deadline: only its kind and channel remain
  /// (to match its late reply), which is discarded.
  struct InFlight {
    Request request;
    std::uint64_t sent_ns = 0;
    bool abandoned = false;
  };

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
  /// Fails, oldest first, the requests past their deadline (stops at the first still in time).
  void expire_overdue(std::uint64_t now);
  /// When the server is declared unresponsive unless something arrives (replies owed).
  [[nodiscard]] std::uint64_t liveness_deadline() const noexcept;
  void defer_failure(Request&& request, RedisStatus status);
  /// Writes `request` to the socket (it joins in_flight_).
  void write(Request&& request);
  /// Writes queued requests while fewer than max_sent are on the wire.
  void pump();
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
  std::deque<InFlight> in_flight_;  // sent (or queued to send), oldest first
  std::size_t abandoned_ = 0;       // the abandoned slots: always a prefix of in_flight_
  std::deque<Request> queued_;      // not written yet (max_sent on the wire), oldest first
  std::uint64_t last_read_ns_ = 0;  // when bytes last arrived
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
