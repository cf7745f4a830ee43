// MailboxMesh: FIFO per ordered pair, drain batch cap and fairness across senders, try_push depth
// limit, depth accounting, and a multi-thread stress test (N producers, one consumer) in which
// every task is seen exactly once and in per-sender order. Also built with -fsanitize=thread.
#include "core/mailbox.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

using hexwire::core::MailboxMesh;
using hexwire::core::Task;

TEST_CASE("tasks from one sender to one receiver run in FIFO order") {
  MailboxMesh mesh(2, 4);  // tiny initial capacity: pushing past it must grow, not fail
  std::vector<int> seen;
  for (int i = 0; i < 100; ++i) {
    mesh.push(0, 1, [&seen, i] { seen.push_back(i); });
  }
  CHECK(mesh.depth(1) == 100);
  CHECK(mesh.depth(0, 1) == 100);
  CHECK(mesh.depth(0) == 0);
  CHECK(mesh.drain(0, 1000) == 0);  // nothing addressed to shard 0
  CHECK(mesh.drain(1, 1000) == 100);
  REQUIRE(seen.size() == 100);
  for (int i = 0; i < 100; ++i) {
    CHECK(seen[static_cast<std::size_t>(i)] == i);
  }
  CHECK(mesh.depth(1) == 0);
}

TEST_CASE("drain takes at most the batch cap per sender and rotates the first sender") {
  MailboxMesh mesh(3);
  std::vector<unsigned> senders;
  for (unsigned from = 0; from < 3; ++from) {
    for (int i = 0; i < 10; ++i) {
      mesh.push(from, 2, [&senders, from] { senders.push_back(from); });
    }
  }
  CHECK(mesh.drain(2, 4) == 12);
  CHECK(senders == std::vector<unsigned>{0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2});
  senders.clear();
  CHECK(mesh.drain(2, 4) == 12);
  CHECK(senders == std::vector<unsigned>{1, 1, 1, 1, 2, 2, 2, 2, 0, 0, 0, 0});
  senders.clear();
  CHECK(mesh.depth(2) == 6);
  CHECK(mesh.drain(2, 100) == 6);
  CHECK(senders == std::vector<unsigned>{2, 2, 0, 0, 1, 1});
}

TEST_CASE("a busy sender cannot starve the others") {
  MailboxMesh mesh(3);
  int quiet_runs = 0;
  for (int i = 0; i < 1000; ++i) {
    mesh.push(0, 1, [] {});
  }
  mesh.push(2, 1, [&] { ++quiet_runs; });
  mesh.drain(1, 8);
  CHECK(quiet_runs == 1);
  CHECK(mesh.depth(0, 1) == 992);
}

TEST_CASE("try_push refuses past max_depth and leaves the task intact") {
  MailboxMesh mesh(2, 2);
  int runs = 0;
  for (int i = 0; i < 3; ++i) {
    Task t = [&runs] { ++runs; };
    CHECK(mesh.try_push(1, 0, t, 3));
    CHECK_FALSE(static_cast<bool>(t));  // moved into the queue
  }
  Task extra = [&runs] { runs += 100; };
  CHECK_FALSE(mesh.try_push(1, 0, extra, 3));
  REQUIRE(static_cast<bool>(extra));
  CHECK(mesh.drain(0, 10) == 3);
  CHECK(mesh.try_push(1, 0, extra, 3));
  CHECK(mesh.drain(0, 10) == 1);
  CHECK(runs == 103);
}

TEST_CASE("a shard may queue to itself and tasks may queue more work while draining") {
  MailboxMesh mesh(1);
  int runs = 0;
  mesh.push(0, 0, [&] {
    ++runs;
    mesh.push(0, 0, [&] { ++runs; });
  });
  CHECK(mesh.drain(0, 1) == 1);
  CHECK(mesh.drain(0, 1) == 1);
  CHECK(runs == 2);
}

TEST_CASE("undrained tasks are destroyed with the mesh") {
  auto token = std::make_shared<int>(0);
  {
    MailboxMesh mesh(2);
    mesh.push(0, 1, [token] {});
    mesh.push(1, 1, [token] {});
    CHECK(token.use_count() == 3);
  }
  CHECK(token.use_count() == 1);
}

TEST_CASE("stress: producers on their own threads and one consumer see every task once in order") {
  constexpr unsigned kProducers = 4;
  constexpr unsigned kShards = kProducers + 1;
  constexpr unsigned kConsumer = kProducers;
  constexpr std::uint64_t kPerProducer = 100'000;
  MailboxMesh mesh(kShards, 64);
  // Written only by the consumer thread (inside tasks), read after join.
  std::vector<std::uint64_t> next_expected(kProducers, 0);
  std::uint64_t out_of_order = 0;
  std::uint64_t received = 0;
  std::atomic<unsigned> producers_done{0};

  std::vector<std::thread> producers;
  for (unsigned p = 0; p < kProducers; ++p) {
    producers.emplace_back([&, p] {
      for (std::uint64_t seq = 0; seq < kPerProducer; ++seq) {
        // A heap-stored payload too, so ownership of memory crosses threads through the queue.
        auto payload = std::make_unique<std::uint64_t>(seq);
        mesh.push(p, kConsumer, [&, p, payload = std::move(payload)] {
          if (*payload != next_expected[p]) {
            ++out_of_order;
          }
          next_expected[p] = *payload + 1;
          ++received;
        });
      }
      producers_done.fetch_add(1, std::memory_order_release);  // pairs with the consumer's acquire
    });
  }
  std::thread consumer([&] {
    for (;;) {
      const bool all_done = producers_done.load(std::memory_order_acquire) == kProducers;
      const std::size_t ran = mesh.drain(kConsumer, 256);
      if (all_done && ran == 0) {
        break;
      }
      if (ran == 0) {
        std::this_thread::yield();
      }
    }
  });
  for (auto& t : producers) {
    t.join();
  }
  consumer.join();
  CHECK(received == kProducers * kPerProducer);
  CHECK(out_of_order == 0);
  for (unsigned p = 0; p < kProducers; ++p) {
    CHECK(next_expected[p] == kPerProducer);
  }
  CHECK(mesh.depth(kConsumer) == 0);
}
