// RingQueue: FIFO order across wrap-around and growth, erase keeps order, and an empty queue holds
// no storage (the property that keeps idle channels and users small).
#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include "pubsub/detail/ring_queue.hpp"

using hexwire::pubsub::detail::RingQueue;

TEST_CASE("ring queue keeps FIFO order across wrap-around and growth") {
  RingQueue<std::string> q;
  int next_in = 0;
  int next_out = 0;
  // Interleave pushes and pops so the head wraps many times while the buffer grows to 64.
  for (int round = 0; round < 50; ++round) {
    for (int i = 0; i < 3; ++i) {
      q.push_back(std::to_string(next_in++));
    }
    q.pop_front();
    REQUIRE(q.front() != std::to_string(next_out));
    ++next_out;
    REQUIRE(q.front() == std::to_string(next_out));
  }
  REQUIRE(q.size() == 100);
  REQUIRE(q.back() == std::to_string(next_in - 1));
  for (std::size_t i = 0; i < q.size(); ++i) {
    REQUIRE(q[i] == std::to_string(next_out + static_cast<int>(i)));
  }
  std::vector<std::string> seen(q.begin(), q.end());
  REQUIRE(seen.size() == 100);
  REQUIRE(seen.front() == std::to_string(next_out));
}

TEST_CASE("ring queue holds no storage while empty") {
  RingQueue<std::shared_ptr<int>> q;
  REQUIRE(q.capacity() == 0);
  auto shared = std::make_shared<int>(7);
  q.push_back(shared);
  q.push_back(shared);
  REQUIRE(q.capacity() == 4);
  REQUIRE(shared.use_count() == 3);
  q.pop_front();
  q.pop_front();
  REQUIRE(q.empty());
  REQUIRE(q.capacity() == 0);
  REQUIRE(shared.use_count() == 1);
  q.push_back(shared);
  q.clear();
  REQUIRE(q.capacity() == 0);
  REQUIRE(shared.use_count() == 1);
}

TEST_CASE("ring queue erase keeps the order of the rest") {
  RingQueue<int> q;
  for (int i = 0; i < 6; ++i) {
    q.push_back(i);
  }
  q.pop_front();  // head is now off slot 0, so erase has to follow the wrap
  q.push_back(6);
  q.push_back(7);
  auto it = q.begin();
  ++it;
  ++it;
  q.erase(it);  // removes 3
  q.erase(q.begin());  // removes 1
  REQUIRE(std::vector<int>(q.begin(), q.end()) == std::vector<int>{2, 4, 5, 6, 7});
  RingQueue<int> moved(std::move(q));
  REQUIRE(q.empty());
  REQUIRE(moved.size() == 5);
  REQUIRE(moved.back() == 7);
}
