// Chat workload: the reverse index agrees with the membership, and publishes land on channels in
// proportion to their size (users are uniform, channels uniform within a user).
#include "sim/chat_workload.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

using namespace hexwire::sim;

TEST_CASE("members_of is the exact reverse of channels_of") {
  const ChatWorkload chat(3000, 200, 3, 1.1, 5);
  std::uint64_t total = 0;
  for (std::uint32_t c = 0; c < chat.channel_count(); ++c) {
    const auto members = chat.members_of(c);
    CHECK(members.size() == chat.membership().size_of(c));
    CHECK(std::is_sorted(members.begin(), members.end()));
    for (const std::uint32_t u : members) {
      const auto channels = chat.channels_of(u);
      REQUIRE(std::binary_search(channels.begin(), channels.end(), c));
    }
    total += members.size();
  }
  CHECK(total == chat.membership().total_memberships());
}

TEST_CASE("publishes come from members and land on channels in proportion to their size") {
  const ChatWorkload chat(5000, 100, 4, 1.1, 9);
  Rng rng(3);
  std::vector<std::uint64_t> per_channel(chat.channel_count(), 0);
  const int draws = 400'000;
  double fanout = 0.0;
  bool publisher_is_member = true;
  for (int i = 0; i < draws; ++i) {
    const PublishChoice p = chat.choose_publish(rng);
    const auto channels = chat.channels_of(p.publisher);
    publisher_is_member =
        publisher_is_member && std::binary_search(channels.begin(), channels.end(), p.channel);
    ++per_channel[p.channel];
    fanout += chat.members_of(p.channel).size();
  }
  CHECK(publisher_is_member);
  // Every user here has exactly 4 channels except the few that were given an extra one to fill an
  // empty channel, so channel c's share is very close to size(c) / total memberships.
  const double memberships = static_cast<double>(chat.membership().total_memberships());
  for (const std::uint32_t c : {0u, 1u, 5u, 50u}) {
    CAPTURE(c);
    const double expected = chat.membership().size_of(c) / memberships;
    CHECK(per_channel[c] / static_cast<double>(draws) ==
          Approx(expected).epsilon(0.1).margin(0.001));
  }
  CHECK(fanout / draws == Approx(chat.mean_fanout()).epsilon(0.02));
  CHECK(chat.mean_fanout() > memberships / chat.channel_count());  // skew raises the fan-out
}

TEST_CASE("users are dealt to workers round-robin") {
  CHECK(ChatWorkload::worker_of(0, 4) == 0);
  CHECK(ChatWorkload::worker_of(5, 4) == 1);
  CHECK(ChatWorkload::worker_of(7, 1) == 0);
}
