// RegionOwners: rendezvous hashing of dispatch regions over live node ids. Every node computes the
// same owner from the same live set whatever its order; a node alone owns everything; a node
// leaving moves only its own regions, to the node each would pick next; regions spread evenly.
#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <vector>

#include "scaleout/region_owners.hpp"

using hexwire::scaleout::RegionOwners;

namespace {
const std::vector<std::string> kThree = {"node-a", "node-b", "node-c"};

std::uint64_t region(std::uint64_t i) {
  return 0x832830fffffffffull + (i << 24);  // distinct 64-bit keys, like H3 cells
}
}  // namespace

TEST_CASE("a node alone, or before it knows the pool, owns every region") {
  RegionOwners alone("node-a");
  for (std::uint64_t i = 0; i < 100; ++i) {
    CHECK(alone.owns(region(i)));
  }
  alone.set_live({});  // the live set does not name it yet: still counted
  CHECK(alone.nodes() == std::vector<std::string>{"node-a"});
}

TEST_CASE("every node picks the same owner, whatever order it heard the live set in") {
  RegionOwners a("node-a");
  RegionOwners c("node-c");
  a.set_live({"node-c", "node-b", "node-a", "node-b"});
  c.set_live(kThree);
  std::size_t owned_by_a = 0;
  for (std::uint64_t i = 0; i < 1000; ++i) {
    REQUIRE(a.owner_of(region(i)) == c.owner_of(region(i)));
    owned_by_a += a.owns(region(i)) ? 1 : 0;
    CHECK(a.owns(region(i)) == (c.owner_of(region(i)) == "node-a"));
  }
  // An even spread: each of 3 nodes gets about a third (binomial sd ~15 of 1000).
  CHECK(owned_by_a > 250);
  CHECK(owned_by_a < 420);
}

TEST_CASE("a node leaving moves only its regions, each to its next choice") {
  RegionOwners before("node-a");
  before.set_live(kThree);
  RegionOwners after("node-a");
  after.set_live({"node-a", "node-c"});
  CHECK(after.version() == 1);
  std::map<std::string, int> moved;
  for (std::uint64_t i = 0; i < 1000; ++i) {
    const std::string& was = before.owner_of(region(i));
    const std::string& now = after.owner_of(region(i));
    if (was != "node-b") {
      CHECK(now == was);  // nobody else's region moves
    } else {
      ++moved[now];
      // The next choice: the higher weight of the two that remain.
      const auto wa = RegionOwners::weight(RegionOwners::node_hash("node-a"), region(i));
      const auto wc = RegionOwners::weight(RegionOwners::node_hash("node-c"), region(i));
      CHECK(now == (wa > wc ? "node-a" : "node-c"));
    }
  }
  CHECK(moved["node-a"] > 0);
  CHECK(moved["node-c"] > 0);
}

TEST_CASE("an unchanged live set keeps the version") {
  RegionOwners owners("node-b");
  owners.set_live(kThree);
  owners.set_live({"node-c", "node-a", "node-b"});
  CHECK(owners.version() == 1);
  owners.set_live({"node-b"});
  CHECK(owners.version() == 2);
}
