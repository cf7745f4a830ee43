// The engine hexwire-sim starts inside its own process when no --url is given (the embedded
// default): an app::Node started the way the `hexwire` binary starts one, with /ws in anonymous
// mode (simulated users authenticate by name), listening on a free port. It lives in
// sim/tools, the only part of the simulator that links app: the simulator itself is a client.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "sim/runner.hpp"

namespace hexwire::sim {

class EmbeddedEngine final : public LocalEngine {
 public:
  /// Starts listening on host:0 (the kernel picks the port). `shards` 0 = one per CPU;
  /// `write_delay_us`: the engine's --write-delay-us (fixed batching; 0 = no hold), or none for
  /// the engine's default, adaptive batching. Throws std::system_error / std::runtime_error with
  /// the reason when the engine cannot start.
  EmbeddedEngine(const std::string& host, unsigned shards,
                 std::optional<std::uint32_t> write_delay_us = std::nullopt);
  /// Stops the engine (close 1001 to remaining peers, drain) and waits for its threads.
  ~EmbeddedEngine() override;
  EmbeddedEngine(const EmbeddedEngine&) = delete;
  EmbeddedEngine& operator=(const EmbeddedEngine&) = delete;

  [[nodiscard]] std::uint16_t port() const noexcept override { return port_; }
  [[nodiscard]] std::string banner() const override;

 private:
  struct State;
  std::unique_ptr<State> state_;
  std::uint16_t port_ = 0;
};

/// The factory hexwire-sim hands to run_simulation: an EmbeddedEngine with one shard per CPU.
[[nodiscard]] LocalEngineFactory embedded_engine_factory();

}  // namespace hexwire::sim
