// FlatStringMap: find/emplace/erase agree with a std::map on both sides of the index threshold
// (including erase by backward shift in long probe runs), values survive the entry moves that
// erase makes, and an emptied map gives its storage back.
#include <catch2/catch.hpp>

#include <map>
#include <random>
#include <string>

#include "pubsub/detail/flat_string_map.hpp"

using hexwire::pubsub::detail::FlatStringMap;

namespace {
void require_same(FlatStringMap<int>& map, const std::map<std::string, int>& expected) {
  REQUIRE(map.size() == expected.size());
  REQUIRE(map.empty() == expected.empty());
  for (const auto& [key, value] : expected) {
    auto it = map.find(key);
    REQUIRE(it != map.end());
    REQUIRE(it->first == key);
    REQUIRE(it->second == value);
  }
  std::map<std::string, int> iterated;
  for (const auto& [key, value] : map) {
    REQUIRE(iterated.emplace(key, value).second);  // each key once
  }
  REQUIRE(iterated == expected);
}
}  // namespace

TEST_CASE("flat string map matches a std::map through growth past the index threshold and back") {
  FlatStringMap<int> map;
  std::map<std::string, int> expected;
  std::mt19937_64 random(7);
  // Long keys too, so that moves of entries move heap-allocated strings.
  const auto key_of = [](std::uint64_t n) {
    return n % 3 == 0 ? "a-user-with-a-long-identifier-" + std::to_string(n)
                      : "u" + std::to_string(n);
  };
  for (const std::size_t target : {300u, 3u, 40u, 10u, 1000u, 0u}) {
    while (expected.size() < target) {
      const std::uint64_t n = random() % 5'000;
      const std::string key = key_of(n);
      const int value = static_cast<int>(n);
      const auto [it, inserted] = map.emplace(key, value);
      REQUIRE(inserted == expected.emplace(key, value).second);
      REQUIRE(it->first == key);
      REQUIRE(it->second == value);
    }
    while (expected.size() > target) {
      auto victim = expected.begin();
      std::advance(victim, random() % expected.size());
      auto it = map.find(victim->first);
      REQUIRE(it != map.end());
      map.erase(it);
      REQUIRE(map.find(victim->first) == map.end());
      expected.erase(victim);
    }
    require_same(map, expected);
  }
  REQUIRE(map.begin() == map.end());
}

TEST_CASE("flat string map: emplace of a present key keeps the old value") {
  FlatStringMap<int> map;
  REQUIRE(map.emplace("alice", 1).second);
  const auto [it, inserted] = map.emplace("alice", 2);
  REQUIRE_FALSE(inserted);
  REQUIRE(it->second == 1);
  REQUIRE(map.size() == 1);
  REQUIRE(map.find("bob") == map.end());
}

TEST_CASE("flat string map: keys that collide in the index are all found after erases") {
  // Many keys in a small index make long probe runs; erasing from their middle must not hide the
  // keys behind (backward-shift deletion).
  FlatStringMap<int> map;
  std::map<std::string, int> expected;
  for (int i = 0; i < 33; ++i) {  // 33 entries: an index of 64 slots, half full
    const std::string key = "k" + std::to_string(i);
    map.emplace(key, i);
    expected.emplace(key, i);
  }
  for (int i = 0; i < 33; i += 3) {
    const std::string key = "k" + std::to_string(i);
    map.erase(map.find(key));
    expected.erase(key);
    require_same(map, expected);
  }
}
