// H3-compatible hexagonal grid: the same 64-bit cell ids as Uber's H3 v4 for every input, so that
// dispatch, pricing, the live map and the simulators interoperate through plain H3 ids.
// Function names follow H3 v4 in snake_case; angles are radians as in H3's C API (see
// degs_to_rads). Every function is noexcept and reports bad input as an H3Error, never UB; the hot
// ones do not allocate (grid_disk and friends write into a caller's buffer).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace hexwire::geo {

using CellId = std::uint64_t;

/// H3 v4 error codes, same numbering as H3's H3ErrorCodes.
enum class H3Error : std::uint32_t {
  kSuccess = 0,
  kFailed = 1,
  kDomain = 2,
  kLatLngDomain = 3,
  kResDomain = 4,
  kCellInvalid = 5,
  kDirEdgeInvalid = 6,
  kUndirEdgeInvalid = 7,
  kVertexInvalid = 8,
  kPentagon = 9,
  kDuplicateInput = 10,
  kNotNeighbors = 11,
  kResMismatch = 12,
  kMemoryAlloc = 13,
  kMemoryBounds = 14,
  kOptionInvalid = 15,
};

/// H3's name for an error ("E_SUCCESS", "E_LATLNG_DOMAIN", ...).
const char* error_name(H3Error error) noexcept;

struct LatLng {
  double lat;  ///< radians
  double lng;  ///< radians
};

inline constexpr int kMaxResolution = 15;
inline constexpr int kMaxBoundaryVerts = 10;

/// Cell outline: up to 10 vertices (pentagons and Class III cells gain distortion vertices where
/// an edge crosses an icosahedron edge), in H3's order.
struct CellBoundary {
  int num_verts = 0;
  LatLng verts[kMaxBoundaryVerts];
};

double degs_to_rads(double degrees) noexcept;
double rads_to_degs(double radians) noexcept;

// --- Indexing ----------------------------------------------------------------------------------
/// Cell containing a point. E_LATLNG_DOMAIN for non-finite coordinates, E_RES_DOMAIN for res
/// outside 0..15.
H3Error lat_lng_to_cell(LatLng point, int res, CellId* out) noexcept;
/// The same, computed exactly as H3 does (trigonometric gnomonic projection). lat_lng_to_cell uses
/// a trigonometry-free projection and falls back to this near cell edges; kept public as the
/// reference the benchmarks compare against.
H3Error lat_lng_to_cell_reference(LatLng point, int res, CellId* out) noexcept;
H3Error cell_to_lat_lng(CellId cell, LatLng* out) noexcept;
H3Error cell_to_boundary(CellId cell, CellBoundary* out) noexcept;

// --- Inspection --------------------------------------------------------------------------------
int get_resolution(CellId cell) noexcept;
int get_base_cell_number(CellId cell) noexcept;
bool is_valid_cell(CellId cell) noexcept;
bool is_pentagon(CellId cell) noexcept;
bool is_res_class_iii(CellId cell) noexcept;
/// Number of cells at a resolution (E_RES_DOMAIN outside 0..15).
H3Error get_num_cells(int res, std::int64_t* out) noexcept;
/// Lowercase hex without leading zeros, as H3 prints it. Needs a buffer of 17 chars; returns the
/// number of characters written (without the terminating NUL), 0 if the buffer is too small.
std::size_t cell_to_string(CellId cell, std::span<char> out) noexcept;
/// Parses hex (case-insensitive, optional 0x). E_FAILED if it is not hex; the result is not
/// validated (use is_valid_cell), as in H3's stringToH3.
H3Error string_to_cell(std::string_view text, CellId* out) noexcept;

// --- Hierarchy ---------------------------------------------------------------------------------
H3Error cell_to_parent(CellId cell, int parent_res, CellId* out) noexcept;
H3Error cell_to_center_child(CellId cell, int child_res, CellId* out) noexcept;
H3Error cell_to_children_size(CellId cell, int child_res, std::int64_t* out) noexcept;
/// Writes all children at child_res (cell_to_children_size of them) in H3's order.
/// E_MEMORY_BOUNDS if out is too small.
H3Error cell_to_children(CellId cell, int child_res, std::span<CellId> out) noexcept;
/// Replaces complete sets of 7 (or 6 for pentagons) siblings by their parent, recursively, with
/// H3's algorithm and output order (cells of one resolution expected; duplicates are reported as
/// E_DUPLICATE_INPUT where H3 detects them). out needs cells.size() entries; *count receives the
/// number written, the rest is zeroed. Not a hot path: allocates scratch (E_MEMORY_ALLOC).
H3Error compact_cells(std::span<const CellId> cells, std::span<CellId> out, std::size_t* count) noexcept;
/// Total descendants at res of the non-zero cells (E_RES_MISMATCH if a cell is finer than res).
H3Error uncompact_cells_size(std::span<const CellId> cells, int res, std::int64_t* out) noexcept;
H3Error uncompact_cells(std::span<const CellId> cells, int res, std::span<CellId> out) noexcept;

// --- Traversal ---------------------------------------------------------------------------------
/// Buffer size needed by grid_disk for k: 3k(k+1)+1. E_DOMAIN for negative k.
H3Error max_grid_disk_size(int k, std::int64_t* out) noexcept;
/// All cells within k steps of origin, as a set: out must hold max_grid_disk_size(k) entries;
/// unused entries are 0. Works across pentagons as H3 does. Never allocates for k <= 32; a larger
/// disk that touches a pentagon needs a heap buffer for its distances (E_MEMORY_ALLOC if that fails).
H3Error grid_disk(CellId origin, int k, std::span<CellId> out) noexcept;
/// grid_disk plus each cell's grid distance from origin (distances.size() >= out.size()).
H3Error grid_disk_distances(CellId origin, int k, std::span<CellId> out, std::span<int> distances) noexcept;
/// The "unsafe" fast ring walk of H3: E_PENTAGON if a pentagon is met (then use grid_disk).
H3Error grid_disk_distances_unsafe(CellId origin, int k, std::span<CellId> out, std::span<int> distances) noexcept;
/// Cells at exactly distance k: out needs 6k entries (1 for k = 0); unused entries are 0.
H3Error grid_ring(CellId origin, int k, std::span<CellId> out) noexcept;
/// H3's gridRingUnsafe: E_PENTAGON when the ring touches a pentagon.
H3Error grid_ring_unsafe(CellId origin, int k, std::span<CellId> out) noexcept;
H3Error are_neighbor_cells(CellId origin, CellId destination, bool* out) noexcept;
/// Grid distance; E_FAILED/E_PENTAGON where H3's local IJ coordinates are undefined (too far
/// apart, or across a pentagon's deleted sub-sequence), E_RES_MISMATCH across resolutions.
H3Error grid_distance(CellId origin, CellId destination, std::int64_t* out) noexcept;
H3Error grid_path_cells_size(CellId start, CellId end, std::int64_t* out) noexcept;
/// The grid_path_cells_size cells of a line from start to end (inclusive), as H3.
H3Error grid_path_cells(CellId start, CellId end, std::span<CellId> out) noexcept;

/// Local IJ coordinates of cell relative to origin (H3's cellToLocalIj, mode 0).
struct CoordIj {
  int i, j;
};
H3Error cell_to_local_ij(CellId origin, CellId cell, CoordIj* out) noexcept;
H3Error local_ij_to_cell(CellId origin, CoordIj ij, CellId* out) noexcept;

// --- Regions and measures ----------------------------------------------------------------------
/// A polygon: outer loop plus holes, each a list of vertices (radians), not closed. Edges are
/// straight in latitude/longitude, as in H3.
struct GeoPolygon {
  std::span<const LatLng> outer;
  std::span<const std::span<const LatLng>> holes;
};
/// Cells at res whose centres lie inside the polygon (H3's polygonToCells, centre containment),
/// in no particular order. Not a hot path: allocates (may throw std::bad_alloc).
H3Error polygon_to_cells(const GeoPolygon& polygon, int res, std::vector<CellId>* out);
double great_circle_distance_rads(LatLng a, LatLng b) noexcept;
double great_circle_distance_km(LatLng a, LatLng b) noexcept;
H3Error cell_area_rads2(CellId cell, double* out) noexcept;
H3Error cell_area_km2(CellId cell, double* out) noexcept;

}  // namespace hexwire::geo
