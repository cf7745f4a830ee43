// Replaces every global allocation function with malloc/free plus a counter, for tests that check
// a path allocates a bounded number of times (or not at all). Include it in exactly ONE .cpp of a
// test binary: the definitions below are replacements, not inline functions.
//
// All forms are replaced (plain, array and nothrow; the sized deletes too), so an allocation and
// its release always come from the same pair. A partial set is a real mismatch under
// AddressSanitizer: its own nothrow `new` (Catch2 registers test cases with one) released by a
// replaced `delete` that calls free() is reported as alloc-dealloc-mismatch.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <new>

namespace hexwire::testing {
/// Global operator new calls of every form since the program started.
inline std::atomic<std::uint64_t> allocation_count{0};

/// malloc with a count; nullptr when out of memory (size 0 gets a distinct 1-byte block).
inline void* counted_malloc(std::size_t size) noexcept {
  allocation_count.fetch_add(1, std::memory_order_relaxed);  // a counter only: no ordering
  return std::malloc(size == 0 ? 1 : size);
}
}  // namespace hexwire::testing

void* operator new(std::size_t size) {
  if (void* p = hexwire::testing::counted_malloc(size)) {
    return p;
  }
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) { return operator new(size); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  return hexwire::testing::counted_malloc(size);
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  return hexwire::testing::counted_malloc(size);
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
