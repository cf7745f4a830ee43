// Building blocks shared by the hex grid sources: the bit layout of a cell id, IJK+ hex lattice
// coordinates (aperture-7 up/down steps, 60-degree rotations), digit rotations of whole cell ids,
// and the face/IJK conversions implemented in hexgrid_faceijk.cpp. All inline and allocation-free.
#pragma once

#include <cstdint>

#include "geo/detail/hexgrid_tables.hpp"
#include "geo/hexgrid.hpp"

namespace hexwire::geo::detail {

// --- Cell id layout: bit 63 reserved, 59..62 mode, 56..58 reserved, 52..55 resolution,
// 45..51 base cell, then 15 digits of 3 bits (resolution 1 in the highest). ------------------------
inline constexpr std::uint64_t kCellMode = 1;
inline constexpr std::uint64_t kInitIndex = 0x00001fffffffffffULL;  // every digit 7 ("unused")
inline constexpr int kDigitBits = 3;
inline constexpr std::uint64_t kDigitMask = 7;

enum Digit : int { kCenter = 0, kK = 1, kJ = 2, kJK = 3, kI = 4, kIK = 5, kIJ = 6, kInvalidDigit = 7 };

constexpr int index_mode(CellId h) noexcept { return static_cast<int>((h >> 59) & 0xf); }
constexpr int index_res(CellId h) noexcept { return static_cast<int>((h >> 52) & 0xf); }
constexpr int index_base_cell(CellId h) noexcept { return static_cast<int>((h >> 45) & 0x7f); }
constexpr int index_digit(CellId h, int r) noexcept {
  return static_cast<int>((h >> ((kMaxResolution - r) * kDigitBits)) & kDigitMask);
}
constexpr CellId with_res(CellId h, int res) noexcept {
  return (h & ~(0xfULL << 52)) | (static_cast<std::uint64_t>(res) << 52);
}
constexpr CellId with_base_cell(CellId h, int bc) noexcept {
  return (h & ~(0x7fULL << 45)) | (static_cast<std::uint64_t>(bc) << 45);
}
constexpr CellId with_digit(CellId h, int r, int digit) noexcept {
  const int shift = (kMaxResolution - r) * kDigitBits;
  return (h & ~(kDigitMask << shift)) | (static_cast<std::uint64_t>(digit) << shift);
}
constexpr CellId make_cell_header(int res, int base_cell) noexcept {
  return (kCellMode << 59) | (static_cast<std::uint64_t>(res) << 52) |
         (static_cast<std::uint64_t>(base_cell) << 45) | kInitIndex;
}
constexpr bool is_class_iii(int res) noexcept { return (res & 1) != 0; }
inline bool is_base_cell_pentagon(int bc) noexcept {
  return bc >= 0 && bc < kNumBaseCells && kBaseCellData[bc].pentagon;
}
inline bool is_base_cell_polar_pentagon(int bc) noexcept { return bc == 4 || bc == 117; }

/// Whether h (assumed a cell) is a pentagon: a pentagon base cell with all digits 0.
inline bool cell_is_pentagon(CellId h) noexcept {
  const int bc = index_base_cell(h);
  if (bc >= kNumBaseCells || !kBaseCellData[bc].pentagon) {
    return false;
  }
  const int res = index_res(h);
  const int unused_bits = (kMaxResolution - res) * kDigitBits;
  return ((h >> unused_bits) & ((1ULL << (res * kDigitBits)) - 1)) == 0;
}

/// First non-zero digit among resolutions 1..res (kCenter if none).
inline int leading_non_zero_digit(CellId h) noexcept {
  const int res = index_res(h);
  const int unused_bits = (kMaxResolution - res) * kDigitBits;
  const std::uint64_t digits = (h >> unused_bits) & ((1ULL << (res * kDigitBits)) - 1);
  if (digits == 0) {
    return kCenter;
  }
  const int top_bit = 63 - __builtin_clzll(digits);
  return static_cast<int>((digits >> (top_bit - top_bit % 3)) & 7);
}

// --- Digit rotations. ----------------------------------------------------------------------------
inline constexpr int kRotateCcw[8] = {kCenter, kIK, kJK, kK, kIJ, kI, kJ, kInvalidDigit};
inline constexpr int kRotateCw[8] = {kCenter, kJK, kIJ, kJ, kIK, kK, kI, kInvalidDigit};
constexpr int rotate_digit_ccw(int d) noexcept { return kRotateCcw[d]; }
constexpr int rotate_digit_cw(int d) noexcept { return kRotateCw[d]; }

/// kRotateCcwBy[n][d]: digit d rotated n times 60 degrees counter-clockwise.
struct RotationTable {
  int by[6][8];
  constexpr RotationTable() : by{} {
    for (int d = 0; d < 8; ++d) {
      int r = d;
      for (int n = 0; n < 6; ++n) {
        by[n][d] = r;
        r = kRotateCcw[r];
      }
    }
  }
};
inline constexpr RotationTable kRotateCcwBy{};

/// Rotates every digit of h n times 60 degrees ccw in one pass (hexagon base cells).
inline CellId rotate_cell_ccw_by(CellId h, int n) noexcept {
  if (n == 0) {
    return h;
  }
  const int res = index_res(h);
  const int* table = kRotateCcwBy.by[n];
  for (int r = 1; r <= res; ++r) {
    h = with_digit(h, r, table[index_digit(h, r)]);
  }
  return h;
}

inline CellId rotate_cell_ccw(CellId h) noexcept {
  const int res = index_res(h);
  for (int r = 1; r <= res; ++r) {
    h = with_digit(h, r, rotate_digit_ccw(index_digit(h, r)));
  }
  return h;
}
inline CellId rotate_cell_cw(CellId h) noexcept {
  const int res = index_res(h);
  for (int r = 1; r <= res; ++r) {
    h = with_digit(h, r, rotate_digit_cw(index_digit(h, r)));
  }
  return h;
}
/// Rotation of a cell inside a pentagon base cell: after rotating, a leading K digit (the deleted
/// sub-sequence) is rotated once more.
inline CellId rotate_pent_cell_ccw(CellId h) noexcept {
  const int res = index_res(h);
  bool found_first = false;
  for (int r = 1; r <= res; ++r) {
    h = with_digit(h, r, rotate_digit_ccw(index_digit(h, r)));
    if (!found_first && index_digit(h, r) != 0) {
      found_first = true;
      if (leading_non_zero_digit(h) == kK) {
        h = rotate_cell_ccw(h);
      }
    }
  }
  return h;
}
inline CellId rotate_pent_cell_cw(CellId h) noexcept {
  const int res = index_res(h);
  bool found_first = false;
  for (int r = 1; r <= res; ++r) {
    h = with_digit(h, r, rotate_digit_cw(index_digit(h, r)));
    if (!found_first && index_digit(h, r) != 0) {
      found_first = true;
      if (leading_non_zero_digit(h) == kK) {
        h = rotate_cell_cw(h);
      }
    }
  }
  return h;
}

// --- IJK+ coordinates. ---------------------------------------------------------------------------
inline constexpr Ijk kUnitIjk[7] = {{0, 0, 0}, {0, 0, 1}, {0, 1, 0}, {0, 1, 1},
                                    {1, 0, 0}, {1, 0, 1}, {1, 1, 0}};

constexpr void ijk_normalize(Ijk& c) noexcept {
  if (c.i < 0) {
    c.j -= c.i;
    c.k -= c.i;
    c.i = 0;
  }
  if (c.j < 0) {
    c.i -= c.j;
    c.k -= c.j;
    c.j = 0;
  }
  if (c.k < 0) {
    c.i -= c.k;
    c.j -= c.k;
    c.k = 0;
  }
  int min = c.i < c.j ? c.i : c.j;
  min = min < c.k ? min : c.k;
  if (min > 0) {
    c.i -= min;
    c.j -= min;
    c.k -= min;
  }
}
constexpr Ijk ijk_add(Ijk a, Ijk b) noexcept { return {a.i + b.i, a.j + b.j, a.k + b.k}; }
constexpr Ijk ijk_sub(Ijk a, Ijk b) noexcept { return {a.i - b.i, a.j - b.j, a.k - b.k}; }
constexpr Ijk ijk_scale(Ijk a, int f) noexcept { return {a.i * f, a.j * f, a.k * f}; }
constexpr bool ijk_equal(Ijk a, Ijk b) noexcept { return a.i == b.i && a.j == b.j && a.k == b.k; }

/// Digit of a unit vector, kInvalidDigit if the (normalised) vector is not one.
constexpr int ijk_to_digit(Ijk c) noexcept {
  ijk_normalize(c);
  for (int d = 0; d < 7; ++d) {
    if (ijk_equal(c, kUnitIjk[d])) {
      return d;
    }
  }
  return kInvalidDigit;
}
constexpr void ijk_neighbor(Ijk& c, int digit) noexcept {
  if (digit > kCenter && digit < kInvalidDigit) {
    c = ijk_add(c, kUnitIjk[digit]);
    ijk_normalize(c);
  }
}
/// Linear map sending the i, j, k unit vectors to iv, jv, kv, then normalised.
constexpr Ijk ijk_transform(Ijk c, Ijk iv, Ijk jv, Ijk kv) noexcept {
  Ijk r = ijk_add(ijk_add(ijk_scale(iv, c.i), ijk_scale(jv, c.j)), ijk_scale(kv, c.k));
  ijk_normalize(r);
  return r;
}
constexpr void ijk_rotate60_ccw(Ijk& c) noexcept { c = ijk_transform(c, {1, 1, 0}, {0, 1, 1}, {1, 0, 1}); }
constexpr void ijk_rotate60_cw(Ijk& c) noexcept { c = ijk_transform(c, {1, 0, 1}, {1, 1, 0}, {0, 1, 1}); }
constexpr void down_ap7(Ijk& c) noexcept { c = ijk_transform(c, {3, 0, 1}, {1, 3, 0}, {0, 1, 3}); }
constexpr void down_ap7r(Ijk& c) noexcept { c = ijk_transform(c, {3, 1, 0}, {0, 3, 1}, {1, 0, 3}); }
constexpr void down_ap3(Ijk& c) noexcept { c = ijk_transform(c, {2, 0, 1}, {1, 2, 0}, {0, 1, 2}); }
constexpr void down_ap3r(Ijk& c) noexcept { c = ijk_transform(c, {2, 1, 0}, {0, 2, 1}, {1, 0, 2}); }
/// round(n / 7) for integers: n / 7 never ends in .5, so floor((n + 3) / 7) is exact.
constexpr int round_div7(int n) noexcept {
  const int m = n + 3;
  return m >= 0 ? m / 7 : -((-m + 6) / 7);
}
constexpr void up_ap7(Ijk& c) noexcept {
  const int i = c.i - c.k;
  const int j = c.j - c.k;
  c = {round_div7(3 * i - j), round_div7(i + 2 * j), 0};
  ijk_normalize(c);
}
constexpr void up_ap7r(Ijk& c) noexcept {
  const int i = c.i - c.k;
  const int j = c.j - c.k;
  c = {round_div7(2 * i + j), round_div7(3 * j - i), 0};
  ijk_normalize(c);
}
inline int ijk_distance(Ijk a, Ijk b) noexcept {
  Ijk d = ijk_sub(a, b);
  ijk_normalize(d);
  const int ai = d.i < 0 ? -d.i : d.i;
  const int aj = d.j < 0 ? -d.j : d.j;
  const int ak = d.k < 0 ? -d.k : d.k;
  const int m = ai > aj ? ai : aj;
  return m > ak ? m : ak;
}

// --- Face/IJK conversions (hexgrid_faceijk.cpp). --------------------------------------------------
struct Vec2 {
  double x, y;
};
/// Face and hex2d coordinates of a unit vector at res, the fast way (no trigonometry). Returns the
/// squared chord distance to the face centre.
void vec3_to_hex2d_fast(const Vec3& p, int res, int* face, Vec2* v, double* sqd) noexcept;
/// The same computed the way H3 does it (acos/atan2/tan/cos/sin), for ties near cell edges.
void vec3_to_hex2d_reference(const Vec3& p, int res, int* face, Vec2* v) noexcept;
/// Nearest hex lattice point (H3's rounding); margin receives how far inside the hexagon the
/// point is (0.5 at the centre, 0 on an edge).
Ijk hex2d_to_ijk(Vec2 v, double* margin) noexcept;
Vec3 hex2d_to_vec3(Vec2 v, int face, int res, bool substrate) noexcept;
LatLng vec3_to_lat_lng(const Vec3& p) noexcept;
Vec3 lat_lng_to_vec3(LatLng g) noexcept;
/// Cell id of face IJK coordinates at res; 0 when the coordinates fall off the face table.
CellId face_ijk_to_cell(FaceIjk fijk, int res) noexcept;
/// Face IJK coordinates of a (valid) cell on its home face, adjusted onto a neighbouring face
/// when the cell centre lies beyond the home face's edge.
bool cell_to_face_ijk(CellId h, FaceIjk* out) noexcept;
/// Builds base-cell-relative IJK from the digits of h, starting from *ijk. Returns whether the
/// result may lie off the starting face.
bool digits_to_ijk(CellId h, Ijk* ijk) noexcept;
enum class Overage { kNone, kFaceEdge, kNewFace };
Overage adjust_overage_class_ii(FaceIjk* fijk, int res, bool pent_leading4, bool substrate) noexcept;

}  // namespace hexwire::geo::detail
