// Readers of the kernel's memory accounting for the connection-memory benchmark: a process's
// resident set and peak (/proc/PID/status VmRSS, VmHWM), its mappings grouped by what they are
// (/proc/PID/smaps), and the machine's socket memory (/proc/net/sockstat, /proc/slabinfo), so a
// run can say how many bytes each connection costs in user space and in the kernel.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace hexwire::bench {

struct ProcessMemory {
  std::int64_t rss_bytes = 0;  // VmRSS
  std::int64_t hwm_bytes = 0;  // VmHWM: peak resident set since the process started
};

/// VmRSS and VmHWM of `pid` (zeros when the process is gone).
ProcessMemory read_process_memory(pid_t pid);

/// Resident bytes of `pid` per kind of mapping: "[heap]", "[stack]", "anon", the file name of
/// each mapped file (binary, shared libraries), "io_uring" for ring mappings, and so on.
std::map<std::string, std::int64_t> resident_by_mapping(pid_t pid);

/// Machine-wide kernel memory that grows with sockets.
struct KernelMemory {
  std::int64_t tcp_sockets = 0;       // sockstat TCP inuse (this network namespace)
  std::int64_t tcp_buffer_bytes = 0;  // sockstat TCP mem (pages of skb buffers, all namespaces)
  std::int64_t slab_bytes = 0;        // sum over /proc/slabinfo of num_objs x objsize
  std::map<std::string, std::int64_t> slab_by_cache;  // the same per cache
  bool slabinfo_readable = false;     // /proc/slabinfo needs root
};

KernelMemory read_kernel_memory();

/// The caches whose bytes grew most from `before` to `after` (largest first, at most `count`).
std::vector<std::pair<std::string, std::int64_t>> largest_slab_growth(const KernelMemory& before,
                                                                      const KernelMemory& after,
                                                                      std::size_t count);

}  // namespace hexwire::bench
