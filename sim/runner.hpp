// hexwire-sim's run: picks the target (an engine started in this process, or --url), lays out the
// timeline (ramp-up, measured load, drain), runs one worker thread per --threads (each its own
// core::Reactor and ClientPool with the scenario's parts), prints a progress line per second, and
// at the end the final table, the JSON report and the CSV. Returns the process exit status.
// The simulator is a client: it links core and net only. The engine it starts when no --url is
// given comes from the program through LocalEngineFactory (sim/tools/embedded_engine.hpp).
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>

#include "sim/options.hpp"

namespace hexwire::sim {

/// An engine running inside this process, listening on a loopback port, for as long as it lives
/// (its destructor stops it and waits for its threads).
class LocalEngine {
 public:
  virtual ~LocalEngine() = default;
  [[nodiscard]] virtual std::uint16_t port() const noexcept = 0;
  /// The engine's own start-up line ("hexwire listening on ...").
  [[nodiscard]] virtual std::string banner() const = 0;
};

/// Starts a LocalEngine on `host` with a kernel-chosen port; throws with the reason when it cannot.
using LocalEngineFactory = std::function<std::unique_ptr<LocalEngine>(const std::string& host)>;

/// Runs against the engines of options.urls, or, when there are none, one from `start_local`.
/// Exit status: 0 ok; 1 the run could not start or no connection opened (also: no --url and no
/// `start_local`); 3 (kVerifyFailedExitCode) --verify found lost, duplicated, reordered or
/// unmatched messages.
int run_simulation(const SimOptions& options, std::FILE* progress, std::FILE* out,
                   const LocalEngineFactory& start_local);

/// Splits "ws://host:port/anything" into host and port (default 80). Throws std::invalid_argument.
void parse_ws_url(const std::string& url, std::string& host, std::uint16_t& port);

/// Raises the open-file limit to the hard limit; returns the resulting soft limit.
unsigned long raise_open_file_limit() noexcept;

}  // namespace hexwire::sim
