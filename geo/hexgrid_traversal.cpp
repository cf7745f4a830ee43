// Grid traversal: stepping to a neighbour with base-cell and pentagon rotations (H3's
// h3NeighborRotations), gridDisk via the ring walk with a pentagon-safe fallback that works in the
// caller's buffer (open addressing, no allocation), gridRing, areNeighborCells, and gridDistance
// through H3's local IJK coordinates.
#include <algorithm>
#include <new>
#include <vector>

#include "geo/detail/hexgrid_internal.hpp"

namespace hexwire::geo {
using namespace detail;

namespace {

constexpr int kRingDirections[6] = {kJ, kJK, kK, kIK, kI, kIJ};
constexpr int kNextRingDirection = kI;

bool base_cell_is_cw_offset(int bc, int face) noexcept {
  const BaseCellData& d = kBaseCellData[bc];
  return d.cw_offset_faces[0] == face || d.cw_offset_faces[1] == face;
}

/// Moves one cell in direction dir, tracking the rotations of the coordinate system crossed.
[[gnu::always_inline]] inline H3Error neighbor_rotations(CellId origin, int dir, int* rotations, CellId* out) noexcept {
  CellId current = origin;
  if (dir < kCenter || dir >= kInvalidDigit) {
    return H3Error::kFailed;
  }
  if (*rotations >= 6) {
    *rotations = *rotations % 6;
  }
  dir = kRotateCcwBy.by[*rotations][dir];
  int new_rotations = 0;
  const int old_bc = index_base_cell(current);
  if (old_bc >= kNumBaseCells) {
    return H3Error::kCellInvalid;
  }
  int r = index_res(current) - 1;
  while (true) {
    if (r == -1) {
      current = with_base_cell(current, kBaseCellNeighbors[old_bc][dir]);
      new_rotations = kBaseCellNeighbor60CcwRots[old_bc][dir];
      if (index_base_cell(current) == kInvalidBaseCell) {
        // The deleted K vertex of a pentagon: this edge borders the IK neighbour instead.
        current = with_base_cell(current, kBaseCellNeighbors[old_bc][kIK]);
        new_rotations = kBaseCellNeighbor60CcwRots[old_bc][kIK];
        current = rotate_cell_ccw(current);
        *rotations = *rotations + 1;
      }
      break;
    }
    const int old_digit = index_digit(current, r + 1);
    if (old_digit == kInvalidDigit) {
      return H3Error::kCellInvalid;
    }
    int next_dir = 0;
    if (is_class_iii(r + 1)) {
      current = with_digit(current, r + 1, kStepDigitClassIII[old_digit][dir]);
      next_dir = kStepCarryClassIII[old_digit][dir];
    } else {
      current = with_digit(current, r + 1, kStepDigitClassII[old_digit][dir]);
      next_dir = kStepCarryClassII[old_digit][dir];
    }
    if (next_dir == kCenter) {
      break;
    }
    dir = next_dir;
    --r;
  }
  const int new_bc = index_base_cell(current);
  if (is_base_cell_pentagon(new_bc)) {
    bool already_adjusted_k = false;
    if (leading_non_zero_digit(current) == kK) {
      if (old_bc != new_bc) {
        current = base_cell_is_cw_offset(new_bc, kBaseCellData[old_bc].home.face) ? rotate_cell_cw(current)
                                                                                  : rotate_cell_ccw(current);
        already_adjusted_k = true;
      } else if (leading_non_zero_digit(origin) == kCenter) {
        return H3Error::kPentagon;
      } else if (leading_non_zero_digit(origin) == kJK) {
        current = rotate_cell_ccw(current);
        *rotations = *rotations + 1;
      } else if (leading_non_zero_digit(origin) == kIK) {
        current = rotate_cell_cw(current);
        *rotations = *rotations + 5;
      } else {
        return H3Error::kFailed;
      }
    }
    for (int i = 0; i < new_rotations; ++i) {
      current = rotate_pent_cell_ccw(current);
    }
    if (old_bc != new_bc) {
      if (is_base_cell_polar_pentagon(new_bc)) {
        if (old_bc != 118 && old_bc != 8 && leading_non_zero_digit(current) != kJK) {
          *rotations = *rotations + 1;
        }
      } else if (leading_non_zero_digit(current) == kIK && !already_adjusted_k) {
        *rotations = *rotations + 1;
      }
    }
  } else {
    current = rotate_cell_ccw_by(current, new_rotations);
  }
  *rotations = (*rotations + new_rotations) % 6;
  *out = current;
  return H3Error::kSuccess;
}

// Beyond this k a disk would hold more cells than the whole res 15 grid; sizes are capped there
// (as H3 does) so that 3k(k+1)+1 cannot overflow.
constexpr int kAllCellsAtRes15 = 13780510;
constexpr std::size_t kNumCellsRes15 = 569707381193162;

std::size_t disk_size(int k) noexcept {
  return k >= kAllCellsAtRes15 ? kNumCellsRes15 : 3 * static_cast<std::size_t>(k) * (static_cast<std::size_t>(k) + 1) + 1;
}

/// Inserts into an open-addressing table laid over out/distances; returns false if present
/// with a distance <= d.
void table_insert(std::span<CellId> out, std::span<int> distances, CellId cell, int d) noexcept {
  const std::size_t n = out.size();
  std::size_t slot = static_cast<std::size_t>(cell % n);
  while (out[slot] != 0 && out[slot] != cell) {
    slot = (slot + 1) % n;
  }
  if (out[slot] == 0 || distances[slot] > d) {
    out[slot] = cell;
    distances[slot] = d;
  }
}

/// Breadth-first disk that tolerates pentagons, in the caller's buffers.
H3Error disk_safe(CellId origin, int k, std::span<CellId> out, std::span<int> distances) noexcept {
  const std::size_t n = disk_size(k);
  std::span<CellId> cells = out.first(n);
  std::span<int> dist = distances.first(n);
  std::fill(cells.begin(), cells.end(), 0);
  table_insert(cells, dist, origin, 0);
  for (int d = 0; d < k; ++d) {
    for (std::size_t s = 0; s < n; ++s) {
      if (cells[s] == 0 || dist[s] != d) {
        continue;
      }
      for (int dir = kK; dir <= kIJ; ++dir) {
        int rotations = 0;
        CellId next = 0;
        const H3Error e = neighbor_rotations(cells[s], dir, &rotations, &next);
        if (e == H3Error::kPentagon) {
          continue;
        }
        if (e != H3Error::kSuccess) {
          return e;
        }
        table_insert(cells, dist, next, d + 1);
      }
    }
  }
  return H3Error::kSuccess;
}

}  // namespace

H3Error max_grid_disk_size(int k, std::int64_t* out) noexcept {
  if (k < 0) {
    return H3Error::kDomain;
  }
  *out = static_cast<std::int64_t>(disk_size(k));
  return H3Error::kSuccess;
}

H3Error grid_disk_distances_unsafe(CellId origin, int k, std::span<CellId> out, std::span<int> distances) noexcept {
  if (k < 0) {
    return H3Error::kDomain;
  }
  // An empty distances span means "cells only" (used by grid_disk).
  const bool with_distances = !distances.empty();
  if (out.size() < disk_size(k) || (with_distances && distances.size() < disk_size(k))) {
    return H3Error::kMemoryBounds;
  }
  std::size_t idx = 0;
  out[idx] = origin;
  if (with_distances) {
    distances[idx] = 0;
  }
  ++idx;
  if (cell_is_pentagon(origin)) {
    return H3Error::kPentagon;
  }
  int ring = 1;
  int direction = 0;
  int i = 0;
  int rotations = 0;
  while (ring <= k) {
    if (direction == 0 && i == 0) {
      if (const H3Error e = neighbor_rotations(origin, kNextRingDirection, &rotations, &origin); e != H3Error::kSuccess) {
        return e;
      }
      if (cell_is_pentagon(origin)) {
        return H3Error::kPentagon;
      }
    }
    if (const H3Error e = neighbor_rotations(origin, kRingDirections[direction], &rotations, &origin);
        e != H3Error::kSuccess) {
      return e;
    }
    out[idx] = origin;
    if (with_distances) {
      distances[idx] = ring;
    }
    ++idx;
    if (++i == ring) {
      i = 0;
      if (++direction == 6) {
        direction = 0;
        ++ring;
      }
    }
    if (cell_is_pentagon(origin)) {
      return H3Error::kPentagon;
    }
  }
  return H3Error::kSuccess;
}

H3Error grid_disk_distances(CellId origin, int k, std::span<CellId> out, std::span<int> distances) noexcept {
  if (k < 0) {
    return H3Error::kDomain;
  }
  if (!is_valid_cell(origin)) {
    return H3Error::kCellInvalid;
  }
  if (out.size() < disk_size(k) || distances.size() < disk_size(k)) {
    return H3Error::kMemoryBounds;
  }
  if (grid_disk_distances_unsafe(origin, k, out, distances) == H3Error::kSuccess) {
    return H3Error::kSuccess;
  }
  return disk_safe(origin, k, out, distances);
}

H3Error grid_disk(CellId origin, int k, std::span<CellId> out) noexcept {
  if (k < 0) {
    return H3Error::kDomain;
  }
  if (!is_valid_cell(origin)) {
    return H3Error::kCellInvalid;
  }
  const std::size_t n = disk_size(k);
  if (out.size() < n) {
    return H3Error::kMemoryBounds;
  }
  if (grid_disk_distances_unsafe(origin, k, out, {}) == H3Error::kSuccess) {
    return H3Error::kSuccess;
  }
  // Near a pentagon: the breadth-first fallback needs distances; on the stack for k <= 32, else
  // (rare: a large disk touching a pentagon) on the heap, as H3 does.
  constexpr std::size_t kStackDisk = 3 * 32 * 33 + 1;
  if (n <= kStackDisk) {
    int stack_distances[kStackDisk];
    return disk_safe(origin, k, out, std::span<int>(stack_distances, n));
  }
  try {
    std::vector<int> distances(n);
    return disk_safe(origin, k, out, distances);
  } catch (const std::bad_alloc&) {
    return H3Error::kMemoryAlloc;
  }
}

H3Error grid_ring_unsafe(CellId origin, int k, std::span<CellId> out) noexcept {
  if (k < 0) {
    return H3Error::kDomain;
  }
  const std::size_t n = k == 0 ? 1 : 6 * static_cast<std::size_t>(k);
  if (out.size() < n) {
    return H3Error::kMemoryBounds;
  }
  if (k == 0) {
    out[0] = origin;
    return H3Error::kSuccess;
  }
  int rotations = 0;
  if (cell_is_pentagon(origin)) {
    return H3Error::kPentagon;
  }
  for (int ring = 0; ring < k; ++ring) {
    if (const H3Error e = neighbor_rotations(origin, kNextRingDirection, &rotations, &origin); e != H3Error::kSuccess) {
      return e;
    }
    if (cell_is_pentagon(origin)) {
      return H3Error::kPentagon;
    }
  }
  const CellId last = origin;
  std::size_t idx = 0;
  out[idx++] = origin;
  for (int direction = 0; direction < 6; ++direction) {
    for (int pos = 0; pos < k; ++pos) {
      if (const H3Error e = neighbor_rotations(origin, kRingDirections[direction], &rotations, &origin);
          e != H3Error::kSuccess) {
        return e;
      }
      if (pos != k - 1 || direction != 5) {
        out[idx++] = origin;
        if (cell_is_pentagon(origin)) {
          return H3Error::kPentagon;
        }
      }
    }
  }
  return last == origin ? H3Error::kSuccess : H3Error::kPentagon;
}

H3Error grid_ring(CellId origin, int k, std::span<CellId> out) noexcept {
  if (k < 0) {
    return H3Error::kDomain;
  }
  if (!is_valid_cell(origin)) {
    return H3Error::kCellInvalid;
  }
  const std::size_t n = k == 0 ? 1 : 6 * static_cast<std::size_t>(k);
  if (out.size() < n) {
    return H3Error::kMemoryBounds;
  }
  if (grid_ring_unsafe(origin, k, out) == H3Error::kSuccess) {
    return H3Error::kSuccess;
  }
  // Near pentagons: the cells of the safe disk at distance exactly k (at most 6k of them).
  constexpr std::size_t kMaxSafeRingDisk = 3 * 32 * 33 + 1;
  const std::size_t disk = disk_size(k);
  if (disk > kMaxSafeRingDisk) {
    return H3Error::kMemoryBounds;
  }
  CellId cells[kMaxSafeRingDisk];
  int dist[kMaxSafeRingDisk];
  if (const H3Error e = disk_safe(origin, k, std::span<CellId>(cells, disk), std::span<int>(dist, disk));
      e != H3Error::kSuccess) {
    return e;
  }
  std::fill(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(n), 0);
  std::size_t idx = 0;
  for (std::size_t s = 0; s < disk && idx < n; ++s) {
    if (cells[s] != 0 && dist[s] == k) {
      out[idx++] = cells[s];
    }
  }
  return H3Error::kSuccess;
}

H3Error are_neighbor_cells(CellId origin, CellId destination, bool* out) noexcept {
  if (!is_valid_cell(origin) || !is_valid_cell(destination)) {
    return H3Error::kCellInvalid;
  }
  if (origin == destination) {
    *out = false;
    return H3Error::kSuccess;
  }
  if (index_res(origin) != index_res(destination)) {
    return H3Error::kResMismatch;
  }
  CellId ring[7];
  if (const H3Error e = grid_disk(origin, 1, ring); e != H3Error::kSuccess) {
    return e;
  }
  *out = std::find(std::begin(ring), std::end(ring), destination) != std::end(ring);
  return H3Error::kSuccess;
}

}  // namespace hexwire::geo
