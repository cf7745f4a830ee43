// The chat scenario's workload: who is in which channel (from assign_channel_memberships), the
// reverse index channel -> members, and who publishes where. A publish picks a user uniformly and
// then one of that user's channels uniformly, so a channel's share of publishes is proportional to
// its size: big channels carry more messages, and each of those fans out to more subscribers.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "sim/random.hpp"
#include "sim/zipf.hpp"

namespace hexwire::sim {

struct PublishChoice {
  std::uint32_t publisher = 0;  // user index
  std::uint32_t channel = 0;    // channel index
};

class ChatWorkload {
 public:
  /// Builds the membership (see assign_channel_memberships) and its reverse index.
  ChatWorkload(std::uint32_t users, std::uint32_t channels, std::uint32_t per_user, double zipf_s,
               std::uint64_t seed);
  explicit ChatWorkload(ChannelMembership membership);

  [[nodiscard]] const ChannelMembership& membership() const noexcept { return membership_; }
  [[nodiscard]] std::uint32_t user_count() const noexcept { return membership_.user_count(); }
  [[nodiscard]] std::uint32_t channel_count() const noexcept { return membership_.channel_count(); }
  [[nodiscard]] std::span<const std::uint32_t> channels_of(std::uint32_t user) const noexcept {
    return membership_.channels_of(user);
  }
  /// Users subscribed to `channel`, ascending.
  [[nodiscard]] std::span<const std::uint32_t> members_of(std::uint32_t channel) const noexcept {
    return {members_.data() + channel_offsets_[channel],
            members_.data() + channel_offsets_[channel + 1]};
  }

  /// Next publish: a uniformly chosen user and one of its channels. O(1), no allocation.
  PublishChoice choose_publish(Rng& rng) const noexcept;

  /// Deliveries one publish causes on average (publisher included when subscribed, which it is).
  [[nodiscard]] double mean_fanout() const noexcept;

  /// Which worker thread owns a user (users are dealt out round-robin).
  static std::uint32_t worker_of(std::uint32_t user, std::uint32_t workers) noexcept {
    return user % workers;
  }

 private:
  void build_reverse_index();

  ChannelMembership membership_;
  std::vector<std::uint32_t> channel_offsets_;  // channel_count + 1
  std::vector<std::uint32_t> members_;
};

}  // namespace hexwire::sim
