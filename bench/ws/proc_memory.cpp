// /proc readers for the connection-memory benchmark (see proc_memory.hpp).
#include "proc_memory.hpp"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace hexwire::bench {

namespace {

std::int64_t kib_field(const std::string& line) {
  std::istringstream in(line.substr(line.find(':') + 1));
  std::int64_t kib = 0;
  in >> kib;
  return kib * 1024;
}

/// "anon <size>" for anonymous mappings (their size tells a ring, a stack and an arena apart),
/// the path's last component for files, the bracketed name for [heap], [stack], [vdso]...
std::string mapping_kind(const std::string& header) {
  std::istringstream in(header);
  std::string range;
  std::string perms;
  std::string offset;
  std::string device;
  std::string inode;
  std::string path;
  in >> range >> perms >> offset >> device >> inode;
  std::getline(in, path);
  path.erase(0, path.find_first_not_of(' '));
  if (!path.empty()) {
    const auto slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
  }
  const auto dash = range.find('-');
  const std::uint64_t start = std::stoull(range.substr(0, dash), nullptr, 16);
  const std::uint64_t end = std::stoull(range.substr(dash + 1), nullptr, 16);
  return "anon " + std::to_string((end - start) >> 10) + " KiB";
}

}  // namespace

ProcessMemory read_process_memory(pid_t pid) {
  ProcessMemory memory;
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      memory.rss_bytes = kib_field(line);
    } else if (line.rfind("VmHWM:", 0) == 0) {
      memory.hwm_bytes = kib_field(line);
    }
  }
  return memory;
}

std::map<std::string, std::int64_t> resident_by_mapping(pid_t pid) {
  std::map<std::string, std::int64_t> by_kind;
  std::ifstream smaps("/proc/" + std::to_string(pid) + "/smaps");
  std::string line;
  std::string kind;
  while (std::getline(smaps, line)) {
    if (line.empty()) {
      continue;
    }
    // Mapping headers start with a hex address range; fields start with a capitalised name.
    const auto colon = line.find(':');
    const auto dash = line.find('-');
    if (dash != std::string::npos && (colon == std::string::npos || dash < colon)) {
      kind = mapping_kind(line);
    } else if (line.rfind("Rss:", 0) == 0) {
      by_kind[kind] += kib_field(line);
    }
  }
  return by_kind;
}

KernelMemory read_kernel_memory() {
  KernelMemory memory;
  std::ifstream sockstat("/proc/net/sockstat");
  std::string word;
  while (sockstat >> word) {
    if (word != "TCP:") {
      continue;
    }
    std::string key;
    std::int64_t value = 0;
    for (int i = 0; i < 5 && (sockstat >> key >> value); ++i) {
      if (key == "inuse") {
        memory.tcp_sockets = value;
      } else if (key == "mem") {
        memory.tcp_buffer_bytes = value * sysconf(_SC_PAGESIZE);
      }
    }
    break;
  }
  std::ifstream slabinfo("/proc/slabinfo");
  std::string line;
  while (std::getline(slabinfo, line)) {
    if (line.empty() || line[0] == '#' || line.rfind("slabinfo", 0) == 0) {
      continue;
    }
    std::istringstream in(line);
    std::string name;
    std::int64_t active = 0;
    std::int64_t total = 0;
    std::int64_t size = 0;
    if (in >> name >> active >> total >> size) {
      memory.slabinfo_readable = true;
      memory.slab_by_cache[name] = total * size;
      memory.slab_bytes += total * size;
    }
  }
  return memory;
}

std::vector<std::pair<std::string, std::int64_t>> largest_slab_growth(const KernelMemory& before,
                                                                      const KernelMemory& after,
                                                                      std::size_t count) {
  std::vector<std::pair<std::string, std::int64_t>> growth;
  for (const auto& [name, bytes] : after.slab_by_cache) {
    const auto it = before.slab_by_cache.find(name);
    const std::int64_t delta = bytes - (it == before.slab_by_cache.end() ? 0 : it->second);
    if (delta > 0) {
      growth.emplace_back(name, delta);
    }
  }
  std::sort(growth.begin(), growth.end(),
            [](const auto& a, const auto& b) { return a.second > b.second; });
  if (growth.size() > count) {
    growth.resize(count);
  }
  return growth;
}

}  // namespace hexwire::bench
