// LiveNetwork and the progress sinks on a LiveLink.
#include "sim/cases/live_network.hpp"

#include <fmt/format.h>

#include <charconv>
#include <stdexcept>

#include "core/clock.hpp"
#include "core/json_string.hpp"

namespace hexwire::sim::cases {
namespace {

constexpr std::uint64_t kOpenTimeoutNs = 10'000'000'000;
constexpr std::uint32_t kEventsPerSecond = 500;

std::optional<std::uint64_t> leading_number(std::string_view& text) {
  const std::size_t space = text.find(' ');
  const std::string_view word = text.substr(0, space);
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(word.data(), word.data() + word.size(), value);
  if (word.empty() || error != std::errc{} || end != word.data() + word.size()) {
    return std::nullopt;
  }
  text.remove_prefix(space == std::string_view::npos ? text.size() : space + 1);
  return value;
}

}  // namespace

LiveProgressSink::LiveProgressSink(LiveLink& link, const std::string& case_name)
    : link_(link),
      connection_(link.add(case_name + ".progress", {})),
      channel_("sim:" + case_name) {}

void LiveProgressSink::publish(std::string_view event_json) {
  // Pace to kEventsPerSecond: wait (pumping the link) for the next one-second window if needed.
  while (true) {
    const std::uint64_t now = link_.now_ns();
    if (now - window_start_ns_ >= 1'000'000'000) {
      window_start_ns_ = now;
      in_window_ = 0;
    }
    if (in_window_ < kEventsPerSecond) {
      break;
    }
    link_.pump(1'000'000);
  }
  ++in_window_;
  link_.publish(connection_, channel_, event_json);
  link_.pump(0);
}

void LiveProgressSink::close() {
  link_.wait_for_acks(5'000'000'000);
}

StandaloneProgressSink::StandaloneProgressSink(const std::string& url, const std::string& token,
                                               const std::string& case_name)
    : link_(std::make_unique<LiveLink>(url, token)),
      sink_(std::make_unique<LiveProgressSink>(*link_, case_name)) {
  link_->open_all(5'000'000'000);
}

LiveNetwork::LiveNetwork(const std::string& url, const std::string& token, std::string case_name)
    : link_(url, token), case_name_(std::move(case_name)) {
  progress_ = std::make_unique<LiveProgressSink>(link_, case_name_);
  node_of_.push_back(kNoNode);
  link_.set_receiver([this](std::uint32_t connection, std::string_view data) {
    receive(connection, data);
  });
  link_.open_all(kOpenTimeoutNs);
}

LiveNetwork::~LiveNetwork() = default;

SimTime LiveNetwork::now() const noexcept {
  return static_cast<SimTime>(link_.now_ns());
}

void LiveNetwork::open() {
  if (opened_) {
    return;
  }
  opened_ = true;
  for (NodeId node = 0; node < nodes_.size(); ++node) {
    const std::string& name = nodes_[node].name;
    connection_of_.push_back(
        link_.add(fmt::format("{}.{}", case_name_, name), fmt::format("sim:{}:{}", case_name_, name)));
    node_of_.push_back(node);
  }
  link_.open_all(kOpenTimeoutNs);
}

void LiveNetwork::send(NodeId from, NodeId to, std::string_view body) {
  ++counters_.sent;
  if (!is_up(from)) {
    ++counters_.dropped_crashed;
    return;
  }
  // data: "<from> <sent ns> <body>" as one JSON string.
  const std::string text = fmt::format("{} {} {}", from, link_.now_ns(), body);
  scratch_.clear();
  core::append_json_string(scratch_, text);
  const std::string channel = fmt::format("sim:{}:{}", case_name_, nodes_[to].name);
  if (!link_.publish(connection_of_[from], channel, scratch_)) {
    ++counters_.dropped_link;
  }
}

void LiveNetwork::receive(std::uint32_t connection, std::string_view data) {
  if (connection >= node_of_.size() || node_of_[connection] == kNoNode) {
    return;
  }
  const NodeId to = node_of_[connection];
  const std::optional<std::uint64_t> from = leading_number(data);
  const std::optional<std::uint64_t> sent = leading_number(data);
  if (!from || !sent || *from >= nodes_.size()) {
    return;  // not a message of this run
  }
  const auto sender = static_cast<NodeId>(*from);
  const std::uint64_t now = link_.now_ns();
  const std::uint64_t took = now > *sent ? now - *sent : 0;
  latency_.record(took);
  const double factor = slow_factor(sender, to);
  if (factor > 1.0) {
    // A slow node: hold the message until it has taken `factor` times its real latency.
    const auto extra = static_cast<SimTime>(static_cast<double>(took) * (factor - 1.0));
    after(kNoNode, extra, [this, to, sender, body = std::string(data)]() mutable {
      deliver(to, sender, std::move(body));
    });
    return;
  }
  deliver(to, sender, std::string(data));
}

void LiveNetwork::deliver(NodeId to, NodeId from, std::string body) {
  if (run_over_) {
    return;  // the models are gone (end_run)
  }
  if (!reachable(from, to)) {
    ++(is_up(from) && is_up(to) ? counters_.dropped_partitioned : counters_.dropped_crashed);
    return;
  }
  ++counters_.delivered;
  events().on_message(to, from, body);
}

TimerId LiveNetwork::after(NodeId node, SimTime delay, core::Task task) {
  const auto delay_ns = static_cast<std::uint64_t>(std::max<SimTime>(delay, 0));
  return link_.timers().add_after(
      delay_ns, [this, task = node_timer(node, std::move(task))]() mutable {
        if (!run_over_) {
          task();  // else the model that set it is gone (end_run)
        }
      });
}

bool LiveNetwork::cancel(TimerId id) noexcept {
  return link_.timers().cancel(id);
}

bool LiveNetwork::run_until(SimTime until) {
  while (!stopped_ && now() < until) {
    link_.pump(static_cast<std::uint64_t>(std::min<SimTime>(until - now(), 10'000'000)));
  }
  return true;
}

void LiveNetwork::node_went_down(NodeId node) {
  if (opened_) {
    link_.close(connection_of_[node]);
  }
}

void LiveNetwork::node_came_up(NodeId node) {
  if (opened_) {
    link_.reopen(connection_of_[node]);
  }
}

}  // namespace hexwire::sim::cases
