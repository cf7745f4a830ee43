// Parent/child hierarchy of the hex grid: cellToParent, cellToCenterChild, cellToChildren (H3's
// order, pentagons skip their deleted K sub-sequence), and compactCells/uncompactCells (compaction
// follows H3's algorithm and output order; it needs scratch memory, uncompaction does not).
#include <algorithm>
#include <new>
#include <vector>

#include "geo/detail/hexgrid_internal.hpp"

namespace hexwire::geo {
using namespace detail;

namespace {

/// Mask of the digits of resolutions first..15.
constexpr std::uint64_t digits_from(int first) noexcept {
  const int bits = (kMaxResolution - first + 1) * kDigitBits;
  return bits <= 0 ? 0 : (bits >= 64 ? ~0ULL : ((1ULL << bits) - 1));
}
/// kParentBits[r]: resolution field r plus every digit finer than r set to 7.
struct ParentBits {
  std::uint64_t bits[kMaxResolution + 1];
  constexpr ParentBits() : bits{} {
    for (int r = 0; r <= kMaxResolution; ++r) {
      bits[r] = (static_cast<std::uint64_t>(r) << 52) | digits_from(r + 1);
    }
  }
};
constexpr ParentBits kParentBits{};

std::int64_t pow7(int n) noexcept {
  std::int64_t p = 1;
  for (int i = 0; i < n; ++i) {
    p *= 7;
  }
  return p;
}

}  // namespace

H3Error cell_to_parent(CellId cell, int parent_res, CellId* out) noexcept {
  const int res = index_res(cell);
  if (parent_res < 0 || parent_res > kMaxResolution) {
    return H3Error::kResDomain;
  }
  if (parent_res > res) {
    return H3Error::kResMismatch;
  }
  *out = (cell & ~(0xfULL << 52)) | kParentBits.bits[parent_res];
  return H3Error::kSuccess;
}

H3Error cell_to_center_child(CellId cell, int child_res, CellId* out) noexcept {
  const int res = index_res(cell);
  if (child_res < 0 || child_res > kMaxResolution || child_res < res) {
    return H3Error::kResDomain;
  }
  // Digits res+1..child_res become 0; the rest stay 7.
  *out = with_res(cell, child_res) & ~(digits_from(res + 1) & ~digits_from(child_res + 1));
  return H3Error::kSuccess;
}

H3Error cell_to_children_size(CellId cell, int child_res, std::int64_t* out) noexcept {
  const int res = index_res(cell);
  if (child_res < 0 || child_res > kMaxResolution || child_res < res) {
    return H3Error::kResDomain;
  }
  const std::int64_t n = pow7(child_res - res);
  *out = is_pentagon(cell) ? 1 + 5 * (n - 1) / 6 : n;
  return H3Error::kSuccess;
}

H3Error cell_to_children(CellId cell, int child_res, std::span<CellId> out) noexcept {
  std::int64_t size = 0;
  if (const H3Error e = cell_to_children_size(cell, child_res, &size); e != H3Error::kSuccess) {
    return e;
  }
  if (static_cast<std::int64_t>(out.size()) < size) {
    return H3Error::kMemoryBounds;
  }
  const int res = index_res(cell);
  const bool pentagon = is_pentagon(cell);
  CellId child = 0;
  cell_to_center_child(cell, child_res, &child);
  std::int64_t written = 0;
  while (true) {
    out[static_cast<std::size_t>(written++)] = child;
    // Odometer increment over digits res+1..child_res, the finest digit fastest.
    int r = child_res;
    for (; r > res; --r) {
      const int d = index_digit(child, r);
      if (d < 6) {
        child = with_digit(child, r, d + 1);
        break;
      }
      child = with_digit(child, r, 0);
    }
    if (r == res) {
      break;
    }
    if (pentagon) {
      // Skip children whose leading non-zero digit is K (the pentagon's deleted sub-sequence).
      bool leading_k = false;
      for (int q = res + 1; q <= child_res; ++q) {
        const int d = index_digit(child, q);
        if (d != 0) {
          leading_k = d == kK;
          break;
        }
      }
      if (leading_k) {
        // Jump straight to the next value of that digit: it is at position r (just incremented).
        child = with_digit(child, r, kJ);
      }
    }
  }
  return written == size ? H3Error::kSuccess : H3Error::kFailed;
}

namespace {

constexpr std::uint64_t kReservedMask = 7ULL << 56;
constexpr int reserved_count(CellId h) noexcept { return static_cast<int>((h >> 56) & 7); }
constexpr CellId with_reserved_count(CellId h, int count) noexcept {
  return (h & ~kReservedMask) | (static_cast<std::uint64_t>(count) << 56);
}

/// H3's compaction, level by level: parents are counted in an open-addressing table (the count
/// lives in the reserved bits), full sets become the next level's input, the rest is output in
/// input order. Duplicates are detected the way H3 does (only when a parent overflows).
H3Error compact_levels(std::vector<CellId>& remaining, std::vector<CellId>& table, std::span<CellId> out,
                       std::size_t* count) {
  std::size_t written = 0;
  std::size_t num = remaining.size();
  std::vector<CellId> compactable;
  while (num > 0) {
    const int parent_res = index_res(remaining[0]) - 1;
    std::fill(table.begin(), table.begin() + static_cast<std::ptrdiff_t>(num), 0);
    if (parent_res >= 0) {
      for (std::size_t i = 0; i < num; ++i) {
        const CellId cell = remaining[i];
        if (cell == 0) {
          continue;
        }
        if (reserved_count(cell) != 0) {
          return H3Error::kCellInvalid;
        }
        CellId parent = 0;
        if (const H3Error e = cell_to_parent(cell, parent_res, &parent); e != H3Error::kSuccess) {
          return e;
        }
        std::size_t loc = static_cast<std::size_t>(parent % num);
        std::size_t loops = 0;
        while (table[loc] != 0) {
          if (loops > num) {
            return H3Error::kFailed;
          }
          const CellId held = table[loc] & ~kReservedMask;
          if (held == parent) {
            const int c = reserved_count(table[loc]) + 1;
            const int limit = is_pentagon(held) ? 6 : 7;
            if (c + 1 > limit) {
              return H3Error::kDuplicateInput;
            }
            parent = with_reserved_count(parent, c);
            table[loc] = 0;
          } else {
            loc = (loc + 1) % num;
          }
          ++loops;
        }
        table[loc] = parent;
      }
    }
    if (num / 6 == 0) {
      for (std::size_t i = 0; i < num; ++i) {
        out[written++] = remaining[i];
      }
      break;
    }
    compactable.clear();
    for (std::size_t i = 0; i < num; ++i) {
      if (table[i] == 0) {
        continue;
      }
      int c = reserved_count(table[i]) + 1;
      if (is_pentagon(table[i] & ~kReservedMask)) {
        table[i] = with_reserved_count(table[i], c);
        ++c;
      }
      if (c == 7) {
        compactable.push_back(table[i] & ~kReservedMask);
      }
    }
    for (std::size_t i = 0; i < num; ++i) {
      const CellId cell = remaining[i];
      if (cell == 0) {
        continue;
      }
      bool uncompactable = true;
      if (parent_res >= 0) {
        CellId parent = 0;
        cell_to_parent(cell, parent_res, &parent);
        std::size_t loc = static_cast<std::size_t>(parent % num);
        std::size_t loops = 0;
        do {
          if (loops > num) {
            return H3Error::kFailed;
          }
          if ((table[loc] & ~kReservedMask) == parent) {
            if (reserved_count(table[loc]) + 1 == 7) {
              uncompactable = false;
            }
            break;
          }
          loc = (loc + 1) % num;
          ++loops;
        } while (table[loc] != parent);
      }
      if (uncompactable) {
        out[written++] = cell;
      }
    }
    std::copy(compactable.begin(), compactable.end(), remaining.begin());
    num = compactable.size();
  }
  *count = written;
  return H3Error::kSuccess;
}

}  // namespace

H3Error compact_cells(std::span<const CellId> cells, std::span<CellId> out, std::size_t* count) noexcept {
  *count = 0;
  if (out.size() < cells.size()) {
    return H3Error::kMemoryBounds;
  }
  std::fill(out.begin(), out.end(), 0);
  if (cells.empty()) {
    return H3Error::kSuccess;
  }
  if (index_res(cells[0]) == 0) {
    std::copy(cells.begin(), cells.end(), out.begin());
    *count = cells.size();
    return H3Error::kSuccess;
  }
  try {
    std::vector<CellId> remaining(cells.begin(), cells.end());
    std::vector<CellId> table(cells.size());
    const H3Error e = compact_levels(remaining, table, out, count);
    if (e != H3Error::kSuccess) {
      std::fill(out.begin(), out.end(), 0);
      *count = 0;
    }
    return e;
  } catch (const std::bad_alloc&) {
    return H3Error::kMemoryAlloc;
  }
}

H3Error uncompact_cells_size(std::span<const CellId> cells, int res, std::int64_t* out) noexcept {
  if (res < 0 || res > kMaxResolution) {
    return H3Error::kResDomain;
  }
  std::int64_t total = 0;
  for (const CellId c : cells) {
    if (c == 0) {
      continue;
    }
    if (!is_valid_cell(c)) {
      return H3Error::kCellInvalid;
    }
    if (index_res(c) > res) {
      return H3Error::kResMismatch;
    }
    std::int64_t n = 0;
    if (const H3Error e = cell_to_children_size(c, res, &n); e != H3Error::kSuccess) {
      return e;
    }
    total += n;
  }
  *out = total;
  return H3Error::kSuccess;
}

H3Error uncompact_cells(std::span<const CellId> cells, int res, std::span<CellId> out) noexcept {
  std::int64_t total = 0;
  if (const H3Error e = uncompact_cells_size(cells, res, &total); e != H3Error::kSuccess) {
    return e;
  }
  if (static_cast<std::int64_t>(out.size()) < total) {
    return H3Error::kMemoryBounds;
  }
  std::size_t at = 0;
  for (const CellId c : cells) {
    if (c == 0) {
      continue;
    }
    std::int64_t n = 0;
    cell_to_children_size(c, res, &n);
    cell_to_children(c, res, out.subspan(at, static_cast<std::size_t>(n)));
    at += static_cast<std::size_t>(n);
  }
  return H3Error::kSuccess;
}

}  // namespace hexwire::geo
