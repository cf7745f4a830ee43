// Task: the move-only `void()` callable that crosses shards through mailboxes and that timers run.
// It is core::UniqueFunction<void()>: callables up to kInlineSize bytes are stored inline (no
// allocation); larger ones go to the heap.
#pragma once

#include "core/unique_function.hpp"

namespace hexwire::core {

using Task = UniqueFunction<void()>;

}  // namespace hexwire::core
