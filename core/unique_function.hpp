// UniqueFunction<R(Args...), InlineSize>: a move-only callable with small-buffer storage.
// Callables up to InlineSize bytes (48 by default) that are nothrow-movable (and no more aligned
// than the storage: max_align_t, or a pointer for InlineSize < 32) are stored inline without
// allocation; larger ones go to the heap. core::Task
// (mailboxes), core::TimerTask (16 bytes inline: a timer per connection must stay small) and the
// pubsub result callbacks are instances of it.
#pragma once

#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

namespace hexwire::core {

template <typename Signature, std::size_t InlineSize = 48>
class UniqueFunction;

template <typename R, typename... Args, std::size_t InlineSize>
class UniqueFunction<R(Args...), InlineSize> {
 public:
  static constexpr std::size_t kInlineSize = InlineSize;

  UniqueFunction() noexcept = default;
  UniqueFunction(std::nullptr_t) noexcept {}  // NOLINT(google-explicit-constructor)

  template <typename F,
            typename = std::enable_if_t<!std::is_same_v<std::decay_t<F>, UniqueFunction> &&
                                        std::is_invocable_r_v<R, std::decay_t<F>&, Args...>>>
  UniqueFunction(F&& fn) {  // NOLINT(google-explicit-constructor): lambdas convert implicitly
    using Fn = std::decay_t<F>;
    if constexpr (sizeof(Fn) <= kInlineSize && alignof(Fn) <= kAlign &&
                  std::is_nothrow_move_constructible_v<Fn>) {
      new (storage_) Fn(std::forward<F>(fn));
      ops_ = &inline_ops<Fn>;
    } else {
      *reinterpret_cast<Fn**>(storage_) = new Fn(std::forward<F>(fn));
      ops_ = &heap_ops<Fn>;
    }
  }

  UniqueFunction(UniqueFunction&& other) noexcept { move_from(other); }
  UniqueFunction& operator=(UniqueFunction&& other) noexcept {
    if (this != &other) {
      reset();
      move_from(other);
    }
    return *this;
  }
  UniqueFunction(const UniqueFunction&) = delete;
  UniqueFunction& operator=(const UniqueFunction&) = delete;
  ~UniqueFunction() { reset(); }

  explicit operator bool() const noexcept { return ops_ != nullptr; }

  /// Calls the target. Calling an empty UniqueFunction is a bug (a null call).
  R operator()(Args... args) { return ops_->invoke(storage_, std::forward<Args>(args)...); }

  void reset() noexcept {
    if (ops_) {
      ops_->destroy(storage_);
      ops_ = nullptr;
    }
  }

 private:
  struct Ops {
    R (*invoke)(void*, Args&&...);
    void (*move)(void* dst, void* src) noexcept;
    void (*destroy)(void*) noexcept;
  };

  template <typename Fn>
  static constexpr Ops inline_ops{[](void* p, Args&&... args) -> R {
                                    return (*static_cast<Fn*>(p))(std::forward<Args>(args)...);
                                  },
                                  [](void* dst, void* src) noexcept {
                                    new (dst) Fn(std::move(*static_cast<Fn*>(src)));
                                    static_cast<Fn*>(src)->~Fn();
                                  },
                                  [](void* p) noexcept { static_cast<Fn*>(p)->~Fn(); }};

  template <typename Fn>
  static constexpr Ops heap_ops{
      [](void* p, Args&&... args) -> R {
        return (**static_cast<Fn**>(p))(std::forward<Args>(args)...);
      },
      [](void* dst, void* src) noexcept { *static_cast<Fn**>(dst) = *static_cast<Fn**>(src); },
      [](void* p) noexcept { delete *static_cast<Fn**>(p); }};

  void move_from(UniqueFunction& other) noexcept {
    ops_ = std::exchange(other.ops_, nullptr);
    if (ops_) {
      ops_->move(storage_, other.storage_);
    }
  }

  // Small instances align their storage to a pointer only, so a 16-byte one is 24 bytes in all.
  static constexpr std::size_t kAlign =
      InlineSize >= 32 ? alignof(std::max_align_t) : alignof(void*);
  alignas(kAlign) unsigned char storage_[kInlineSize];
  const Ops* ops_ = nullptr;
};

}  // namespace hexwire::core
