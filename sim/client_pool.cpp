// ClientPool: slots, connect/send/close, and the per-session WsApplication that forwards session
// events to the scenario tagged with (slot, generation).
#include "sim/client_pool.hpp"

#include <algorithm>
#include <cerrno>
#include <random>
#include <utility>

namespace hexwire::sim {

/// One per session (owned by the WsSession): 24 bytes plus the allocation.
class ClientPool::SlotApplication final : public net::WsApplication {
 public:
  SlotApplication(ClientPool& pool, std::uint32_t local, std::uint32_t generation) noexcept
      : pool_(&pool), local_(local), generation_(generation) {}

  void on_open(net::WsSession& session) noexcept override {
    opened_ = true;
    pool_->opened(local_, generation_, session);
  }
  void on_message(net::WsSession& /*session*/, net::Opcode opcode,
                  std::span<const std::byte> payload) noexcept override {
    const std::string_view text(reinterpret_cast<const char*>(payload.data()), payload.size());
    if (opcode == net::Opcode::kText || opcode == net::Opcode::kBinary) {
      pool_->message(local_, generation_, text);
    }
  }
  void on_close(net::WsSession& /*session*/, std::uint16_t code) noexcept override {
    pool_->ended(local_, generation_, opened_, code, "closed");
  }
  void on_connect_failed(std::string_view reason) noexcept override {
    pool_->ended(local_, generation_, false, 0, reason);
  }

 private:
  ClientPool* pool_;
  std::uint32_t local_;
  std::uint32_t generation_;
  bool opened_ = false;
};

namespace {

net::WsClientOptions client_options(const std::string& host, std::string target) {
  net::WsClientOptions options;
  options.host = host;
  options.target = std::move(target);
  return options;
}

}  // namespace

ClientPool::ClientPool(core::Reactor& reactor, ClientPoolConfig config, ClientEvents& events)
    : reactor_(reactor),
      config_(std::move(config)),
      events_(events),
      opened_per_server_(config_.servers.size(), 0) {
  for (std::size_t k = 0; k < config_.servers.size(); ++k) {
    const std::string& host =
        k < config_.host_headers.size() ? config_.host_headers[k] : config_.host_header;
    echo_options_.push_back(client_options(host, "/echo"));
    ws_options_.push_back(client_options(host, "/ws"));
  }
  std::random_device entropy;
  for (std::size_t i = 0; i < std::max<std::size_t>(1, config_.sources.size()); ++i) {
    ports_.push_back(SourcePorts::from_system((std::uint64_t{entropy()} << 32) | entropy()));
  }
}

ClientPool::~ClientPool() = default;

std::uint32_t ClientPool::add(ClientKind kind, std::uint32_t global, std::uint32_t index) {
  ClientSlot slot;
  slot.global = global;
  slot.local = static_cast<std::uint32_t>(slots_.size());
  slot.index = index;
  slot.kind = kind;
  slot.server = config_.servers.empty()
                    ? 0
                    : static_cast<std::uint16_t>(global % config_.servers.size());
  slots_.push_back(slot);
  return slot.local;
}

bool ClientPool::connect(std::uint32_t local, std::uint64_t intended_ns) noexcept {
  ClientSlot& s = slots_[local];
  if (s.state != SlotState::kIdle || config_.servers.empty()) {
    return false;
  }
  ++s.generation;
  s.connect_intended_ns = intended_ns;
  s.state = SlotState::kConnecting;
  ++connecting_;
  const core::SocketAddress& server = config_.servers[s.server];
  std::uint32_t source_index = 0;
  if (!config_.sources.empty()) {
    source_index = next_source_;
    next_source_ = (next_source_ + 1) % static_cast<std::uint32_t>(config_.sources.size());
  }
  int error = 0;
  if (open_socket(s, server, source_index, error) == nullptr) {
    ended(local, s.generation, false, 0,
          error == EADDRNOTAVAIL ? "cannot bind the source address (not on this host?)"
          : error == ENOMEM      ? "out of memory"
                                 : "no socket (file descriptor limit?)");
    return false;
  }
  return true;
}

core::Connection* ClientPool::open_socket(ClientSlot& s, const core::SocketAddress& server,
                                          std::uint32_t source_index, int& error) noexcept {
  const core::SocketAddress* source =
      config_.sources.empty() ? nullptr : &config_.sources[source_index];
  const net::WsClientOptions& options =
      (s.kind == ClientKind::kEcho ? echo_options_ : ws_options_)[s.server];
  try {
    // net::connect_websocket with a source address and a port window: the same handshake handler.
    auto app = std::make_unique<SlotApplication>(*this, s.local, s.generation);
    auto handshake = std::make_unique<net::WsClientHandshake>(options, std::move(app), nullptr);
    return reactor_.connect(server, std::move(handshake), &error, source,
                            ports_[source_index].next());
  } catch (...) {
    error = ENOMEM;
    return nullptr;
  }
}

bool ClientPool::send(std::uint32_t local, std::string_view text) noexcept {
  ClientSlot& s = slots_[local];
  if (s.state != SlotState::kOpen || s.session == nullptr) {
    return false;
  }
  return s.session->send_text(text) == net::WsSendResult::kQueued;
}

void ClientPool::close(std::uint32_t local) noexcept {
  ClientSlot& s = slots_[local];
  if (s.state == SlotState::kOpen && s.session != nullptr) {
    s.state = SlotState::kClosing;
    s.session->close(1000, "bye");
  }
}

void ClientPool::reset(std::uint32_t local) noexcept {
  ClientSlot& s = slots_[local];
  if (s.state == SlotState::kOpen && s.session != nullptr && s.session->connection() != nullptr) {
    s.state = SlotState::kClosing;
    s.session->connection()->abort();
  }
}

void ClientPool::close_all() noexcept {
  for (std::uint32_t i = 0; i < slots_.size(); ++i) {
    close(i);
  }
}

void ClientPool::opened(std::uint32_t local, std::uint32_t generation,
                        net::WsSession& session) noexcept {
  ClientSlot& s = slots_[local];
  if (s.generation != generation || s.state != SlotState::kConnecting) {
    return;
  }
  --connecting_;
  ++open_;
  s.state = SlotState::kOpen;
  s.session = &session;
  ++opened_per_server_[s.server];
  events_.on_open(s);
}

void ClientPool::message(std::uint32_t local, std::uint32_t generation,
                         std::string_view text) noexcept {
  ClientSlot& s = slots_[local];
  if (s.generation != generation || s.session == nullptr) {
    return;
  }
  events_.on_text(s, text);
}

void ClientPool::ended(std::uint32_t local, std::uint32_t generation, bool was_open,
                       std::uint16_t code, std::string_view why) noexcept {
  ClientSlot& s = slots_[local];
  if (s.generation != generation || s.state == SlotState::kIdle) {
    return;
  }
  const bool by_us = s.state == SlotState::kClosing;
  if (s.state == SlotState::kConnecting) {
    --connecting_;
  } else {
    --open_;
  }
  s.state = SlotState::kIdle;
  s.session = nullptr;
  if (!by_us) {
    // Its server is gone, refused it or closed it: the next attempt goes to the next server.
    s.server = static_cast<std::uint16_t>((s.server + 1) % config_.servers.size());
  }
  events_.on_closed(s, was_open, by_us, code, why);
}

}  // namespace hexwire::sim
