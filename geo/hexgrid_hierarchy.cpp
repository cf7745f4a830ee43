// Parent/child hierarchy of the hex grid: cellToParent, cellToCenterChild, cellToChildren (H3's
// order, pentagons skip their deleted K sub-sequence), and compactCells/uncompactCells working
// inside the caller's buffers.
#include <algorithm>

#include "geo/detail/hexgrid_internal.hpp"

namespace hexwire::geo {
using namespace detail;

namespace {

/// Mask of the digits of resolutions first..15.
constexpr std::uint64_t digits_from(int first) noexcept {
  const int bits = (kMaxResolution - first + 1) * kDigitBits;
  return bits <= 0 ? 0 : (bits >= 64 ? ~0ULL : ((1ULL << bits) - 1));
}

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
  *out = with_res(cell, parent_res) | digits_from(parent_res + 1);
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

H3Error compact_cells(std::span<const CellId> cells, std::span<CellId> out, std::size_t* count) noexcept {
  *count = 0;
  if (out.size() < cells.size()) {
    return H3Error::kMemoryBounds;
  }
  if (cells.empty()) {
    return H3Error::kSuccess;
  }
  const int res = index_res(cells[0]);
  for (const CellId c : cells) {
    if (!is_valid_cell(c)) {
      return H3Error::kCellInvalid;
    }
    if (index_res(c) != res) {
      return H3Error::kResMismatch;
    }
  }
  std::copy(cells.begin(), cells.end(), out.begin());
  std::fill(out.begin() + static_cast<std::ptrdiff_t>(cells.size()), out.end(), 0);
  std::sort(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(cells.size()));
  for (std::size_t i = 1; i < cells.size(); ++i) {
    if (out[i] == out[i - 1]) {
      std::fill(out.begin(), out.end(), 0);
      return H3Error::kDuplicateInput;
    }
  }
  // out[0, done) holds finished cells; out[done, end) the sorted cells of the current resolution.
  std::size_t done = 0;
  std::size_t end = cells.size();
  for (int r = res; r > 0 && end > done; --r) {
    std::size_t write = done;       // next slot for a parent of this level
    std::size_t finished = 0;       // cells that cannot be compacted, stashed after the parents
    std::size_t i = done;
    // Parents are written in place (never past the group they come from); cells that stay are
    // moved to the front region by swapping through the finished block afterwards.
    std::size_t keep_begin = done;
    while (i < end) {
      CellId parent = 0;
      cell_to_parent(out[i], r - 1, &parent);
      std::size_t j = i;
      while (j < end) {
        CellId p = 0;
        cell_to_parent(out[j], r - 1, &p);
        if (p != parent) {
          break;
        }
        ++j;
      }
      const std::size_t siblings = j - i;
      if (siblings == (is_pentagon(parent) ? 6u : 7u)) {
        out[write++] = parent;
      } else {
        // Rotate the group in front of the parents written so far, keeping both blocks contiguous.
        std::rotate(out.begin() + static_cast<std::ptrdiff_t>(keep_begin),
                    out.begin() + static_cast<std::ptrdiff_t>(i), out.begin() + static_cast<std::ptrdiff_t>(j));
        keep_begin += siblings;
        write += siblings;
        finished += siblings;
      }
      i = j;
    }
    done = keep_begin;
    end = write;
    (void)finished;
  }
  std::fill(out.begin() + static_cast<std::ptrdiff_t>(end), out.end(), 0);
  *count = end;
  return H3Error::kSuccess;
}

H3Error uncompact_cells_size(std::span<const CellId> cells, int res, std::int64_t* out) noexcept {
  std::int64_t total = 0;
  for (const CellId c : cells) {
    if (c == 0) {
      continue;
    }
    if (!is_valid_cell(c)) {
      return H3Error::kCellInvalid;
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
