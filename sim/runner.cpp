// run_simulation: target selection (in-process engine or --url, server addresses), the timeline,
// one SimWorker thread per --threads (sim/worker.hpp), progress lines and CSV rows on the main
// thread, and the end-of-run table, facts and JSON report. As a child of --processes it runs its
// slice of the population and streams samples and outcome to the parent (process_runner.cpp).
#include "sim/runner.hpp"

#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "core/clock.hpp"
#include "core/reactor.hpp"
#include "core/socket.hpp"
#include "sim/detail/run_outputs.hpp"
#include "sim/process_runner.hpp"
#include "sim/report.hpp"
#include "sim/report_html.hpp"
#include "sim/sample_wire.hpp"
#include "sim/scenario.hpp"
#include "sim/schedule.hpp"
#include "sim/worker.hpp"

namespace hexwire::sim {
namespace {

/// A field of /proc/self/status ("VmRSS", "VmHWM"), e.g. "   21176 kB".
std::string read_status_field(std::string_view name) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.size() > name.size() && line.compare(0, name.size(), name) == 0 &&
        line[name.size()] == ':') {
      const std::size_t start = line.find_first_not_of(" \t", name.size() + 1);
      return start == std::string::npos ? line : line.substr(start);
    }
  }
  return "?";
}

/// Whether `source` is an address of this host (a test bind, as Reactor::connect will do).
bool can_bind_source(const core::SocketAddress& source) {
  const int fd = core::open_stream_socket(source.family(), false);
  if (fd < 0) {
    return false;
  }
  const bool ok = core::bind_source_address(fd, source) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

void parse_ws_url(const std::string& url, std::string& host, std::uint16_t& port) {
  if (url.rfind("ws://", 0) != 0) {
    throw std::invalid_argument("--url must start with ws://");
  }
  std::string rest = url.substr(5);
  const std::size_t slash = rest.find('/');
  if (slash != std::string::npos) {
    rest.resize(slash);
  }
  const std::size_t colon = rest.rfind(':');
  port = 80;
  host = rest;
  if (colon != std::string::npos) {
    host = rest.substr(0, colon);
    const int p = std::atoi(rest.c_str() + colon + 1);
    if (p <= 0 || p > 65535) {
      throw std::invalid_argument("--url has a bad port: " + url);
    }
    port = static_cast<std::uint16_t>(p);
  }
  if (host == "localhost" || host.empty()) {
    host = "127.0.0.1";
  }
}

unsigned long raise_open_file_limit() noexcept {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    return 0;
  }
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    (void)setrlimit(RLIMIT_NOFILE, &limit);
  }
  return static_cast<unsigned long>(limit.rlim_cur);
}

namespace detail {

RunTimeline make_timeline(const SimOptions& options, std::uint64_t run_start_ns) {
  RunTimeline timeline;
  timeline.run_start_ns = run_start_ns;
  const double ramp_s = options.ramp_rate > 0.0
                            ? static_cast<double>(options.total_connections()) / options.ramp_rate
                            : 0.0;
  // One second after the last intended open for handshakes, auth and subscriptions to settle.
  timeline.load_start_ns = timeline.run_start_ns + static_cast<std::uint64_t>((ramp_s + 1.0) * 1e9);
  timeline.load_end_ns =
      timeline.load_start_ns + static_cast<std::uint64_t>(options.duration_s * 1e9);
  timeline.drain_end_ns = timeline.load_end_ns + static_cast<std::uint64_t>(options.drain_s * 1e9);
  return timeline;
}

IntervalPrinter::IntervalPrinter(const SimOptions& options, std::FILE* progress,
                                 const RunTimeline& timeline)
    : options_(options),
      progress_(progress),
      total_s_(static_cast<double>(timeline.drain_end_ns - timeline.run_start_ns) / 1e9) {
  if (!options_.csv_file.empty()) {
    csv_ = csv_header();
  }
}

void IntervalPrinter::emit(const std::vector<IntervalSample>& samples) {
  for (const IntervalSample& sample : samples) {
    rows_.push_back(summarizer_.add(sample));
    if (progress_ != nullptr) {
      std::fprintf(progress_, "%s\n",
                   format_progress_line(rows_.back(), total_s_, options_.total_connections())
                       .c_str());
      std::fflush(progress_);
    }
    if (!options_.csv_file.empty()) {
      csv_ += csv_row(rows_.back());
    }
  }
}

std::uint64_t peak_rss_kib() {
  return std::strtoull(read_status_field("VmHWM").c_str(), nullptr, 10);
}

int write_outputs(const SimOptions& options, const RunOutcome& outcome, std::FILE* out) {
  RunReport report;
  report.scenario = std::string(to_string(options.scenario));
  report.target = outcome.target;
  report.arrival = std::string(to_string(options.arrival));
  report.seed = options.seed;
  report.planned_duration_s = options.duration_s;
  // From the first scheduled send to the end of the load or the last reply, whichever is later
  // (an idle drain would dilute the rates).
  const RunTimeline& timeline = outcome.timeline;
  const std::uint64_t measured_end = std::min(
      timeline.drain_end_ns, std::max(timeline.load_end_ns, outcome.last_receive_ns));
  report.measured_duration_s = static_cast<double>(measured_end - timeline.load_start_ns) / 1e9;
  report.settings = options.settings();
  if (options.urls.size() > 1) {
    for (const std::string& url : options.urls) {
      const auto it = outcome.facts.find(connections_opened_fact(url));
      report.connections_per_url.emplace_back(url, it == outcome.facts.end() ? 0 : it->second);
    }
  }
  report.totals = outcome.totals;
  report.intervals = outcome.rows;
  report.verification = outcome.verification;
  report.rides_verification = outcome.rides_verification;
  report.facts.assign(outcome.facts.begin(), outcome.facts.end());
  std::fputs(format_final_table(report).c_str(), out);
  for (const auto& [name, count] : report.facts) {
    std::fprintf(out, "%-48s %llu\n", name.c_str(), static_cast<unsigned long long>(count));
  }
  std::fprintf(out, "process peak memory (VmHWM): %s\n", outcome.peak_memory.c_str());
  if (!outcome.first_connect_failure.empty()) {
    std::fprintf(out, "first connect failure: %s\n", outcome.first_connect_failure.c_str());
    if (outcome.first_connect_failure.find("switch protocols") != std::string::npos) {
      std::fprintf(out, "hint: the engine refused the WebSocket upgrade: does it serve %s?\n",
                   options.scenario == Scenario::kEcho ? "/echo" : "/ws");
    }
  }
  std::fflush(out);
  if (!options.report_file.empty()) {
    std::ofstream file(options.report_file);
    file << format_json_report(report);
    if (!file) {
      std::fprintf(out, "hexwire-sim: cannot write %s\n", options.report_file.c_str());
      return 1;
    }
  }
  if (!options.csv_file.empty()) {
    std::ofstream file(options.csv_file);
    file << outcome.csv;
  }
  if (!options.html_file.empty()) {
    std::ofstream file(options.html_file);
    file << render_html_report({{"this run", format_json_report(report)}});
    if (!file) {
      std::fprintf(out, "hexwire-sim: cannot write %s\n", options.html_file.c_str());
      return 1;
    }
  }
  if (report.totals.counter(Counter::kConnectsOpened) == 0) {
    std::fprintf(out, "hexwire-sim: no connection opened\n");
    return 1;
  }
  return report.verification_exit_code();
}

}  // namespace detail

namespace {

/// Writes all of `text` to `fd` (a --processes child's sample pipe); false when the parent is gone.
bool write_all(int fd, std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return false;
    }
    text.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

/// Where a run's server side and client addresses come from (resolved before any worker starts).
struct Target {
  std::unique_ptr<LocalEngine> engine;  // the in-process engine, when no --url
  std::string name;                     // URL or "in-process"
  ClientPoolConfig pool;
};

/// Starts the in-process engine or parses every --url, and checks --source-addrs; nullopt after
/// printing why on `out`.
std::optional<Target> resolve_target(const SimOptions& options, std::FILE* progress,
                                     std::FILE* out, const LocalEngineFactory& start_local) {
  Target target;
  ClientPoolConfig& pool_config = target.pool;
  bool all_loopback = true;
  try {
    if (!options.has_url()) {
      target.engine = start_local("127.0.0.1");
      pool_config.servers.push_back(core::SocketAddress::parse("127.0.0.1", target.engine->port()));
      pool_config.host_headers.push_back(fmt::format("127.0.0.1:{}", target.engine->port()));
      std::fprintf(progress, "hexwire-sim: started %s\n", target.engine->banner().c_str());
    }
    for (const std::string& url : options.urls) {
      std::string host;
      std::uint16_t port = 0;
      parse_ws_url(url, host, port);
      pool_config.servers.push_back(core::SocketAddress::parse(host, port));
      pool_config.host_headers.push_back(fmt::format("{}:{}", host, port));
      all_loopback = all_loopback && host.rfind("127.", 0) == 0;
    }
    target.name = options.target_name();
  } catch (const std::exception& e) {
    std::fprintf(out, "hexwire-sim: cannot start: %s\n", e.what());
    return std::nullopt;
  }
  if (options.urls.size() > 1) {
    std::fprintf(progress, "hexwire-sim: connections spread round-robin over %zu engines\n",
                 options.urls.size());
  }
  try {
    // Each source address is its own space of local ports toward one server address (the
    // 4-tuple differs). Addresses this host cannot send from are skipped with a notice.
    for (const std::string& address : options.source_addrs) {
      const core::SocketAddress source = core::SocketAddress::parse(address, 0);
      if (!all_loopback && address.rfind("127.", 0) == 0) {
        std::fprintf(progress,
                     "hexwire-sim: source %s cannot reach %s (loopback sources reach only "
                     "loopback servers): skipped\n",
                     address.c_str(), target.name.c_str());
      } else if (!can_bind_source(source)) {
        std::fprintf(progress, "hexwire-sim: source %s is not an address of this host: skipped\n",
                     address.c_str());
      } else {
        pool_config.sources.push_back(source);
      }
    }
    if (!options.source_addrs.empty()) {
      if (pool_config.sources.empty()) {
        std::fprintf(out, "hexwire-sim: no --source-addrs address can reach %s\n",
                     target.name.c_str());
        return std::nullopt;
      }
      std::fprintf(progress, "hexwire-sim: connections spread over %zu source addresses\n",
                   pool_config.sources.size());
    }
  } catch (const std::exception& e) {
    std::fprintf(out, "hexwire-sim: bad address: %s\n", e.what());
    return std::nullopt;
  }
  return target;
}

/// Connections this process opens: all of them, or its share in a --processes run.
std::uint64_t connections_here(const SimOptions& options) {
  const std::uint64_t total = options.total_connections();
  return (total + options.slices - 1) / options.slices;
}

}  // namespace

int run_simulation(const SimOptions& options, std::FILE* progress, std::FILE* out,
                   const LocalEngineFactory& start_local) {
  if (options.processes > 1 && !options.is_slice()) {
    return run_processes(options, progress, out);
  }
  const unsigned long fd_limit = raise_open_file_limit();
  const std::uint64_t here = connections_here(options);
  const bool embedded = !options.has_url();
  // The embedded engine holds the server side of every connection in this process as well.
  const std::uint64_t fds_needed = here * (embedded ? 2 : 1) + 64;
  if (fd_limit != 0 && fds_needed > fd_limit) {
    std::fprintf(out,
                 "hexwire-sim: %llu connections need about %llu file descriptors here, but the "
                 "limit is %lu (ulimit -n; the hard limit needs root/CAP_SYS_RESOURCE). Lower "
                 "--connections/--drivers/--riders%s.\n",
                 static_cast<unsigned long long>(here),
                 static_cast<unsigned long long>(fds_needed), fd_limit,
                 embedded ? " or run the engine as its own process (--url)"
                          : ", or spread them over processes (--processes)");
    return 1;
  }
  if (embedded && !start_local) {
    std::fprintf(out, "hexwire-sim: no --url given and this program has no embedded engine\n");
    return 1;
  }
  std::optional<Target> target = resolve_target(options, progress, out, start_local);
  if (!target) {
    return 1;
  }

  const unsigned workers = std::max(1u, options.threads);
  const RunTimeline timeline = detail::make_timeline(
      options,
      options.start_at_ns != 0 ? options.start_at_ns : core::monotonic_ns() + 20'000'000);

  std::unique_ptr<SharedVerifier> verifier;
  if (options.verify && options.scenario != Scenario::kEcho) {
    VerifierOptions verifier_options;
    verifier_options.history_keep_messages = options.history_keep_messages;
    verifier = std::make_unique<SharedVerifier>(verifier_options);
  }
  RunAggregator aggregator(workers);
  std::vector<WorkerOutput> outputs(workers);
  std::vector<std::unique_ptr<SimWorker>> worker_objects;
  std::vector<std::thread> threads;
  std::atomic<unsigned> finished{0};
  // In a --processes child, this process's threads are workers slice*threads.. of the whole run.
  const unsigned first_global = options.slice * workers;
  for (unsigned w = 0; w < workers; ++w) {
    worker_objects.push_back(std::make_unique<SimWorker>(
        options, timeline, WorkerSlot{w, first_global + w, options.slices * workers},
        verifier.get(), target->pool));
  }
  for (unsigned w = 0; w < workers; ++w) {
    threads.emplace_back([&, w] {
      worker_objects[w]->run(aggregator, outputs[w]);
      finished.fetch_add(1, std::memory_order_release);  // pairs with the acquire load below
    });
  }

  detail::IntervalPrinter printer(options, options.is_slice() ? nullptr : progress, timeline);
  bool parent_listening = true;
  auto emit = [&](const std::vector<IntervalSample>& samples) {
    if (!options.is_slice()) {
      printer.emit(samples);
      return;
    }
    for (const IntervalSample& sample : samples) {
      parent_listening = parent_listening && write_all(options.sample_fd, encode_sample(sample));
    }
  };
  while (finished.load(std::memory_order_acquire) < workers) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    emit(aggregator.take_completed());
  }
  for (std::thread& t : threads) {
    t.join();
  }
  emit(aggregator.take_all());
  target->engine.reset();

  detail::RunOutcome outcome;
  outcome.target = target->name;
  outcome.timeline = timeline;
  outcome.totals = aggregator.totals();
  outcome.rows = printer.rows();
  outcome.csv = printer.csv();
  std::string failure;
  for (WorkerOutput& output : outputs) {
    outcome.last_receive_ns = std::max(outcome.last_receive_ns, output.last_receive_ns);
    if (failure.empty() && !output.failure.empty()) {
      failure = output.failure;
    }
    for (const auto& [name, count] : output.facts) {
      outcome.facts[name] += count;
    }
  }
  for (const auto& w : worker_objects) {
    if (!w->first_connect_failure().empty()) {
      outcome.first_connect_failure = w->first_connect_failure();
      break;
    }
  }
  if (options.is_slice()) {
    SliceOutcome slice{outcome.facts, outcome.last_receive_ns, detail::peak_rss_kib(),
                       outcome.first_connect_failure, failure};
    return write_all(options.sample_fd, encode_outcome(slice)) && parent_listening ? 0 : 1;
  }
  if (!failure.empty()) {
    std::fprintf(out, "hexwire-sim: a worker could not run: %s\n", failure.c_str());
    return 1;
  }
  if (options.verify) {
    if (verifier) {
      std::lock_guard<std::mutex> lock(verifier->mutex);
      if (options.scenario != Scenario::kRides) {
        outcome.verification = verifier->verifier.finish();
      }
      if (options.scenario == Scenario::kRides || options.scenario == Scenario::kMixed) {
        outcome.rides_verification = verifier->rides.finish();
      }
    } else {
      VerificationSummary echo;
      for (const WorkerOutput& output : outputs) {
        merge_into(echo, output.echo_verification);
      }
      outcome.verification = echo;
    }
  }
  outcome.peak_memory = read_status_field("VmHWM") +
                        (embedded ? " (simulator and in-process engine)" : " (simulator)");
  return detail::write_outputs(options, outcome, out);
}

}  // namespace hexwire::sim
