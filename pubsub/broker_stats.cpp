// LocalBroker::channel_activity: the owner side's view of channel activity for the engine's
// statistics streams (sys:channels). Runs on the calling shard over the channels it owns.
#include <algorithm>

#include "pubsub/detail/broker_core.hpp"
#include "pubsub/local_broker.hpp"

namespace hexwire::pubsub {

std::optional<ChannelActivityReport> LocalBroker::channel_activity(std::size_t limit) {
  detail::ShardState& st = core_->state();
  const std::uint64_t now = core::monotonic_ns();
  ChannelActivityReport report;
  report.interval_ns = now - st.activity_sampled_ns;
  report.owned = st.owned.size();
  st.activity_sampled_ns = now;

  // Keep (published, channel) of the busiest `limit` in a min-heap; copy details only for those.
  using Entry = std::pair<std::uint64_t, detail::OwnedChannel*>;
  const auto busier = [](const Entry& a, const Entry& b) { return a.first > b.first; };
  std::vector<Entry> heap;
  heap.reserve(limit + 1);
  for (auto& [name, channel] : st.owned) {
    const std::uint64_t published = channel->last_seq - channel->sampled_seq;
    channel->sampled_seq = channel->last_seq;
    if (limit == 0 || (heap.size() == limit && published <= heap.front().first)) {
      continue;
    }
    heap.emplace_back(published, channel.get());
    std::push_heap(heap.begin(), heap.end(), busier);
    if (heap.size() > limit) {
      std::pop_heap(heap.begin(), heap.end(), busier);
      heap.pop_back();
    }
  }
  std::sort_heap(heap.begin(), heap.end(), busier);  // busiest first
  report.busiest.reserve(heap.size());
  for (const auto& [published, channel] : heap) {
    ChannelActivity activity;
    activity.channel = channel->name;
    activity.last_seq = channel->last_seq;
    activity.published = published;
    activity.members = channel->members.size();
    for (const std::uint32_t count : channel->shard_subscriptions) {
      activity.subscriptions += count;
    }
    activity.history = channel->history.size();
    report.busiest.push_back(std::move(activity));
  }
  return report;
}

}  // namespace hexwire::pubsub
