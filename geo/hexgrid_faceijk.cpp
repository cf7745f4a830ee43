// Projection between the sphere and the per-face hex lattices: gnomonic projection onto the
// nearest icosahedron face (a trigonometry-free fast path plus H3's own formulation for points
// near cell edges), H3's hex rounding, and conversion between face IJK coordinates and cell ids
// including the overage adjustment onto neighbouring faces.
#include <cmath>

#include "geo/detail/hexgrid_internal.hpp"

namespace hexwire::geo::detail {
namespace {

constexpr double kTwoPi = 6.283185307179586;
constexpr double kAp7RotRads = 0.3334731722518321;
constexpr double kInvRes0UGnomonic = 2.618033988749896;
constexpr double kSqrt7 = 2.6457513110645907;
constexpr double kInvSin60 = 1.1547005383792515;
constexpr double kSin60 = 0.8660254037844386;
constexpr double kEpsilon = 1.0e-16;

// kResScale[r] = (1 / RES0_U_GNOMONIC) * sqrt(7)^r, multiplied in the same order as H3.
struct ResScales {
  double scale[kMaxResolution + 2];
  constexpr ResScales() : scale{} {
    for (int res = 0; res <= kMaxResolution + 1; ++res) {
      double s = kInvRes0UGnomonic;
      for (int i = 0; i < res; ++i) {
        s = s * kSqrt7;
      }
      scale[res] = s;
    }
  }
};
constexpr ResScales kResScales{};

double pos_angle(double rads) noexcept {
  const double tmp = rads < 0.0 ? rads + kTwoPi : rads;
  return rads >= kTwoPi ? tmp - kTwoPi : tmp;
}

int closest_face(const Vec3& p, double* sqd_out) noexcept {
  int face = 0;
  double best = 5.0;
  for (int f = 0; f < kNumFaces; ++f) {
    const double dx = kFaceCenterPoint[f].x - p.x;
    const double dy = kFaceCenterPoint[f].y - p.y;
    const double dz = kFaceCenterPoint[f].z - p.z;
    const double d = dx * dx + dy * dy + dz * dz;
    if (d < best) {
      face = f;
      best = d;
    }
  }
  *sqd_out = best;
  return face;
}

}  // namespace

Vec3 lat_lng_to_vec3(LatLng g) noexcept {
  double sin_lat = 0;
  double cos_lat = 0;
  double sin_lng = 0;
  double cos_lng = 0;
  ::sincos(g.lat, &sin_lat, &cos_lat);
  ::sincos(g.lng, &sin_lng, &cos_lng);
  return {cos_lat * cos_lng, cos_lat * sin_lng, sin_lat};
}

LatLng vec3_to_lat_lng(const Vec3& p) noexcept {
  return {std::atan2(p.z, std::sqrt(p.x * p.x + p.y * p.y)), std::atan2(p.y, p.x)};
}

void vec3_to_hex2d_fast(const Vec3& p, int res, int* face, Vec2* v, double* sqd) noexcept {
  const int f = closest_face(p, sqd);
  *face = f;
  const Vec3& n = kFaceCenterPoint[f];
  const FaceAxes& axes = kFaceAxes[f][is_class_iii(res) ? 1 : 0];
  // Gnomonic projection: the tangent-plane point is p / (p . n) - n, whose components along the
  // (tangent) axes are (p . axis) / (p . n).
  const double scale = kResScales.scale[res] / (p.x * n.x + p.y * n.y + p.z * n.z);
  v->x = (p.x * axes.x_axis.x + p.y * axes.x_axis.y + p.z * axes.x_axis.z) * scale;
  v->y = (p.x * axes.y_axis.x + p.y * axes.y_axis.y + p.z * axes.y_axis.z) * scale;
}

void vec3_to_hex2d_reference(const Vec3& p, int res, int* face, Vec2* v) noexcept {
  double sqd = 0;
  const int f = closest_face(p, &sqd);
  *face = f;
  const double r = std::acos(1.0 - sqd * 0.5);
  if (r < kEpsilon) {
    v->x = v->y = 0.0;
    return;
  }
  // Azimuth of p seen from the face centre, from the local north tangent, as H3 computes it.
  const Vec3& n = kFaceCenterPoint[f];
  const double e = -(n.z + (n.x * 0.0 + n.y * 0.0));
  double tx = n.x * e + 0.0;
  double ty = n.y * e + 0.0;
  double tz = n.z * e + 1.0;
  double len = std::sqrt(tz * tz + (tx * tx + ty * ty));
  double inv = len > 0.0 ? 1.0 / len : 0.0;
  tx *= inv;
  ty *= inv;
  tz *= inv;
  const double d = -(p.x * n.x + p.y * n.y + p.z * n.z);
  double qx = p.x + n.x * d;
  double qy = p.y + n.y * d;
  double qz = p.z + n.z * d;
  len = std::sqrt(qz * qz + (qx * qx + qy * qy));
  inv = len > 0.0 ? 1.0 / len : 0.0;
  qx *= inv;
  qy *= inv;
  qz *= inv;
  const double sin_part = qz * (n.y * tx - n.x * ty) + (qx * (n.z * ty - n.y * tz) + qy * (n.x * tz - n.z * tx));
  const double cos_part = tz * qz + (tx * qx + ty * qy);
  double theta = pos_angle(kFaceAxesAzRadsCII[f][0] - pos_angle(std::atan2(sin_part, cos_part)));
  if (is_class_iii(res)) {
    theta = pos_angle(theta + -kAp7RotRads);
  }
  double rr = std::tan(r) * kInvRes0UGnomonic;
  for (int i = 0; i < res; ++i) {
    rr = rr * kSqrt7;
  }
  v->x = std::cos(theta) * rr;
  v->y = std::sin(theta) * rr;
}

Ijk hex2d_to_ijk(Vec2 v, double* margin) noexcept {
  const double a1 = std::fabs(v.x);
  const double a2 = std::fabs(v.y);
  const double x2 = a2 * kInvSin60;
  const double x1 = a1 + x2 * 0.5;
  const int m1 = static_cast<int>(x1);
  const int m2 = static_cast<int>(x2);
  const double r1 = x1 - m1;
  const double r2 = x2 - m2;
  int i = 0;
  int j = 0;
  if (r1 < 0.5) {
    if (r1 < 1.0 / 3.0) {
      i = m1;
      j = r2 < (1.0 + r1) * 0.5 ? m2 : m2 + 1;
    } else {
      j = r2 < 1.0 - r1 ? m2 : m2 + 1;
      i = (1.0 - r1 <= r2 && r2 < r1 * 2.0) ? m1 + 1 : m1;
    }
  } else if (r1 < 2.0 / 3.0) {
    j = r2 < 1.0 - r1 ? m2 : m2 + 1;
    i = (r1 * 2.0 - 1.0 < r2 && r2 < 1.0 - r1) ? m1 : m1 + 1;
  } else {
    i = m1 + 1;
    j = r2 < r1 * 0.5 ? m2 : m2 + 1;
  }
  if (margin != nullptr) {
    // Distance from the point (first quadrant) to the edges of the chosen hexagon, whose apothem
    // is 0.5 along the three lattice directions.
    const double dx = a1 - (i - 0.5 * j);
    const double dy = a2 - j * kSin60;
    const double p0 = std::fabs(dx);
    const double p1 = std::fabs(0.5 * dx + kSin60 * dy);
    const double p2 = std::fabs(-0.5 * dx + kSin60 * dy);
    const double worst = p0 > p1 ? (p0 > p2 ? p0 : p2) : (p1 > p2 ? p1 : p2);
    *margin = 0.5 - worst;
  }
  // Fold back into the quadrant of v.
  if (v.x < 0.0) {
    if ((j % 2) == 0) {
      const int axis_i = j / 2;
      i = i - 2 * (i - axis_i);
    } else {
      const int axis_i = (j + 1) / 2;
      i = i - (2 * (i - axis_i) + 1);
    }
  }
  Ijk c{i, j, 0};
  if (v.y < 0.0) {
    c.i = c.i - (2 * c.j + 1) / 2;
    c.j = -c.j;
  }
  ijk_normalize(c);
  return c;
}

Vec3 hex2d_to_vec3(Vec2 v, int face, int res, bool substrate) noexcept {
  const Vec3& n = kFaceCenterPoint[face];
  double scale = kResScales.scale[res] * (substrate ? 3.0 : 1.0);
  if (substrate && is_class_iii(res)) {
    scale = scale * kSqrt7;
  }
  const FaceAxes& axes = kFaceAxes[face][(!substrate && is_class_iii(res)) ? 1 : 0];
  const double inv = 1.0 / scale;
  const double x = v.x * inv;
  const double y = v.y * inv;
  Vec3 p{n.x + x * axes.x_axis.x + y * axes.y_axis.x, n.y + x * axes.x_axis.y + y * axes.y_axis.y,
         n.z + x * axes.x_axis.z + y * axes.y_axis.z};
  const double len = std::sqrt(p.x * p.x + p.y * p.y + p.z * p.z);
  return {p.x / len, p.y / len, p.z / len};
}

namespace {

// The digit of an axial offset (di, dj) in -1..1 (axial = (i - k, j - k)), 7 where none.
constexpr int kAxialDigit[9] = {kK, kJK, kInvalidDigit, kIK, kCenter, kJ, kInvalidDigit, kI, kIJ};
constexpr int kDigitAxialI[7] = {0, -1, 0, -1, 1, 0, 1};
constexpr int kDigitAxialJ[7] = {0, -1, 1, 0, 0, -1, 1};

Ijk axial_to_ijk(int i, int j) noexcept {
  Ijk c{i, j, 0};
  ijk_normalize(c);
  return c;
}

}  // namespace

CellId face_ijk_to_cell(FaceIjk fijk, int res) noexcept {
  CellId h = make_cell_header(res, 0);
  // Work in axial coordinates (i - k, j - k): aperture-7 steps become small integer formulas.
  int i = fijk.coord.i - fijk.coord.k;
  int j = fijk.coord.j - fijk.coord.k;
  for (int r = res; r >= 1; --r) {
    int pi = 0;
    int pj = 0;
    int ci = 0;
    int cj = 0;
    if (is_class_iii(r)) {
      pi = round_div7(3 * i - j);
      pj = round_div7(i + 2 * j);
      ci = 2 * pi + pj;
      cj = 3 * pj - pi;
    } else {
      pi = round_div7(2 * i + j);
      pj = round_div7(3 * j - i);
      ci = 3 * pi - pj;
      cj = pi + 2 * pj;
    }
    const int di = i - ci;
    const int dj = j - cj;
    h = with_digit(h, r, kAxialDigit[(di + 1) * 3 + (dj + 1)]);
    i = pi;
    j = pj;
  }
  const Ijk base = axial_to_ijk(i, j);
  if (base.i > 2 || base.j > 2 || base.k > 2) {
    return 0;
  }
  const BaseCellRotation& bc = kFaceIjkBaseCells[fijk.face][base.i][base.j][base.k];
  h = with_base_cell(h, bc.base_cell);
  const BaseCellData& data = kBaseCellData[bc.base_cell];
  if (data.pentagon) {
    if (leading_non_zero_digit(h) == kK) {
      const bool cw_offset = data.cw_offset_faces[0] == fijk.face || data.cw_offset_faces[1] == fijk.face;
      h = cw_offset ? rotate_cell_cw(h) : rotate_cell_ccw(h);
    }
    for (int n = 0; n < bc.ccw_rot60; ++n) {
      h = rotate_pent_cell_ccw(h);
    }
    return h;
  }
  return rotate_cell_ccw_by(h, bc.ccw_rot60);
}

bool digits_to_ijk(CellId h, Ijk* ijk) noexcept {
  const int res = index_res(h);
  const int bc = index_base_cell(h);
  bool possible_overage = true;
  if (!is_base_cell_pentagon(bc) && (res == 0 || (ijk->i == 0 && ijk->j == 0 && ijk->k == 0))) {
    possible_overage = false;
  }
  int i = ijk->i - ijk->k;
  int j = ijk->j - ijk->k;
  for (int r = 1; r <= res; ++r) {
    int ni = 0;
    int nj = 0;
    if (is_class_iii(r)) {
      ni = 2 * i + j;
      nj = 3 * j - i;
    } else {
      ni = 3 * i - j;
      nj = i + 2 * j;
    }
    const int d = index_digit(h, r);
    if (d < kInvalidDigit) {
      ni += kDigitAxialI[d];
      nj += kDigitAxialJ[d];
    }
    i = ni;
    j = nj;
  }
  *ijk = axial_to_ijk(i, j);
  return possible_overage;
}

namespace {
constexpr int max_dim_class_ii(int res) noexcept {
  int m = 2;
  for (int r = 0; r < res; r += 2) {
    m *= 7;
  }
  return m;
}
constexpr int unit_scale_class_ii(int res) noexcept {
  int m = 1;
  for (int r = 0; r < res; r += 2) {
    m *= 7;
  }
  return m;
}
}  // namespace

Overage adjust_overage_class_ii(FaceIjk* fijk, int res, bool pent_leading4, bool substrate) noexcept {
  Overage overage = Overage::kNone;
  Ijk& ijk = fijk->coord;
  int max_dim = max_dim_class_ii(res);
  if (substrate) {
    max_dim *= 3;
  }
  const int sum = ijk.i + ijk.j + ijk.k;
  if (substrate && sum == max_dim) {
    overage = Overage::kFaceEdge;
  } else if (sum > max_dim) {
    overage = Overage::kNewFace;
    const FaceOrientIjk* orient = nullptr;
    if (ijk.k > 0) {
      if (ijk.j > 0) {
        orient = &kFaceNeighbors[fijk->face][3];
      } else {
        orient = &kFaceNeighbors[fijk->face][2];
        if (pent_leading4) {
          // Rotate about the pentagon at (max_dim, 0, 0) to undo the missing K sub-sequence.
          const Ijk origin{max_dim, 0, 0};
          Ijk tmp = ijk_sub(ijk, origin);
          ijk_rotate60_cw(tmp);
          ijk = ijk_add(tmp, origin);
        }
      }
    } else {
      orient = &kFaceNeighbors[fijk->face][1];
    }
    fijk->face = orient->face;
    for (int i = 0; i < orient->ccw_rot60; ++i) {
      ijk_rotate60_ccw(ijk);
    }
    int unit_scale = unit_scale_class_ii(res);
    if (substrate) {
      unit_scale *= 3;
    }
    ijk = ijk_add(ijk, ijk_scale(orient->translate, unit_scale));
    ijk_normalize(ijk);
    if (substrate && ijk.i + ijk.j + ijk.k == max_dim) {
      overage = Overage::kFaceEdge;
    }
  }
  return overage;
}

bool cell_to_face_ijk(CellId h, FaceIjk* out) noexcept {
  const int bc = index_base_cell(h);
  if (bc >= kNumBaseCells) {
    return false;
  }
  if (kBaseCellData[bc].pentagon && leading_non_zero_digit(h) == kIK) {
    h = rotate_cell_cw(h);
  }
  *out = kBaseCellData[bc].home;
  if (!digits_to_ijk(h, &out->coord)) {
    return true;
  }
  const Ijk orig = out->coord;
  int res = index_res(h);
  if (is_class_iii(res)) {
    down_ap7r(out->coord);
    ++res;
  }
  const bool pent_leading4 = kBaseCellData[bc].pentagon && leading_non_zero_digit(h) == kI;
  if (adjust_overage_class_ii(out, res, pent_leading4, false) != Overage::kNone) {
    if (kBaseCellData[bc].pentagon) {
      while (adjust_overage_class_ii(out, res, false, false) != Overage::kNone) {
      }
    }
    if (res != index_res(h)) {
      up_ap7r(out->coord);
    }
  } else if (res != index_res(h)) {
    out->coord = orig;
  }
  return true;
}

}  // namespace hexwire::geo::detail
