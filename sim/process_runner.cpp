// The --processes parent (process_runner.hpp): spawns the children, reads their sample pipes with
// poll(), feeds the samples into one RunAggregator (one worker slot per child) and writes the
// run's outputs once every child has ended.
#include "sim/process_runner.hpp"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "core/clock.hpp"
#include "sim/detail/run_outputs.hpp"
#include "sim/sample_wire.hpp"

extern char** environ;

namespace hexwire::sim {
namespace {

constexpr int kChildSampleFd = 3;
// Children exec, parse their flags and build their populations before the shared start.
constexpr std::uint64_t kStartDelayNs = 500'000'000;
constexpr std::size_t kMaxLineBytes = 1 << 20;  // a sample line holds at most ~2,900 buckets

struct Child {
  pid_t pid = -1;
  int fd = -1;  // read end of its sample pipe; -1 once at EOF
  std::string log_path;
  std::string pending;  // bytes after the last complete line
  SliceDecoder decoder;
  bool complete = false;  // its outcome arrived
  std::string problem;    // why its stream is unusable
  int status = 0;         // from waitpid
};

/// The command line a child runs: the parent's, without --processes and --threads, plus the
/// internal flags naming its slice, its pipe and the shared start.
std::vector<std::string> child_arguments(const SimOptions& o, unsigned slice,
                                         std::uint64_t start_ns) {
  constexpr std::string_view kReplaced[] = {"--processes", "--threads"};
  std::vector<std::string> args{"hexwire-sim"};
  const std::vector<std::string>& given = o.command_line;
  for (std::size_t i = 1; i < given.size(); ++i) {
    const std::string_view arg = given[i];
    bool replaced = false;
    for (const std::string_view flag : kReplaced) {
      if (arg == flag) {
        ++i;  // and its value
        replaced = true;
      } else if (arg.size() > flag.size() && arg.substr(0, flag.size()) == flag &&
                 arg[flag.size()] == '=') {
        replaced = true;
      }
    }
    if (!replaced) {
      args.emplace_back(arg);
    }
  }
  for (const std::string& extra :
       {std::string("--threads"), std::to_string(o.threads), std::string("--slice"),
        std::to_string(slice), std::string("--slices"), std::to_string(o.processes),
        std::string("--sample-fd"), std::to_string(kChildSampleFd), std::string("--start-at-ns"),
        std::to_string(start_ns)}) {
    args.push_back(extra);
  }
  return args;
}

/// Starts one child with its stdout and stderr in `log_path` and the pipe's write end as fd 3.
pid_t spawn_child(const std::vector<std::string>& args, int write_fd, const std::string& log_path) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  posix_spawn_file_actions_adddup2(&actions, write_fd, kChildSampleFd);  // clears FD_CLOEXEC
  std::vector<char*> argv;
  for (const std::string& a : args) {
    argv.push_back(const_cast<char*>(a.c_str()));
  }
  argv.push_back(nullptr);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, "/proc/self/exe", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  return rc == 0 ? pid : -1;
}

/// A pipe whose ends are close-on-exec and above fd 3 (so that dup2 onto 3 always copies).
bool open_sample_pipe(int& read_fd, int& write_fd) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    return false;
  }
  read_fd = ::fcntl(fds[0], F_DUPFD_CLOEXEC, 10);
  write_fd = ::fcntl(fds[1], F_DUPFD_CLOEXEC, 10);
  ::close(fds[0]);
  ::close(fds[1]);
  return read_fd >= 0 && write_fd >= 0;
}

/// Reads what the child's pipe holds and feeds whole lines to its decoder; samples go to the
/// aggregator under the child's slot.
void read_child(Child& child, unsigned slot, RunAggregator& aggregator) {
  char buffer[65536];
  const ssize_t n = ::read(child.fd, buffer, sizeof buffer);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
    return;
  }
  if (n <= 0) {
    ::close(child.fd);
    child.fd = -1;
    return;
  }
  child.pending.append(buffer, static_cast<std::size_t>(n));
  std::size_t start = 0;
  for (std::size_t end; (end = child.pending.find('\n', start)) != std::string::npos;
       start = end + 1) {
    if (!child.problem.empty() || child.complete) {
      continue;  // the stream is over or unusable: drain it without reading
    }
    const std::string_view line(child.pending.data() + start, end - start);
    switch (child.decoder.feed(line)) {
      case SliceDecoder::Event::kSample:
        aggregator.submit(slot, child.decoder.take_sample());
        break;
      case SliceDecoder::Event::kOutcome:
        child.complete = true;
        break;
      case SliceDecoder::Event::kError:
        child.problem = "unreadable sample stream: " + child.decoder.error();
        break;
      case SliceDecoder::Event::kNone:
        break;
    }
  }
  child.pending.erase(0, start);
  if (child.pending.size() > kMaxLineBytes && child.problem.empty()) {
    child.problem = "a sample line over 1 MiB";
  }
}

/// The last lines of a child's log, for the error message.
std::string log_tail(const std::string& path, std::size_t lines) {
  std::ifstream in(path);
  std::vector<std::string> all;
  for (std::string line; std::getline(in, line);) {
    all.push_back(std::move(line));
  }
  std::string out;
  for (std::size_t i = all.size() > lines ? all.size() - lines : 0; i < all.size(); ++i) {
    out += "  | " + all[i] + "\n";
  }
  return out;
}

/// "" when the child ran to its end, else why not.
std::string child_failure(const Child& child) {
  if (!child.problem.empty()) {
    return child.problem;
  }
  if (!child.complete) {
    return WIFSIGNALED(child.status) ? fmt::format("killed by signal {}", WTERMSIG(child.status))
                                     : fmt::format("ended (exit status {}) before its report",
                                                   WEXITSTATUS(child.status));
  }
  return child.decoder.outcome().failure;
}

}  // namespace

int run_processes(const SimOptions& options, std::FILE* progress, std::FILE* out) {
  const unsigned count = options.processes;
  char dir_template[] = "/tmp/hexwire-sim-XXXXXX";
  if (::mkdtemp(dir_template) == nullptr) {
    std::fprintf(out, "hexwire-sim: cannot create a directory for the children's logs\n");
    return 1;
  }
  const std::string log_dir = dir_template;
  const std::uint64_t start_ns = core::monotonic_ns() + kStartDelayNs;
  std::vector<Child> children(count);
  for (unsigned k = 0; k < count; ++k) {
    Child& child = children[k];
    child.log_path = fmt::format("{}/process-{}.log", log_dir, k);
    int write_fd = -1;
    if (!open_sample_pipe(child.fd, write_fd) ||
        (child.pid = spawn_child(child_arguments(options, k, start_ns), write_fd,
                                 child.log_path)) < 0) {
      std::fprintf(out, "hexwire-sim: cannot start process %u of %u: %s\n", k + 1, count,
                   std::strerror(errno));
      for (unsigned j = 0; j < k; ++j) {
        ::kill(children[j].pid, SIGTERM);
      }
      return 1;
    }
    ::close(write_fd);
  }
  std::fprintf(progress,
               "hexwire-sim: %u processes x %u thread(s), about %llu connections each; their "
               "logs are in %s\n",
               count, options.threads,
               static_cast<unsigned long long>((options.total_connections() + count - 1) / count),
               log_dir.c_str());

  const RunTimeline timeline = detail::make_timeline(options, start_ns);
  RunAggregator aggregator(count);
  detail::IntervalPrinter printer(options, progress, timeline);
  for (;;) {
    std::vector<pollfd> fds;
    std::vector<unsigned> owners;
    for (unsigned k = 0; k < count; ++k) {
      if (children[k].fd >= 0) {
        fds.push_back({children[k].fd, POLLIN, 0});
        owners.push_back(k);
      }
    }
    if (fds.empty()) {
      break;
    }
    if (::poll(fds.data(), fds.size(), 100) > 0) {
      for (std::size_t i = 0; i < fds.size(); ++i) {
        if (fds[i].revents != 0) {
          read_child(children[owners[i]], owners[i], aggregator);
        }
      }
    }
    printer.emit(aggregator.take_completed());
  }
  for (Child& child : children) {
    while (::waitpid(child.pid, &child.status, 0) < 0 && errno == EINTR) {
    }
  }
  printer.emit(aggregator.take_all());

  detail::RunOutcome outcome;
  outcome.target = options.target_name();
  outcome.timeline = timeline;
  outcome.totals = aggregator.totals();
  outcome.rows = printer.rows();
  outcome.csv = printer.csv();
  std::uint64_t memory_total = 0;
  std::uint64_t memory_largest = 0;
  for (unsigned k = 0; k < count; ++k) {
    const Child& child = children[k];
    if (const std::string why = child_failure(child); !why.empty()) {
      std::fprintf(out, "hexwire-sim: process %u of %u failed: %s\nits log (%s) ends:\n%s", k + 1,
                   count, why.c_str(), child.log_path.c_str(),
                   log_tail(child.log_path, 8).c_str());
      return 1;
    }
    const SliceOutcome& slice = child.decoder.outcome();
    for (const auto& [name, n] : slice.facts) {
      outcome.facts[name] += n;
    }
    outcome.last_receive_ns = std::max(outcome.last_receive_ns, slice.last_receive_ns);
    memory_total += slice.peak_rss_kib;
    memory_largest = std::max(memory_largest, slice.peak_rss_kib);
    if (outcome.first_connect_failure.empty()) {
      outcome.first_connect_failure = slice.first_connect_failure;
    }
  }
  outcome.peak_memory =
      fmt::format("{} kB over {} simulator processes (largest {} kB; this parent {} kB)",
                  memory_total, count, memory_largest, detail::peak_rss_kib());
  std::error_code ignored;
  std::filesystem::remove_all(log_dir, ignored);
  return detail::write_outputs(options, outcome, out);
}

}  // namespace hexwire::sim
