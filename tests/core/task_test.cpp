// Task: inline vs heap storage, moves, invocation of mutable state, and exact construction and
// destruction counts of the stored callable (no leak, no double destroy) in every path.
#include "core/task.hpp"

#include <catch2/catch.hpp>

#include <array>
#include <memory>
#include <utility>

using hexwire::core::Task;

namespace {

struct Counts {
  int alive = 0;
  int calls = 0;
};

// A callable of a chosen size that tracks live instances.
template <std::size_t Size>
struct Tracked {
  Counts* counts;
  std::array<char, Size> pad{};
  explicit Tracked(Counts* c) : counts(c) { ++counts->alive; }
  Tracked(const Tracked& o) : counts(o.counts), pad(o.pad) { ++counts->alive; }
  Tracked(Tracked&& o) noexcept : counts(o.counts), pad(o.pad) { ++counts->alive; }
  ~Tracked() { --counts->alive; }
  void operator()() { ++counts->calls; }
};

using Small = Tracked<16>;   // fits kInlineSize with its pointer
using Large = Tracked<256>;  // goes to the heap

static_assert(sizeof(Small) <= Task::kInlineSize);
static_assert(sizeof(Large) > Task::kInlineSize);
static_assert(!std::is_copy_constructible_v<Task>);
static_assert(std::is_nothrow_move_constructible_v<Task>);
static_assert(!std::is_constructible_v<Task, int>);  // only callables convert

}  // namespace

TEST_CASE("a default Task is empty and reset empties a Task") {
  Task empty;
  CHECK_FALSE(static_cast<bool>(empty));
  Counts counts;
  Task t = Small(&counts);
  CHECK(static_cast<bool>(t));
  CHECK(counts.alive == 1);
  t.reset();
  CHECK_FALSE(static_cast<bool>(t));
  CHECK(counts.alive == 0);
}

TEST_CASE("small callables are stored inline and large ones on the heap, both destroyed once") {
  Counts small_counts;
  Counts large_counts;
  {
    Task small = Small(&small_counts);
    Task large = Large(&large_counts);
    CHECK(small_counts.alive == 1);
    CHECK(large_counts.alive == 1);
    small();
    large();
    large();
    CHECK(small_counts.calls == 1);
    CHECK(large_counts.calls == 2);
  }
  CHECK(small_counts.alive == 0);
  CHECK(large_counts.alive == 0);
}

TEST_CASE("small callables live inside the Task object and large ones outside it") {
  // The callable reports where it lives when invoked.
  struct WhereSmall {
    const void** where;
    void operator()() { *where = this; }
  };
  struct WhereLarge {
    const void** where;
    std::array<char, 200> pad{};
    void operator()() { *where = this; }
  };
  const void* where = nullptr;
  const auto inside = [](const Task& t, const void* p) {
    const auto* begin = reinterpret_cast<const unsigned char*>(&t);
    const auto* at = static_cast<const unsigned char*>(p);
    return at >= begin && at < begin + sizeof(Task);
  };
  Task small = WhereSmall{&where};
  small();
  CHECK(inside(small, where));
  Task moved_small = std::move(small);
  moved_small();
  CHECK(inside(moved_small, where));  // moved along with the Task
  Task large = WhereLarge{&where};
  large();
  CHECK_FALSE(inside(large, where));
  const void* heap_address = where;
  Task moved_large = std::move(large);
  moved_large();
  CHECK(where == heap_address);  // the heap object itself did not move
}

TEST_CASE("moving a Task moves the callable and leaves the source empty") {
  for (int heap = 0; heap < 2; ++heap) {
    Counts counts;
    {
      Task a = heap ? Task(Large(&counts)) : Task(Small(&counts));
      Task b(std::move(a));
      CHECK_FALSE(
          static_cast<bool>(a));  // NOLINT(bugprone-use-after-move): checking the moved-from state
      CHECK(counts.alive == 1);
      b();
      Task c;
      c = std::move(b);
      CHECK_FALSE(static_cast<bool>(b));  // NOLINT(bugprone-use-after-move)
      CHECK(counts.alive == 1);
      c();
      CHECK(counts.calls == 2);
      // Move-assigning over a live Task destroys the old callable first.
      Counts other;
      Task d = Small(&other);
      d = std::move(c);
      CHECK(other.alive == 0);
      CHECK(counts.alive == 1);
      Task& same = d;
      d = std::move(same);  // self-move keeps the callable
      CHECK(counts.alive == 1);
    }
    CHECK(counts.alive == 0);
  }
}

TEST_CASE("captured state is mutable across calls and move-only captures work") {
  int total = 0;
  Task t = [n = 0, &total]() mutable { total += ++n; };
  t();
  t();
  t();
  CHECK(total == 6);
  auto owned = std::make_unique<int>(41);
  Task u = [p = std::move(owned), &total] { total = *p + 1; };
  u();
  CHECK(total == 42);
}

TEST_CASE("a callable that may throw on move is stored on the heap so Task moves stay noexcept") {
  struct ThrowingMove {
    Counts* counts;
    explicit ThrowingMove(Counts* c) : counts(c) { ++counts->alive; }
    ThrowingMove(const ThrowingMove& o) : counts(o.counts) { ++counts->alive; }
    ThrowingMove(ThrowingMove&& o) noexcept(false) : counts(o.counts) { ++counts->alive; }
    ~ThrowingMove() { --counts->alive; }
    void operator()() { ++counts->calls; }
  };
  Counts counts;
  {
    Task t = ThrowingMove(&counts);
    Task moved = std::move(t);
    CHECK(counts.alive == 1);  // a heap pointer moved, the callable itself was not moved again
    moved();
    CHECK(counts.calls == 1);
  }
  CHECK(counts.alive == 0);
}

TEST_CASE("function pointers convert to Task") {
  static int hits = 0;
  struct Local {
    static void bump() { ++hits; }
  };
  Task t = &Local::bump;
  Task u = Local::bump;
  t();
  u();
  CHECK(hits == 2);
}
