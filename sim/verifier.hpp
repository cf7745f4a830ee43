// Delivery verification for `hexwire-sim --verify`: checks what every subscriber receives against
// the protocol's promises (per-channel sequence order, no gap, no duplicate) and what every publish
// should have reached. Memory is bounded by the number of subscriptions plus a sliding window of
// recent sequence numbers per channel, not by the number of messages in the run. The rules, in
// particular for subscriptions that start or end during the run, are in docs/simulator.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "sim/probe.hpp"

namespace hexwire::sim {

/// Identifies one publish: the publishing simulated user and its own running publish counter. The
/// simulator carries both inside the published data so receivers can report them.
struct PublishKey {
  std::uint32_t publisher = 0;
  std::uint64_t publish_id = 0;
  friend bool operator==(const PublishKey&, const PublishKey&) = default;
};

struct VerifierOptions {
  /// A channel keeps per-seq receipt counts for its last `ledger_window` sequence numbers; a seq is
  /// settled (its receivers counted) once the channel is that far ahead, or at finish().
  std::uint64_t ledger_window = 4096;
  /// Open gaps remembered per subscription; beyond that the oldest gap is declared lost.
  std::size_t max_gap_ranges = 64;
  /// Messages the engine keeps per channel whatever their age (its --history-keep-messages): a
  /// resume that missed at most this many must be answered recovered:true.
  std::uint64_t history_keep_messages = 1000;
};

/// What one receipt turned out to be.
enum class ReceiptVerdict : std::uint8_t {
  kInOrder,    // the next expected seq
  kGap,        // ahead of the expected seq: the skipped seqs are missing (lost unless they come)
  kReordered,  // fills an earlier gap
  kDuplicate,  // a seq this subscription already received (or one before its start)
  kUnmatched,  // not on a subscription, or its publish key does not match the seq's publish
  kIgnored,    // arrived after the client sent unsub: not checked
  kLate,       // older than the remembered gaps: cannot tell reordered from duplicate
};

struct VerificationSummary {
  std::uint64_t publishes_sent = 0;
  std::uint64_t publishes_acked = 0;
  std::uint64_t publishes_unacked = 0;    // sent, never acked by finish()
  std::uint64_t subscriptions = 0;        // subscription windows checked
  std::uint64_t receipts = 0;             // every on_receive call
  std::uint64_t deliveries_expected = 0;  // sum over settled seqs of subscribers covering them
  std::uint64_t deliveries_received = 0;  // of those, received (first copy, in any order)
  std::uint64_t lost = 0;                 // expected by a subscription, never received
  std::uint64_t duplicated = 0;  // received twice (or replayed before the subscription's start)
  std::uint64_t reordered = 0;   // received after a later seq of the same channel
  std::uint64_t unmatched = 0;   // receipts/acks that match no subscription or no publish
  std::uint64_t late = 0;        // informational: too old to classify
  std::uint64_t ignored = 0;     // informational: arrived after unsub was sent
  std::uint64_t unrecovered = 0;  // resumes answered recovered:false within the kept history
  std::uint64_t reloads = 0;      // informational: recovered:false beyond the kept history
  std::uint64_t new_epochs = 0;   // informational: recovered:false because the epoch changed
  // Informational: sent on a connection that ended before the ack (the server died or closed
  // it). The engine may or may not have taken it; either way is correct, so it is not unacked,
  // and if it was taken every subscriber must still receive it.
  std::uint64_t publishes_in_doubt = 0;
  // Must be 0: registrations of a publish key that was already registered, i.e. publishes_sent
  // minus every publish that ended acked or is still pending. A publish is registered once its
  // send was issued and its key (publisher, number) is used once; a second registration means the
  // simulator counted a send that did not go out (and then sent the same number again).
  std::uint64_t publishes_registered_twice = 0;

  /// True when nothing was lost, duplicated, reordered, unmatched, left unacked, registered twice
  /// or refused a resume the engine promised to serve.
  [[nodiscard]] bool clean() const noexcept {
    return lost == 0 && duplicated == 0 && reordered == 0 && unmatched == 0 &&
           publishes_unacked == 0 && unrecovered == 0 && publishes_registered_twice == 0;
  }
  /// One line for humans, e.g. "verify: OK 1200 publishes, 48000/48000 deliveries".
  [[nodiscard]] std::string describe() const;
};

/// Exit status of hexwire-sim for a verified run.
inline constexpr int kVerifyFailedExitCode = 3;
inline int verification_exit_code(const VerificationSummary& summary) noexcept {
  return summary.clean() ? 0 : kVerifyFailedExitCode;
}

/// Not thread-safe: feed it from one thread (or under one lock). Receivers and channels are dense
/// simulator ids (user index, channel index), not protocol strings.
class Verifier {
 public:
  explicit Verifier(VerifierOptions options = {});

  /// The `subbed` reply arrived: this subscription must receive every seq after `last_seen_seq`,
  /// which is the reply's `seq` for a fresh subscription, or the `since` the client sent when the
  /// reply says `recovered:true` (the missed messages follow). Re-subscribing closes the previous
  /// window first.
  void on_subscribed(std::uint32_t receiver, std::uint32_t channel, std::uint64_t last_seen_seq);
  /// The client sends `unsub`: the window ends at the highest seq received so far; gaps below it
  /// count as lost; later receipts on it are ignored.
  void on_unsubscribing(std::uint32_t receiver, std::uint32_t channel);
  /// A resume (`sub` with `since`) was answered recovered:false with the channel at `seq`.
  /// Expected when the channel's epoch is not the one `since` belongs to (`epoch_changed`: the
  /// engine restarted or forgot the channel; counted in `new_epochs`) or when more than
  /// options.history_keep_messages were missed (the client reloads; `reloads`); otherwise it is an
  /// anomaly (`unrecovered`). Returns false for an anomaly.
  bool on_not_recovered(std::uint64_t since, std::uint64_t seq, bool epoch_changed = false);
  /// A publish was sent (its send was issued; before its ack).
  void on_publish_sent(PublishKey key, std::uint32_t channel);
  /// The connection that sent it ended before its ack: the publish is in doubt (not unacked). A
  /// receipt of it still matches, and then counts like any other publish.
  void on_publish_in_doubt(PublishKey key);
  /// Its `ack` arrived with the seq the engine assigned.
  void on_ack(PublishKey key, std::uint32_t channel, std::uint64_t seq);
  /// Receiver got `msg` (channel, seq) whose data carried `key`.
  ReceiptVerdict on_receive(std::uint32_t receiver, std::uint32_t channel, std::uint64_t seq,
                            PublishKey key);

  /// End of run (after the drain period): every still-open subscription must have received up to
  /// the channel's last seq (highest acked or received); every seq is settled. Call once.
  VerificationSummary finish();
  /// Counts so far (unsettled seqs and open gaps not yet included in `lost`).
  [[nodiscard]] const VerificationSummary& summary() const noexcept { return summary_; }

 private:
  struct GapRange {
    std::uint64_t first;
    std::uint64_t last;
  };
  struct Subscription {
    std::uint64_t start = 0;          // subbed seq: the window is (start, ...]
    std::uint64_t expected_next = 1;  // next in-order seq
    std::uint64_t forgotten_below = 0;
    bool open = true;
    std::vector<GapRange> gaps;  // ascending, disjoint
  };
  struct LedgerEntry {
    PublishKey key;
    bool has_key = false;
    bool acked = false;
    std::uint64_t receipts = 0;
  };
  struct Channel {
    std::uint64_t highest_seq = 0;      // highest seq seen in an ack or a receipt
    std::uint64_t settled_through = 0;  // seqs <= this are settled
    // Open subscriptions: those starting at or before settled_through cover every unsettled seq,
    // so they are only counted; the few newer ones keep their start. Settling a seq is then
    // O(new subscriptions + closed windows), not O(subscribers).
    std::uint64_t open_covering_all = 0;
    std::vector<std::uint64_t> open_recent_starts;
    std::vector<std::pair<std::uint64_t, std::uint64_t>> closed_windows;  // (start, end]
  };

  static std::uint64_t subscription_key(std::uint32_t receiver, std::uint32_t channel) noexcept {
    return (std::uint64_t{receiver} << 32) | channel;
  }
  static std::uint64_t ledger_key(std::uint32_t channel, std::uint64_t seq) noexcept {
    return (std::uint64_t{channel} << 40) ^ seq;
  }
  void close(Subscription& subscription, Channel& channel);
  void note_seq(std::uint32_t channel_id, Channel& channel, std::uint64_t seq);
  void settle_through(std::uint32_t channel_id, Channel& channel, std::uint64_t last);
  bool check_key(std::uint32_t channel_id, std::uint64_t seq, PublishKey key, bool from_ack);
  void add_gap(Subscription& subscription, std::uint64_t first, std::uint64_t last);
  bool fill_gap(Subscription& subscription, std::uint64_t seq);

  VerifierOptions options_;
  VerificationSummary summary_;
  std::unordered_map<std::uint64_t, Subscription> subscriptions_;
  std::unordered_map<std::uint32_t, Channel> channels_;
  std::unordered_map<std::uint64_t, LedgerEntry> ledger_;
  struct PendingHash {
    std::size_t operator()(const PublishKey& k) const noexcept {
      return std::hash<std::uint64_t>{}(k.publish_id * 0x9E3779B97F4A7C15ull ^ k.publisher);
    }
  };
  std::unordered_map<PublishKey, std::uint32_t, PendingHash>
      pending_;  // sent, not acked -> channel
  std::unordered_set<PublishKey, PendingHash> in_doubt_;  // of pending_: their ack cannot come
  bool finished_ = false;
};

/// Echo verification: each connection numbers its requests 1, 2, 3... (the probe's `number`, with
/// `sender` = the connection); one TCP connection cannot reorder, so every reply must be the next
/// number. A skipped number is lost, an old one duplicated, a reply that fails the probe check or
/// names another connection unmatched. Not thread-safe; one per worker is fine (connections are
/// disjoint), merge the summaries with `merge_into`.
class EchoVerifier {
 public:
  /// A request numbered `number` was sent on `connection` (numbers must increase by one).
  void on_sent(std::uint32_t connection, std::uint64_t number);
  /// A reply arrived on `connection`; `probe` is read_probe_text(payload) (nullopt if corrupt).
  ReceiptVerdict on_reply(std::uint32_t connection, const std::optional<Probe>& probe);
  /// Replies still missing at the end of the drain are lost. Call once.
  VerificationSummary finish();
  [[nodiscard]] const VerificationSummary& summary() const noexcept { return summary_; }

 private:
  struct Connection {
    std::uint64_t sent = 0;
    std::uint64_t expected_next = 1;
  };
  std::unordered_map<std::uint32_t, Connection> connections_;
  VerificationSummary summary_;
  bool finished_ = false;
};

/// Adds every count of `from` into `into` (to combine per-worker summaries).
void merge_into(VerificationSummary& into, const VerificationSummary& from) noexcept;

}  // namespace hexwire::sim
