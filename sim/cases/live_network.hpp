// The `live` transport: every node of the model is a real /ws connection to a running engine
// (user "<case>.<node>", subscribed to sim:<case>:<node>), and a message from A to B is a pub on
// sim:<case>:<B> whose data is the string "<A's index> <send time ns> <body>". Latencies are the
// engine's. Time is real (monotonic, from the start of the run); timers run on the link's wheel.
// Faults act on the real connections: a crash closes the node's connection and a recovery opens
// it again; a partition or a slow node is applied where the message is received. Also home to the
// progress sinks that publish events to sim:<case>.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/histogram.hpp"
#include "sim/cases/live_link.hpp"
#include "sim/cases/network.hpp"
#include "sim/cases/progress.hpp"

namespace hexwire::sim::cases {

/// Publishes progress events to sim:<case> on its own connection of `link`, at most 500 a second
/// (under the engine's per-connection publish limit), pumping the link while it waits.
class LiveProgressSink final : public ProgressSink {
 public:
  /// Adds its connection to `link` (open it with the link's other connections).
  LiveProgressSink(LiveLink& link, const std::string& case_name);
  void publish(std::string_view event_json) override;
  /// Waits (at most 5 s) until the engine acknowledged every event.
  void close() override;

 private:
  LiveLink& link_;
  std::uint32_t connection_;
  std::string channel_;
  std::uint64_t window_start_ns_ = 0;
  std::uint32_t in_window_ = 0;
};

/// Progress to sim:<case> for a virtual run: its own link with one connection.
class StandaloneProgressSink final : public ProgressSink {
 public:
  /// Connects (at most 5 s); throws std::runtime_error with the reason when it cannot.
  StandaloneProgressSink(const std::string& url, const std::string& token,
                         const std::string& case_name);
  void publish(std::string_view event_json) override { sink_->publish(event_json); }
  void close() override { sink_->close(); }

 private:
  std::unique_ptr<LiveLink> link_;
  std::unique_ptr<LiveProgressSink> sink_;
};

class LiveNetwork final : public Network {
 public:
  LiveNetwork(const std::string& url, const std::string& token, std::string case_name);
  ~LiveNetwork() override;

  // Transport
  [[nodiscard]] SimTime now() const noexcept override;
  void send(NodeId from, NodeId to, std::string_view body) override;
  TimerId after(NodeId node, SimTime delay, core::Task task) override;
  bool cancel(TimerId id) noexcept override;

  // Network
  void open() override;
  bool run_until(SimTime until) override;
  void stop() noexcept override { stopped_ = true; }
  /// The experiment's run is over and its models are destroyed: from now on no timer they set
  /// runs and no message reaches them, while the link still pumps to flush progress and close.
  void end_run() noexcept {
    run_over_ = true;
    link_.end_timers();  // turns serve the sockets only, never a pending timer
  }
  [[nodiscard]] std::string_view mode() const noexcept override { return "live"; }

  [[nodiscard]] ProgressSink& progress() noexcept { return *progress_; }
  [[nodiscard]] const LiveLinkStats& link_stats() const noexcept { return link_.stats(); }
  /// Send-to-receive time of every delivered message.
  [[nodiscard]] const core::Histogram& message_latency() const noexcept { return latency_; }

 protected:
  void node_went_down(NodeId node) override;
  void node_came_up(NodeId node) override;

 private:
  void receive(std::uint32_t connection, std::string_view data);
  void deliver(NodeId to, NodeId from, std::string body);

  LiveLink link_;
  std::string case_name_;
  std::unique_ptr<LiveProgressSink> progress_;
  std::vector<std::uint32_t> connection_of_;  // by node
  std::vector<NodeId> node_of_;               // by connection (kNoNode: the progress one)
  core::Histogram latency_;
  bool opened_ = false;
  bool stopped_ = false;
  bool run_over_ = false;
  std::string scratch_;
};

}  // namespace hexwire::sim::cases
