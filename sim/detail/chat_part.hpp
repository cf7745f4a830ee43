// The chat scenario's client population (ChatPart), declared here so that its definitions can be
// split by concern: scenario_chat.cpp holds the lifecycle and the replies, scenario_chat_load.cpp
// the open-loop publishes, read syncs, churn and the reconnect storm. Private to sim/.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "sim/chat_workload.hpp"
#include "sim/detail/reconnect_queue.hpp"
#include "sim/detail/sub_retry_queue.hpp"
#include "sim/scenario.hpp"
#include "sim/schedule.hpp"

namespace hexwire::sim::detail {

constexpr std::uint64_t kReconnectDelayNs = 100'000'000;
constexpr std::uint64_t kStormComebackNs = 1'000'000'000;  // storm: back within 1 s
// A connection the server closed or lost: the client comes back after 100 ms, doubling per failed
// attempt up to 1.6 s, plus up to 100 ms of jitter (so that a dead node's clients do not all
// arrive on the next one in the same millisecond).
constexpr unsigned kMaxReconnectBackoffShift = 4;
constexpr std::uint64_t kAuthId = 1;
constexpr std::uint64_t kFirstSubId = 2;
constexpr std::uint64_t kFirstReadId = 1'000'000;

struct ChatClient {
  std::uint32_t local = 0;
  std::uint32_t user = 0;
  std::uint32_t membership_offset = 0;  // into last_seen_ / subscribed_
  std::uint16_t subs_pending = 0;
  bool reader_device = false;
  bool ready = false;
  bool resuming = false;  // connected before: subscribe with since
  bool presence = false;  // subscribes with "presence":true
  bool storm_due = false;  // the storm has begun: drop as soon as no publish awaits its ack
  bool dropping = false;   // we closed it (churn, storm): its comeback is already queued
  std::uint8_t failed_attempts = 0;  // reconnects in a row that did not open
  std::uint32_t connection = 0;      // bumped per open and close: a sub retry names its connection
  std::uint64_t publish_number = 0;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> pending;  // (request id, publish number)
};

class ChatPart final : public ScenarioPart {
 public:
  ChatPart(const SimOptions& options, std::uint32_t first_global)
      : first_global_(first_global),
        readers_(options.connections >= 10 ? options.connections / 10 : 0),
        users_(options.connections - readers_),
        workload_(users_, options.channels, options.channels_per_user, options.zipf_s,
                  options.seed),
        rng_(options.seed) {}

  void populate(WorkerContext& ctx) override;
  void tick(WorkerContext& ctx) noexcept override;
  std::uint64_t next_due_ns() noexcept override;
  void on_open(WorkerContext& ctx, ClientSlot& slot) noexcept override;
  void on_text(WorkerContext& ctx, ClientSlot& slot, std::string_view text) noexcept override;
  void on_closed(WorkerContext& ctx, ClientSlot& slot, bool was_open) noexcept override;
  void finish(WorkerContext& ctx, VerificationSummary* /*echo*/) noexcept override;
  void add_facts(std::map<std::string, std::uint64_t>& facts) const override;

 private:
  std::uint32_t spread_reader(std::uint32_t j) const noexcept {
    // Second devices belong to users spread over the whole population (big and small users).
    const std::uint64_t stride = users_ / std::max<std::uint32_t>(1, readers_);
    return static_cast<std::uint32_t>((j * std::max<std::uint64_t>(1, stride)) % users_);
  }

  ChatClient& client(const ClientSlot& slot) noexcept {
    return clients_[client_of_local_[slot.local]];
  }

  template <typename Fn>
  void with_verifier(WorkerContext& ctx, Fn&& fn) {
    if (ctx.verifier != nullptr) {
      std::lock_guard<std::mutex> lock(ctx.verifier->mutex);
      fn(ctx.verifier->verifier);
    }
  }

  // Replies (scenario_chat.cpp).
  void subscribe_all(WorkerContext& ctx, ChatClient& c) noexcept;
  /// Every subscription of the client is answered: it may publish, and `subscribe` is timed.
  void become_ready(WorkerContext& ctx, const ClientSlot& slot, ChatClient& c) noexcept;
  void on_subbed(WorkerContext& ctx, const ClientSlot& slot, ChatClient& c) noexcept;
  void on_ack(WorkerContext& ctx, ChatClient& c) noexcept;
  void on_msg(WorkerContext& ctx, ClientSlot& slot, ChatClient& c) noexcept;
  void on_error(WorkerContext& ctx, ChatClient& c) noexcept;
  /// Sends the sub of the client's k-th channel (with since and epoch when resuming).
  void send_sub(WorkerContext& ctx, ChatClient& c, std::size_t k) noexcept;
  /// A sub answered with an error: retried after a backoff when it was `unavailable` and the
  /// retry budget allows, otherwise it has failed for good.
  void on_sub_error(WorkerContext& ctx, ChatClient& c, std::size_t k) noexcept;
  /// Sends the retries that are due on connections still open.
  void send_due_retries(WorkerContext& ctx) noexcept;

  // Offered load (scenario_chat_load.cpp).
  void publish(WorkerContext& ctx, std::uint64_t intended) noexcept;
  void sync_read(WorkerContext& ctx) noexcept;
  void churn_one(WorkerContext& ctx) noexcept;
  /// Ends the client's verification windows at what it has received (it is going away).
  void end_windows(WorkerContext& ctx, ChatClient& c) noexcept;
  /// Closes the client's connection (`reset`: aborts it with a RST instead of the closing
  /// handshake) and schedules its comeback at `back_ns`, resuming with since.
  void drop(WorkerContext& ctx, ChatClient& c, std::uint64_t back_ns, bool reset = false) noexcept;
  /// The storm: every ready client drops, each once its publishes are acked (cutting one off would
  /// leave it unacked for good), and comes back within 1 s.
  void start_storm(WorkerContext& ctx) noexcept;
  void drop_if_storm_due(WorkerContext& ctx, ChatClient& c) noexcept;
  /// The server closed the connection, died or refused the attempt: the client's unacked
  /// publishes are in doubt, and it comes back (to the next --url) after a backoff, resuming.
  void recover_lost_connection(WorkerContext& ctx, ChatClient& c, bool was_open) noexcept;

  std::uint32_t first_global_;
  std::uint32_t readers_;
  std::uint32_t users_;
  ChatWorkload workload_;
  Rng rng_;
  std::vector<ChatClient> clients_;
  std::vector<std::uint32_t> client_of_local_;
  std::vector<std::uint32_t> publishers_here_;
  std::vector<std::uint32_t> readers_here_;
  std::vector<std::uint64_t> last_seen_;  // per membership: highest seq received
  std::vector<std::uint64_t> epoch_;      // per membership: its epoch (0 = not known yet)
  std::optional<ArrivalSchedule> publishes_;
  std::optional<ArrivalSchedule> churn_;
  std::optional<ArrivalSchedule> reads_;
  ReconnectQueue reconnects_;
  SubRetryQueue sub_retries_;
  std::vector<std::uint8_t> sub_attempt_;   // per membership: retries sent for the current sub
  std::vector<std::uint64_t> sub_first_ns_; // per membership: when the current sub first went out
  std::uint64_t storm_at_ns_ = UINT64_MAX;  // UINT64_MAX: no storm (or it has begun)
  bool storm_reset_ = false;                // --storm-drop reset
  std::string name_;
  std::uint64_t reconnects_done_ = 0;
  std::uint64_t resumed_ = 0;
  std::uint64_t not_recovered_ = 0;
  std::uint64_t reconnect_failures_ = 0;
  std::uint64_t lost_connections_ = 0;
  std::uint64_t publishes_in_doubt_ = 0;
  std::uint64_t publishes_refused_ = 0;  // a publish answered with an error (never acked)
  std::uint64_t churn_skipped_ = 0;
  std::uint64_t storm_dropped_ = 0;
  std::uint64_t storm_absent_ = 0;
  std::uint64_t new_epochs_ = 0;
  std::uint64_t presence_events_ = 0;
  std::uint64_t presence_counts_ = 0;
  std::uint64_t reads_sent_ = 0;
  std::uint64_t reads_nothing_to_sync_ = 0;
  std::uint64_t reads_acknowledged_ = 0;
  std::uint64_t reads_synced_ = 0;
  std::uint64_t subs_first_try_ = 0;    // subbed at the first attempt
  std::uint64_t subs_after_retry_ = 0;  // subbed after one or more retries
  std::uint64_t subs_failed_ = 0;       // an error after the last attempt (or not retryable)
  std::uint64_t sub_retries_sent_ = 0;  // retries (never counted as new subscriptions)
  std::uint64_t subs_retrying_at_end_ = 0;  // a retry still queued when the run ended
};

}  // namespace hexwire::sim::detail
