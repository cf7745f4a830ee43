// Local IJK coordinates anchored at an origin cell (H3's cellToLocalIjk / localIjkToCell): the
// coordinate system of the origin's base cell, extended to its neighbouring base cells with
// rotations, and unwarped around pentagons. gridDistance and gridPathCells are built on them.
#include <cmath>

#include "geo/detail/hexgrid_internal.hpp"

namespace hexwire::geo {
using namespace detail;

namespace {

/// Direction from base cell `from` to its neighbour `to`, kInvalidDigit if not neighbours.
int base_cell_direction(int from, int to) noexcept {
  for (int d = kCenter; d < 7; ++d) {
    if (kBaseCellNeighbors[from][d] == to) {
      return d;
    }
  }
  return kInvalidDigit;
}

H3Error cell_to_local_ijk(CellId origin, CellId h, Ijk* out) noexcept {
  const int res = index_res(origin);
  if (res != index_res(h)) {
    return H3Error::kResMismatch;
  }
  const int origin_bc = index_base_cell(origin);
  const int bc = index_base_cell(h);
  if (origin_bc >= kNumBaseCells || bc >= kNumBaseCells) {
    return H3Error::kCellInvalid;
  }
  int dir = kCenter;
  int rev_dir = kCenter;
  if (origin_bc != bc) {
    dir = base_cell_direction(origin_bc, bc);
    if (dir == kInvalidDigit) {
      return H3Error::kFailed;  // not neighbouring base cells: too far apart
    }
    rev_dir = base_cell_direction(bc, origin_bc);
  }
  const bool origin_on_pent = kBaseCellData[origin_bc].pentagon;
  const bool index_on_pent = kBaseCellData[bc].pentagon;
  if (dir != kCenter) {
    // Rotate h into the orientation of the origin base cell.
    const int rotations = kBaseCellNeighbor60CcwRots[origin_bc][dir];
    for (int i = 0; i < rotations; ++i) {
      if (index_on_pent) {
        h = rotate_pent_cell_cw(h);
        rev_dir = rotate_digit_cw(rev_dir);
        if (rev_dir == kK) {
          rev_dir = rotate_digit_cw(rev_dir);
        }
      } else {
        h = rotate_cell_cw(h);
        rev_dir = rotate_digit_cw(rev_dir);
      }
    }
  }
  Ijk ijk{0, 0, 0};
  digits_to_ijk(h, &ijk);
  if (dir != kCenter) {
    int pentagon_rotations = 0;
    int direction_rotations = 0;
    if (origin_on_pent) {
      const int origin_leading = leading_non_zero_digit(origin);
      if (kFailedDirections[origin_leading][dir]) {
        return H3Error::kFailed;
      }
      direction_rotations = kPentagonRotations[origin_leading][dir];
      pentagon_rotations = direction_rotations;
    } else if (index_on_pent) {
      const int index_leading = leading_non_zero_digit(h);
      if (kFailedDirections[index_leading][rev_dir]) {
        return H3Error::kFailed;
      }
      pentagon_rotations = kPentagonRotations[rev_dir][index_leading];
    }
    if (pentagon_rotations < 0 || direction_rotations < 0) {
      return H3Error::kFailed;
    }
    for (int i = 0; i < pentagon_rotations; ++i) {
      ijk_rotate60_cw(ijk);
    }
    Ijk offset{0, 0, 0};
    ijk_neighbor(offset, dir);
    for (int r = res - 1; r >= 0; --r) {
      if (is_class_iii(r + 1)) {
        down_ap7(offset);
      } else {
        down_ap7r(offset);
      }
    }
    for (int i = 0; i < direction_rotations; ++i) {
      ijk_rotate60_cw(offset);
    }
    ijk = ijk_add(ijk, offset);
    ijk_normalize(ijk);
  } else if (origin_on_pent && index_on_pent) {
    const int origin_leading = leading_non_zero_digit(origin);
    const int index_leading = leading_non_zero_digit(h);
    if (kFailedDirections[origin_leading][index_leading]) {
      return H3Error::kFailed;
    }
    const int rotations = kPentagonRotations[origin_leading][index_leading];
    for (int i = 0; i < rotations; ++i) {
      ijk_rotate60_cw(ijk);
    }
  }
  *out = ijk;
  return H3Error::kSuccess;
}

H3Error local_ijk_to_cell(CellId origin, Ijk ijk, CellId* out) noexcept {
  const int res = index_res(origin);
  const int origin_bc = index_base_cell(origin);
  if (origin_bc >= kNumBaseCells) {
    return H3Error::kCellInvalid;
  }
  const bool origin_on_pent = kBaseCellData[origin_bc].pentagon;
  CellId h = make_cell_header(res, 0);
  if (res == 0) {
    const int dir = ijk_to_digit(ijk);
    if (dir == kInvalidDigit) {
      return H3Error::kFailed;
    }
    const int bc = kBaseCellNeighbors[origin_bc][dir];
    if (bc == kInvalidBaseCell) {
      return H3Error::kFailed;
    }
    *out = with_base_cell(h, bc);
    return H3Error::kSuccess;
  }
  for (int r = res - 1; r >= 0; --r) {
    const Ijk last = ijk;
    Ijk last_center{};
    if (is_class_iii(r + 1)) {
      up_ap7(ijk);
      last_center = ijk;
      down_ap7(last_center);
    } else {
      up_ap7r(ijk);
      last_center = ijk;
      down_ap7r(last_center);
    }
    Ijk diff = ijk_sub(last, last_center);
    ijk_normalize(diff);
    h = with_digit(h, r + 1, ijk_to_digit(diff));
  }
  if (ijk.i > 1 || ijk.j > 1 || ijk.k > 1) {
    return H3Error::kFailed;
  }
  int dir = ijk_to_digit(ijk);
  int bc = kBaseCellNeighbors[origin_bc][dir];
  const bool index_on_pent = bc != kInvalidBaseCell && kBaseCellData[bc].pentagon;
  if (dir != kCenter) {
    int pentagon_rotations = 0;
    if (origin_on_pent) {
      const int origin_leading = leading_non_zero_digit(origin);
      pentagon_rotations = kPentagonRotationsReverse[origin_leading][dir];
      for (int i = 0; i < pentagon_rotations; ++i) {
        dir = rotate_digit_ccw(dir);
      }
      if (dir == kK) {
        return H3Error::kPentagon;
      }
      bc = kBaseCellNeighbors[origin_bc][dir];
      if (bc == kInvalidBaseCell) {
        return H3Error::kFailed;
      }
    }
    const int bc_rotations = kBaseCellNeighbor60CcwRots[origin_bc][dir];
    if (bc_rotations < 0) {
      return H3Error::kFailed;
    }
    if (index_on_pent) {
      const int rev_dir = base_cell_direction(bc, origin_bc);
      for (int i = 0; i < bc_rotations; ++i) {
        h = rotate_cell_ccw(h);
      }
      const int index_leading = leading_non_zero_digit(h);
      const int rotations = is_base_cell_polar_pentagon(bc) ? kPentagonRotationsReversePolar[rev_dir][index_leading]
                                                            : kPentagonRotationsReverseNonpolar[rev_dir][index_leading];
      if (rotations < 0) {
        return H3Error::kFailed;
      }
      for (int i = 0; i < rotations; ++i) {
        h = rotate_pent_cell_ccw(h);
      }
    } else {
      for (int i = 0; i < pentagon_rotations; ++i) {
        h = rotate_cell_ccw(h);
      }
      for (int i = 0; i < bc_rotations; ++i) {
        h = rotate_cell_ccw(h);
      }
    }
  } else if (origin_on_pent && index_on_pent) {
    const int rotations = kPentagonRotationsReverse[leading_non_zero_digit(origin)][leading_non_zero_digit(h)];
    if (rotations < 0) {
      return H3Error::kFailed;
    }
    for (int i = 0; i < rotations; ++i) {
      h = rotate_cell_ccw(h);
    }
  }
  if (index_on_pent && leading_non_zero_digit(h) == kK) {
    return H3Error::kPentagon;
  }
  *out = with_base_cell(h, bc);
  return H3Error::kSuccess;
}

struct Cube {
  double i, j, k;
};

}  // namespace

H3Error cell_to_local_ij(CellId origin, CellId cell, CoordIj* out) noexcept {
  if (!is_valid_cell(origin) || !is_valid_cell(cell)) {
    return H3Error::kCellInvalid;
  }
  Ijk ijk{};
  if (const H3Error e = cell_to_local_ijk(origin, cell, &ijk); e != H3Error::kSuccess) {
    return e;
  }
  *out = {ijk.i - ijk.k, ijk.j - ijk.k};
  return H3Error::kSuccess;
}

H3Error local_ij_to_cell(CellId origin, CoordIj ij, CellId* out) noexcept {
  if (!is_valid_cell(origin)) {
    return H3Error::kCellInvalid;
  }
  Ijk ijk{ij.i, ij.j, 0};
  ijk_normalize(ijk);
  return local_ijk_to_cell(origin, ijk, out);
}

H3Error grid_distance(CellId origin, CellId destination, std::int64_t* out) noexcept {
  if (!is_valid_cell(origin) || !is_valid_cell(destination)) {
    return H3Error::kCellInvalid;
  }
  Ijk a{};
  Ijk b{};
  if (const H3Error e = cell_to_local_ijk(origin, origin, &a); e != H3Error::kSuccess) {
    return e;
  }
  if (const H3Error e = cell_to_local_ijk(origin, destination, &b); e != H3Error::kSuccess) {
    return e;
  }
  *out = ijk_distance(a, b);
  return H3Error::kSuccess;
}

H3Error grid_path_cells_size(CellId start, CellId end, std::int64_t* out) noexcept {
  std::int64_t distance = 0;
  if (const H3Error e = grid_distance(start, end, &distance); e != H3Error::kSuccess) {
    return e;
  }
  *out = distance + 1;
  return H3Error::kSuccess;
}

namespace {

/// Rounds half away from zero the way H3's compiled core does (floor(x + 0.5) / ceil(x - 0.5)).
double round_half_away(double x) noexcept { return x >= 0.0 ? std::floor(x + 0.5) : std::ceil(x - 0.5); }

/// Writes the line from `from` to `to` (distance apart) anchored at `from`; with reverse the cells
/// are stored from the end of out backwards.
H3Error walk_line(CellId from, CellId to, std::int64_t distance, bool reverse, std::span<CellId> out) noexcept {
  Ijk a{};
  Ijk b{};
  if (cell_to_local_ijk(from, from, &a) != H3Error::kSuccess || cell_to_local_ijk(from, to, &b) != H3Error::kSuccess) {
    return H3Error::kFailed;
  }
  // Cube coordinates interpolate linearly along a straight grid line.
  const auto to_cube = [](Ijk c) {
    const int i = -c.i + c.k;
    const int j = c.j - c.k;
    return Cube{static_cast<double>(i), static_cast<double>(j), static_cast<double>(-i - j)};
  };
  const Cube s = to_cube(a);
  const Cube e = to_cube(b);
  const double inv = 1.0 / static_cast<double>(distance);
  const double di = inv * (e.i - s.i);
  const double dj = inv * (e.j - s.j);
  const double dk = inv * (e.k - s.k);
  for (std::int64_t step = 0; step <= distance; ++step) {
    const double n = static_cast<double>(step);
    const double fi = di * n + s.i;
    const double fj = dj * n + s.j;
    const double fk = dk * n + s.k;
    double ri = round_half_away(fi);
    double rj = round_half_away(fj);
    const double rk = round_half_away(fk);
    const double ei = std::fabs(ri - fi);
    const double ej = std::fabs(rj - fj);
    const double ek = std::fabs(rk - fk);
    if (ei > ej && ei > ek) {
      ri = -rj - rk;
    } else if (ej > ek) {
      rj = -ri - rk;
    }
    Ijk c{-static_cast<int>(ri), static_cast<int>(rj), 0};
    ijk_normalize(c);
    const std::int64_t slot = reverse ? distance - step : step;
    if (const H3Error err = local_ijk_to_cell(from, c, &out[static_cast<std::size_t>(slot)]); err != H3Error::kSuccess) {
      return err;
    }
  }
  return H3Error::kSuccess;
}

}  // namespace

H3Error grid_path_cells(CellId start, CellId end, std::span<CellId> out) noexcept {
  std::int64_t distance = 0;
  if (const H3Error e = grid_distance(start, end, &distance); e != H3Error::kSuccess) {
    return e;
  }
  if (static_cast<std::int64_t>(out.size()) < distance + 1) {
    return H3Error::kMemoryBounds;
  }
  if (distance == 0) {
    out[0] = start;
    return H3Error::kSuccess;
  }
  // As H3: walk from the start; if that crosses an undefined pentagon region, walk from the end.
  const H3Error forward = walk_line(start, end, distance, false, out);
  if (forward == H3Error::kSuccess) {
    return forward;
  }
  return walk_line(end, start, distance, true, out) == H3Error::kSuccess ? H3Error::kSuccess : forward;
}

}  // namespace hexwire::geo
