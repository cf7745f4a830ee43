// SharedBuffer: reference counting through copies, moves and assignments, copy_of contents,
// empty buffers, size overflow, and releasing the last reference on another thread.
#include "core/shared_buffer.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <cstring>
#include <new>
#include <span>
#include <string>
#include <thread>
#include <vector>

using hexwire::core::SharedBuffer;

TEST_CASE("copies share one buffer and count references") {
  SharedBuffer a = SharedBuffer::copy_of("hello");
  CHECK(a.use_count() == 1);
  CHECK(a.view() == "hello");
  CHECK(a.size() == 5);
  {
    SharedBuffer b = a;
    SharedBuffer c;
    c = b;
    CHECK(a.use_count() == 3);
    CHECK(b.data() == a.data());
    CHECK(c.data() == a.data());
  }
  CHECK(a.use_count() == 1);
}

TEST_CASE("moves transfer the reference without touching the count") {
  SharedBuffer a = SharedBuffer::copy_of("abc");
  SharedBuffer b = std::move(a);
  CHECK_FALSE(static_cast<bool>(a));  // NOLINT(bugprone-use-after-move)
  CHECK(b.use_count() == 1);
  SharedBuffer c = SharedBuffer::copy_of("xyz");
  c = std::move(b);  // releases "xyz"
  CHECK(c.view() == "abc");
  CHECK(c.use_count() == 1);
}

TEST_CASE("assignment between buffers releases the old one and handles aliasing") {
  SharedBuffer a = SharedBuffer::copy_of("one");
  SharedBuffer b = SharedBuffer::copy_of("two");
  SharedBuffer a2 = a;
  a2 = b;  // a drops to 1, b rises to 3
  CHECK(a.use_count() == 1);
  CHECK(b.use_count() == 2);
  const SharedBuffer& alias = a2;
  a2 = alias;  // self-assignment
  CHECK(a2.view() == "two");
  CHECK(b.use_count() == 2);
  SharedBuffer b2 = b;
  b2 = b;  // same buffer: count unchanged
  CHECK(b.use_count() == 3);
}

TEST_CASE("copy_of copies bytes and empty buffers behave") {
  const std::vector<std::byte> bytes{std::byte{1}, std::byte{0}, std::byte{255}};
  SharedBuffer a = SharedBuffer::copy_of(std::span<const std::byte>(bytes));
  REQUIRE(a.size() == 3);
  CHECK(a.bytes()[1] == std::byte{0});
  CHECK(a.bytes()[2] == std::byte{255});
  SharedBuffer empty = SharedBuffer::copy_of("");
  CHECK(static_cast<bool>(empty));
  CHECK(empty.empty());
  CHECK(empty.view().empty());
  SharedBuffer none;
  CHECK(none.use_count() == 0);
  CHECK(none.data() == nullptr);
  CHECK(none.view().empty());
  SharedBuffer writable = SharedBuffer::allocate(4);
  std::memcpy(writable.mutable_data(), "wxyz", 4);
  CHECK(writable.view() == "wxyz");
}

TEST_CASE("a size that would overflow the allocation throws bad_alloc") {
  CHECK_THROWS_AS(SharedBuffer::allocate(SIZE_MAX), std::bad_alloc);
  CHECK_THROWS_AS(SharedBuffer::allocate(SIZE_MAX - 8), std::bad_alloc);
}

TEST_CASE("references released on other threads free the buffer exactly once") {
  // Many threads copy and drop references to shared buffers; the last one frees. Run under ASan or
  // TSan this catches a double free or a race on the count.
  constexpr int kThreads = 4;
  constexpr int kRounds = 2000;
  for (int round = 0; round < 20; ++round) {
    SharedBuffer original =
        SharedBuffer::copy_of(std::string(100, static_cast<char>('a' + round % 26)));
    std::vector<std::thread> threads;
    std::vector<SharedBuffer> handed(kThreads, original);
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([mine = std::move(handed[static_cast<std::size_t>(t)])]() mutable {
        for (int i = 0; i < kRounds; ++i) {
          SharedBuffer copy = mine;
          if (copy.view().size() != 100) {
            std::abort();
          }
        }
        mine = SharedBuffer{};  // drop on this thread
      });
    }
    original = SharedBuffer{};  // the main thread drops its reference while workers still run
    for (auto& t : threads) {
      t.join();
    }
  }
  SUCCEED("no double free or use after free (checked by sanitizers)");
}

TEST_CASE("use_count is observed correctly after cross-thread copies are released") {
  SharedBuffer buffer = SharedBuffer::copy_of("x");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([copy = buffer] { (void)copy.size(); });
  }
  for (auto& t : threads) {
    t.join();
  }
  CHECK(buffer.use_count() == 1);
}
