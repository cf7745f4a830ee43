// RedisServer / RedisCluster: child redis-server processes for tests (see redis_server.hpp).
#include "redis_server.hpp"

#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace hexwire::testing {

namespace {

bool on_path(const char* program) {
  const std::string command = std::string("command -v ") + program + " >/dev/null 2>&1";
  return std::system(command.c_str()) == 0;
}

bool port_free(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return ok;
}

// A port whose cluster bus port (+10000) is free too. Random, so parallel tests rarely collide;
// a collision makes redis-server exit, and the caller then tries another port.
std::uint16_t pick_port() {
  static std::mt19937 rng(std::random_device{}() ^ static_cast<unsigned>(::getpid()));
  for (int attempt = 0; attempt < 1000; ++attempt) {
    const auto port = static_cast<std::uint16_t>(20000 + rng() % 25000);
    if (port_free(port) && port_free(static_cast<std::uint16_t>(port + 10000))) {
      return port;
    }
  }
  throw std::runtime_error("no free port pair found for redis-server");
}

std::string make_temp_dir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "hexwire-redis-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error("mkdtemp failed");
  }
  return pattern;
}

void flatten(const redisReply* reply, SyncReply& out) {
  switch (reply->type) {
    case REDIS_REPLY_ARRAY:
      for (std::size_t i = 0; i < reply->elements; ++i) {
        flatten(reply->element[i], out);
      }
      break;
    case REDIS_REPLY_INTEGER:
      out.values.push_back(std::to_string(reply->integer));
      break;
    case REDIS_REPLY_NIL:
      out.values.emplace_back("(nil)");
      break;
    case REDIS_REPLY_ERROR:
      out.error = true;
      out.values.emplace_back(reply->str, reply->len);
      break;
    default:
      out.values.emplace_back(reply->str, reply->len);
  }
}

SyncReply run_command(std::uint16_t port, const std::vector<std::string>& args) {
  redisContext* context = redisConnectWithTimeout("127.0.0.1", port, timeval{2, 0});
  if (context == nullptr || context->err != 0) {
    const std::string why = context != nullptr ? context->errstr : "out of memory";
    redisFree(context);
    throw std::runtime_error("redis 127.0.0.1:" + std::to_string(port) + ": " + why);
  }
  redisSetTimeout(context, timeval{2, 0});
  std::vector<const char*> argv;
  std::vector<std::size_t> lengths;
  for (const std::string& arg : args) {
    argv.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  auto* reply = static_cast<redisReply*>(
      redisCommandArgv(context, static_cast<int>(argv.size()), argv.data(), lengths.data()));
  if (reply == nullptr) {
    const std::string why = context->errstr;
    redisFree(context);
    throw std::runtime_error("redis 127.0.0.1:" + std::to_string(port) + ": " + why);
  }
  SyncReply out;
  if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 0) {
    out.values.clear();
  } else {
    flatten(reply, out);
  }
  freeReplyObject(reply);
  redisFree(context);
  return out;
}

}  // namespace

bool redis_installed() {
  return on_path("redis-server") && on_path("redis-cli");
}

const std::string& SyncReply::str() const {
  static const std::string kEmpty;
  return values.empty() ? kEmpty : values.front();
}

long long SyncReply::integer() const {
  return values.empty() ? 0 : std::stoll(values.front());
}

// ---------------------------------------------------------------------------------------------
// RedisServer

RedisServer::RedisServer(RedisServerOptions options) : options_(std::move(options)) {
  if (!redis_installed()) {
    throw std::runtime_error("redis-server/redis-cli not found on PATH: run scripts/setup.sh");
  }
  dir_ = make_temp_dir();
  for (int attempt = 0;; ++attempt) {
    port_ = pick_port();
    try {
      start();
      return;
    } catch (const std::exception&) {
      kill();
      if (attempt == 4) {
        std::filesystem::remove_all(dir_);
        throw;
      }
    }
  }
}

RedisServer::~RedisServer() {
  kill();
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

std::string RedisServer::address() const {
  return "127.0.0.1:" + std::to_string(port_);
}

std::string RedisServer::url() const {
  return "redis://" + address();
}

void RedisServer::launch() {
  std::vector<std::string> args = {"redis-server",
                                   "--port",
                                   std::to_string(port_),
                                   "--bind",
                                   "127.0.0.1",
                                   "--dir",
                                   dir_,
                                   "--save",
                                   "",
                                   "--daemonize",
                                   "no",
                                   "--protected-mode",
                                   "no",
                                   "--appendonly",
                                   options_.append_only ? "yes" : "no",
                                   "--appendfsync",
                                   options_.appendfsync};
  if (options_.cluster) {
    args.insert(args.end(), {"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                             "--cluster-node-timeout", "2000"});
  }
  args.insert(args.end(), options_.extra_args.begin(), options_.extra_args.end());
  const std::string log = dir_ + "/redis.log";
  const pid_t pid = ::fork();
  if (pid < 0) {
    throw std::runtime_error("fork failed");
  }
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      ::dup2(fd, STDOUT_FILENO);
      ::dup2(fd, STDERR_FILENO);
    }
    std::vector<char*> argv;
    for (std::string& arg : args) {
      argv.push_back(arg.data());
    }
    argv.push_back(nullptr);
    ::execvp(argv[0], argv.data());
    ::_exit(127);
  }
  pid_ = pid;
}

void RedisServer::wait_ready() {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < give_up) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("redis-server exited at start: " + log_tail());
    }
    try {
      const SyncReply reply = run_command(port_, {"PING"});
      if (!reply.error && reply.str() == "PONG") {
        return;
      }
    } catch (const std::runtime_error&) {
      // not listening yet (or still loading its AOF)
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  throw std::runtime_error("redis-server did not answer PING within 10 s: " + log_tail());
}

void RedisServer::start() {
  if (pid_ > 0) {
    return;
  }
  launch();
  wait_ready();
}

void RedisServer::kill() {
  if (pid_ <= 0) {
    return;
  }
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  paused_ = false;
}

void RedisServer::pause() {
  if (pid_ > 0 && !paused_) {
    ::kill(pid_, SIGSTOP);
    paused_ = true;
  }
}

void RedisServer::resume() {
  if (pid_ > 0 && paused_) {
    ::kill(pid_, SIGCONT);
    paused_ = false;
  }
}

SyncReply RedisServer::command(std::initializer_list<std::string_view> args) const {
  return command(std::vector<std::string>(args.begin(), args.end()));
}

SyncReply RedisServer::command(const std::vector<std::string>& args) const {
  return run_command(port_, args);
}

std::string RedisServer::log_tail() const {
  std::ifstream in(dir_ + "/redis.log");
  std::stringstream text;
  text << in.rdbuf();
  std::string all = text.str();
  return all.size() > 600 ? all.substr(all.size() - 600) : all;
}

// ---------------------------------------------------------------------------------------------
// RedisCluster

RedisCluster::RedisCluster(unsigned masters) {
  RedisServerOptions options;
  options.cluster = true;
  for (unsigned i = 0; i < masters; ++i) {
    nodes_.push_back(std::make_unique<RedisServer>(options));
  }
  std::string command = "redis-cli --cluster create";
  for (const auto& node : nodes_) {
    command += " " + node->address();
  }
  command += " --cluster-replicas 0 --cluster-yes >" + nodes_[0]->dir() + "/create.log 2>&1";
  if (std::system(command.c_str()) != 0) {
    throw std::runtime_error("redis-cli --cluster create failed (see " + nodes_[0]->dir() +
                             "/create.log)");
  }
  wait_state_ok();
}

RedisCluster::~RedisCluster() = default;

std::string RedisCluster::url() const {
  std::string out = "redis+cluster://";
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    out += (i == 0 ? "" : ",") + nodes_[i]->address();
  }
  return out;
}

void RedisCluster::wait_state_ok() {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < give_up) {
    bool all_ok = true;
    for (const auto& node : nodes_) {
      const SyncReply info = node->command({"CLUSTER", "INFO"});
      all_ok = all_ok && info.str().find("cluster_state:ok") != std::string::npos;
    }
    if (all_ok) {
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  throw std::runtime_error("the Redis cluster did not reach cluster_state:ok within 20 s");
}

std::string RedisCluster::node_id(unsigned index) const {
  return nodes_[index]->command({"CLUSTER", "MYID"}).str();
}

unsigned RedisCluster::owner_of(std::uint16_t slot) const {
  // CLUSTER SLOTS flattened: start, end, host, port, id, [replica host, port, id]... per range;
  // with no replicas every range is exactly five values.
  const SyncReply slots = nodes_[0]->command({"CLUSTER", "SLOTS"});
  for (std::size_t i = 0; i + 4 < slots.values.size(); i += 5) {
    if (std::stoi(slots.values[i]) <= slot && slot <= std::stoi(slots.values[i + 1])) {
      const std::string address = slots.values[i + 2] + ":" + slots.values[i + 3];
      for (unsigned n = 0; n < nodes_.size(); ++n) {
        if (nodes_[n]->address() == address) {
          return n;
        }
      }
    }
  }
  throw std::runtime_error("slot " + std::to_string(slot) + " has no owner");
}

void RedisCluster::begin_migration(std::uint16_t slot, unsigned to) {
  const unsigned from = owner_of(slot);
  const std::string slot_text = std::to_string(slot);
  nodes_[to]->command({"CLUSTER", "SETSLOT", slot_text, "IMPORTING", node_id(from)});
  nodes_[from]->command({"CLUSTER", "SETSLOT", slot_text, "MIGRATING", node_id(to)});
}

void RedisCluster::finish_migration(std::uint16_t slot, unsigned to) {
  const unsigned from = owner_of(slot);
  const std::string slot_text = std::to_string(slot);
  for (;;) {
    const SyncReply keys = nodes_[from]->command({"CLUSTER", "GETKEYSINSLOT", slot_text, "100"});
    if (keys.values.empty()) {
      break;
    }
    std::vector<std::string> migrate = {
        "MIGRATE", "127.0.0.1", std::to_string(nodes_[to]->port()), "", "0", "5000", "KEYS"};
    migrate.insert(migrate.end(), keys.values.begin(), keys.values.end());
    const SyncReply moved = nodes_[from]->command(migrate);
    if (moved.error) {
      throw std::runtime_error("MIGRATE failed: " + moved.str());
    }
  }
  const std::string target = node_id(to);
  nodes_[to]->command({"CLUSTER", "SETSLOT", slot_text, "NODE", target});
  nodes_[from]->command({"CLUSTER", "SETSLOT", slot_text, "NODE", target});
  for (unsigned n = 0; n < nodes_.size(); ++n) {
    if (n != to && n != from) {
      nodes_[n]->command({"CLUSTER", "SETSLOT", slot_text, "NODE", target});
    }
  }
}

void RedisCluster::move_slot(std::uint16_t slot, unsigned to) {
  begin_migration(slot, to);
  finish_migration(slot, to);
}

}  // namespace hexwire::testing
