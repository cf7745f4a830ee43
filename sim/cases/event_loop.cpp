// EventLoop: a binary min-heap of (time, scheduling sequence) with the tasks in a slab of slots,
// so that cancelling is O(1) (the heap entry is skipped when it surfaces) and ids are never
// confused with a later event in the same slot (each slot carries a generation).
#include "sim/cases/event_loop.hpp"

#include <algorithm>
#include <cassert>
#include <utility>

namespace hexwire::sim::cases {

bool EventLoop::later(const Entry& a, const Entry& b) noexcept {
  return a.time != b.time ? a.time > b.time : a.seq > b.seq;
}

std::uint32_t EventLoop::take_slot() {
  if (!free_slots_.empty()) {
    const std::uint32_t slot = free_slots_.back();
    free_slots_.pop_back();
    return slot;
  }
  slots_.emplace_back();
  return static_cast<std::uint32_t>(slots_.size() - 1);
}

void EventLoop::release_slot(std::uint32_t slot) noexcept {
  Slot& s = slots_[slot];
  s.task.reset();
  s.pending = false;
  ++s.generation;
  free_slots_.push_back(slot);
}

EventId EventLoop::at(SimTime time, core::Task task) {
  assert(task && "EventLoop::at with an empty task");
  const std::uint32_t slot = take_slot();
  Slot& s = slots_[slot];
  s.task = std::move(task);
  s.pending = true;
  heap_.push_back(Entry{std::max(time, now_), next_seq_++, slot, s.generation});
  std::push_heap(heap_.begin(), heap_.end(), later);
  ++live_;
  return (static_cast<EventId>(s.generation) << 32) | slot;
}

bool EventLoop::cancel(EventId id) noexcept {
  const auto slot = static_cast<std::uint32_t>(id & 0xffff'ffffu);
  const auto generation = static_cast<std::uint32_t>(id >> 32);
  if (slot >= slots_.size()) {
    return false;
  }
  Slot& s = slots_[slot];
  if (!s.pending || s.generation != generation) {
    return false;
  }
  // The heap entry stays; it is recognised as dead (pending == false) when it surfaces, and only
  // then is the slot reused, so its generation cannot match a live entry by accident.
  s.task.reset();
  s.pending = false;
  --live_;
  return true;
}

void EventLoop::drop_dead_top() noexcept {
  while (!heap_.empty()) {
    const Entry& top = heap_.front();
    const Slot& s = slots_[top.slot];
    if (s.pending && s.generation == top.generation) {
      return;
    }
    const std::uint32_t slot = top.slot;
    std::pop_heap(heap_.begin(), heap_.end(), later);
    heap_.pop_back();
    release_slot(slot);
  }
}

SimTime EventLoop::next_time() const noexcept {
  return heap_.empty() ? now_ : heap_.front().time;
}

bool EventLoop::run_next() {
  if (stopped_) {
    return false;
  }
  drop_dead_top();
  if (heap_.empty()) {
    return false;
  }
  const Entry top = heap_.front();
  std::pop_heap(heap_.begin(), heap_.end(), later);
  heap_.pop_back();
  core::Task task = std::move(slots_[top.slot].task);
  release_slot(top.slot);
  --live_;
  now_ = top.time;
  ++executed_;
  task();
  return true;
}

std::uint64_t EventLoop::run_until(SimTime until) {
  std::uint64_t ran = 0;
  while (!stopped_) {
    drop_dead_top();
    if (heap_.empty() || heap_.front().time > until) {
      break;
    }
    run_next();
    ++ran;
  }
  if (!stopped_ && until > now_) {
    now_ = until;
  }
  return ran;
}

}  // namespace hexwire::sim::cases
