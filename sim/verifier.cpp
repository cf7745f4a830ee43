// Verification bookkeeping: per-subscription sequence windows with bounded gap lists, a sliding
// per-channel ledger that settles each seq's receiver count, and the pending-publish table.
#include "sim/verifier.hpp"

#include <algorithm>
#include <cstdio>

namespace hexwire::sim {

std::string VerificationSummary::describe() const {
  char line[512];
  std::snprintf(
      line, sizeof line,
      "verify: %s  publishes %llu sent / %llu acked / %llu unacked, deliveries %llu/%llu, "
      "lost %llu, duplicated %llu, reordered %llu, unmatched %llu, unrecovered resumes %llu, "
      "registered twice %llu (late %llu, ignored %llu, reloads %llu, new epochs %llu, in doubt "
      "%llu)",
      clean() ? "OK" : "FAILED", static_cast<unsigned long long>(publishes_sent),
      static_cast<unsigned long long>(publishes_acked),
      static_cast<unsigned long long>(publishes_unacked),
      static_cast<unsigned long long>(deliveries_received),
      static_cast<unsigned long long>(deliveries_expected), static_cast<unsigned long long>(lost),
      static_cast<unsigned long long>(duplicated), static_cast<unsigned long long>(reordered),
      static_cast<unsigned long long>(unmatched), static_cast<unsigned long long>(unrecovered),
      static_cast<unsigned long long>(publishes_registered_twice),
      static_cast<unsigned long long>(late), static_cast<unsigned long long>(ignored),
      static_cast<unsigned long long>(reloads), static_cast<unsigned long long>(new_epochs),
      static_cast<unsigned long long>(publishes_in_doubt));
  return line;
}

Verifier::Verifier(VerifierOptions options) : options_(options) {
  options_.ledger_window = std::max<std::uint64_t>(options_.ledger_window, 1);
  options_.max_gap_ranges = std::max<std::size_t>(options_.max_gap_ranges, 1);
}

void Verifier::on_subscribed(std::uint32_t receiver, std::uint32_t channel_id,
                             std::uint64_t last_seen_seq) {
  Channel& channel = channels_[channel_id];
  auto [it, inserted] = subscriptions_.try_emplace(subscription_key(receiver, channel_id));
  if (!inserted && it->second.open) {
    close(it->second, channel);
  }
  Subscription& subscription = it->second;
  subscription = Subscription{};
  subscription.start = last_seen_seq;
  subscription.expected_next = last_seen_seq + 1;
  subscription.forgotten_below = last_seen_seq + 1;
  if (last_seen_seq <= channel.settled_through) {
    ++channel.open_covering_all;
  } else {
    channel.open_recent_starts.push_back(last_seen_seq);
  }
  ++summary_.subscriptions;
}

void Verifier::on_unsubscribing(std::uint32_t receiver, std::uint32_t channel_id) {
  auto it = subscriptions_.find(subscription_key(receiver, channel_id));
  if (it != subscriptions_.end() && it->second.open) {
    close(it->second, channels_[channel_id]);
  }
}

void Verifier::close(Subscription& subscription, Channel& channel) {
  subscription.open = false;
  for (const GapRange& gap : subscription.gaps) {
    summary_.lost += gap.last - gap.first + 1;
  }
  subscription.gaps.clear();
  subscription.gaps.shrink_to_fit();
  if (subscription.start <= channel.settled_through) {
    --channel.open_covering_all;  // settle_through moved every such start into the count
  } else {
    auto& recent = channel.open_recent_starts;
    auto start = std::find(recent.begin(), recent.end(), subscription.start);
    if (start != recent.end()) {
      *start = recent.back();
      recent.pop_back();
    }
  }
  const std::uint64_t end = subscription.expected_next - 1;
  if (end > subscription.start && end > channel.settled_through) {
    channel.closed_windows.emplace_back(subscription.start, end);
  }
}

bool Verifier::on_not_recovered(std::uint64_t since, std::uint64_t seq, bool epoch_changed) {
  if (epoch_changed) {
    ++summary_.new_epochs;  // a new incarnation of the channel: nothing of `since` can be replayed
    return true;
  }
  const std::uint64_t missed = seq > since ? seq - since : 0;
  if (missed > options_.history_keep_messages) {
    ++summary_.reloads;
    return true;
  }
  ++summary_.unrecovered;
  return false;
}

void Verifier::on_publish_sent(PublishKey key, std::uint32_t channel) {
  ++summary_.publishes_sent;
  pending_[key] = channel;
}

void Verifier::on_publish_in_doubt(PublishKey key) {
  if (pending_.contains(key) && in_doubt_.insert(key).second) {
    ++summary_.publishes_in_doubt;
  }
}

void Verifier::on_ack(PublishKey key, std::uint32_t channel_id, std::uint64_t seq) {
  auto pending = pending_.find(key);
  if (pending == pending_.end() || pending->second != channel_id) {
    ++summary_.unmatched;  // an ack for something we did not publish (or on another channel)
    return;
  }
  pending_.erase(pending);
  if (in_doubt_.erase(key) > 0) {
    --summary_.publishes_in_doubt;  // its ack came after all
  }
  ++summary_.publishes_acked;
  Channel& channel = channels_[channel_id];
  if (seq > channel.settled_through) {
    check_key(channel_id, seq, key, /*from_ack=*/true);
  }
  note_seq(channel_id, channel, seq);
}

bool Verifier::check_key(std::uint32_t channel_id, std::uint64_t seq, PublishKey key,
                         bool from_ack) {
  LedgerEntry& entry = ledger_[ledger_key(channel_id, seq)];
  if (from_ack) {
    entry.acked = true;
    if (entry.has_key && !(entry.key == key)) {
      ++summary_.unmatched;  // receivers saw another publish under this seq
      entry.key = key;
      return false;
    }
    entry.key = key;
    entry.has_key = true;
    return true;
  }
  if (entry.has_key) {
    if (entry.key == key) {
      return true;
    }
    ++summary_.unmatched;
    return false;
  }
  // First sight of this seq, before its ack: the key must be one of ours, still in flight.
  auto pending = pending_.find(key);
  if (pending == pending_.end() || pending->second != channel_id) {
    ++summary_.unmatched;
    return false;
  }
  entry.key = key;
  entry.has_key = true;
  return true;
}

ReceiptVerdict Verifier::on_receive(std::uint32_t receiver, std::uint32_t channel_id,
                                    std::uint64_t seq, PublishKey key) {
  ++summary_.receipts;
  auto it = subscriptions_.find(subscription_key(receiver, channel_id));
  if (it == subscriptions_.end()) {
    ++summary_.unmatched;  // delivered to someone who never subscribed
    return ReceiptVerdict::kUnmatched;
  }
  Subscription& subscription = it->second;
  if (!subscription.open) {
    ++summary_.ignored;
    return ReceiptVerdict::kIgnored;
  }
  Channel& channel = channels_[channel_id];
  ReceiptVerdict verdict;
  if (seq == subscription.expected_next) {
    verdict = ReceiptVerdict::kInOrder;
    ++subscription.expected_next;
  } else if (seq > subscription.expected_next) {
    verdict = ReceiptVerdict::kGap;
    add_gap(subscription, subscription.expected_next, seq - 1);
    subscription.expected_next = seq + 1;
  } else if (seq <= subscription.start) {
    ++summary_.duplicated;
    return ReceiptVerdict::kDuplicate;
  } else if (fill_gap(subscription, seq)) {
    verdict = ReceiptVerdict::kReordered;
    ++summary_.reordered;
  } else if (seq < subscription.forgotten_below) {
    ++summary_.late;
    return ReceiptVerdict::kLate;
  } else {
    ++summary_.duplicated;
    return ReceiptVerdict::kDuplicate;
  }

  if (seq <= channel.settled_through) {
    ++summary_.late;  // its seq was settled already: not in deliveries_received
  } else if (check_key(channel_id, seq, key, /*from_ack=*/false)) {
    ++ledger_[ledger_key(channel_id, seq)].receipts;
  } else {
    verdict = ReceiptVerdict::kUnmatched;
  }
  note_seq(channel_id, channel, seq);
  return verdict;
}

void Verifier::add_gap(Subscription& subscription, std::uint64_t first, std::uint64_t last) {
  if (subscription.gaps.size() >= options_.max_gap_ranges) {
    // Bounded memory: give up on the oldest gap, count it lost, and stop classifying below it.
    const GapRange oldest = subscription.gaps.front();
    summary_.lost += oldest.last - oldest.first + 1;
    subscription.forgotten_below = oldest.last + 1;
    subscription.gaps.erase(subscription.gaps.begin());
  }
  subscription.gaps.push_back(GapRange{first, last});
}

bool Verifier::fill_gap(Subscription& subscription, std::uint64_t seq) {
  auto& gaps = subscription.gaps;
  auto it = std::upper_bound(gaps.begin(), gaps.end(), seq,
                             [](std::uint64_t s, const GapRange& g) { return s < g.first; });
  if (it == gaps.begin()) {
    return false;
  }
  --it;
  if (seq > it->last) {
    return false;
  }
  if (it->first == it->last) {
    gaps.erase(it);
  } else if (seq == it->first) {
    ++it->first;
  } else if (seq == it->last) {
    --it->last;
  } else {
    const GapRange upper{seq + 1, it->last};
    it->last = seq - 1;
    gaps.insert(it + 1, upper);
    if (gaps.size() > options_.max_gap_ranges) {
      const GapRange oldest = gaps.front();
      summary_.lost += oldest.last - oldest.first + 1;
      subscription.forgotten_below = oldest.last + 1;
      gaps.erase(gaps.begin());
    }
  }
  return true;
}

void Verifier::note_seq(std::uint32_t channel_id, Channel& channel, std::uint64_t seq) {
  channel.highest_seq = std::max(channel.highest_seq, seq);
  if (channel.highest_seq > options_.ledger_window &&
      channel.highest_seq - options_.ledger_window > channel.settled_through) {
    settle_through(channel_id, channel, channel.highest_seq - options_.ledger_window);
  }
}

void Verifier::settle_through(std::uint32_t channel_id, Channel& channel, std::uint64_t last) {
  for (std::uint64_t seq = channel.settled_through + 1; seq <= last; ++seq) {
    std::uint64_t covering = channel.open_covering_all;
    for (const std::uint64_t start : channel.open_recent_starts) {
      covering += start < seq ? 1 : 0;
    }
    for (const auto& [start, end] : channel.closed_windows) {
      covering += (start < seq && seq <= end) ? 1 : 0;
    }
    std::uint64_t receipts = 0;
    auto it = ledger_.find(ledger_key(channel_id, seq));
    if (it != ledger_.end()) {
      receipts = it->second.receipts;
      ledger_.erase(it);
    }
    summary_.deliveries_expected += covering;
    summary_.deliveries_received += std::min(receipts, covering);
  }
  channel.settled_through = std::max(channel.settled_through, last);
  const std::size_t recent_before = channel.open_recent_starts.size();
  std::erase_if(channel.open_recent_starts, [last](std::uint64_t start) { return start <= last; });
  channel.open_covering_all += recent_before - channel.open_recent_starts.size();
  std::erase_if(channel.closed_windows,
                [last](const auto& window) { return window.second <= last; });
}

VerificationSummary Verifier::finish() {
  if (finished_) {
    return summary_;
  }
  finished_ = true;
  for (auto& [key, subscription] : subscriptions_) {
    if (!subscription.open) {
      continue;
    }
    const auto channel_id = static_cast<std::uint32_t>(key & 0xffffffffu);
    const Channel& channel = channels_[channel_id];
    for (const GapRange& gap : subscription.gaps) {
      summary_.lost += gap.last - gap.first + 1;
    }
    // The tail: everything after the last seq it got, up to the channel's last seq.
    if (channel.highest_seq >= subscription.expected_next) {
      summary_.lost += channel.highest_seq - subscription.expected_next + 1;
    }
  }
  for (auto& [channel_id, channel] : channels_) {
    if (channel.highest_seq > channel.settled_through) {
      settle_through(channel_id, channel, channel.highest_seq);
    }
  }
  summary_.publishes_unacked = pending_.size() - in_doubt_.size();
  // Every registration ends acked (erased from pending_) or still pending; more registrations
  // than that were registrations of a key already registered.
  const std::uint64_t accounted = summary_.publishes_acked + pending_.size();
  summary_.publishes_registered_twice =
      summary_.publishes_sent > accounted ? summary_.publishes_sent - accounted : 0;
  return summary_;
}

// ---- EchoVerifier ----

void EchoVerifier::on_sent(std::uint32_t connection, std::uint64_t number) {
  Connection& c = connections_[connection];
  c.sent = std::max(c.sent, number);
  ++summary_.publishes_sent;
  ++summary_.deliveries_expected;
}

ReceiptVerdict EchoVerifier::on_reply(std::uint32_t connection, const std::optional<Probe>& probe) {
  ++summary_.receipts;
  auto it = connections_.find(connection);
  if (!probe || probe->sender != connection || it == connections_.end() || probe->number == 0 ||
      probe->number > it->second.sent) {
    ++summary_.unmatched;
    return ReceiptVerdict::kUnmatched;
  }
  Connection& c = it->second;
  const std::uint64_t number = probe->number;
  if (number < c.expected_next) {
    ++summary_.duplicated;
    return ReceiptVerdict::kDuplicate;
  }
  ++summary_.publishes_acked;
  ++summary_.deliveries_received;
  if (number == c.expected_next) {
    ++c.expected_next;
    return ReceiptVerdict::kInOrder;
  }
  // One connection is one ordered byte stream: whatever was skipped will not come any more.
  summary_.lost += number - c.expected_next;
  c.expected_next = number + 1;
  return ReceiptVerdict::kGap;
}

VerificationSummary EchoVerifier::finish() {
  if (!finished_) {
    finished_ = true;
    for (const auto& [id, c] : connections_) {
      if (c.sent >= c.expected_next) {
        summary_.lost += c.sent - c.expected_next + 1;
      }
    }
  }
  return summary_;
}

void merge_into(VerificationSummary& into, const VerificationSummary& from) noexcept {
  into.publishes_sent += from.publishes_sent;
  into.publishes_acked += from.publishes_acked;
  into.publishes_unacked += from.publishes_unacked;
  into.publishes_in_doubt += from.publishes_in_doubt;
  into.subscriptions += from.subscriptions;
  into.receipts += from.receipts;
  into.deliveries_expected += from.deliveries_expected;
  into.deliveries_received += from.deliveries_received;
  into.lost += from.lost;
  into.duplicated += from.duplicated;
  into.reordered += from.reordered;
  into.unmatched += from.unmatched;
  into.late += from.late;
  into.ignored += from.ignored;
  into.unrecovered += from.unrecovered;
  into.reloads += from.reloads;
  into.new_epochs += from.new_epochs;
  into.publishes_registered_twice += from.publishes_registered_twice;
}

}  // namespace hexwire::sim
