// Case families of the H3 conformance run (driven by h3_conformance.js): random points and cells at
// every resolution, points near the 12 pentagons, the poles, the antimeridian and cell edges,
// hierarchy, grid traversal, compaction and validity. Each case carries the oracle's answer.
'use strict';
const { h3, rand, randInt, pick, randomPoint, oracle, family, eq, sameSet, coordsClose, CASES } = require('./h3_conformance.js');

const RES = [...Array(16).keys()];
const fmt = (x) => x.toPrecision(17);
const pointLine = ([lat, lng]) => `${fmt(lat)} ${fmt(lng)}`;
const randomCell = (res) => { const [lat, lng] = randomPoint(); return h3.latLngToCell(lat, lng, res); };
const pentagons = RES.flatMap((r) => h3.getPentagons(r));

// --- Indexing: uniform random points over the sphere, every resolution. ----------------------------
{
  const cases = [];
  for (let n = 0; n < CASES; n++) {
    const p = randomPoint();
    const res = n % 16;
    cases.push({ args: ['latLngToCell', '-r', String(res)], input: pointLine(p), expect: h3.latLngToCell(p[0], p[1], res), compare: eq });
  }
  family('latLngToCell uniform random points, res 0-15', cases);
}

// Points near each of the 12 pentagons (all resolutions), the poles and the antimeridian.
function nearPoints(center, count, spread) {
  const pts = [];
  for (let n = 0; n < count; n++) {
    const s = spread * Math.pow(10, -6 * rand());
    pts.push([center[0] + (rand() * 2 - 1) * s, center[1] + (rand() * 2 - 1) * s]);
  }
  return pts;
}
{
  const cases = [];
  const per = Math.max(1, Math.floor(CASES / (12 * 16)));
  for (const pent of h3.getPentagons(0)) {
    const c = h3.cellToLatLng(pent);
    for (const res of RES) {
      for (const p of nearPoints(c, per, 2)) {
        const lat = Math.max(-90, Math.min(90, p[0]));
        cases.push({ args: ['latLngToCell', '-r', String(res)], input: pointLine([lat, p[1]]), expect: h3.latLngToCell(lat, p[1], res), compare: eq });
      }
    }
  }
  family('latLngToCell near the 12 pentagons', cases);
}
{
  const cases = [];
  const per = Math.max(1, Math.floor(CASES / 16));
  for (const res of RES) {
    for (let n = 0; n < per; n++) {
      let p;
      const kind = n % 4;
      if (kind === 0) p = [90 - rand() * Math.pow(10, -8 * rand()), rand() * 360 - 180];
      else if (kind === 1) p = [-90 + rand() * Math.pow(10, -8 * rand()), rand() * 360 - 180];
      else if (kind === 2) p = [rand() * 180 - 90, (rand() < 0.5 ? -1 : 1) * (180 - rand() * Math.pow(10, -9 * rand()))];
      else p = [rand() * 180 - 90, pick([180, -180, 179.99999999999997, -179.99999999999997, 0, 360, -360, 540])];
      if (n < 8) p = [pick([90, -90]), pick([0, 180, -180, 45])];
      cases.push({ args: ['latLngToCell', '-r', String(res)], input: pointLine(p), expect: h3.latLngToCell(p[0], p[1], res), compare: eq });
    }
  }
  family('latLngToCell poles and antimeridian', cases);
}
{
  // Near cell edges: points on a random boundary edge of a random cell, nudged by a small fraction
  // of the cell size across the edge (either side).
  const cases = [];
  for (let n = 0; n < CASES; n++) {
    const res = n % 16;
    const cell = randomCell(res);
    const b = h3.cellToBoundary(cell);
    const i = randInt(b.length);
    const [a, c] = [b[i], b[(i + 1) % b.length]];
    const t = rand();
    const center = h3.cellToLatLng(cell);
    const off = (rand() < 0.5 ? -1 : 1) * Math.pow(10, -3 - 4 * rand());
    let lat = a[0] + (c[0] - a[0]) * t;
    let lng = a[1] + (((c[1] - a[1] + 540) % 360) - 180) * t;
    lat += (lat - center[0]) * off;
    lng += ((((lng - center[1] + 540) % 360) - 180)) * off;
    lat = Math.max(-90, Math.min(90, lat));
    cases.push({ args: ['latLngToCell', '-r', String(res)], input: pointLine([lat, lng]), expect: h3.latLngToCell(lat, lng, res), compare: eq });
  }
  family('latLngToCell near cell edges', cases);
}
{
  const cases = [];
  for (const [p, res] of [[[NaN, 0], 5], [[0, Infinity], 5], [[-Infinity, 1], 0]]) {
    cases.push({ args: ['latLngToCell', '-r', String(res)], input: `${p[0]} ${p[1]}`, expect: oracle(() => h3.latLngToCell(p[0], p[1], res)), compare: eq });
  }
  for (const res of [-1, 16, 99]) {
    cases.push({ args: ['latLngToCell', '-r', String(res)], input: '10 20', expect: oracle(() => h3.latLngToCell(10, 20, res)), compare: eq });
  }
  family('latLngToCell error codes', cases);
}

// --- Cell centres and boundaries. -------------------------------------------------------------------
const randomCells = (count) => {
  const cells = [];
  for (let n = 0; n < count; n++) cells.push(n % 50 === 0 ? pick(pentagons) : randomCell(n % 16));
  return cells;
};
{
  const cells = randomCells(CASES);
  family('cellToLatLng (1e-9 deg)', cells.map((c) => ({ args: ['cellToLatLng'], input: c, expect: [h3.cellToLatLng(c)], compare: coordsClose })));
  family('cellToBoundary (1e-9 deg, H3 vertex order)', cells.map((c) => ({ args: ['cellToBoundary'], input: c, expect: h3.cellToBoundary(c), compare: coordsClose })));
}

// --- Hierarchy. ---------------------------------------------------------------------------------------
{
  const cases = [];
  for (const c of randomCells(CASES)) {
    const res = h3.getResolution(c);
    const pr = n => n;
    const parentRes = randInt(17) === 0 ? pick([res + 1, -1, 16]) : randInt(res + 1);
    cases.push({ args: ['cellToParent', '-r', String(parentRes)], input: c, expect: oracle(() => h3.cellToParent(c, parentRes)), compare: eq });
    void pr;
  }
  family('cellToParent', cases);
}
{
  const cases = [];
  for (const c of randomCells(CASES)) {
    const res = h3.getResolution(c);
    const childRes = randInt(30) === 0 ? pick([res - 1, 16]) : Math.min(15, res + randInt(3));
    cases.push({ args: ['cellToChildren', '-r', String(childRes)], input: c, expect: oracle(() => h3.cellToChildren(c, childRes)), compare: (g, w) => g === w.join(' ') });
  }
  family('cellToChildren (H3 order)', cases);
}

{
  const cases = [];
  const sizes = [];
  for (const c of randomCells(CASES)) {
    const res = h3.getResolution(c);
    const childRes = randInt(30) === 0 ? pick([res - 1, 16]) : Math.min(15, res + randInt(6));
    cases.push({ args: ['cellToCenterChild', '-r', String(childRes)], input: c, expect: oracle(() => h3.cellToCenterChild(c, childRes)), compare: eq });
    const want = oracle(() => h3.cellToChildrenSize(c, childRes));
    sizes.push({ args: ['cellToChildrenSize', '-r', String(childRes)], input: c, expect: want.error ? want : String(want), compare: eq });
  }
  family('cellToCenterChild', cases);
  family('cellToChildrenSize', sizes);
}

// --- Validity. ------------------------------------------------------------------------------------------
{
  const cases = [];
  const hex = (hi, lo) => (BigInt(hi >>> 0) << 32n | BigInt(lo >>> 0)).toString(16);
  for (let n = 0; n < CASES; n++) {
    let s;
    const kind = n % 5;
    if (kind === 0) s = hex(randInt(2 ** 32), randInt(2 ** 32));
    else {
      let v = BigInt('0x' + (n % 25 === 1 ? pick(pentagons) : randomCell(randInt(16))));
      if (kind === 2) v ^= 1n << BigInt(randInt(64));
      if (kind === 3) v = (v & ~(7n << BigInt(3 * randInt(15)))) | (BigInt(randInt(8)) << BigInt(3 * randInt(15)));
      s = v.toString(16);
    }
    cases.push({ args: ['isValidCell'], input: s, expect: h3.isValidCell(s) ? '1' : '0', compare: eq });
  }
  family('isValidCell (random, mutated and valid ids)', cases);
  const pcases = randomCells(CASES).map((c) => ({ args: ['isPentagon'], input: c, expect: h3.isPentagon(c) ? '1' : '0', compare: eq }));
  family('isPentagon', pcases);
}

// --- Traversal. ---------------------------------------------------------------------------------------
const diskCells = (count) => {
  const cells = [];
  for (let n = 0; n < count; n++) {
    if (n % 20 === 0) {
      // Cells on and around pentagons.
      const p = pick(pentagons);
      cells.push(n % 40 === 0 ? p : pick(h3.gridDisk(p, 2)));
    } else cells.push(randomCell(n % 16));
  }
  return cells;
};
{
  const cells = diskCells(CASES);
  const cases = cells.map((c, n) => {
    const k = n % 4 === 3 ? 1 + randInt(6) : n % 4;
    const want = oracle(() => h3.gridDiskDistances(c, k));
    return { args: ['gridDiskDistances', '-k', String(k)], input: c, expect: want.error ? want : want.flatMap((ring, d) => ring.map((x) => `${x}:${d}`)), compare: sameSet };
  });
  family('gridDiskDistances (as a set, with distances)', cases);
  const disk = cells.map((c, n) => {
    const k = n % 6;
    return { args: ['gridDisk', '-k', String(k)], input: c, expect: oracle(() => h3.gridDisk(c, k)), compare: sameSet };
  });
  family('gridDisk (as a set)', disk);
  const ring = cells.map((c, n) => {
    const k = n % 5;
    return { args: ['gridRing', '-k', String(k)], input: c, expect: oracle(() => h3.gridRing(c, k)), compare: sameSet };
  });
  family('gridRing (as a set)', ring);
}

// Pairs of cells at a grid distance of 0..12 (random walks through the oracle's neighbours), some anchored
// on pentagons, plus far-apart and cross-resolution pairs.
function cellPairs(count) {
  const pairs = [];
  for (let n = 0; n < count; n++) {
    const origin = n % 25 === 0 ? pick(h3.gridDisk(pick(pentagons), 3)) : randomCell(n % 16);
    let other;
    if (n % 50 === 7) other = randomCell(h3.getResolution(origin));
    else if (n % 50 === 9) other = randomCell((h3.getResolution(origin) + 1) % 16);
    else {
      // A random walk of up to 12 steps (cheaper than a large disk).
      other = origin;
      for (let steps = n % 10 === 0 ? 7 + randInt(6) : randInt(7); steps > 0; steps--) other = pick(h3.gridDisk(other, 1));
    }
    pairs.push([origin, other]);
  }
  return pairs;
}
{
  const pairs = cellPairs(CASES);
  family('gridDistance (incl. pentagons and E_FAILED/E_RES_MISMATCH)', pairs.map(([a, b]) => {
    const want = oracle(() => h3.gridDistance(a, b));
    return { args: ['gridDistance'], input: `${a} ${b}`, expect: want.error ? want : String(want), compare: eq };
  }));
  // Paths between far-apart cells can have millions of cells; keep those to gridDistance.
  const pathPairs = pairs.map(([a, b], n) => {
    const d = oracle(() => h3.gridDistance(a, b));
    return typeof d === 'number' && d > 100 ? [a, a] : [a, b];
  });
  family('gridPathCells (exact sequence)', pathPairs.map(([a, b]) => {
    const want = oracle(() => h3.gridPathCells(a, b));
    return { args: ['gridPathCells'], input: `${a} ${b}`, expect: want, compare: (g, w) => g === w.join(' ') };
  }));
  const near = pairs.map(([a, b], n) => (n % 2 ? [a, pick(h3.gridDisk(a, 1))] : [a, b]));
  family('areNeighborCells', near.map(([a, b]) => {
    const want = oracle(() => h3.areNeighborCells(a, b));
    return { args: ['areNeighborCells'], input: `${a} ${b}`, expect: want.error ? want : (want ? '1' : '0'), compare: eq };
  }));
}

// --- Compaction. ---------------------------------------------------------------------------------------
{
  const compactCases = [];
  const uncompactCases = [];
  for (let n = 0; n < CASES; n++) {
    const res = n % 14;
    const base = n % 20 === 0 ? pick(h3.getPentagons(res)) : randomCell(res);
    const depth = n % 10 === 0 ? 2 : 1;
    // A full set of descendants with a few holes, plus some of a neighbour's children.
    let cells = h3.cellToChildren(base, res + depth).filter(() => rand() < (n % 3 === 0 ? 1 : 0.97));
    const neighbor = pick(h3.gridDisk(base, 1));
    cells = cells.concat(h3.cellToChildren(neighbor, res + depth).filter(() => rand() < 0.9));
    cells = [...new Set(cells)];
    if (n % 200 === 5) cells.push(cells[0]);
    const want = oracle(() => h3.compactCells(cells));
    compactCases.push({ args: ['compactCells'], input: cells.join(' '), expect: want, compare: (g, w) => g === w.join(' ') });
    if (!want.error) {
      const target = res + depth;
      uncompactCases.push({ args: ['uncompactCells', '-r', String(target)], input: want.join(' '), expect: oracle(() => h3.uncompactCells(want, target)), compare: (g, w) => g === w.join(' ') });
    }
  }
  family('compactCells (exact H3 order)', compactCases);
  family('uncompactCells (exact H3 order)', uncompactCases);
}

// --- Areas: relative 1e-8 plus 1e-12 km^2 (1 mm^2) absolute. A small cell's area cancels down from
// edge terms up to ~1e7 times larger (more near the poles), so last-bit differences in the boundary
// vertices (which agree to ~1e-15 rad) show up at 1e-9..1e-8 relative in either implementation. ------
{
  const cells = randomCells(Math.max(1, Math.floor(CASES / 10)));
  family('cellAreaKm2 (relative 1e-8 + 1e-12 km2)', cells.map((c) => ({ args: ['cellAreaKm2'], input: c, expect: h3.cellArea(c, 'km2'),
    compare: (g, w) => Math.abs(Number(g) - w) <= 1e-8 * w + 1e-12 })));
}

{
  const cases = [];
  for (let n = 0; n < Math.max(1, Math.floor(CASES / 10)); n++) {
    const a = randomPoint();
    const b = n % 2 ? randomPoint() : [a[0] + (rand() - 0.5) * 1e-3, a[1] + (rand() - 0.5) * 1e-3];
    cases.push({ args: ['greatCircleDistanceKm'], input: `${pointLine(a)} ${pointLine(b)}`, expect: h3.greatCircleDistance(a, b, 'km'),
      compare: (g, w) => Math.abs(Number(g) - w) <= 1e-12 * w + 1e-12 });
  }
  family('greatCircleDistanceKm (relative 1e-12)', cases);
}

// --- polygonToCells: random star-shaped polygons (some with a hole) a few to ~30 cells across, all
// resolutions, including ones straddling the antimeridian; compared as sets. ---------------------------
{
  const cases = [];
  const count = Math.max(1, Math.floor(CASES / 20));
  for (let n = 0; n < count; n++) {
    const res = n % 13;
    const center = n % 10 === 0 ? [rand() * 120 - 60, pick([180, -180]) - (rand() - 0.5) * 0.001] : [rand() * 140 - 70, rand() * 360 - 180];
    const cellDeg = 20 * Math.pow(7, -res / 2);
    const radius = Math.min(cellDeg * (1 + rand() * 15), 0.9 * (88 - Math.abs(center[0])));
    const verts = 3 + randInt(10);
    const angles = Array.from({ length: verts }, () => rand() * 2 * Math.PI).sort((a, b) => a - b);
    const scaleLng = 1 / Math.max(0.2, Math.cos(center[0] * Math.PI / 180));
    const ring = (r) => angles.map((t) => {
      const rr = r * (0.4 + 0.6 * rand());
      let lng = center[1] + rr * Math.cos(t) * scaleLng;
      if (lng > 180) lng -= 360;
      if (lng < -180) lng += 360;
      return [center[0] + rr * Math.sin(t), lng];
    });
    const outer = ring(radius);
    const loops = n % 3 === 0 ? [outer, ring(radius * 0.3)] : [outer];
    const want = oracle(() => h3.polygonToCells(loops, res));
    const input = loops.map((l) => l.map(([a, b]) => `${fmt(a)} ${fmt(b)}`).join(' ')).join(' ; ');
    cases.push({ args: ['polygonToCells', '-r', String(res)], input, expect: want, compare: sameSet });
  }
  family('polygonToCells (as a set, holes, antimeridian)', cases);
}
