// Bounded per-channel message log kept by the channel's owner shard: contiguous seqs, newest at
// the back, trimmed by count and age (see Config's history_* fields), counting the bytes it holds
// for the shard's history budget. Serves resume backlogs and history ranges in O(1) lookup plus
// the copied range.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "pubsub/detail/ring_queue.hpp"
#include "pubsub/types.hpp"

namespace hexwire::pubsub::detail {

struct HistoryLimits {
  std::size_t keep_messages = 1'000;
  std::int64_t keep_age_us = 600'000'000;
  std::size_t max_messages = 10'000;
};

/// What a message counts against the shard's history budget.
[[nodiscard]] inline std::size_t retained_bytes(const Message& message) noexcept {
  return message.payload.size() + message.channel.size() + message.from.size() +
         kHistoryMessageOverheadBytes;
}

/// Messages and bytes a trim removed.
struct Trimmed {
  std::size_t messages = 0;
  std::size_t bytes = 0;
  Trimmed& operator+=(const Trimmed& other) noexcept {
    messages += other.messages;
    bytes += other.bytes;
    return *this;
  }
};

class HistoryLog {
 public:
  /// Appends the next message; its seq must follow the previous one's.
  void append(MessageRef message) {
    bytes_ += retained_bytes(*message);
    messages_.push_back(std::move(message));
  }

  /// Drops messages beyond the limits.
  Trimmed trim(const HistoryLimits& limits, std::int64_t now_us) {
    Trimmed dropped;
    const std::size_t hard_cap = std::max(limits.max_messages, limits.keep_messages);
    while (
        messages_.size() > limits.keep_messages &&
        (messages_.size() > hard_cap || now_us - messages_.front()->ts_us > limits.keep_age_us)) {
      dropped += pop_oldest();
    }
    return dropped;
  }

  /// Drops the oldest message (the log must not be empty).
  Trimmed pop_oldest() {
    const std::size_t size = retained_bytes(*messages_.front());
    bytes_ -= size;
    messages_.pop_front();
    return Trimmed{1, size};
  }

  /// Drops everything.
  Trimmed clear() {
    const Trimmed all{messages_.size(), bytes_};
    messages_.clear();
    bytes_ = 0;
    return all;
  }

  /// True when every message with seq in (since, last_seq] is retained.
  [[nodiscard]] bool covers(std::uint64_t since, std::uint64_t last_seq) const noexcept {
    if (since >= last_seq) {
      return since == last_seq;
    }
    return !messages_.empty() && messages_.front()->seq <= since + 1;
  }

  /// Up to `limit` retained messages with seq > since, oldest first.
  [[nodiscard]] std::vector<MessageRef> range_after(std::uint64_t since, std::size_t limit) const {
    std::vector<MessageRef> out;
    if (messages_.empty() || limit == 0) {
      return out;
    }
    const std::uint64_t first = messages_.front()->seq;
    const std::size_t begin = since + 1 <= first ? 0 : static_cast<std::size_t>(since + 1 - first);
    if (begin >= messages_.size()) {
      return out;
    }
    const std::size_t count = std::min(limit, messages_.size() - begin);
    out.reserve(count);
    for (std::size_t i = begin; i < begin + count; ++i) {
      out.push_back(messages_[i]);
    }
    return out;
  }

  [[nodiscard]] std::size_t size() const noexcept { return messages_.size(); }
  [[nodiscard]] bool empty() const noexcept { return messages_.empty(); }
  [[nodiscard]] std::size_t bytes() const noexcept { return bytes_; }
  /// Seq of the oldest retained message, 0 when empty.
  [[nodiscard]] std::uint64_t first_seq() const noexcept {
    return messages_.empty() ? 0 : messages_.front()->seq;
  }

 private:
  RingQueue<MessageRef> messages_;
  std::size_t bytes_ = 0;
};

}  // namespace hexwire::pubsub::detail
