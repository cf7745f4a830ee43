// A move-only `void()` callable with small-buffer storage: the unit of work that crosses shards
// through mailboxes and that timers run. Callables up to kInlineSize bytes are stored inline (no
// allocation); larger ones go to the heap.
#pragma once

#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

namespace hexwire::core {

class Task {
 public:
  static constexpr std::size_t kInlineSize = 48;

  Task() noexcept = default;

  template <typename F, typename = std::enable_if_t<!std::is_same_v<std::decay_t<F>, Task> &&
                                                    std::is_invocable_v<std::decay_t<F>&>>>
  Task(F&& fn) {  // NOLINT(google-explicit-constructor): lambdas convert implicitly
    using Fn = std::decay_t<F>;
    if constexpr (sizeof(Fn) <= kInlineSize && alignof(Fn) <= alignof(std::max_align_t) &&
                  std::is_nothrow_move_constructible_v<Fn>) {
      new (storage_) Fn(std::forward<F>(fn));
      ops_ = &inline_ops<Fn>;
    } else {
      *reinterpret_cast<Fn**>(storage_) = new Fn(std::forward<F>(fn));
      ops_ = &heap_ops<Fn>;
    }
  }

  Task(Task&& other) noexcept { move_from(other); }
  Task& operator=(Task&& other) noexcept {
    if (this != &other) {
      reset();
      move_from(other);
    }
    return *this;
  }
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;
  ~Task() { reset(); }

  explicit operator bool() const noexcept { return ops_ != nullptr; }

  /// Runs the callable. Calling an empty Task is a bug (asserted by a null call).
  void operator()() { ops_->invoke(storage_); }

  void reset() noexcept {
    if (ops_) {
      ops_->destroy(storage_);
      ops_ = nullptr;
    }
  }

 private:
  struct Ops {
    void (*invoke)(void*);
    void (*move)(void* dst, void* src) noexcept;
    void (*destroy)(void*) noexcept;
  };

  template <typename Fn>
  static constexpr Ops inline_ops{[](void* p) { (*static_cast<Fn*>(p))(); },
                                  [](void* dst, void* src) noexcept {
                                    new (dst) Fn(std::move(*static_cast<Fn*>(src)));
                                    static_cast<Fn*>(src)->~Fn();
                                  },
                                  [](void* p) noexcept { static_cast<Fn*>(p)->~Fn(); }};

  template <typename Fn>
  static constexpr Ops heap_ops{
      [](void* p) { (**static_cast<Fn**>(p))(); },
      [](void* dst, void* src) noexcept { *static_cast<Fn**>(dst) = *static_cast<Fn**>(src); },
      [](void* p) noexcept { delete *static_cast<Fn**>(p); }};

  void move_from(Task& other) noexcept {
    ops_ = std::exchange(other.ops_, nullptr);
    if (ops_) {
      ops_->move(storage_, other.storage_);
    }
  }

  alignas(std::max_align_t) unsigned char storage_[kInlineSize];
  const Ops* ops_ = nullptr;
};

}  // namespace hexwire::core
