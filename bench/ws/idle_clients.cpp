// Idle client connections for the connection-memory benchmark (see idle_clients.hpp).
#include "idle_clients.hpp"

#include <chrono>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <thread>

namespace hexwire::bench {

namespace {

/// A TCP connection that never sends anything (stays an idle HTTP keep-alive connection).
class IdleTcp final : public core::ConnectionHandler {
 public:
  explicit IdleTcp(IdleCounts& counts) : counts_(counts) {}
  void on_open(core::Connection&) noexcept override { counts_.ready.fetch_add(1); }
  void on_data(core::Connection&, std::span<const std::byte>) noexcept override {}
  void on_close(core::Connection&, core::CloseReason reason) noexcept override {
    counts_.fail(core::to_string(reason));
  }

 private:
  IdleCounts& counts_;
};

/// An idle WebSocket; on /ws it first authenticates as its own user and subscribes.
class IdleWs final : public net::WsApplication {
 public:
  IdleWs(IdleCounts& counts, const IdleClientPlan& plan, unsigned index)
      : counts_(counts), plan_(plan), index_(index) {}

  void on_open(net::WsSession& session) noexcept override {
    if (plan_.kind != IdleKind::ws) {
      counts_.ready.fetch_add(1);
      return;
    }
    session.send_text("{\"op\":\"auth\",\"id\":0,\"user\":\"u" + std::to_string(index_) + "\"}");
  }

  void on_message(net::WsSession& session, net::Opcode,
                  std::span<const std::byte> payload) noexcept override {
    const std::string_view text(reinterpret_cast<const char*>(payload.data()), payload.size());
    if (text.find("\"op\":\"error\"") != std::string_view::npos) {
      counts_.fail(text);
      return;
    }
    if (text.find("\"op\":\"auth\"") != std::string_view::npos) {
      for (unsigned k = 0; k < plan_.subs; ++k) {
        session.send_text("{\"op\":\"sub\",\"id\":" + std::to_string(k + 1) + ",\"channel\":\"c" +
                          std::to_string(channel_of(k)) + "\"}");
      }
    } else if (text.find("\"op\":\"subbed\"") != std::string_view::npos) {
      ++subbed_;
    } else {
      return;  // presence and other events
    }
    if (subbed_ == plan_.subs && !ready_) {
      ready_ = true;
      counts_.ready.fetch_add(1);
    }
  }

  void on_close(net::WsSession&, std::uint16_t code) noexcept override {
    if (!ready_) {
      counts_.fail("closed with " + std::to_string(code) + " before it was ready");
    }
  }
  void on_connect_failed(std::string_view reason) noexcept override { counts_.fail(reason); }

 private:
  [[nodiscard]] unsigned long channel_of(unsigned k) const noexcept {
    const unsigned long n = static_cast<unsigned long>(index_) * plan_.subs + k;
    return plan_.channels == 0 ? n : n % plan_.channels;
  }

  IdleCounts& counts_;
  const IdleClientPlan& plan_;
  unsigned index_;
  unsigned subbed_ = 0;
  bool ready_ = false;
};

}  // namespace

IdleKind parse_idle_kind(std::string_view name) {
  if (name == "tcp") {
    return IdleKind::tcp;
  }
  if (name == "echo") {
    return IdleKind::echo;
  }
  if (name == "ws") {
    return IdleKind::ws;
  }
  throw std::invalid_argument("unknown kind '" + std::string(name) + "' (tcp, echo or ws)");
}

void IdleCounts::fail(std::string_view why) {
  failed.fetch_add(1);
  std::lock_guard lock(error_mutex);
  if (first_error.empty()) {
    first_error.assign(why.substr(0, 200));
  }
}

IdleClientPool::IdleClientPool(core::Runtime& clients, std::uint16_t port, IdleClientPlan plan)
    : clients_(clients), server_(core::SocketAddress::parse("127.0.0.1", port)), plan_(plan) {
  echo_options_.target = "/echo";
  ws_options_.target = "/ws";
}

std::string IdleClientPool::first_error() {
  std::lock_guard lock(counts_.error_mutex);
  return counts_.first_error;
}

void IdleClientPool::start_one(core::Reactor& reactor, unsigned index) {
  const core::SocketAddress source =
      core::SocketAddress::parse("127.0.0." + std::to_string(1 + index % plan_.sources), 0);
  std::unique_ptr<core::ConnectionHandler> handler;
  if (plan_.kind == IdleKind::tcp) {
    handler = std::make_unique<IdleTcp>(counts_);
  } else {
    const net::WsClientOptions& options = plan_.kind == IdleKind::ws ? ws_options_ : echo_options_;
    handler = std::make_unique<net::WsClientHandshake>(
        options, std::make_unique<IdleWs>(counts_, plan_, index), nullptr);
  }
  int error = 0;
  if (reactor.connect(server_, std::move(handler), &error, &source) == nullptr) {
    counts_.fail("connect: " + std::string(std::strerror(error)));
  }
}

unsigned IdleClientPool::open_until(unsigned total) {
  constexpr unsigned kBatch = 500;
  while (started_ < total) {
    const unsigned first = started_;
    const unsigned batch = std::min(kBatch, total - started_);
    started_ += batch;
    clients_.post(0, [this, first, batch] {
      core::Reactor& reactor = core::Runtime::this_shard()->reactor();
      for (unsigned i = 0; i < batch; ++i) {
        start_one(reactor, first + i);
      }
    });
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    unsigned seen = 0;
    while (std::chrono::steady_clock::now() < deadline) {
      const unsigned done = counts_.ready.load() + counts_.failed.load();
      if (done >= started_) {
        break;
      }
      if (done != seen) {
        seen = done;
        deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  return counts_.ready.load();
}

}  // namespace hexwire::bench
