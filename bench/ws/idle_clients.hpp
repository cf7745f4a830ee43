// The client side of the connection-memory benchmark: a pool of connections on one client shard
// that stay idle once set up. `tcp` connections never send (an idle HTTP keep-alive connection on
// the server), `echo` ones complete the WebSocket handshake on /echo, `ws` ones also authenticate
// on /ws (--anonymous server) and subscribe to `subs` channels, waiting for every reply.
// Connections are spread over source addresses 127.0.0.1..N, each with its own ephemeral ports.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

#include "core/runtime.hpp"
#include "core/socket.hpp"
#include "net/ws_client.hpp"

namespace hexwire::bench {

enum class IdleKind : std::uint8_t { tcp, echo, ws };

/// "tcp", "echo" or "ws"; throws std::invalid_argument otherwise.
IdleKind parse_idle_kind(std::string_view name);

struct IdleClientPlan {
  IdleKind kind = IdleKind::echo;
  unsigned subs = 0;      // ws: explicit subscriptions per connection
  unsigned channels = 0;  // ws: channel pool; 0 = a channel of its own for every subscription
  unsigned sources = 1;   // source addresses 127.0.0.1..sources
};

/// What the clients report back to the measuring thread.
struct IdleCounts {
  std::atomic<unsigned> ready{0};   // connected and (ws) authenticated and subscribed
  std::atomic<unsigned> failed{0};  // refused, closed, or answered with an error
  std::mutex error_mutex;
  std::string first_error;  // guarded by error_mutex
  void fail(std::string_view why);
};

class IdleClientPool {
 public:
  /// `clients` must be started and have one shard; the pool must outlive its connections (stop
  /// and join `clients` before destroying it).
  IdleClientPool(core::Runtime& clients, std::uint16_t port, IdleClientPlan plan);
  IdleClientPool(const IdleClientPool&) = delete;
  IdleClientPool& operator=(const IdleClientPool&) = delete;

  /// Opens connections until `total` were started, in batches, waiting for each batch to be ready
  /// (or failed, or 30 s without progress). Returns how many are ready.
  unsigned open_until(unsigned total);
  [[nodiscard]] std::string first_error();

 private:
  void start_one(core::Reactor& reactor, unsigned index);

  core::Runtime& clients_;
  core::SocketAddress server_;
  IdleClientPlan plan_;
  net::WsClientOptions echo_options_;
  net::WsClientOptions ws_options_;
  IdleCounts counts_;
  unsigned started_ = 0;
};

}  // namespace hexwire::bench
