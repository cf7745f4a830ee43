// The client role (net/ws_client): a second core::Runtime connects to the in-process engine with
// connect_websocket, exchanges masked frames with /echo (plain and permessage-deflate), closes with
// a code the server echoes, and reports refused handshakes and failed connects through
// on_connect_failed.
#include <catch2/catch.hpp>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "net/ws_client.hpp"
#include "tests/websocket/ws_test_support.hpp"

namespace {

using namespace hexwire;

/// What the client application saw, guarded for the test thread.
struct Log {
  std::mutex mutex;
  std::condition_variable changed;
  bool opened = false;
  std::vector<std::pair<net::Opcode, std::string>> messages;
  int close_code = 0;
  std::string failure;

  template <typename Predicate>
  bool wait(Predicate done) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, std::chrono::seconds(5), done);
  }
};

/// Sends `to_send` after opening, then closes with 4321 once every echo came back.
class ScriptedClient final : public net::WsApplication {
 public:
  ScriptedClient(Log& log, std::vector<std::pair<net::Opcode, std::string>> to_send)
      : log_(log), to_send_(std::move(to_send)) {}

  void on_open(net::WsSession& session) noexcept override {
    {
      std::lock_guard lock(log_.mutex);
      log_.opened = true;
    }
    log_.changed.notify_all();
    for (const auto& [opcode, text] : to_send_) {
      if (opcode == net::Opcode::kText) {
        session.send_text(text);
      } else {
        session.send_binary(std::as_bytes(std::span<const char>(text.data(), text.size())));
      }
    }
    if (to_send_.empty()) {
      session.close(4321, "done");
    }
  }

  void on_message(net::WsSession& session, net::Opcode opcode,
                  std::span<const std::byte> payload) noexcept override {
    std::size_t count = 0;
    {
      std::lock_guard lock(log_.mutex);
      log_.messages.emplace_back(
          opcode, std::string(reinterpret_cast<const char*>(payload.data()), payload.size()));
      count = log_.messages.size();
    }
    log_.changed.notify_all();
    if (count == to_send_.size()) {
      session.close(4321, "done");
    }
  }

  void on_close(net::WsSession&, std::uint16_t code) noexcept override {
    {
      std::lock_guard lock(log_.mutex);
      log_.close_code = code;
    }
    log_.changed.notify_all();
  }

  void on_connect_failed(std::string_view reason) noexcept override {
    {
      std::lock_guard lock(log_.mutex);
      log_.failure = reason.empty() ? "failed" : std::string(reason);
    }
    log_.changed.notify_all();
  }

 private:
  Log& log_;
  std::vector<std::pair<net::Opcode, std::string>> to_send_;
};

core::RuntimeConfig client_runtime_config() {
  core::RuntimeConfig config;
  config.shards = 1;
  config.pin_threads = false;
  config.thread_name = "test-client";
  return config;
}

void connect(core::Runtime& clients, std::uint16_t port, const net::WsClientOptions& options,
             std::unique_ptr<net::WsApplication> app) {
  auto holder = std::make_shared<std::unique_ptr<net::WsApplication>>(std::move(app));
  clients.post(0, [holder, port, &options] {
    net::connect_websocket(core::Runtime::this_shard()->reactor(),
                           core::SocketAddress::parse("127.0.0.1", port), options,
                           std::move(*holder));
  });
}

}  // namespace

TEST_CASE("ws client: masked text and binary echo then a close the server echoes", "[ws][client]") {
  auto engine = test::start_engine(test::test_engine_config());
  Log log;  // declared before the client runtime: sessions report into it until it stops
  net::WsClientOptions options;
  options.target = "/echo";
  core::Runtime clients(client_runtime_config());
  clients.start();
  const std::string big(200'000, 'B');
  connect(
      clients, engine->port(), options,
      std::make_unique<ScriptedClient>(log, std::vector<std::pair<net::Opcode, std::string>>{
                                                {net::Opcode::kText, "hello"},
                                                {net::Opcode::kBinary, std::string("\0\1\2", 3)},
                                                {net::Opcode::kText, ""},
                                                {net::Opcode::kBinary, big}}));
  REQUIRE(log.wait([&] { return log.close_code != 0; }));
  std::lock_guard lock(log.mutex);
  CHECK(log.opened);
  REQUIRE(log.messages.size() == 4);
  CHECK(log.messages[0] == std::pair(net::Opcode::kText, std::string("hello")));
  CHECK(log.messages[1] == std::pair(net::Opcode::kBinary, std::string("\0\1\2", 3)));
  CHECK(log.messages[2] == std::pair(net::Opcode::kText, std::string()));
  CHECK(log.messages[3].second.size() == big.size());
  CHECK(log.close_code == 4321);
}

TEST_CASE("ws client: permessage-deflate negotiated and used in both directions",
          "[ws][client][deflate]") {
  auto config = test::test_engine_config();
  config.ws_deflate = true;
  auto engine = test::start_engine(config);
  Log log;
  net::WsClientOptions options;
  options.target = "/echo";
  options.handshake.offer_deflate = true;
  core::Runtime clients(client_runtime_config());
  clients.start();
  std::string json;
  for (int i = 0; i < 100; ++i) {
    json += R"({"op":"pub","channel":"general","data":{"text":"hello there"}})";
  }
  connect(clients, engine->port(), options,
          std::make_unique<ScriptedClient>(
              log, std::vector<std::pair<net::Opcode, std::string>>{{net::Opcode::kText, json},
                                                                    {net::Opcode::kText, json}}));
  REQUIRE(log.wait([&] { return log.close_code != 0; }));
  std::lock_guard lock(log.mutex);
  REQUIRE(log.messages.size() == 2);
  CHECK(log.messages[0].second == json);
  CHECK(log.messages[1].second == json);
  CHECK(log.close_code == 4321);
  // Far fewer bytes crossed the wire than the two messages in each direction.
  const std::string metrics = engine->metrics().prometheus_text();
  const std::size_t at = metrics.find("\nhexwire_bytes_sent_total ");
  REQUIRE(at != std::string::npos);
  CHECK(std::stoull(metrics.substr(at + 26)) < json.size());
}

TEST_CASE("ws client: a refused handshake and a refused connect are reported", "[ws][client]") {
  auto engine = test::start_engine(test::test_engine_config());
  Log refused;
  net::WsClientOptions wrong_path;
  wrong_path.target = "/not-a-websocket";
  Log unreachable;
  net::WsClientOptions options;
  core::Runtime clients(client_runtime_config());
  clients.start();
  connect(clients, engine->port(), wrong_path,
          std::make_unique<ScriptedClient>(refused,
                                           std::vector<std::pair<net::Opcode, std::string>>{}));
  REQUIRE(refused.wait([&] { return !refused.failure.empty(); }));
  CHECK_FALSE(refused.opened);

  // A port nobody listens on (bound, then closed, so it is free).
  std::uint16_t closed_port = 0;
  {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    socklen_t length = sizeof(addr);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length);
    closed_port = ntohs(addr.sin_port);
    ::close(fd);
  }
  connect(clients, closed_port, options,
          std::make_unique<ScriptedClient>(unreachable,
                                           std::vector<std::pair<net::Opcode, std::string>>{}));
  REQUIRE(unreachable.wait([&] { return !unreachable.failure.empty(); }));
  CHECK_FALSE(unreachable.opened);
}
