// Real /ws connections to one running engine for a case run (live mode and progress
// publishing): each connection authenticates (anonymous user name, or --token) and optionally
// subscribes to one channel; publishes go out with ids whose acks are counted; messages on the
// subscribed channel are handed to a receiver. One core::Reactor and one timer wheel, driven by
// the caller's thread through pump(): no threads of its own. Built on sim's ClientPool.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/timer_wheel.hpp"

namespace hexwire::sim::cases {

struct LiveLinkStats {
  std::uint64_t publishes = 0;
  std::uint64_t acks = 0;
  std::uint64_t errors = 0;      // error replies to publishes (rate_limited, ...)
  std::uint64_t refused = 0;     // publishes not sent: the connection was not ready
  std::uint64_t received = 0;    // messages delivered on subscribed channels
  std::string first_error;       // "code: message" of the first error reply
};

class LiveLink {
 public:
  /// Called for each message on a connection's subscribed channel with its string `data`.
  using Receiver = std::function<void(std::uint32_t connection, std::string_view data)>;

  /// `url`: ws://HOST:PORT (the path is /ws); `token`: a JWT, or empty for anonymous users (the
  /// engine must run with --anonymous). Throws std::invalid_argument for a bad URL and
  /// std::system_error when the reactor cannot start.
  LiveLink(const std::string& url, std::string token);
  ~LiveLink();
  LiveLink(const LiveLink&) = delete;
  LiveLink& operator=(const LiveLink&) = delete;

  /// Adds a connection (not opened yet) for user `user`, subscribing to `channel` (empty: none).
  std::uint32_t add(std::string user, std::string channel);
  void set_receiver(Receiver receiver) { receiver_ = std::move(receiver); }

  /// Opens every connection that is not ready and pumps until all are authenticated and
  /// subscribed. Throws std::runtime_error saying which step failed (connect, auth, sub) and what
  /// to do, after `timeout_ns` at the latest.
  void open_all(std::uint64_t timeout_ns);
  /// Starts reopening one connection (asynchronously: ready() once subscribed again).
  void reopen(std::uint32_t connection);
  /// Closes one connection (its subscription ends with it).
  void close(std::uint32_t connection);
  [[nodiscard]] bool ready(std::uint32_t connection) const;

  /// Publishes `data_json` on `channel` from `connection`. False (counted as refused) when the
  /// connection is not ready.
  bool publish(std::uint32_t connection, std::string_view channel, std::string_view data_json);
  /// One loop turn: completions, due timers, sends; then sleeps at most `max_wait_ns` (less when
  /// a timer is due sooner).
  void pump(std::uint64_t max_wait_ns);
  /// Pumps until every publish is acknowledged or answered with an error, or `timeout_ns` passes.
  bool wait_for_acks(std::uint64_t timeout_ns);

  /// The model's run is over (its objects may be gone): from now on turns serve the sockets only
  /// and never run a pending timer.
  void end_timers() noexcept;
  [[nodiscard]] core::TimerWheel& timers() noexcept;
  /// Nanoseconds since the link was made (monotonic).
  [[nodiscard]] std::uint64_t now_ns() const noexcept;
  [[nodiscard]] const LiveLinkStats& stats() const noexcept { return stats_; }
  [[nodiscard]] const std::string& url() const noexcept { return url_; }

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
  Receiver receiver_;
  LiveLinkStats stats_;
  std::string url_;
  friend class Impl;
};

}  // namespace hexwire::sim::cases
