// Point <-> cell: latLngToCell (fast projection with an exact fallback near edges), cellToLatLng,
// cellToBoundary (with H3's distortion vertices where Class III edges cross icosahedron edges),
// plus inspection (resolution, base cell, validity, pentagons) and hex string conversion.
#include <cfloat>
#include <cmath>

#include "geo/detail/hexgrid_internal.hpp"

namespace hexwire::geo {
using namespace detail;

namespace {

constexpr double kSqrt3Over2 = 0.8660254037844386;
constexpr double kPi = 3.14159265358979323846;

Vec2 ijk_to_hex2d(Ijk c) noexcept {
  const int i = c.i - c.k;
  const int j = c.j - c.k;
  return {i - 0.5 * j, j * kSqrt3Over2};
}

LatLng face_hex2d_to_lat_lng(Vec2 v, int face, int res, bool substrate) noexcept {
  return vec3_to_lat_lng(hex2d_to_vec3(v, face, res, substrate));
}

Vec2 intersect(Vec2 p0, Vec2 p1, Vec2 p2, Vec2 p3) noexcept {
  const Vec2 s1{p1.x - p0.x, p1.y - p0.y};
  const Vec2 s2{p3.x - p2.x, p3.y - p2.y};
  const double t = (s2.x * (p0.y - p2.y) - s2.y * (p0.x - p2.x)) / (-s2.x * s1.y + s1.x * s2.y);
  return {p0.x + t * s1.x, p0.y + t * s1.y};
}

bool almost_equal(Vec2 a, Vec2 b) noexcept {
  return std::fabs(a.x - b.x) < FLT_EPSILON && std::fabs(a.y - b.y) < FLT_EPSILON;
}

int adjacent_face_dir(int from, int to) noexcept {
  if (from == to) {
    return 0;
  }
  for (int d = 1; d < 4; ++d) {
    if (kFaceNeighbors[from][d].face == to) {
      return d;
    }
  }
  return -1;
}

/// The icosahedron edge (as two hex2d points at the substrate resolution) in direction dir.
void face_edge(int dir, int adj_res, Vec2* e0, Vec2* e1) noexcept {
  int max_dim = 2;
  for (int r = 0; r < adj_res; r += 2) {
    max_dim *= 7;
  }
  const Vec2 v0{3.0 * max_dim, 0.0};
  const Vec2 v1{-1.5 * max_dim, 3.0 * kSqrt3Over2 * max_dim};
  const Vec2 v2{-1.5 * max_dim, -3.0 * kSqrt3Over2 * max_dim};
  if (dir == 1) {
    *e0 = v0;
    *e1 = v1;
  } else if (dir == 3) {
    *e0 = v1;
    *e1 = v2;
  } else {
    *e0 = v2;
    *e1 = v0;
  }
}

// Substrate vertices of an origin-centred cell, ccw from the i axis (aperture 3 then 3r, plus 7r
// for Class III to land on a Class II grid).
constexpr Ijk kVertsClassII[6] = {{2, 1, 0}, {1, 2, 0}, {0, 2, 1}, {0, 1, 2}, {1, 0, 2}, {2, 0, 1}};
constexpr Ijk kVertsClassIII[6] = {{5, 4, 0}, {1, 5, 0}, {0, 5, 4}, {0, 1, 5}, {4, 0, 5}, {5, 0, 1}};

int cell_vertices(FaceIjk center, int res, int count, FaceIjk* verts) noexcept {
  int adj_res = res;
  down_ap3(center.coord);
  down_ap3r(center.coord);
  const Ijk* offsets = is_class_iii(res) ? kVertsClassIII : kVertsClassII;
  if (is_class_iii(res)) {
    down_ap7r(center.coord);
    ++adj_res;
  }
  for (int v = 0; v < count; ++v) {
    verts[v].face = center.face;
    verts[v].coord = ijk_add(center.coord, offsets[v]);
    ijk_normalize(verts[v].coord);
  }
  return adj_res;
}

void hexagon_boundary(FaceIjk center, int res, CellBoundary* out) noexcept {
  FaceIjk verts[6];
  const int adj_res = cell_vertices(center, res, 6, verts);
  out->num_verts = 0;
  int last_face = -1;
  Overage last_overage = Overage::kNone;
  for (int vert = 0; vert < 7; ++vert) {
    const int v = vert % 6;
    FaceIjk fijk = verts[v];
    const Overage overage = adjust_overage_class_ii(&fijk, adj_res, false, true);
    // A Class III edge that crosses an icosahedron edge gets an extra vertex at the crossing.
    if (is_class_iii(res) && vert > 0 && fijk.face != last_face && last_overage != Overage::kFaceEdge) {
      const int last_v = (v + 5) % 6;
      const Vec2 orig0 = ijk_to_hex2d(verts[last_v].coord);
      const Vec2 orig1 = ijk_to_hex2d(verts[v].coord);
      const int face2 = last_face == center.face ? fijk.face : last_face;
      Vec2 e0{};
      Vec2 e1{};
      face_edge(adjacent_face_dir(center.face, face2), adj_res, &e0, &e1);
      const Vec2 inter = intersect(orig0, orig1, e0, e1);
      if (!almost_equal(orig0, inter) && !almost_equal(orig1, inter)) {
        out->verts[out->num_verts++] = face_hex2d_to_lat_lng(inter, center.face, adj_res, true);
      }
    }
    if (vert < 6) {
      out->verts[out->num_verts++] = face_hex2d_to_lat_lng(ijk_to_hex2d(fijk.coord), fijk.face, adj_res, true);
    }
    last_face = fijk.face;
    last_overage = overage;
  }
}

void pentagon_boundary(FaceIjk center, int res, CellBoundary* out) noexcept {
  FaceIjk verts[5];
  const int adj_res = cell_vertices(center, res, 5, verts);
  out->num_verts = 0;
  FaceIjk last{};
  for (int vert = 0; vert < 6; ++vert) {
    const int v = vert % 5;
    FaceIjk fijk = verts[v];
    while (adjust_overage_class_ii(&fijk, adj_res, false, true) == Overage::kNewFace) {
    }
    // Every Class III pentagon edge crosses an icosahedron edge.
    if (is_class_iii(res) && vert > 0) {
      FaceIjk tmp = fijk;
      const Vec2 orig0 = ijk_to_hex2d(last.coord);
      const FaceOrientIjk& orient = kFaceNeighbors[tmp.face][adjacent_face_dir(tmp.face, last.face)];
      tmp.face = orient.face;
      for (int i = 0; i < orient.ccw_rot60; ++i) {
        ijk_rotate60_ccw(tmp.coord);
      }
      int unit = 1;
      for (int r = 0; r < adj_res; r += 2) {
        unit *= 7;
      }
      tmp.coord = ijk_add(tmp.coord, ijk_scale(orient.translate, unit * 3));
      ijk_normalize(tmp.coord);
      const Vec2 orig1 = ijk_to_hex2d(tmp.coord);
      Vec2 e0{};
      Vec2 e1{};
      face_edge(adjacent_face_dir(tmp.face, fijk.face), adj_res, &e0, &e1);
      const Vec2 inter = intersect(orig0, orig1, e0, e1);
      out->verts[out->num_verts++] = face_hex2d_to_lat_lng(inter, tmp.face, adj_res, true);
    }
    if (vert < 5) {
      out->verts[out->num_verts++] = face_hex2d_to_lat_lng(ijk_to_hex2d(fijk.coord), fijk.face, adj_res, true);
    }
    last = fijk;
  }
}

H3Error point_to_cell(LatLng point, int res, CellId* out, bool reference_only) noexcept {
  if (res < 0 || res > kMaxResolution) {
    return H3Error::kResDomain;
  }
  if (!std::isfinite(point.lat) || !std::isfinite(point.lng)) {
    return H3Error::kLatLngDomain;
  }
  const Vec3 p = lat_lng_to_vec3(point);
  FaceIjk fijk{};
  Vec2 v{};
  bool exact = reference_only;
  if (!reference_only) {
    double sqd = 0;
    double margin = 0;
    vec3_to_hex2d_fast(p, res, &fijk.face, &v, &sqd);
    fijk.coord = hex2d_to_ijk(v, &margin);
    // H3's own projection carries rounding error (its acos loses precision near a face centre);
    // when the point is closer to a cell edge than that error, redo it exactly as H3 does.
    const double rho = std::fabs(v.x) + std::fabs(v.y);
    exact = margin < rho * (1e-13 + 4e-16 / sqd) + 1e-12;
  }
  if (exact) {
    vec3_to_hex2d_reference(p, res, &fijk.face, &v);
    fijk.coord = hex2d_to_ijk(v, nullptr);
  }
  const CellId h = face_ijk_to_cell(fijk, res);
  if (h == 0) {
    return H3Error::kFailed;
  }
  *out = h;
  return H3Error::kSuccess;
}

}  // namespace

// Same operation order as h3-js (deg * PI / 180), so degree inputs map to identical radians.
double degs_to_rads(double degrees) noexcept { return degrees * kPi / 180.0; }
double rads_to_degs(double radians) noexcept { return radians * 180.0 / kPi; }

H3Error lat_lng_to_cell(LatLng point, int res, CellId* out) noexcept {
  return point_to_cell(point, res, out, false);
}

H3Error lat_lng_to_cell_reference(LatLng point, int res, CellId* out) noexcept {
  return point_to_cell(point, res, out, true);
}

H3Error cell_to_lat_lng(CellId cell, LatLng* out) noexcept {
  if (!is_valid_cell(cell)) {
    return H3Error::kCellInvalid;
  }
  FaceIjk fijk{};
  cell_to_face_ijk(cell, &fijk);
  *out = face_hex2d_to_lat_lng(ijk_to_hex2d(fijk.coord), fijk.face, index_res(cell), false);
  return H3Error::kSuccess;
}

H3Error cell_to_boundary(CellId cell, CellBoundary* out) noexcept {
  if (!is_valid_cell(cell)) {
    return H3Error::kCellInvalid;
  }
  FaceIjk fijk{};
  cell_to_face_ijk(cell, &fijk);
  if (is_pentagon(cell)) {
    pentagon_boundary(fijk, index_res(cell), out);
  } else {
    hexagon_boundary(fijk, index_res(cell), out);
  }
  return H3Error::kSuccess;
}

int get_resolution(CellId cell) noexcept { return index_res(cell); }
int get_base_cell_number(CellId cell) noexcept { return index_base_cell(cell); }
bool is_res_class_iii(CellId cell) noexcept { return is_class_iii(index_res(cell)); }

bool is_valid_cell(CellId cell) noexcept {
  if ((cell >> 63) != 0 || index_mode(cell) != static_cast<int>(kCellMode) || ((cell >> 56) & 7) != 0) {
    return false;
  }
  const int bc = index_base_cell(cell);
  if (bc >= kNumBaseCells) {
    return false;
  }
  const int res = index_res(cell);
  // Digits below the resolution must all be 7; used digits must not be 7.
  const int unused_bits = (kMaxResolution - res) * kDigitBits;
  const std::uint64_t unused_mask = unused_bits == 0 ? 0 : ((1ULL << unused_bits) - 1);
  if ((cell & unused_mask) != unused_mask) {
    return false;
  }
  const std::uint64_t digits = (cell >> unused_bits) & ((1ULL << (res * kDigitBits)) - 1);
  constexpr std::uint64_t kLowBits = 0x1249249249249ULL;  // lowest bit of every 3-bit digit
  if ((digits & (digits >> 1) & (digits >> 2) & kLowBits) != 0) {
    return false;
  }
  if (kBaseCellData[bc].pentagon && digits != 0) {
    // The leading non-zero digit of a pentagon may not be K (its deleted sub-sequence).
    const int top_bit = 63 - __builtin_clzll(digits);
    const int leading = static_cast<int>((digits >> (top_bit - top_bit % 3)) & 7);
    if (leading == kK) {
      return false;
    }
  }
  return true;
}

bool is_pentagon(CellId cell) noexcept { return cell_is_pentagon(cell); }

H3Error get_num_cells(int res, std::int64_t* out) noexcept {
  if (res < 0 || res > kMaxResolution) {
    return H3Error::kResDomain;
  }
  std::int64_t p = 1;
  for (int r = 0; r < res; ++r) {
    p *= 7;
  }
  *out = 2 + 120 * p;
  return H3Error::kSuccess;
}

std::size_t cell_to_string(CellId cell, std::span<char> out) noexcept {
  char tmp[16];
  std::size_t n = 0;
  do {
    tmp[n++] = "0123456789abcdef"[cell & 0xf];
    cell >>= 4;
  } while (cell != 0);
  if (out.size() < n + 1) {
    return 0;
  }
  for (std::size_t i = 0; i < n; ++i) {
    out[i] = tmp[n - 1 - i];
  }
  out[n] = '\0';
  return n;
}

H3Error string_to_cell(std::string_view text, CellId* out) noexcept {
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    text.remove_prefix(2);
  }
  if (text.empty() || text.size() > 16) {
    return H3Error::kFailed;
  }
  CellId v = 0;
  for (const char c : text) {
    int d = 0;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      d = c - 'A' + 10;
    } else {
      return H3Error::kFailed;
    }
    v = (v << 4) | static_cast<CellId>(d);
  }
  *out = v;
  return H3Error::kSuccess;
}

const char* error_name(H3Error error) noexcept {
  static constexpr const char* kNames[] = {
      "E_SUCCESS",         "E_FAILED",           "E_DOMAIN",        "E_LATLNG_DOMAIN",
      "E_RES_DOMAIN",      "E_CELL_INVALID",     "E_DIR_EDGE_INVALID", "E_UNDIR_EDGE_INVALID",
      "E_VERTEX_INVALID",  "E_PENTAGON",         "E_DUPLICATE_INPUT", "E_NOT_NEIGHBORS",
      "E_RES_MISMATCH",    "E_MEMORY_ALLOC",     "E_MEMORY_BOUNDS", "E_OPTION_INVALID"};
  const auto i = static_cast<std::uint32_t>(error);
  return i < 16 ? kNames[i] : "E_UNKNOWN";
}

}  // namespace hexwire::geo
