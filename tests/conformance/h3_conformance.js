#!/usr/bin/env node
// Conformance of hexwire's H3-compatible grid against the oracle h3-js 4.x (H3's C core compiled
// to JavaScript): draws seeded random cases per family, asks h3-js, streams the inputs through the
// hexwire-h3 tool and compares line by line. Prints one summary line per family, exits 1 on any
// mismatch (showing the first ones).
// Usage: node h3_conformance.js <path/to/hexwire-h3> [--seed N] [--cases N]
//        (HEXWIRE_H3_SEED=random or a number overrides --seed; HEXWIRE_H3_CASES overrides --cases)
'use strict';
const { spawnSync } = require('child_process');
const path = require('path');

let h3;
try {
  h3 = require('h3-js');
} catch (e) {
  console.error('h3_conformance: cannot load the oracle h3-js (tests/conformance/node_modules missing).');
  console.error('Run scripts/setup.sh (or `npm ci` in tests/conformance) and retry.');
  process.exit(2);
}

const args = process.argv.slice(2);
const tool = args[0];
if (!tool) {
  console.error('usage: node h3_conformance.js <path/to/hexwire-h3> [--seed N] [--cases N]');
  process.exit(2);
}
const argValue = (name, dflt) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : dflt; };
let seed = Number(argValue('--seed', '20261128'));
if (process.env.HEXWIRE_H3_SEED) {
  seed = process.env.HEXWIRE_H3_SEED === 'random' ? (Date.now() ^ (process.pid << 16)) >>> 0 : Number(process.env.HEXWIRE_H3_SEED);
}
const CASES = Number(process.env.HEXWIRE_H3_CASES || argValue('--cases', '100000'));
console.log(`h3 conformance: oracle h3-js ${require('h3-js/package.json').version}, seed ${seed}, ${CASES} cases per random family`);

// --- Seeded PRNG (mulberry32). --------------------------------------------------------------------
let state = seed >>> 0;
function rand() {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const randInt = (n) => Math.floor(rand() * n);
const pick = (arr) => arr[randInt(arr.length)];
const randomPoint = () => [Math.asin(2 * rand() - 1) * 180 / Math.PI, rand() * 360 - 180];

// --- Oracle error names. --------------------------------------------------------------------------
const ERROR_NAMES = ['E_SUCCESS', 'E_FAILED', 'E_DOMAIN', 'E_LATLNG_DOMAIN', 'E_RES_DOMAIN', 'E_CELL_INVALID',
  'E_DIR_EDGE_INVALID', 'E_UNDIR_EDGE_INVALID', 'E_VERTEX_INVALID', 'E_PENTAGON', 'E_DUPLICATE_INPUT',
  'E_NOT_NEIGHBORS', 'E_RES_MISMATCH', 'E_MEMORY_ALLOC', 'E_MEMORY_BOUNDS', 'E_OPTION_INVALID'];
function oracle(fn) {
  try {
    return fn();
  } catch (e) {
    if (typeof e.code === 'number' && ERROR_NAMES[e.code]) return { error: ERROR_NAMES[e.code] };
    throw e;
  }
}

// --- Running the tool. ----------------------------------------------------------------------------
function runTool(subArgs, lines) {
  const r = spawnSync(tool, subArgs, { input: lines.join('\n') + '\n', maxBuffer: 1 << 30, encoding: 'utf8' });
  if (r.error) throw r.error;
  const out = r.stdout.split('\n');
  if (out[out.length - 1] === '') out.pop();
  if (out.length !== lines.length) {
    throw new Error(`${subArgs.join(' ')}: ${out.length} output lines for ${lines.length} inputs; stderr: ${r.stderr}`);
  }
  return out;
}

// --- Comparison helpers. --------------------------------------------------------------------------
const TOL = 1e-9;
const angleClose = (a, b) => { let d = Math.abs(a - b) % 360; if (d > 180) d = 360 - d; return d <= TOL; };
const coordsClose = (got, want) => {
  const g = got.split(' ').map(Number);
  if (g.length !== want.length * 2) return false;
  for (let i = 0; i < want.length; i++) {
    if (Math.abs(g[2 * i] - want[i][0]) > TOL) return false;
    // Longitude is meaningless at the poles; compare it only away from them.
    if (Math.abs(want[i][0]) < 90 - 1e-9 && !angleClose(g[2 * i + 1], want[i][1])) return false;
  }
  return true;
};
const sameSet = (got, want) => {
  const g = got === '' ? [] : got.split(' ');
  if (g.length !== want.length) return false;
  const s = new Set(want);
  return g.every((x) => s.has(x)) && new Set(g).size === g.length;
};

let totalFailures = 0;
const summary = [];
/// Runs a family: cases are {args, input, expect, compare}; groups by args to batch tool calls.
function family(name, cases) {
  const t0 = Date.now();
  const groups = new Map();
  for (const c of cases) {
    const key = c.args.join('\u0000');
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(c);
  }
  let failures = 0;
  const shown = [];
  for (const group of groups.values()) {
    const out = runTool(group[0].args, group.map((c) => c.input));
    group.forEach((c, i) => {
      const want = c.expect;
      let ok;
      if (want && want.error) ok = out[i] === want.error;
      else ok = c.compare(out[i], want);
      if (!ok) {
        failures++;
        if (shown.length < 5) shown.push(`  ${c.args.join(' ')} <<< ${c.input}\n    got:  ${out[i].slice(0, 300)}\n    want: ${JSON.stringify(want).slice(0, 300)}`);
      }
    });
  }
  totalFailures += failures;
  const line = `${failures === 0 ? 'PASS' : 'FAIL'} ${name}: ${cases.length - failures}/${cases.length} agree (${Date.now() - t0} ms)`;
  summary.push(line);
  console.log(line);
  for (const s of shown) console.log(s);
}
const eq = (got, want) => got === want;

module.exports = { h3, rand, randInt, pick, randomPoint, oracle, family, eq, sameSet, coordsClose, CASES };
if (require.main === module) {
  require(path.join(__dirname, 'h3_families.js'));
  console.log(`h3 conformance: ${totalFailures === 0 ? 'all families agree' : totalFailures + ' mismatches'} (seed ${seed})`);
  process.exit(totalFailures === 0 ? 0 : 1);
}
