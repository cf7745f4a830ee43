// A FIFO for pubsub's per-channel and per-user queues (history, pending subscribes, offline
// messages) that costs 24 bytes and no heap while empty. std::deque allocates a 64-byte map and a
// 512-byte block as soon as it is constructed, which made every idle connection pay ~1.8 KiB for
// three empty queues (docs/capacity.md). Elements live in one power-of-two circular buffer that
// doubles when full and is freed when the queue empties.
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <new>
#include <utility>

namespace hexwire::pubsub::detail {

template <typename T>
class RingQueue {
 public:
  template <typename Q, typename V>
  class Iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = T;
    using difference_type = std::ptrdiff_t;
    using pointer = V*;
    using reference = V&;
    Iterator() noexcept = default;
    Iterator(Q* queue, std::uint32_t index) noexcept : queue_(queue), index_(index) {}
    reference operator*() const noexcept { return (*queue_)[index_]; }
    pointer operator->() const noexcept { return &(*queue_)[index_]; }
    Iterator& operator++() noexcept {
      ++index_;
      return *this;
    }
    Iterator operator++(int) noexcept {
      Iterator old = *this;
      ++index_;
      return old;
    }
    bool operator==(const Iterator& other) const noexcept { return index_ == other.index_; }
    /// Position from the front (for erase).
    [[nodiscard]] std::uint32_t index() const noexcept { return index_; }

   private:
    Q* queue_ = nullptr;
    std::uint32_t index_ = 0;
  };
  using iterator = Iterator<RingQueue, T>;
  using const_iterator = Iterator<const RingQueue, const T>;

  RingQueue() noexcept = default;
  ~RingQueue() { clear(); }
  RingQueue(RingQueue&& other) noexcept
      : slots_(std::exchange(other.slots_, nullptr)),
        head_(std::exchange(other.head_, 0)),
        size_(std::exchange(other.size_, 0)),
        capacity_(std::exchange(other.capacity_, 0)) {}
  RingQueue& operator=(RingQueue&& other) noexcept {
    if (this != &other) {
      clear();
      slots_ = std::exchange(other.slots_, nullptr);
      head_ = std::exchange(other.head_, 0);
      size_ = std::exchange(other.size_, 0);
      capacity_ = std::exchange(other.capacity_, 0);
    }
    return *this;
  }
  RingQueue(const RingQueue&) = delete;
  RingQueue& operator=(const RingQueue&) = delete;

  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  /// Slots allocated (0 while empty).
  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }

  T& operator[](std::size_t i) noexcept {
    assert(i < size_);
    return slots_[(head_ + i) & (capacity_ - 1)];
  }
  const T& operator[](std::size_t i) const noexcept {
    assert(i < size_);
    return slots_[(head_ + i) & (capacity_ - 1)];
  }
  T& front() noexcept { return (*this)[0]; }
  const T& front() const noexcept { return (*this)[0]; }
  T& back() noexcept { return (*this)[size_ - 1]; }
  const T& back() const noexcept { return (*this)[size_ - 1]; }

  iterator begin() noexcept { return {this, 0}; }
  iterator end() noexcept { return {this, size_}; }
  const_iterator begin() const noexcept { return {this, 0}; }
  const_iterator end() const noexcept { return {this, size_}; }

  template <typename... Args>
  T& emplace_back(Args&&... args) {
    if (size_ == capacity_) {
      grow();
    }
    T* slot = &slots_[(head_ + size_) & (capacity_ - 1)];
    ::new (static_cast<void*>(slot)) T(std::forward<Args>(args)...);
    ++size_;
    return *slot;
  }
  void push_back(T value) { emplace_back(std::move(value)); }

  /// Removes the front element; the storage is freed when the queue becomes empty.
  void pop_front() noexcept {
    assert(size_ > 0);
    std::destroy_at(&slots_[head_]);
    head_ = (head_ + 1) & (capacity_ - 1);
    if (--size_ == 0) {
      release();
    }
  }

  /// Removes the element at `position`, keeping the order of the others: O(1) at the front,
  /// else O(distance to the back).
  void erase(iterator position) noexcept {
    const std::uint32_t index = position.index();
    assert(index < size_);
    if (index == 0) {
      pop_front();
      return;
    }
    for (std::uint32_t i = index; i + 1 < size_; ++i) {
      (*this)[i] = std::move((*this)[i + 1]);
    }
    std::destroy_at(&(*this)[size_ - 1]);
    if (--size_ == 0) {
      release();
    }
  }

  /// Destroys every element and frees the storage.
  void clear() noexcept {
    for (std::uint32_t i = 0; i < size_; ++i) {
      std::destroy_at(&(*this)[i]);
    }
    size_ = 0;
    release();
  }

 private:
  void grow() {
    const std::uint32_t capacity = capacity_ == 0 ? 4 : capacity_ * 2;
    T* slots = std::allocator<T>().allocate(capacity);
    for (std::uint32_t i = 0; i < size_; ++i) {
      T& from = (*this)[i];
      ::new (static_cast<void*>(&slots[i])) T(std::move(from));
      std::destroy_at(&from);
    }
    if (slots_ != nullptr) {
      std::allocator<T>().deallocate(slots_, capacity_);
    }
    slots_ = slots;
    capacity_ = capacity;
    head_ = 0;
  }
  void release() noexcept {
    if (slots_ != nullptr) {
      std::allocator<T>().deallocate(slots_, capacity_);
    }
    slots_ = nullptr;
    capacity_ = 0;
    head_ = 0;
  }

  T* slots_ = nullptr;
  std::uint32_t head_ = 0;
  std::uint32_t size_ = 0;
  std::uint32_t capacity_ = 0;
};

}  // namespace hexwire::pubsub::detail
