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

/// CPU time the calling thread has used, in nanoseconds (CLOCK_THREAD_CPUTIME_ID: a system call,
/// about 0.2-0.5 us; sample it per window, not per event). Softirq work the kernel runs on the
/// thread's behalf (the loopback receive path during a send) is included.
inline std::uint64_t thread_cpu_ns() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<std::uint64_t>(ts.tv_nsec);
}

/// Wall-clock time in microseconds since the Unix epoch (CLOCK_REALTIME).
inline std::int64_t wall_us() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000 + ts.tv_nsec / 1000;
}

}  // namespace hexwire::core
