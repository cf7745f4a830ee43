// Constant tables of the H3-compatible hex grid: icosahedron faces, the 122 base cells and the
// rotation tables used when stepping between base cells and around pentagons. Defined in the
// generated geo/detail/hexgrid_tables.cpp (scripts/gen_hexgrid_tables.js, oracle h3-js).
#pragma once

#include <cstdint>

namespace hexwire::geo::detail {

inline constexpr int kNumFaces = 20;
inline constexpr int kNumBaseCells = 122;
inline constexpr int kInvalidBaseCell = 127;

struct Vec3 {
  double x, y, z;
};
struct Ijk {
  int i, j, k;
};
struct FaceIjk {
  int face;
  Ijk coord;
};
/// Where a neighbouring face is, relative to a face: its number, the translation of the origin
/// (in res-0 Class II units) and the 60-degree ccw rotations from this face's axes to its axes.
struct FaceOrientIjk {
  int face;
  Ijk translate;
  int ccw_rot60;
};
struct BaseCellRotation {
  int base_cell;
  int ccw_rot60;
};
struct BaseCellData {
  FaceIjk home;            ///< face and res-0 ijk that define the base cell's orientation
  bool pentagon;
  int cw_offset_faces[2];  ///< for pentagons: faces whose orientation is offset clockwise
};
/// Unit tangent vectors at a face centre: hex2d x axis and y axis, for one resolution class.
struct FaceAxes {
  Vec3 x_axis;
  Vec3 y_axis;
};

extern const Vec3 kFaceCenterPoint[kNumFaces];
extern const FaceAxes kFaceAxes[kNumFaces][2];  ///< [face][0 = Class II, 1 = Class III]
extern const double kFaceAxesAzRadsCII[kNumFaces][3];
extern const FaceOrientIjk kFaceNeighbors[kNumFaces][4];  ///< [face][central, IJ, KI, JK]
extern const BaseCellRotation kFaceIjkBaseCells[kNumFaces][3][3][3];
extern const BaseCellData kBaseCellData[kNumBaseCells];
extern const std::uint8_t kBaseCellNeighbors[kNumBaseCells][7];
extern const std::int8_t kBaseCellNeighbor60CcwRots[kNumBaseCells][7];
extern const std::int8_t kPentagonRotations[7][7];
extern const std::int8_t kPentagonRotationsReverse[7][7];
extern const std::int8_t kPentagonRotationsReverseNonpolar[7][7];
extern const std::int8_t kPentagonRotationsReversePolar[7][7];
extern const bool kFailedDirections[7][7];
extern const std::uint8_t kStepDigitClassIII[7][7];  ///< new digit when stepping at a Class III res
extern const std::uint8_t kStepCarryClassIII[7][7];  ///< direction carried to the parent res
extern const std::uint8_t kStepDigitClassII[7][7];
extern const std::uint8_t kStepCarryClassII[7][7];

}  // namespace hexwire::geo::detail
