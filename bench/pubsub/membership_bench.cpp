// Membership churn of one large channel's SubscriberList (pubsub/detail/subscriber_list.hpp), the
// reconnect storm's pattern: ~640 subscribers on a shard, every one leaves (its connection
// closed) and a new connection id joins (the resumed open). The index of positions as landed
// (PositionIndex: 4-byte open-addressing slots) against the std::unordered_map index it replaced
// (LegacySubscriberList below, a verbatim copy of the old class, kept here only as the baseline).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <random>
#include <span>
#include <unordered_map>
#include <vector>

#include "pubsub/detail/subscriber_list.hpp"

namespace {

using hexwire::pubsub::SubscriberId;
using hexwire::pubsub::detail::SubscriberList;

class LegacySubscriberList {
 public:
  /// Lists longer than this keep a position index; shorter ones are scanned.
  static constexpr std::size_t kIndexThreshold = 32;

  [[nodiscard]] std::span<const SubscriberId> span() const noexcept { return live_; }
  [[nodiscard]] std::size_t size() const noexcept { return live_.size(); }
  [[nodiscard]] bool empty() const noexcept { return live_.empty(); }
  [[nodiscard]] bool contains(SubscriberId id) const noexcept { return find(id) != kAbsent; }

  /// Appends `id`; the caller guarantees it is not in the list yet.
  void add(SubscriberId id) {
    live_.push_back(id);
    if (index_) {
      index_->emplace(id, static_cast<std::uint32_t>(live_.size() - 1));
    } else if (live_.size() > kIndexThreshold) {
      build_index();
    }
  }

  /// Removes `id` (the last entry takes its place); false when it was not in the list.
  bool remove(SubscriberId id) {
    const std::size_t at = find(id);
    if (at == kAbsent) {
      return false;
    }
    if (index_) {
      index_->erase(id);
    }
    if (at + 1 != live_.size()) {
      live_[at] = live_.back();
      if (index_) {
        (*index_)[live_[at]] = static_cast<std::uint32_t>(at);
      }
    }
    live_.pop_back();
    if (index_ && live_.size() <= kIndexThreshold / 2) {
      index_.reset();  // hysteresis: a list hovering at the threshold does not rebuild each time
    }
    if (live_.empty()) {
      std::vector<SubscriberId>().swap(live_);  // an idle channel holds no subscriber storage
    }
    return true;
  }

 private:
  static constexpr std::size_t kAbsent = SIZE_MAX;

  [[nodiscard]] std::size_t find(SubscriberId id) const noexcept {
    if (index_) {
      const auto it = index_->find(id);
      return it == index_->end() ? kAbsent : it->second;
    }
    for (std::size_t i = 0; i < live_.size(); ++i) {
      if (live_[i] == id) {
        return i;
      }
    }
    return kAbsent;
  }

  void build_index() {
    auto index = std::make_unique<std::unordered_map<SubscriberId, std::uint32_t>>();
    index->reserve(live_.size() * 2);
    for (std::size_t i = 0; i < live_.size(); ++i) {
      index->emplace(live_[i], static_cast<std::uint32_t>(i));
    }
    index_ = std::move(index);
  }

  std::vector<SubscriberId> live_;
  std::unique_ptr<std::unordered_map<SubscriberId, std::uint32_t>> index_;
};


/// `members` subscriber ids drawn from a shard's 16,000 connections, in random order.
std::vector<SubscriberId> member_ids(std::size_t members, std::uint64_t seed) {
  std::vector<SubscriberId> all(16'000);
  for (std::size_t i = 0; i < all.size(); ++i) {
    all[i] = i + 1;
  }
  std::mt19937_64 random(seed);
  std::shuffle(all.begin(), all.end(), random);
  all.resize(members);
  return all;
}

/// A list holding `ids`.
template <typename List>
void fill(List& list, const std::vector<SubscriberId>& ids) {
  for (const SubscriberId id : ids) {
    list.add(id);
  }
}

/// One storm per iteration: every member leaves in random order, then as many new connection
/// ids (the next ones a shard hands out) join. Counts one item per leave and one per join.
template <typename List>
void BM_StormChurn(benchmark::State& state) {
  const auto members = static_cast<std::size_t>(state.range(0));
  std::vector<SubscriberId> current = member_ids(members, 7);
  List list;
  fill(list, current);
  std::mt19937_64 random(11);
  SubscriberId next_id = 100'000;
  for (auto _ : state) {
    std::shuffle(current.begin(), current.end(), random);
    for (const SubscriberId id : current) {
      benchmark::DoNotOptimize(list.remove(id));
    }
    for (SubscriberId& id : current) {
      id = next_id++;
      list.add(id);
    }
    benchmark::DoNotOptimize(list.span().data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * members * 2));
}

/// Steady churn: one random member leaves and a new id joins (a connection closing while another
/// opens), the list staying at its size.
template <typename List>
void BM_OneInOneOut(benchmark::State& state) {
  const auto members = static_cast<std::size_t>(state.range(0));
  std::vector<SubscriberId> current = member_ids(members, 7);
  List list;
  fill(list, current);
  std::mt19937_64 random(13);
  SubscriberId next_id = 100'000;
  for (auto _ : state) {
    SubscriberId& leaving = current[random() % members];
    benchmark::DoNotOptimize(list.remove(leaving));
    leaving = next_id++;
    list.add(leaving);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * 2));
}

}  // namespace

BENCHMARK_TEMPLATE(BM_StormChurn, LegacySubscriberList)->Arg(64)->Arg(640)->Arg(4000);
BENCHMARK_TEMPLATE(BM_StormChurn, SubscriberList)->Arg(64)->Arg(640)->Arg(4000);
BENCHMARK_TEMPLATE(BM_OneInOneOut, LegacySubscriberList)->Arg(640);
BENCHMARK_TEMPLATE(BM_OneInOneOut, SubscriberList)->Arg(640);
