#!/usr/bin/env node
// Generates geo/detail/hexgrid_tables.cpp, the constant tables of the H3-compatible hex grid, from the
// oracle h3-js 4.x (H3's C core compiled to JavaScript). Tables are read from the oracle's static data
// image, located by values predicted through h3-js's public API (pentagon geometry, base cell
// neighbours, pentagon flags) and then cross-checked against that API; derived tables are computed.
// Usage: NODE_PATH=tests/conformance/node_modules node scripts/gen_hexgrid_tables.js > geo/detail/hexgrid_tables.cpp
'use strict';
const fs = require('fs');
const h3 = require('h3-js');

function fail(msg) { process.stderr.write(`gen_hexgrid_tables: ${msg}\n`); process.exit(1); }

// --- The oracle's static data image (emscripten memory initializer). -----------------------------
const src = fs.readFileSync(require.resolve('h3-js'), 'utf8');
const m = src.match(/memoryInitializer = "data:application\/octet-stream;base64,([A-Za-z0-9+/=]+)"/);
if (!m) fail('cannot find the data image in h3-js; is this h3-js 4.x?');
const image = Buffer.from(m[1], 'base64');
const ab = image.buffer.slice(image.byteOffset, image.byteOffset + (image.length & ~7));
const i32 = new Int32Array(ab);
const f64 = new Float64Array(ab);
const u8 = new Uint8Array(ab);

// --- Predictions from the public API. -------------------------------------------------------------
const rad = (d) => d * Math.PI / 180;
const res0 = h3.getRes0Cells().sort();
const pentagonBaseCells = res0.filter((c) => h3.isPentagon(c)).map((c) => h3.getBaseCellNumber(c));
if (pentagonBaseCells.length !== 12) fail('expected 12 pentagons');
const toVec = ([lat, lng]) => [Math.cos(rad(lat)) * Math.cos(rad(lng)), Math.cos(rad(lat)) * Math.sin(rad(lng)), Math.sin(rad(lat))];
const pentVecs = res0.filter((c) => h3.isPentagon(c)).map((c) => toVec(h3.cellToLatLng(c)));
const dot = (a, b) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
// Icosahedron faces: triples of mutually adjacent vertices (adjacent vertices are ~63.4 deg apart).
const adjacent = (a, b) => Math.abs(Math.acos(dot(a, b)) - 1.1071487177940904) < 1e-6;
const predictedCenters = [];
for (let a = 0; a < 12; a++) for (let b = a + 1; b < 12; b++) for (let c = b + 1; c < 12; c++) {
  const [A, B, C] = [pentVecs[a], pentVecs[b], pentVecs[c]];
  if (!adjacent(A, B) || !adjacent(B, C) || !adjacent(A, C)) continue;
  const s = [A[0] + B[0] + C[0], A[1] + B[1] + C[1], A[2] + B[2] + C[2]];
  const n = Math.hypot(...s);
  predictedCenters.push([s[0] / n, s[1] / n, s[2] / n]);
}
if (predictedCenters.length !== 20) fail(`found ${predictedCenters.length} faces, expected 20`);
// Order predicted faces by the face number the oracle reports for a cell at the centre.
const faceOf = (v) => {
  const faces = h3.getIcosahedronFaces(h3.latLngToCell(Math.asin(v[2]) * 180 / Math.PI, Math.atan2(v[1], v[0]) * 180 / Math.PI, 15));
  if (faces.length !== 1) fail('face centre touches several faces');
  return faces[0];
};
const centers = new Array(20);
for (const v of predictedCenters) centers[faceOf(v)] = v;

// --- Locating tables in the image. ----------------------------------------------------------------
function findUnique(name, count, view, predicate) {
  const hits = [];
  for (let k = 0; k + count <= view.length; k++) if (predicate(k)) hits.push(k);
  if (hits.length !== 1) fail(`${name}: ${hits.length} candidate locations, expected 1`);
  return hits[0];
}
const near = (a, b, eps) => Math.abs(a - b) < eps;

const pointAt = findUnique('faceCenterPoint', 60, f64, (k) => {
  for (let f = 0; f < 60; f++) if (!near(f64[k + f], centers[Math.floor(f / 3)][f % 3], 1e-12)) return false;
  return true;
});
// Class II axis azimuths: three per face, 120 degrees apart, the first pointing at a face vertex.
const azimuth = (p, q) => Math.atan2(Math.cos(q[0]) * Math.sin(q[1] - p[1]),
  Math.cos(p[0]) * Math.sin(q[0]) - Math.sin(p[0]) * Math.cos(q[0]) * Math.cos(q[1] - p[1]));
const pentGeos = res0.filter((c) => h3.isPentagon(c)).map((c) => h3.cellToLatLng(c).map(rad));
const axesAt = findUnique('faceAxesAzRadsCII', 60, f64, (k) => {
  for (let f = 0; f < 20; f++) {
    const t = [f64[k + 3 * f], f64[k + 3 * f + 1], f64[k + 3 * f + 2]];
    if (!t.every((x) => x >= 0 && x < 2 * Math.PI)) return false;
    const d1 = ((t[0] - t[1]) + 4 * Math.PI) % (2 * Math.PI), d2 = ((t[1] - t[2]) + 4 * Math.PI) % (2 * Math.PI);
    if (!near(d1, 2 * Math.PI / 3, 1e-9) || !near(d2, 2 * Math.PI / 3, 1e-9)) return false;
    const pc = centers[f]; const c = [Math.asin(pc[2]), Math.atan2(pc[1], pc[0])];
    const toVertex = pentGeos.some((p) => near(((azimuth(c, p) + 2 * Math.PI) % (2 * Math.PI)), t[0], 1e-9));
    if (!toVertex) return false;
  }
  return true;
});
// Face neighbours: {face, translate i,j,k, ccw rotations} for central, IJ, KI, JK.
const neighborsAt = findUnique('faceNeighbors', 400, i32, (k) => {
  for (let f = 0; f < 20; f++) {
    const e = k + 20 * f;
    if (i32[e] !== f || i32[e + 1] || i32[e + 2] || i32[e + 3] || i32[e + 4]) return false;
    for (let d = 1; d < 4; d++) {
      const q = e + 5 * d;
      if (i32[q] < 0 || i32[q] > 19 || i32[q] === f || i32[q + 4] < 0 || i32[q + 4] > 5) return false;
      for (let t = 1; t < 4; t++) if (i32[q + t] < 0 || i32[q + t] > 2) return false;
    }
  }
  return true;
});
// Base cell at each (face, i, j, k) with i,j,k in 0..2, with ccw rotations; the face centre (0,0,0)
// must be the base cell whose centre the oracle puts on that face's centre.
const baseCellAtCenter = (f) => h3.getBaseCellNumber(h3.latLngToCell(Math.asin(centers[f][2]) * 180 / Math.PI, Math.atan2(centers[f][1], centers[f][0]) * 180 / Math.PI, 0));
const faceIjkAt = findUnique('faceIjkBaseCells', 1080, i32, (k) => {
  for (let f = 0; f < 20; f++) if (i32[k + 54 * f] !== baseCellAtCenter(f) || i32[k + 54 * f + 1] !== 0) return false;
  for (let t = 0; t < 1080; t += 2) if (i32[k + t] < 0 || i32[k + t] > 121 || i32[k + t + 1] < 0 || i32[k + t + 1] > 5) return false;
  return true;
});
const faceIjk = (f, i, j, kk) => faceIjkAt + 2 * (((f * 3 + i) * 3 + j) * 3 + kk);
// Base cell data: home face and ijk, pentagon flag, clockwise-offset faces.
const baseDataAt = findUnique('baseCellData', 854, i32, (k) => {
  for (let b = 0; b < 122; b++) {
    const e = k + 7 * b;
    const [face, i, j, kk, pent] = [i32[e], i32[e + 1], i32[e + 2], i32[e + 3], i32[e + 4]];
    if (face < 0 || face > 19 || i < 0 || i > 2 || j < 0 || j > 2 || kk < 0 || kk > 2) return false;
    if (pent !== (pentagonBaseCells.includes(b) ? 1 : 0)) return false;
    if (i32[faceIjk(face, i, j, kk)] !== b) return false;
  }
  return true;
});
// Base cell neighbours per direction digit; 127 marks the deleted K direction of pentagons.
const cellOfBase = (b) => res0.find((c) => h3.getBaseCellNumber(c) === b);
const neighborsOk = (k) => {
  for (let b = 0; b < 122; b++) {
    const row = Array.from(i32.slice(k + 7 * b, k + 7 * b + 7));
    if (row[0] !== b) return false;
    const isPent = pentagonBaseCells.includes(b);
    if ((row[1] === 127) !== isPent) return false;
    const want = h3.gridDisk(cellOfBase(b), 1).map((c) => h3.getBaseCellNumber(c)).sort((x, y) => x - y).join();
    if (row.filter((x) => x !== 127).sort((x, y) => x - y).join() !== want) return false;
  }
  return true;
};
const baseNeighborsAt = findUnique('baseCellNeighbors', 854, i32, (k) => i32[k] === 0 && i32[k + 7] === 1 && neighborsOk(k));
const baseRotsAt = findUnique('baseCellNeighbor60CCWRots', 854, i32, (k) => {
  for (let b = 0; b < 122; b++) {
    const e = k + 7 * b;
    if (i32[e] !== 0) return false;
    for (let d = 1; d < 7; d++) {
      const v = i32[e + d];
      if ((v === -1) !== (d === 1 && pentagonBaseCells.includes(b))) return false;
      if (v < -1 || v > 5) return false;
    }
  }
  return true;
});
// 7x7 pentagon rotation tables used by local IJK coordinates: row 1 (K, the deleted direction) is -1.
const rotationBlocks = [];
for (let k = 0; k + 49 <= i32.length; k++) {
  let ok = i32[k] === 0;
  for (let t = 0; ok && t < 49; t++) ok = i32[k + t] >= -1 && i32[k + t] <= 5 && ((t >= 7 && t < 14) ? i32[k + t] === -1 : (t < 7 ? i32[k + t] <= 0 : (i32[k + t] >= 0 || t % 7 === 1)));
  if (ok) rotationBlocks.push(k);
}
if (rotationBlocks.length !== 4) fail(`pentagon rotation tables: ${rotationBlocks} candidates, expected 4`);
const [pentRotAt, pentRotRevAt, pentRotRevNonpolarAt, pentRotRevPolarAt] = rotationBlocks;
if (i32[pentRotAt + 1] !== -1) fail('PENTAGON_ROTATIONS row 0 must mark K invalid');
// Directions from which moving onto a pentagon's deleted subsequence fails: a boolean 7x7 table
// whose K rows are all false and whose other rows hold exactly two failures each.
const failedAt = findUnique('failedDirections', 49, u8, (k) => {
  for (let t = 0; t < 14; t++) if (u8[k + t] !== 0) return false;
  for (let r = 2; r < 7; r++) {
    let ones = 0;
    for (let c = 0; c < 7; c++) { const v = u8[k + 7 * r + c]; if (v > 1) return false; ones += v; }
    if (ones !== 2 || u8[k + 7 * r + r] !== 0 || u8[k + 7 * r] !== 0 || u8[k + 7 * r + 1] !== 0) return false;
  }
  return true;
});

// --- Derived tables: digit and carry when stepping from a child digit in a direction. -------------
const UNIT = [[0, 0, 0], [0, 0, 1], [0, 1, 0], [0, 1, 1], [1, 0, 0], [1, 0, 1], [1, 1, 0]];
const normalize = ([i, j, k]) => {
  if (i < 0) { j -= i; k -= i; i = 0; }
  if (j < 0) { i -= j; k -= j; j = 0; }
  if (k < 0) { i -= k; j -= k; k = 0; }
  const mn = Math.min(i, j, k);
  return [i - mn, j - mn, k - mn];
};
const toDigit = (v) => UNIT.findIndex((u) => u[0] === v[0] && u[1] === v[1] && u[2] === v[2]);
const roundDiv7 = (n) => Math.floor((n + 3) / 7);
const up = (v, rotated) => {
  const i = v[0] - v[2], j = v[1] - v[2];
  return normalize(rotated ? [roundDiv7(2 * i + j), roundDiv7(3 * j - i), 0] : [roundDiv7(3 * i - j), roundDiv7(i + 2 * j), 0]);
};
const down = (v, rotated) => {
  const [a, b, c] = rotated ? [[3, 1, 0], [0, 3, 1], [1, 0, 3]] : [[3, 0, 1], [1, 3, 0], [0, 1, 3]];
  return normalize([0, 1, 2].map((t) => v[0] * a[t] + v[1] * b[t] + v[2] * c[t]));
};
function stepTables(rotated) {
  const digit = [], carry = [];
  for (let d = 0; d < 7; d++) {
    digit.push([]); carry.push([]);
    for (let dir = 0; dir < 7; dir++) {
      const moved = normalize([0, 1, 2].map((t) => UNIT[d][t] + UNIT[dir][t]));
      const parent = up(moved, rotated);
      const center = down(parent, rotated);
      digit[d].push(toDigit(normalize([0, 1, 2].map((t) => moved[t] - center[t]))));
      carry[d].push(toDigit(parent));
    }
  }
  return { digit, carry };
}
const stepClassIII = stepTables(false);  // digits of Class III resolutions (unrotated aperture 7)
const stepClassII = stepTables(true);    // digits of Class II resolutions (rotated aperture 7)
// The oracle holds the same four tables; check that we derived them identically.
const flat = (t) => t.flat();
const contains = (arr) => { for (let k = 0; k + 49 <= i32.length; k++) { let ok = true; for (let t = 0; ok && t < 49; t++) ok = i32[k + t] === arr[t]; if (ok) return true; } return false; };
for (const t of [stepClassIII.digit, stepClassIII.carry, stepClassII.digit, stepClassII.carry]) if (!contains(flat(t))) fail('derived neighbour step table not found in the oracle');

// --- Derived: per face and resolution class, the unit tangent vectors of the hex2d x and y axes,
// so that hex2d = (p.x_axis, p.y_axis) / (p.n) * scale is the gnomonic projection without trigonometry.
const AP7_ROT_RADS = 0.3334731722518321;
const fastAxes = [];
for (let f = 0; f < 20; f++) {
  const n = [f64[pointAt + 3 * f], f64[pointAt + 3 * f + 1], f64[pointAt + 3 * f + 2]];
  const north0 = [-n[0] * n[2], -n[1] * n[2], 1 - n[2] * n[2]];
  const nn = Math.hypot(...north0);
  const north = north0.map((x) => x / nn);
  const east = [north[1] * n[2] - north[2] * n[1], north[2] * n[0] - north[0] * n[2], north[0] * n[1] - north[1] * n[0]];
  fastAxes.push([0, 1].map((cls) => {
    const th = f64[axesAt + 3 * f] - (cls ? AP7_ROT_RADS : 0);
    const xAxis = [0, 1, 2].map((t) => Math.cos(th) * north[t] + Math.sin(th) * east[t]);
    const yAxis = [0, 1, 2].map((t) => Math.sin(th) * north[t] - Math.cos(th) * east[t]);
    return [xAxis, yAxis];
  }));
}

// --- Emit C++. -------------------------------------------------------------------------------------
const num = (x) => { const s = String(x); return /[.e]/.test(s) ? s : s + '.0'; };
const ints = (at, n) => Array.from(i32.slice(at, at + n));
const rows = (arr, w) => { const out = []; for (let k = 0; k < arr.length; k += w) out.push('    {' + arr.slice(k, k + w).join(', ') + '}'); return out.join(',\n'); };
let out = '';
out += '// Constant tables of the H3-compatible hex grid (faces, base cells, neighbour rotations).\n';
out += '// GENERATED by scripts/gen_hexgrid_tables.js from the oracle h3-js ' + require('h3-js/package.json').version + '; do not edit.\n';
out += '// Regenerate: NODE_PATH=tests/conformance/node_modules node scripts/gen_hexgrid_tables.js > geo/detail/hexgrid_tables.cpp\n';
out += '#include "geo/detail/hexgrid_tables.hpp"\n\nnamespace hexwire::geo::detail {\n\n';
out += 'const Vec3 kFaceCenterPoint[kNumFaces] = {\n' + Array.from({ length: 20 }, (_, f) => `    {${num(f64[pointAt + 3 * f])}, ${num(f64[pointAt + 3 * f + 1])}, ${num(f64[pointAt + 3 * f + 2])}}`).join(',\n') + '};\n\n';
out += 'const FaceAxes kFaceAxes[kNumFaces][2] = {\n' + fastAxes.map((fa) => '    {' + fa.map(([x, y]) => `{{${x.map(num).join(', ')}}, {${y.map(num).join(', ')}}}`).join(', ') + '}').join(',\n') + '};\n\n';
out += 'const double kFaceAxesAzRadsCII[kNumFaces][3] = {\n' + Array.from({ length: 20 }, (_, f) => `    {${num(f64[axesAt + 3 * f])}, ${num(f64[axesAt + 3 * f + 1])}, ${num(f64[axesAt + 3 * f + 2])}}`).join(',\n') + '};\n\n';
out += 'const FaceOrientIjk kFaceNeighbors[kNumFaces][4] = {\n' + Array.from({ length: 20 }, (_, f) => '    {' + [0, 1, 2, 3].map((d) => { const q = neighborsAt + 20 * f + 5 * d; return `{${i32[q]}, {${i32[q + 1]}, ${i32[q + 2]}, ${i32[q + 3]}}, ${i32[q + 4]}}`; }).join(', ') + '}').join(',\n') + '};\n\n';
out += 'const BaseCellRotation kFaceIjkBaseCells[kNumFaces][3][3][3] = {\n';
out += Array.from({ length: 20 }, (_, f) => '    {' + [0, 1, 2].map((i) => '{' + [0, 1, 2].map((j) => '{' + [0, 1, 2].map((k) => { const q = faceIjk(f, i, j, k); return `{${i32[q]}, ${i32[q + 1]}}`; }).join(', ') + '}').join(', ') + '}').join(', ') + '}').join(',\n') + '};\n\n';
out += 'const BaseCellData kBaseCellData[kNumBaseCells] = {\n' + Array.from({ length: 122 }, (_, b) => { const q = baseDataAt + 7 * b; return `    {{${i32[q]}, {${i32[q + 1]}, ${i32[q + 2]}, ${i32[q + 3]}}}, ${i32[q + 4] ? 'true' : 'false'}, {${i32[q + 5]}, ${i32[q + 6]}}}`; }).join(',\n') + '};\n\n';
out += 'const std::uint8_t kBaseCellNeighbors[kNumBaseCells][7] = {\n' + rows(ints(baseNeighborsAt, 854), 7) + '};\n\n';
out += 'const std::int8_t kBaseCellNeighbor60CcwRots[kNumBaseCells][7] = {\n' + rows(ints(baseRotsAt, 854), 7) + '};\n\n';
out += 'const std::int8_t kPentagonRotations[7][7] = {\n' + rows(ints(pentRotAt, 49), 7) + '};\n\n';
out += 'const std::int8_t kPentagonRotationsReverse[7][7] = {\n' + rows(ints(pentRotRevAt, 49), 7) + '};\n\n';
out += 'const std::int8_t kPentagonRotationsReverseNonpolar[7][7] = {\n' + rows(ints(pentRotRevNonpolarAt, 49), 7) + '};\n\n';
out += 'const std::int8_t kPentagonRotationsReversePolar[7][7] = {\n' + rows(ints(pentRotRevPolarAt, 49), 7) + '};\n\n';
out += 'const bool kFailedDirections[7][7] = {\n' + rows(Array.from(u8.slice(failedAt, failedAt + 49)).map((v) => (v ? 'true' : 'false')), 7) + '};\n\n';
out += 'const std::uint8_t kStepDigitClassIII[7][7] = {\n' + rows(flat(stepClassIII.digit), 7) + '};\n\n';
out += 'const std::uint8_t kStepCarryClassIII[7][7] = {\n' + rows(flat(stepClassIII.carry), 7) + '};\n\n';
out += 'const std::uint8_t kStepDigitClassII[7][7] = {\n' + rows(flat(stepClassII.digit), 7) + '};\n\n';
out += 'const std::uint8_t kStepCarryClassII[7][7] = {\n' + rows(flat(stepClassII.carry), 7) + '};\n\n';
out += '}  // namespace hexwire::geo::detail\n';
process.stdout.write(out);
