// The engine hexwire-sim starts inside its own process when no --url is given (the embedded
// default): the same app::Engine as the `hexwire` binary, with the /ws application in anonymous
// mode (simulated users authenticate by name), listening on a free port.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace hexwire::sim {

class EmbeddedEngine {
 public:
  /// Starts listening on host:0 (the kernel picks the port). `shards` 0 = one per CPU;
  /// `write_delay_us` is the engine's --write-delay-us (0 = off). Throws std::system_error /
  /// std::runtime_error with the reason when the engine cannot start.
  EmbeddedEngine(const std::string& host, unsigned shards, std::uint32_t write_delay_us = 0);
  /// Stops the engine (close 1001 to remaining peers, drain) and waits for its threads.
  ~EmbeddedEngine();
  EmbeddedEngine(const EmbeddedEngine&) = delete;
  EmbeddedEngine& operator=(const EmbeddedEngine&) = delete;

  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
  [[nodiscard]] std::string banner() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
  std::uint16_t port_ = 0;
};

}  // namespace hexwire::sim
