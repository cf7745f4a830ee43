// Hierarchical timing wheel: 6 levels of 64 slots (2^36 ticks, ~2.2 years at 1 ms) plus an overflow
// list for farther deadlines. A timer sits at the level of the highest 6-bit group in which its
// expiry tick differs from the current tick, so each level only holds slots ahead of the current
// one; occupancy bitmaps let advance() jump straight to the next slot that matters. Nodes (56
// bytes) live in a slab of fixed blocks addressed by index, with a generation in the id so stale
// ids are rejected; blocks never move, so the slab has no growth slack.
#include "core/timer_wheel.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cassert>
#include <limits>
#include <memory>
#include <stdexcept>
#include <vector>

namespace hexwire::core {
namespace {

constexpr unsigned kSlotBits = 6;
constexpr unsigned kSlots = 1u << kSlotBits;
constexpr unsigned kLevels = 6;
constexpr unsigned kWheelBits = kSlotBits * kLevels;  // ticks covered by the wheel: 2^36
constexpr std::uint32_t kNil = std::numeric_limits<std::uint32_t>::max();
constexpr std::uint16_t kOverflowList = kLevels * kSlots;
constexpr std::uint16_t kExpiredList = kOverflowList + 1;
constexpr std::uint16_t kListCount = kExpiredList + 1;
constexpr std::uint16_t kNoList = 0xffff;

enum class NodeState : std::uint8_t { kFree, kPending, kDue, kCancelledDue };

struct Node {
  TimerTask fn;
  std::uint64_t deadline = 0;
  std::uint64_t seq = 0;  // insertion order, breaks deadline ties
  std::uint32_t prev = kNil;
  std::uint32_t next = kNil;
  std::uint32_t generation = 0;
  std::uint16_t list = kNoList;
  NodeState state = NodeState::kFree;
};

struct List {
  std::uint32_t head = kNil;
  std::uint32_t tail = kNil;
};

/// Nodes in blocks of 256: indexes stay valid and nothing is copied as the slab grows.
class NodeSlab {
 public:
  Node& operator[](std::uint32_t index) noexcept {
    return blocks_[index >> kBlockBits][index & (kBlock - 1)];
  }
  const Node& operator[](std::uint32_t index) const noexcept {
    return blocks_[index >> kBlockBits][index & (kBlock - 1)];
  }
  [[nodiscard]] std::uint32_t size() const noexcept { return size_; }
  [[nodiscard]] std::size_t capacity() const noexcept { return blocks_.size() * kBlock; }
  /// Appends a default node; returns its index.
  std::uint32_t grow() {
    if (size_ == capacity()) {
      blocks_.push_back(std::make_unique<Node[]>(kBlock));
    }
    return size_++;
  }

 private:
  static constexpr unsigned kBlockBits = 8;
  static constexpr std::uint32_t kBlock = 1u << kBlockBits;
  std::vector<std::unique_ptr<Node[]>> blocks_;
  std::uint32_t size_ = 0;
};

// A collected timer with its sort key copied out, so ordering a run does not chase nodes.
struct DueEntry {
  std::uint64_t deadline;
  std::uint64_t seq;
  std::uint32_t index;
  bool operator<(const DueEntry& o) const noexcept {
    return deadline != o.deadline ? deadline < o.deadline : seq < o.seq;
  }
};

std::uint64_t saturating_add(std::uint64_t a, std::uint64_t b) noexcept {
  const std::uint64_t r = a + b;
  return r < a ? std::numeric_limits<std::uint64_t>::max() : r;
}

}  // namespace

struct TimerWheel::Impl {
  std::uint64_t origin_ns;
  std::uint64_t tick_ns;
  std::uint64_t now_ns;
  std::uint64_t current_tick = 0;  // every level is placed relative to this tick
  std::uint64_t next_seq = 0;
  std::size_t live = 0;
  bool advancing = false;
  NodeSlab nodes;
  // Free node indices as a contiguous stack: popping one does not first load a cold node.
  std::vector<std::uint32_t> free_indices;
  std::array<List, kListCount> lists{};
  std::array<std::uint64_t, kLevels> occupied{};  // bit s of level l: slot s non-empty
  // Level 0 only: cached minimum deadline per slot (valid bit set), so ns_until_next is exact
  // for the nearest slot without scanning it on every call.
  mutable std::array<std::uint64_t, kSlots> slot_min{};
  mutable std::uint64_t slot_min_valid = 0;
  std::vector<DueEntry> due;  // scratch: nodes collected for the current run

  Impl(std::uint64_t now, std::uint64_t tick)
      : origin_ns(now), tick_ns(tick == 0 ? 1 : tick), now_ns(now) {}

  [[nodiscard]] std::uint64_t tick_of(std::uint64_t ns) const noexcept {
    return ns <= origin_ns ? 0 : (ns - origin_ns) / tick_ns;
  }
  [[nodiscard]] std::uint64_t ns_of_tick(std::uint64_t tick) const noexcept {
    if (tick > (std::numeric_limits<std::uint64_t>::max() - origin_ns) / tick_ns) {
      return std::numeric_limits<std::uint64_t>::max();
    }
    return origin_ns + tick * tick_ns;
  }

  void push_back(std::uint16_t list_id, std::uint32_t index) noexcept {
    Node& node = nodes[index];
    List& list = lists[list_id];
    node.list = list_id;
    node.next = kNil;
    node.prev = list.tail;
    if (list.tail == kNil) {
      list.head = index;
    } else {
      nodes[list.tail].next = index;
    }
    list.tail = index;
    if (list_id < kOverflowList) {
      const unsigned level = list_id / kSlots;
      const unsigned slot = list_id % kSlots;
      const std::uint64_t bit = 1ull << slot;
      if (level == 0) {
        if ((occupied[0] & bit) == 0) {
          slot_min[slot] = node.deadline;
          slot_min_valid |= bit;
        } else if ((slot_min_valid & bit) != 0) {
          slot_min[slot] = std::min(slot_min[slot], node.deadline);
        }
      }
      occupied[level] |= bit;
    }
  }

  void unlink(std::uint32_t index) noexcept {
    Node& node = nodes[index];
    List& list = lists[node.list];
    if (node.prev == kNil) {
      list.head = node.next;
    } else {
      nodes[node.prev].next = node.next;
    }
    if (node.next == kNil) {
      list.tail = node.prev;
    } else {
      nodes[node.next].prev = node.prev;
    }
    if (node.list < kOverflowList) {
      const unsigned level = node.list / kSlots;
      const std::uint64_t bit = 1ull << (node.list % kSlots);
      if (list.head == kNil) {
        occupied[level] &= ~bit;
      } else if (level == 0 && slot_min[node.list] == node.deadline) {
        slot_min_valid &= ~bit;  // the minimum may have left; recomputed on demand
      }
    }
    node.list = kNoList;
    node.prev = node.next = kNil;
  }

  // Files a pending node relative to current_tick (its expiry tick is >= current_tick).
  void place(std::uint32_t index) noexcept {
    const std::uint64_t tick = tick_of(nodes[index].deadline);
    const std::uint64_t diff = tick ^ current_tick;
    const unsigned level =
        diff == 0 ? 0 : static_cast<unsigned>(63 - std::countl_zero(diff)) / kSlotBits;
    if (level >= kLevels) {
      push_back(kOverflowList, index);
      return;
    }
    const auto slot = static_cast<unsigned>((tick >> (level * kSlotBits)) & (kSlots - 1));
    push_back(static_cast<std::uint16_t>(level * kSlots + slot), index);
  }

  std::uint32_t allocate_node() {
    if (!free_indices.empty()) {
      const std::uint32_t index = free_indices.back();
      free_indices.pop_back();
      return index;
    }
    if (nodes.size() >= kNil - 1) {
      throw std::length_error("TimerWheel: too many timers");
    }
    const std::uint32_t index = nodes.grow();
    if (free_indices.capacity() < nodes.size()) {
      // Geometric, so growing to n timers copies O(n); free_node then never allocates.
      free_indices.reserve(std::max(nodes.capacity(), free_indices.capacity() * 2));
    }
    return index;
  }

  void free_node(std::uint32_t index) noexcept {
    Node& node = nodes[index];
    node.fn.reset();
    node.state = NodeState::kFree;
    ++node.generation;  // invalidates every id handed out for this slot
    free_indices.push_back(index);
  }

  // The first tick after current_tick at which something must happen (a level-0 slot fires, a
  // higher slot cascades, or the overflow list is re-filed); UINT64_MAX if none.
  [[nodiscard]] std::uint64_t next_event_tick() const noexcept {
    for (unsigned level = 0; level < kLevels; ++level) {
      std::uint64_t bits = occupied[level];
      if (level == 0) {
        bits &= ~0ull << (current_tick & (kSlots - 1));
      }
      if (bits != 0) {
        const unsigned shift = level * kSlotBits;
        const std::uint64_t group_base = (current_tick >> (shift + kSlotBits))
                                         << (shift + kSlotBits);
        return group_base | (static_cast<std::uint64_t>(std::countr_zero(bits)) << shift);
      }
    }
    if (lists[kOverflowList].head != kNil) {
      const std::uint64_t block = current_tick >> kWheelBits;
      return block + 1 >= (1ull << (64 - kWheelBits)) ? std::numeric_limits<std::uint64_t>::max()
                                                      : (block + 1) << kWheelBits;
    }
    return std::numeric_limits<std::uint64_t>::max();
  }

  // Moves current_tick to `tick` (nothing may be due strictly between) and re-files the slots
  // whose range starts there, top level first.
  void move_to(std::uint64_t tick) noexcept {
    current_tick = tick;
    if ((tick & ((1ull << kWheelBits) - 1)) == 0) {
      refile(kOverflowList);
    }
    for (unsigned level = kLevels - 1; level >= 1; --level) {
      const unsigned shift = level * kSlotBits;
      if ((tick & ((1ull << shift) - 1)) != 0) {
        continue;
      }
      const auto slot = static_cast<unsigned>((tick >> shift) & (kSlots - 1));
      if ((occupied[level] & (1ull << slot)) != 0) {
        refile(static_cast<std::uint16_t>(level * kSlots + slot));
      }
    }
  }

  void refile(std::uint16_t list_id) noexcept {
    // Detach the whole list first: a node may be filed back into the same list (overflow).
    std::uint32_t index = lists[list_id].head;
    lists[list_id] = List{};
    if (list_id < kOverflowList) {
      occupied[list_id / kSlots] &= ~(1ull << (list_id % kSlots));
    }
    while (index != kNil) {
      const std::uint32_t next = nodes[index].next;
      if (next != kNil) {
        __builtin_prefetch(&nodes[next]);  // overlap the walk's cache misses with filing this node
      }
      nodes[index].prev = nodes[index].next = kNil;
      place(index);
      index = next;
    }
  }

  // Collects from `list_id` the nodes whose deadline is <= limit into `due`, in (deadline, seq)
  // order.
  void collect(std::uint16_t list_id, std::uint64_t limit) {
    const std::size_t first = due.size();
    std::uint32_t index = lists[list_id].head;
    while (index != kNil) {
      const std::uint32_t next = nodes[index].next;
      Node& node = nodes[index];
      if (node.deadline <= limit) {
        unlink(index);
        node.state = NodeState::kDue;
        due.push_back(DueEntry{node.deadline, node.seq, index});
      }
      index = next;
    }
    const auto begin = due.begin() + static_cast<std::ptrdiff_t>(first);
    if (!std::is_sorted(begin, due.end())) {
      std::sort(begin, due.end());
    }
  }

  // Runs the collected nodes. Each node is freed before its callback runs, so the callback may
  // add timers (the slab may grow) and cancelling its own id returns false.
  std::size_t run_due() {
    std::size_t ran = 0;
    std::size_t i = 0;
    try {
      for (; i < due.size(); ++i) {
        const std::uint32_t index = due[i].index;
        Node& node = nodes[index];
        if (node.state == NodeState::kCancelledDue) {
          free_node(index);
          continue;
        }
        TimerTask fn = std::move(node.fn);
        --live;
        free_node(index);
        ++ran;
        fn();
      }
    } catch (...) {
      // Keep the timers that did not run yet: they fire at the next advance().
      for (++i; i < due.size(); ++i) {
        const std::uint32_t index = due[i].index;
        if (nodes[index].state == NodeState::kCancelledDue) {
          free_node(index);
        } else {
          nodes[index].state = NodeState::kPending;
          push_back(kExpiredList, index);
        }
      }
      due.clear();
      throw;
    }
    due.clear();
    return ran;
  }

  [[nodiscard]] std::uint64_t level0_slot_min(unsigned slot) const noexcept {
    const std::uint64_t bit = 1ull << slot;
    if ((slot_min_valid & bit) == 0) {
      std::uint64_t best = std::numeric_limits<std::uint64_t>::max();
      for (std::uint32_t i = lists[slot].head; i != kNil; i = nodes[i].next) {
        best = std::min(best, nodes[i].deadline);
      }
      slot_min[slot] = best;
      slot_min_valid |= bit;
    }
    return slot_min[slot];
  }
};

TimerWheel::TimerWheel(std::uint64_t now_ns, std::uint64_t tick_ns)
    : impl_(new Impl(now_ns, tick_ns)) {}

TimerWheel::~TimerWheel() {
  delete impl_;
}

TimerId TimerWheel::add_at(std::uint64_t deadline_ns, TimerTask fn) {
  Impl& w = *impl_;
  const std::uint32_t index = w.allocate_node();
  Node& node = w.nodes[index];
  node.fn = std::move(fn);
  node.deadline = deadline_ns;
  node.seq = w.next_seq++;
  node.state = NodeState::kPending;
  ++w.live;
  if (deadline_ns <= w.now_ns) {
    // Already due: runs at the next advance() (never within the current one, so a callback that
    // re-arms itself with no delay cannot loop forever).
    w.push_back(kExpiredList, index);
  } else {
    w.place(index);  // its tick is >= current_tick because deadline > now
  }
  return (static_cast<TimerId>(node.generation) << 32) | (static_cast<TimerId>(index) + 1);
}

TimerId TimerWheel::add_after(std::uint64_t delay_ns, TimerTask fn) {
  return add_at(saturating_add(impl_->now_ns, delay_ns), std::move(fn));
}

bool TimerWheel::cancel(TimerId id) noexcept {
  Impl& w = *impl_;
  const std::uint64_t low = id & 0xffffffffu;
  if (low == 0 || low > w.nodes.size()) {
    return false;
  }
  const auto index = static_cast<std::uint32_t>(low - 1);
  Node& node = w.nodes[index];
  if (node.generation != static_cast<std::uint32_t>(id >> 32)) {
    return false;
  }
  switch (node.state) {
    case NodeState::kPending:
      w.unlink(index);
      w.free_node(index);
      --w.live;
      return true;
    case NodeState::kDue:  // collected by the running advance(), not run yet
      node.state = NodeState::kCancelledDue;
      node.fn.reset();
      --w.live;
      return true;
    default:
      return false;
  }
}

std::size_t TimerWheel::advance(std::uint64_t now_ns) {
  Impl& w = *impl_;
  assert(!w.advancing && "TimerWheel::advance is not reentrant");
  const std::uint64_t now = std::max(now_ns, w.now_ns);
  w.now_ns = now;
  w.advancing = true;
  struct Reset {
    bool& flag;
    ~Reset() { flag = false; }
  } reset{w.advancing};

  const std::uint64_t target = std::max(w.tick_of(now), w.current_tick);
  // Timers that were already due when added have deadlines <= the previous now, earlier than
  // anything still in the wheel, so they run first.
  w.collect(kExpiredList, std::numeric_limits<std::uint64_t>::max());
  std::size_t ran = w.run_due();
  for (;;) {
    const auto slot = static_cast<std::uint16_t>(w.current_tick & (kSlots - 1));
    if ((w.occupied[0] & (1ull << slot)) != 0) {
      w.collect(slot, now);
      if ((w.occupied[0] & (1ull << slot)) != 0) {
        w.slot_min_valid &= ~(1ull << slot);  // partly fired: recompute lazily
      }
      ran += w.run_due();
    }
    if (w.current_tick == target) {
      break;
    }
    const std::uint64_t next = w.next_event_tick();
    if (next > target) {
      // Nothing is due up to target, and every slot stays ahead of it, so positions stay valid.
      w.current_tick = target;
      break;
    }
    w.move_to(next);
  }
  return ran;
}

std::uint64_t TimerWheel::ns_until_next(std::uint64_t now_ns) const noexcept {
  const Impl& w = *impl_;
  if (w.live == 0) {
    return std::numeric_limits<std::uint64_t>::max();
  }
  if (w.lists[kExpiredList].head != kNil) {
    return 0;
  }
  std::uint64_t earliest = std::numeric_limits<std::uint64_t>::max();
  const std::uint64_t level0 = w.occupied[0] & (~0ull << (w.current_tick & (kSlots - 1)));
  if (level0 != 0) {
    // The nearest level-0 slot holds the earliest deadlines of the whole wheel; use its exact
    // minimum.
    earliest = w.level0_slot_min(static_cast<unsigned>(std::countr_zero(level0)));
  } else {
    // A higher slot (or the overflow list) first matters at its range start, never after any of
    // its deadlines; advance() then re-files it and the next answer is exact.
    earliest = w.ns_of_tick(w.next_event_tick());
  }
  return earliest > now_ns ? earliest - now_ns : 0;
}

std::size_t TimerWheel::size() const noexcept {
  return impl_->live;
}

std::uint64_t TimerWheel::now_ns() const noexcept {
  return impl_->now_ns;
}

}  // namespace hexwire::core
