// Chat workload: reverse membership index and the size-weighted choice of publisher and channel.
#include "sim/chat_workload.hpp"

namespace hexwire::sim {

ChatWorkload::ChatWorkload(std::uint32_t users, std::uint32_t channels, std::uint32_t per_user,
                           double zipf_s, std::uint64_t seed)
    : ChatWorkload(assign_channel_memberships(users, channels, per_user, zipf_s, seed)) {}

ChatWorkload::ChatWorkload(ChannelMembership membership) : membership_(std::move(membership)) {
  build_reverse_index();
}

void ChatWorkload::build_reverse_index() {
  const std::uint32_t channels = membership_.channel_count();
  channel_offsets_.assign(std::size_t{channels} + 1, 0);
  for (std::uint32_t c = 0; c < channels; ++c) {
    channel_offsets_[c + 1] = channel_offsets_[c] + membership_.size_of(c);
  }
  members_.resize(channel_offsets_[channels]);
  std::vector<std::uint32_t> fill(channel_offsets_.begin(), channel_offsets_.end() - 1);
  // Users in ascending order, so each channel's member list comes out sorted.
  for (std::uint32_t u = 0; u < membership_.user_count(); ++u) {
    for (const std::uint32_t c : membership_.channels_of(u)) {
      members_[fill[c]++] = u;
    }
  }
}

PublishChoice ChatWorkload::choose_publish(Rng& rng) const noexcept {
  // Every user has at least one channel (per_user >= 1 is enforced by the command line; an
  // explicitly built membership may leave some empty, so skip those).
  for (;;) {
    const auto user = static_cast<std::uint32_t>(rng.below(membership_.user_count()));
    const auto channels = membership_.channels_of(user);
    if (!channels.empty()) {
      return PublishChoice{user, channels[rng.below(channels.size())]};
    }
  }
}

double ChatWorkload::mean_fanout() const noexcept {
  // P(channel c) = sum over its members u of 1 / (U * |channels_of(u)|); fan-out of c = size(c).
  double expected = 0.0;
  const double users = membership_.user_count();
  for (std::uint32_t c = 0; c < membership_.channel_count(); ++c) {
    double probability = 0.0;
    for (const std::uint32_t u : members_of(c)) {
      probability += 1.0 / (users * static_cast<double>(membership_.channels_of(u).size()));
    }
    expected += probability * membership_.size_of(c);
  }
  return expected;
}

}  // namespace hexwire::sim
