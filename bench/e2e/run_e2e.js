#!/usr/bin/env node
// End-to-end load levels: starts a fresh `hexwire` engine per run (child process, 0.0.0.0, one
// shard) and runs `hexwire-sim` against it (one client thread, connections spread over several
// 127.0.0.x server addresses) at rising offered load, --runs times per level (3 by default). A
// level is sustainable when the median of its runs has p99 (measured from intended send times)
// under 10 ms, no error (unsent sends included) and at least 95% of the offered load sent. Every
// run is recorded; the ramp stops at the first level whose median fails. Writes the levels, their
// medians and the highest sustainable one per workload as JSON under bench/results/, plus a
// connections/memory scale run. Chat throughput is deliveries per second (acks are counted apart).
// Usage: node bench/e2e/run_e2e.js [--build build/release] [--seconds 5] [--runs 3]
//        [--only echo,chat,loc,scale] [--out bench/results/FILE.json]
'use strict';
const { spawn, execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const net = require('net');

const root = path.resolve(__dirname, '..', '..');
const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const buildDir = path.resolve(root, flag('--build', 'build/release'));
const seconds = Number(flag('--seconds', '5'));
const runsPerLevel = Math.max(1, Number(flag('--runs', '3')));
const only = flag('--only', 'echo,chat,loc,scale').split(',');
const engineBin = path.join(buildDir, 'app', 'hexwire');
const simBin = path.join(buildDir, 'sim', 'tools', 'hexwire-sim');
const P99_LIMIT_US = 10000;
const SOURCE_ADDRS = '127.0.0.1-127.0.0.4';

for (const bin of [engineBin, simBin]) {
  if (!fs.existsSync(bin)) {
    console.error(`run_e2e: ${bin} is missing; build it first (scripts/build.sh release --target hexwire --target hexwire-sim)`);
    process.exit(1);
  }
}

const freePort = () => new Promise((resolve, reject) => {
  const server = net.createServer();
  server.listen(0, '0.0.0.0', () => {
    const { port } = server.address();
    server.close(() => resolve(port));
  });
  server.on('error', reject);
});

const engineHelp = execFileSync(engineBin, ['--help']).toString();
const anonymous = engineHelp.includes('--anonymous') ? ['--anonymous'] : [];

function statusField(pid, field) {
  try {
    const text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = text.match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

async function startEngine() {
  const port = await freePort();
  const child = spawn(engineBin, ['--host', '0.0.0.0', '--port', String(port), '--shards', '1',
                                  '--echo', ...anonymous], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (d) => { log += d; });
  child.stderr.on('data', (d) => { log += d; });
  for (let i = 0; i < 100 && !log.includes('listening'); i++) {
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  if (!log.includes('listening')) {
    child.kill('SIGKILL');
    throw new Error(`engine did not start: ${log}`);
  }
  return { child, port };
}

async function stopEngine(engine) {
  const done = new Promise((r) => engine.child.on('exit', r));
  engine.child.kill('SIGINT');
  await Promise.race([done, new Promise((r) => setTimeout(r, 8000))]);
  if (engine.child.exitCode === null) engine.child.kill('SIGKILL');
}

function runSim(simArgs) {
  const report = path.join(os.tmpdir(), `hexwire-e2e-${process.pid}-${Date.now()}.json`);
  return new Promise((resolve) => {
    const child = spawn(simBin, [...simArgs, '--report', report], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    child.on('exit', (code) => {
      let json = null;
      try { json = JSON.parse(fs.readFileSync(report, 'utf8')); fs.unlinkSync(report); } catch { json = null; }
      const peak = out.match(/process peak memory \(VmHWM\): (\d+) kB/);
      resolve({ code, out, err, json, simPeakKb: peak ? Number(peak[1]) : null });
    });
  });
}

// The engine binary serves /ws only once the /ws application is wired into it (its --help then
// lists --anonymous); until then /ws workloads run against hexwire-sim's in-process engine.
const binaryServesWs = anonymous.length > 0;

// One level: fresh engine, one simulator run, the numbers that decide sustainability.
async function level(workload, offered, simArgs, latencyKind, offeredPerSecond) {
  const common = ['--source-addrs', SOURCE_ADDRS, '--threads', '1', '--duration', String(seconds), '--drain', '1', ...simArgs];
  const run = await oneRun(simArgs, common);
  return judge(workload, offered, run, latencyKind, offeredPerSecond);
}

// One run: a fresh engine (or the in-process one) and one simulator run.
async function oneRun(simArgs, common) {
  const inProcess = simArgs[0] !== 'echo' && !binaryServesWs;
  let run;
  let engineHwmKb = null;
  if (inProcess) {
    run = await runSim(common);
  } else {
    const engine = await startEngine();
    run = await runSim(['--url', `ws://127.0.0.1:${engine.port}`, ...common]);
    engineHwmKb = statusField(engine.child.pid, 'VmHWM');
    await stopEngine(engine);
  }
  run.inProcess = inProcess;
  run.engineHwmKb = engineHwmKb;
  return run;
}

// The figures of one run and whether it alone meets the criteria.
function judge(workload, offered, run, latencyKind, offeredPerSecond) {
  const r = { workload, offered, target: run.inProcess ? 'in-process engine (2 shards) + simulator in one process' : 'hexwire binary (1 shard) + hexwire-sim (1 thread)',
              offered_per_s: offeredPerSecond, exit_code: run.code, sim_peak_kb: run.simPeakKb,
              engine_peak_kb: run.engineHwmKb };
  if (!run.json) {
    r.ok = false;
    r.reason = `no report (exit ${run.code}): ${(run.out + run.err).split('\n').slice(-4).join(' | ')}`;
    return r;
  }
  const j = run.json;
  const lat = j.latency_us[latencyKind];
  r.sent = j.counters.sent;
  r.received = j.counters.received;
  r.sent_per_s = j.counters.sent / seconds;
  r.received_per_s = j.counters.received / seconds;
  // Each kind on its own: an ack is not a delivery (received = acks + deliveries for chat).
  r.acks_per_s = (j.counters.acks || 0) / seconds;
  r.deliveries_per_s = (j.counters.deliveries || 0) / seconds;
  r.errors = j.errors;
  r.latency_us = lat || null;
  r.connections = j.counters.connects_opened;
  if (j.counters.deliveries && j.counters.sent > 0) {
    r.deliveries_per_publish = j.counters.deliveries / j.counters.sent;
  }
  const reasons = [];
  if (!lat) reasons.push(`no ${latencyKind} samples`);
  else if (lat.p99 >= P99_LIMIT_US) reasons.push(`p99 ${lat.p99} us >= 10 ms`);
  if (j.errors.total > 0) reasons.push(`${j.errors.total} errors ${JSON.stringify(j.errors)}`);
  if (r.sent_per_s < 0.95 * offeredPerSecond) reasons.push(`sent ${r.sent_per_s.toFixed(0)}/s < 95% of ${offeredPerSecond}/s`);
  r.ok = reasons.length === 0;
  r.reason = reasons.join('; ');
  return r;
}

const median = (values) => {
  const v = values.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
};

// Runs a level `runsPerLevel` times and keeps every run; the level's figures are the medians of its
// runs and it is sustainable when those medians meet the criteria (a lucky run cannot pass it, an
// unlucky one cannot fail it).
async function levelRuns(offered, makeLevel) {
  const runs = [];
  for (let i = 0; i < runsPerLevel; i++) runs.push(await makeLevel(offered));
  const pick = (f) => median(runs.map(f));
  const m = {
    p50_us: pick((r) => r.latency_us && r.latency_us.p50),
    p99_us: pick((r) => r.latency_us && r.latency_us.p99),
    p99_9_us: pick((r) => r.latency_us && r.latency_us.p99_9),
    sent_per_s: pick((r) => r.sent_per_s),
    received_per_s: pick((r) => r.received_per_s),
    acks_per_s: pick((r) => r.acks_per_s),
    deliveries_per_s: pick((r) => r.deliveries_per_s),
    errors: pick((r) => (r.errors ? r.errors.total : Infinity)),
    sim_peak_kb: pick((r) => r.sim_peak_kb),
    engine_peak_kb: pick((r) => r.engine_peak_kb),
    connections: pick((r) => r.connections),
  };
  const offeredPerSecond = runs[0].offered_per_s;
  const reasons = [];
  if (m.p99_us === null) reasons.push('no latency samples');
  else if (m.p99_us >= P99_LIMIT_US) reasons.push(`median p99 ${m.p99_us} us >= 10 ms`);
  if (m.errors === null || m.errors > 0) reasons.push(`median errors ${m.errors}`);
  if (m.sent_per_s === null || m.sent_per_s < 0.95 * offeredPerSecond) reasons.push(`median sent ${Math.round(m.sent_per_s || 0)}/s < 95% of ${offeredPerSecond}/s`);
  return { offered, runs_ok: runs.filter((r) => r.ok).length, runs, median: m, ok: reasons.length === 0, reason: reasons.join('; ') };
}

async function ramp(workload, offers, makeLevel) {
  const levels = [];
  for (const offered of offers) {
    const l = await levelRuns(offered, makeLevel);
    levels.push(l);
    const m = l.median;
    const lat = m.p99_us !== null ? `p50 ${(m.p50_us / 1000).toFixed(2)} ms p99 ${(m.p99_us / 1000).toFixed(2)} ms` : 'no latency';
    const throughput = m.deliveries_per_s ? `deliveries ${Math.round(m.deliveries_per_s)}/s acks ${Math.round(m.acks_per_s)}/s` : `received ${Math.round(m.received_per_s || 0)}/s`;
    console.log(`${workload} offered ${offered}: ${l.ok ? 'OK ' : 'NOT'} median of ${l.runs.length} (${l.runs_ok} passed alone): sent ${Math.round(m.sent_per_s || 0)}/s ${throughput} ${lat}${l.ok ? '' : ' (' + l.reason + ')'}`);
    if (!l.ok) break;
  }
  const sustained = levels.filter((l) => l.ok).pop() || null;
  return { levels, sustainable: sustained };
}

async function main() {
  let commit = 'unknown';
  try { commit = execFileSync('git', ['-C', root, 'rev-parse', '--short', 'HEAD']).toString().trim(); } catch {}
  const result = {
    schema: 'hexwire-e2e/2',
    date: new Date().toISOString(),
    commit,
    machine: { cpus: os.cpus().length, model: os.cpus()[0].model, kernel: os.release(), memory_gb: Math.round(os.totalmem() / 2 ** 30) },
    method: `fresh engine per run (--shards 1, 0.0.0.0), hexwire-sim --threads 1 on the same machine, ${seconds} s per run + 1 s drain, poisson arrivals, ${runsPerLevel} runs per level, every run recorded; a level's figures are the medians of its runs; sustainable = median p99 < 10 ms from intended send time, median errors 0 (unsent sends included), median sent >= 95% of the offered load; the ramp stops at the first level whose median fails; chat throughput = deliveries/s (acks counted apart)`,
    workloads: {},
  };
  if (only.includes('echo')) {
    result.workloads.echo = await ramp('echo', [5000, 10000, 20000, 40000, 60000, 80000, 100000, 140000, 200000, 280000, 400000, 560000, 800000, 1120000, 1600000, 2240000],
      (rate) => level('echo', rate, ['echo', '--connections', '100', '--rate', String(rate), '--message-size', '64'], 'rtt', rate));
  }
  if (only.includes('chat')) {
    // 1000 clients in 1000 Zipf(1.1) channels, 2 each: ~80 deliveries per publish (big channels
    // carry more publishes). Throughput = deliveries per second at every receiver.
    result.workloads.chat_fanout = await ramp('chat', [25, 50, 100, 200, 400, 800, 1600, 3200, 6400, 12800],
      (rate) => level('chat', rate, ['chat', '--connections', '1000', '--channels', '1000', '--channels-per-user', '2', '--publish-rate', String(rate)], 'deliver', rate));
  }
  if (only.includes('loc')) {
    result.workloads.location_updates = await ramp('loc', [1, 2.5, 5, 10, 20, 40, 80, 160],
      (perDriver) => level('loc', perDriver * 2000, ['rides', '--drivers', '2000', '--riders', '0', '--ride-rate', '0', '--loc-rate', String(perDriver)], 'rtt', perDriver * 2000));
  }
  if (only.includes('scale')) {
    const scale = [];
    for (const n of [1000, 10000, 19000]) {
      const l = await levelRuns(n, (count) => level('scale', count, ['echo', '--connections', String(count), '--rate', '1000', '--ramp-rate', '5000'], 'rtt', 1000));
      const m = l.median;
      console.log(`scale ${n} connections: opened ${m.connections}, simulator peak ${m.sim_peak_kb} kB, engine peak ${m.engine_peak_kb} kB (medians of ${l.runs.length}), ${l.ok ? 'OK' : l.reason}`);
      scale.push(l);
    }
    const a = scale[0].median;
    const b = scale[scale.length - 1].median;
    const span = scale[scale.length - 1].offered - scale[0].offered;
    result.scale = {
      levels: scale,
      connections_held: Math.max(...scale.map((s) => s.median.connections || 0)),
      sim_bytes_per_connection: a.sim_peak_kb && b.sim_peak_kb ? Math.round(((b.sim_peak_kb - a.sim_peak_kb) * 1024) / span) : null,
      engine_bytes_per_connection: a.engine_peak_kb && b.engine_peak_kb ? Math.round(((b.engine_peak_kb - a.engine_peak_kb) * 1024) / span) : null,
      fd_limit_note: 'the hard open-file limit of this sandbox is 20000 per process (no CAP_SYS_RESOURCE), which caps connections per process',
    };
    console.log(`scale: ${result.scale.connections_held} connections held; simulator ${result.scale.sim_bytes_per_connection} B/connection, engine ${result.scale.engine_bytes_per_connection} B/connection (median peak RSS slope)`);
  }
  const outDir = path.join(root, 'bench', 'results');
  fs.mkdirSync(outDir, { recursive: true });
  const file = flag('--out', null) ? path.resolve(root, flag('--out')) : path.join(outDir, `e2e-${result.date.slice(0, 10)}.json`);
  fs.writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  console.log(`run_e2e: wrote ${path.relative(root, file)}`);
  for (const [name, w] of Object.entries(result.workloads)) {
    const s = w.sustainable;
    if (!s) {
      console.log(`${name}: no sustainable level`);
      continue;
    }
    const m = s.median;
    const throughput = m.deliveries_per_s ? `${Math.round(m.deliveries_per_s)} deliveries/s (+ ${Math.round(m.acks_per_s)} acks/s)` : `${Math.round(m.received_per_s)} received/s`;
    console.log(`${name}: sustainable ${s.offered} offered: ${Math.round(m.sent_per_s)} sent/s, ${throughput} at median p99 ${(m.p99_us / 1000).toFixed(2)} ms`);
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
