// RedisClient, command side: nodes, routing by slot, MOVED/ASK/NOSCRIPT/retry handling and the
// cluster slot map (CLUSTER SLOTS). The pub/sub side is in client_pubsub.cpp.
#include "redis/client.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <utility>

#include <spdlog/spdlog.h>

#include "core/clock.hpp"

namespace hexwire::redis {

namespace {

bool starts_with_word(std::string_view error, std::string_view word) {
  return error.starts_with(word) && (error.size() == word.size() || error[word.size()] == ' ');
}

/// "MOVED 3999 127.0.0.1:6381" / "ASK ..." -> slot and endpoint; false when malformed.
bool parse_redirect(std::string_view error, std::uint16_t* slot, Endpoint* endpoint) {
  const std::size_t first = error.find(' ');
  const std::size_t second = error.find(' ', first + 1);
  if (first == std::string_view::npos || second == std::string_view::npos) {
    return false;
  }
  const std::string_view slot_text = error.substr(first + 1, second - first - 1);
  const std::string_view address = error.substr(second + 1);
  const std::size_t colon = address.rfind(':');
  unsigned value = 0;
  unsigned port = 0;
  if (colon == std::string_view::npos ||
      std::from_chars(slot_text.data(), slot_text.data() + slot_text.size(), value).ec !=
          std::errc() ||
      std::from_chars(address.data() + colon + 1, address.data() + address.size(), port).ec !=
          std::errc() ||
      value >= kSlotCount || port == 0 || port > 65535) {
    return false;
  }
  *slot = static_cast<std::uint16_t>(value);
  endpoint->host = std::string(address.substr(0, colon));
  endpoint->port = static_cast<std::uint16_t>(port);
  return true;
}

}  // namespace

RedisClient::RedisClient(core::Reactor& reactor, core::TimerWheel& timers, ClientConfig config,
                         SubscriptionHandler* handler)
    : reactor_(reactor), timers_(timers), config_(std::move(config)), handler_(handler) {
  config_.connection.password = config_.target.password;
  config_.connection.subscriber = false;
  if (config_.target.cluster) {
    slot_owner_.assign(kSlotCount, -1);
  }
  for (const Endpoint& seed : config_.target.seeds) {
    find_or_add_node(seed);
  }
}

RedisClient::~RedisClient() {
  for (core::TimerId id : {refresh_timer_, retry_timer_, resubscribe_timer_}) {
    if (id != 0) {
      timers_.cancel(id);
    }
  }
}

int RedisClient::find_or_add_node(const Endpoint& endpoint) {
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    if (nodes_[i]->endpoint == endpoint) {
      return static_cast<int>(i);
    }
  }
  auto node = std::make_unique<Node>();
  node->endpoint = endpoint;
  node->commands = std::make_unique<RedisConnection>(reactor_, timers_, endpoint,
                                                     config_.connection, as_owner());
  nodes_.push_back(std::move(node));
  return static_cast<int>(nodes_.size() - 1);
}

int RedisClient::node_index(const RedisConnection& connection) const noexcept {
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    if (nodes_[i]->commands.get() == &connection || nodes_[i]->pubsub.get() == &connection) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

int RedisClient::node_serving(std::int32_t slot) const noexcept {
  if (config_.target.cluster && slot >= 0 && slot_owner_[static_cast<std::size_t>(slot)] >= 0) {
    return slot_owner_[static_cast<std::size_t>(slot)];
  }
  // Standalone, a keyless command, or a slot not known yet: any ready node (MOVED corrects it).
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    if (nodes_[i]->commands->ready()) {
      return static_cast<int>(i);
    }
  }
  return 0;
}

std::string RedisClient::node_for_slot(std::uint16_t slot) const {
  return nodes_[static_cast<std::size_t>(node_serving(slot))]->endpoint.to_string();
}

bool RedisClient::connected() const noexcept {
  return std::any_of(nodes_.begin(), nodes_.end(),
                     [](const auto& node) { return node->commands->ready(); });
}

std::uint64_t RedisClient::down_for_ns() const noexcept {
  if (connected()) {
    return 0;
  }
  std::uint64_t last = 0;
  for (const auto& node : nodes_) {
    last = std::max(last, node->commands->last_ready_ns());
  }
  const std::uint64_t now = core::monotonic_ns();
  return now > last ? now - last : 0;
}

ClientStats RedisClient::stats() const {
  ClientStats out = stats_;
  for (const auto& node : nodes_) {
    for (const RedisConnection* c : {node->commands.get(), node->pubsub.get()}) {
      if (c != nullptr) {
        const ConnectionStats& stats = c->stats();
        out.connects += stats.connects;
        out.timeouts += stats.timeouts;
        out.commands_timed_out += stats.commands_timed_out;
        out.expired_queued += stats.expired_queued;
        out.late_replies += stats.late_replies;
        out.refused += stats.refused;
      }
    }
  }
  return out;
}

Request RedisClient::make_request(std::int32_t slot, core::SharedBuffer bytes,
                                  ReplyCallback callback) const {
  Request request;
  request.bytes = std::move(bytes);
  request.callback = std::move(callback);
  request.deadline_ns = core::monotonic_ns() + config_.connection.command_timeout_ns;
  request.slot = config_.target.cluster ? slot : -1;
  return request;
}

void RedisClient::command(std::string_view key, std::span<const std::string_view> args,
                          ReplyCallback callback) {
  ++stats_.commands;
  const std::int32_t slot = key.empty() ? -1 : key_slot(key);
  route(make_request(slot, encode_command(args), std::move(callback)));
}

void RedisClient::command(std::string_view key, std::initializer_list<std::string_view> args,
                          ReplyCallback callback) {
  command(key, std::span<const std::string_view>(args.begin(), args.size()), std::move(callback));
}

void RedisClient::run_script(const Script& script, std::span<const std::string_view> keys,
                             std::span<const std::string_view> args, ReplyCallback callback) {
  ++stats_.commands;
  std::array<std::string_view, 32> inline_args;
  std::vector<std::string_view> heap_args;
  const std::size_t count = 3 + keys.size() + args.size();
  std::span<std::string_view> all;
  if (count <= inline_args.size()) {
    all = std::span<std::string_view>(inline_args.data(), count);
  } else {
    heap_args.resize(count);
    all = heap_args;
  }
  char numkeys[8];
  const auto digits = std::to_chars(numkeys, numkeys + sizeof numkeys, keys.size()).ptr - numkeys;
  all[0] = "EVALSHA";
  all[1] = script.sha1();
  all[2] = std::string_view(numkeys, static_cast<std::size_t>(digits));
  std::copy(keys.begin(), keys.end(), all.begin() + 3);
  std::copy(args.begin(), args.end(), all.begin() + 3 + static_cast<std::ptrdiff_t>(keys.size()));
  const std::int32_t slot = keys.empty() ? -1 : key_slot(keys[0]);
  Request request = make_request(slot, encode_command(all), std::move(callback));
  request.script = &script;
  route(std::move(request));
}

void RedisClient::route(Request&& request) {
  Node& node = *nodes_[static_cast<std::size_t>(node_serving(request.slot))];
  if (request.kind == Request::Kind::kSubscribe || request.kind == Request::Kind::kUnsubscribe) {
    pubsub_connection(node_serving(request.slot)).send(std::move(request));
    return;
  }
  node.commands->send(std::move(request));
}

void RedisClient::complete(Request&& request, RedisStatus status, ReplyView reply) {
  ReplyCallback callback = std::move(request.callback);
  if (callback) {
    callback(status, reply);
  }
}

void RedisClient::on_reply(RedisConnection& connection, Request&& request, ReplyView reply) {
  if (reply.is_error() && handle_redirect(connection, request, reply.str())) {
    return;
  }
  if (request.kind == Request::Kind::kSubscribe || request.kind == Request::Kind::kUnsubscribe) {
    on_subscribe_reply(std::move(request), reply);
    return;
  }
  complete(std::move(request), RedisStatus::kOk, reply);
}

// Returns true when the request was taken care of (re-sent or queued for a retry).
bool RedisClient::handle_redirect(RedisConnection& connection, Request& request,
                                  std::string_view error) {
  const bool moved = starts_with_word(error, "MOVED");
  const bool ask = starts_with_word(error, "ASK");
  const bool retry = starts_with_word(error, "TRYAGAIN") || starts_with_word(error, "LOADING") ||
                     starts_with_word(error, "CLUSTERDOWN") ||
                     starts_with_word(error, "MASTERDOWN");
  const bool noscript = starts_with_word(error, "NOSCRIPT") && request.script != nullptr;
  if (!moved && !ask && !retry && !noscript) {
    return false;
  }
  if (++request.redirects > config_.max_redirects) {
    spdlog::warn("redis: giving up a command after {} redirects/retries ({})",
                 config_.max_redirects, error);
    return false;
  }
  if (noscript) {
    // Load, then re-send on the same connection: pipelined, so the load runs first.
    ++stats_.scripts_loaded;
    Request load = make_request(
        request.slot, encode_command({"SCRIPT", "LOAD", request.script->source()}), nullptr);
    load.kind = Request::Kind::kInternal;
    connection.send(std::move(load));
    connection.send(std::move(request));
    return true;
  }
  if (retry) {
    retry_later(std::move(request));
    return true;
  }
  std::uint16_t slot = 0;
  Endpoint endpoint;
  if (!config_.target.cluster || !parse_redirect(error, &slot, &endpoint)) {
    return false;
  }
  if (endpoint.host.empty()) {
    endpoint.host = connection.endpoint().host;
  }
  const int target = find_or_add_node(endpoint);
  if (moved) {
    ++stats_.moved;
    slot_owner_[slot] = static_cast<std::int16_t>(target);
    refresh_slots();
    route(std::move(request));
    return true;
  }
  ++stats_.asked;
  Request asking = make_request(request.slot, encode_command({"ASKING"}), nullptr);
  asking.kind = Request::Kind::kInternal;
  RedisConnection& next = request.kind == Request::Kind::kSubscribe
                              ? pubsub_connection(target)
                              : *nodes_[static_cast<std::size_t>(target)]->commands;
  next.send(std::move(asking));
  next.send(std::move(request));
  return true;
}

void RedisClient::retry_later(Request&& request) {
  ++stats_.retries;
  const std::uint64_t due = core::monotonic_ns() + config_.retry_delay_ns;
  if (due > request.deadline_ns) {
    give_up(std::move(request), RedisStatus::kUnavailable);
    return;
  }
  retries_.emplace_back(due, std::move(request));
  if (retry_timer_ == 0) {
    retry_timer_ = timers_.add_at(due, [this] {
      retry_timer_ = 0;
      run_retries();
    });
  }
}

void RedisClient::run_retries() {
  const std::uint64_t now = core::monotonic_ns();
  while (!retries_.empty() && retries_.front().first <= now) {
    Request request = std::move(retries_.front().second);
    retries_.pop_front();
    route(std::move(request));
  }
  if (!retries_.empty()) {
    retry_timer_ = timers_.add_at(retries_.front().first, [this] {
      retry_timer_ = 0;
      run_retries();
    });
  }
}

void RedisClient::on_failed(RedisConnection& /*connection*/, Request&& request,
                            RedisStatus status) {
  if (config_.target.cluster && status != RedisStatus::kOverloaded) {
    refresh_slots();  // a failover may have moved the slot
  }
  give_up(std::move(request), status);
}

void RedisClient::give_up(Request&& request, RedisStatus status) {
  if (request.kind == Request::Kind::kSubscribe || request.kind == Request::Kind::kUnsubscribe) {
    // The subscription stays wanted; it is sent again when a pub/sub connection comes up.
    auto it = subscriptions_.find(request.channel);
    if (request.kind == Request::Kind::kSubscribe && it != subscriptions_.end() &&
        it->second.token == request.token) {
      it->second.state = Subscription::State::kWaiting;
      schedule_resubscribe();
    }
    return;
  }
  complete(std::move(request), status, ReplyView());
}

void RedisClient::on_state(RedisConnection& connection, bool up) {
  const int node = node_index(connection);
  if (node < 0) {
    return;
  }
  if (&connection == nodes_[static_cast<std::size_t>(node)]->pubsub.get()) {
    handle_pubsub_state(node, up);
    return;
  }
  if (config_.target.cluster && (up ? !slots_known_ : true)) {
    refresh_slots();
  }
  if (up) {
    resubscribe_waiting();
  }
}

// ---------------------------------------------------------------------------------------------
// Cluster slot map

void RedisClient::refresh_slots() {
  if (!config_.target.cluster) {
    return;
  }
  if (refresh_in_flight_) {
    refresh_again_ = true;
    return;
  }
  const std::uint64_t now = core::monotonic_ns();
  if (now < last_refresh_ns_ + config_.slots_refresh_interval_ns) {
    if (refresh_timer_ == 0) {
      refresh_timer_ = timers_.add_at(last_refresh_ns_ + config_.slots_refresh_interval_ns, [this] {
        refresh_timer_ = 0;
        refresh_slots();
      });
    }
    return;
  }
  int asked = -1;
  for (std::size_t i = 0; i < nodes_.size() && asked < 0; ++i) {
    if (nodes_[i]->commands->ready()) {
      asked = static_cast<int>(i);
    }
  }
  if (asked < 0) {
    return;  // retried from on_state when a node comes up
  }
  refresh_in_flight_ = true;
  last_refresh_ns_ = now;
  Node& node = *nodes_[static_cast<std::size_t>(asked)];
  Request request =
      make_request(-1, encode_command({"CLUSTER", "SLOTS"}),
                   [this, host = node.endpoint.host](RedisStatus status, ReplyView reply) {
                     refresh_in_flight_ = false;
                     if (status == RedisStatus::kOk && !reply.is_error()) {
                       on_slots(reply, host);
                     } else {
                       spdlog::warn("redis: CLUSTER SLOTS failed: {}",
                                    status == RedisStatus::kOk ? std::string(reply.str())
                                                               : std::string(to_string(status)));
                     }
                     if (std::exchange(refresh_again_, false)) {
                       refresh_slots();
                     }
                   });
  node.commands->send(std::move(request));
}

void RedisClient::on_slots(ReplyView reply, const std::string& asked_host) {
  ++stats_.slot_refreshes;
  for (std::size_t i = 0; i < reply.size(); ++i) {
    const ReplyView range = reply[i];
    const long long first = range[0].integer(-1);
    const long long last = range[1].integer(-1);
    const ReplyView master = range[2];
    Endpoint endpoint{std::string(master[0].str()),
                      static_cast<std::uint16_t>(master[1].integer())};
    if (first < 0 || last >= kSlotCount || last < first || endpoint.port == 0) {
      continue;
    }
    if (endpoint.host.empty()) {
      endpoint.host = asked_host;
    }
    const auto node = static_cast<std::int16_t>(find_or_add_node(endpoint));
    std::fill(slot_owner_.begin() + first, slot_owner_.begin() + last + 1, node);
  }
  slots_known_ = true;
  resubscribe_waiting();
}

}  // namespace hexwire::redis
