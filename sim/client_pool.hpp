// The simulated connections of one hexwire-sim worker thread: a slot per simulated client (kept
// across reconnects), WebSocket client sessions opened through net::WsClientHandshake on the
// worker's own core::Reactor, and the callbacks that route every session event to the scenario as
// (slot, event). Spreads connections over several source addresses (see ClientPoolConfig) and
// bounds the kernel's search for each one's source port (sim/source_ports.hpp).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/reactor.hpp"
#include "core/socket.hpp"
#include "net/ws_client.hpp"
#include "sim/source_ports.hpp"

namespace hexwire::sim {

enum class ClientKind : std::uint8_t { kEcho, kChat, kDriver, kRider };

enum class SlotState : std::uint8_t {
  kIdle,        // never connected, or closed and not reconnecting
  kConnecting,  // TCP connect / WebSocket handshake in progress
  kOpen,        // session open
  kClosing,     // close() sent, waiting for on_close
};

/// One simulated client. `generation` changes on every connection attempt so that callbacks of an
/// older session never reach a newer one.
struct ClientSlot {
  std::uint32_t global = 0;  // run-wide client index (verifier receiver id)
  std::uint32_t local = 0;   // index in this pool
  std::uint32_t index = 0;   // index within its kind (user, driver or rider number)
  std::uint32_t generation = 0;
  std::uint16_t server = 0;  // index in ClientPoolConfig::servers of its next connection
  ClientKind kind = ClientKind::kEcho;
  SlotState state = SlotState::kIdle;
  net::WsSession* session = nullptr;  // while open or closing
  std::uint64_t connect_intended_ns = 0;
};

/// What the scenario sees of its connections. Every call runs on the worker thread.
class ClientEvents {
 public:
  virtual ~ClientEvents() = default;
  virtual void on_open(ClientSlot& slot) noexcept = 0;
  virtual void on_text(ClientSlot& slot, std::string_view text) noexcept = 0;
  /// The connection ended (`was_open` false: connect or handshake failed; `why` says how).
  /// `by_us`: it ended after ClientPool::close (expected), not by the server or the network.
  virtual void on_closed(ClientSlot& slot, bool was_open, bool by_us, std::uint16_t code,
                         std::string_view why) noexcept = 0;
};

struct ClientPoolConfig {
  /// Server addresses (one per --url). Client k starts on server k mod N (k = its run-wide index,
  /// so the spread is even over workers and processes); a client whose connection ends without
  /// ClientPool::close (the server closed it, died, or could not be reached) moves to the next
  /// server for its following attempt.
  std::vector<core::SocketAddress> servers;
  /// The Host header of the handshake per server (same order); missing entries use host_header.
  std::vector<std::string> host_headers;
  /// Local (source) addresses (--source-addrs), used round-robin per connection; each gives its
  /// own ~28k local ports toward a server address. Empty: the kernel picks the source.
  std::vector<core::SocketAddress> sources;
  std::string host_header = "127.0.0.1";
};

/// The reactor a client population runs on: `buffer_count` receive buffers and no write hold. A
/// load generator must send when its schedule says: the reactor's default (adaptive batching)
/// would hold a busy simulator's sends for up to 20 ms, and every such hold would be measured as
/// the engine's latency.
inline core::ReactorConfig client_reactor_config(unsigned buffer_count) {
  core::ReactorConfig config;
  config.backend_config.buffer_count = buffer_count;
  config.write_batching = core::WriteBatching::kFixed;
  config.write_delay_ns = 0;
  return config;
}

class ClientPool {
 public:
  ClientPool(core::Reactor& reactor, ClientPoolConfig config, ClientEvents& events);
  ~ClientPool();
  ClientPool(const ClientPool&) = delete;
  ClientPool& operator=(const ClientPool&) = delete;

  /// Adds a slot (not connected). Returns its local index.
  std::uint32_t add(ClientKind kind, std::uint32_t global, std::uint32_t index);
  [[nodiscard]] ClientSlot& slot(std::uint32_t local) noexcept { return slots_[local]; }
  [[nodiscard]] std::uint32_t size() const noexcept {
    return static_cast<std::uint32_t>(slots_.size());
  }

  /// Starts connecting slot `local` (must be idle). Returns false when no socket could be created
  /// (the scenario gets on_closed(was_open=false) right away in that case too).
  bool connect(std::uint32_t local, std::uint64_t intended_ns) noexcept;
  /// Sends one text message on an open slot; false when it is not open.
  bool send(std::uint32_t local, std::string_view text) noexcept;
  /// Starts the WebSocket closing handshake (code 1000) of an open slot.
  void close(std::uint32_t local) noexcept;
  /// Aborts an open slot's TCP connection (SO_LINGER 0: the server sees a RST, no closing
  /// handshake), as a client whose process or network died; on_closed follows with by_us true.
  void reset(std::uint32_t local) noexcept;
  /// Closes every open slot (end of run).
  void close_all() noexcept;

  [[nodiscard]] std::uint32_t open_count() const noexcept { return open_; }
  [[nodiscard]] std::uint32_t connecting_count() const noexcept { return connecting_; }
  /// Connections opened (handshake done) per server, in ClientPoolConfig::servers order.
  [[nodiscard]] const std::vector<std::uint64_t>& opened_per_server() const noexcept {
    return opened_per_server_;
  }

 private:
  class SlotApplication;
  friend class SlotApplication;
  /// Opens the socket of slot `s` from source `source_index`, its port picked by the kernel in
  /// the next window of that source's cursor.
  core::Connection* open_socket(ClientSlot& s, const core::SocketAddress& server,
                                std::uint32_t source_index, int& error) noexcept;
  void opened(std::uint32_t local, std::uint32_t generation, net::WsSession& session) noexcept;
  void message(std::uint32_t local, std::uint32_t generation, std::string_view text) noexcept;
  void ended(std::uint32_t local, std::uint32_t generation, bool was_open, std::uint16_t code,
             std::string_view why) noexcept;

  core::Reactor& reactor_;
  ClientPoolConfig config_;
  ClientEvents& events_;
  std::vector<net::WsClientOptions> echo_options_;  // per server
  std::vector<net::WsClientOptions> ws_options_;    // per server
  std::vector<ClientSlot> slots_;
  std::vector<std::uint64_t> opened_per_server_;
  std::vector<SourcePorts> ports_;  // per source address (one when the kernel picks the address)
  std::uint32_t next_source_ = 0;
  std::uint32_t open_ = 0;
  std::uint32_t connecting_ = 0;
};

}  // namespace hexwire::sim
