// SubscriberList: add/remove/contains agree with a reference set on both sides of the index
// threshold, the span holds each live subscriber once, and an emptied list gives its storage back.
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <set>

#include "pubsub/detail/subscriber_list.hpp"

using hexwire::pubsub::SubscriberId;
using hexwire::pubsub::detail::SubscriberList;

namespace {
void require_same(const SubscriberList& list, const std::set<SubscriberId>& expected) {
  REQUIRE(list.size() == expected.size());
  std::set<SubscriberId> in_span(list.span().begin(), list.span().end());
  REQUIRE(in_span == expected);
}
}  // namespace

TEST_CASE("subscriber list matches a set through growth past the index threshold and back") {
  SubscriberList list;
  std::set<SubscriberId> expected;
  std::mt19937_64 random(42);
  // Grow to 200 (indexed), shrink to a handful (scanned), grow again: remove at random positions.
  for (const std::size_t target : {200u, 5u, 80u, 0u}) {
    while (expected.size() < target) {
      const SubscriberId id = random() % 100'000 + 1;
      if (expected.insert(id).second) {
        list.add(id);
      }
    }
    while (expected.size() > target) {
      auto it = expected.begin();
      std::advance(it, random() % expected.size());
      REQUIRE(list.remove(*it));
      REQUIRE_FALSE(list.remove(*it));
      REQUIRE_FALSE(list.contains(*it));
      expected.erase(it);
    }
    require_same(list, expected);
    for (const SubscriberId id : expected) {
      REQUIRE(list.contains(id));
    }
  }
  REQUIRE(list.empty());
  REQUIRE(list.span().data() == nullptr);
}
