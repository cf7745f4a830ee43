// Clocks: a monotonic nanosecond clock for latency and timers, and wall-clock microseconds since
// the Unix epoch for protocol timestamps (`ts`).
#pragma once

#include <cstdint>
#include <ctime>

namespace hexwire::core {

/// Monotonic time in nanoseconds (CLOCK_MONOTONIC; vDSO, no system call).
inline std::uint64_t monotonic_ns() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<std::uint64_t>(ts.tv_nsec);
}

/// Wall-clock time in microseconds since the Unix epoch (CLOCK_REALTIME).
inline std::int64_t wall_us() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000 + ts.tv_nsec / 1000;
}

}  // namespace hexwire::core
