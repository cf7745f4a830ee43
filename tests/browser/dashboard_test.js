// Browser test of the dashboard (web/), run by ctest: starts an engine on a free loopback port and
// a small hexwire-sim run (chat + drivers) against it, opens the page in headless Chromium at
// 1280x800 and at a phone size, and checks what a user sees: the page connects and the engine
// view's numbers move; the map canvas is not blank where drivers are; rides requested where no
// driver is make the engine's surge recolour that cell and are drawn as trip lines; sim: streams
// and the channel table draw; no console errors; the page survives an engine restart. Screenshots go to --out. Usage:
//   node dashboard_test.js --engine build/release/app/hexwire --sim .../hexwire-sim --out DIR
'use strict';

const fs = require('fs');
const path = require('path');
const lib = require('./browser_lib');

const args = lib.parseArgs(process.argv.slice(2));
const { check, waitFor } = lib;

const PHONE = { width: 390, height: 844 };

function startEngine(port) {
  return lib.startProcess(args.engine, ['--host', '127.0.0.1', '--port', String(port), '--shards', '2',
    '--anonymous', '--live-map-interval-ms', '500'], { ready: /listening on/, name: 'hexwire' });
}

function startSimulation(port) {
  return lib.startProcess(args.sim, ['mixed', '--url', `ws://127.0.0.1:${port}`, '--duration', '90',
    '--connections', '40', '--publish-rate', '40', '--drivers', '80', '--riders', '20',
    '--ride-rate', '2', '--threads', '1', '--ramp-rate', '0'],
  { ready: /\[\s*\d+\/\d+ s\]/, name: 'hexwire-sim', timeoutMs: 20000 });
}

/// Collects console errors and uncaught page errors of `page`.
function watchErrors(page) {
  const errors = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  return errors;
}

const dash = (page, fn, arg) => page.evaluate(fn, arg);

async function openDashboard(page, port, view) {
  await page.goto(`http://127.0.0.1:${port}/#${view}`);
  await waitFor('the dashboard to connect', () =>
    dash(page, () => window.hexwireDashboard && window.hexwireDashboard.connection.state === 'connected'));
}

async function checkEngineView(page, label) {
  await page.evaluate(() => { location.hash = 'engine'; });
  await waitFor('two sys:stats publications', () =>
    dash(page, () => window.hexwireDashboard.views.engine.received >= 2));
  const tiles = () => page.$$eval('#engine-tiles .value', (nodes) => nodes.map((n) => n.textContent).join('|'));
  const before = { tiles: await tiles(), received: await dash(page, () => window.hexwireDashboard.views.engine.received) };
  await page.waitForTimeout(2500);
  const after = { tiles: await tiles(), received: await dash(page, () => window.hexwireDashboard.views.engine.received) };
  check(after.received > before.received, `${label}: sys:stats keeps arriving (${before.received} -> ${after.received})`);
  check(after.tiles !== before.tiles, `${label}: the engine view's numbers move`);
  const latest = await dash(page, () => window.hexwireDashboard.views.engine.latest);
  check(latest.connections.tcp > 0 && latest.rates.messages_in > 0,
    `${label}: stats show the simulation (${latest.connections.tcp} connections, ${Math.round(latest.rates.messages_in)} msg/s in)`);
  const points = await dash(page, () => window.hexwireDashboard.views.engine.charts.throughput.length);
  check(points >= 2, `${label}: the throughput chart holds ${points} points`);
}

/// Pixels of the map canvas: how many differ from the background, and how many white driver
/// pixels lie within 4 px of a driver that is on screen.
function mapPixels(page) {
  return dash(page, () => {
    const v = window.hexwireDashboard.views.city;
    v.draw();
    const dpr = window.devicePixelRatio || 1;
    const ctx = v.canvas.getContext('2d');
    const all = ctx.getImageData(0, 0, v.canvas.width, v.canvas.height).data;
    let drawn = 0;
    for (let i = 0; i < all.length; i += 4) if (all[i] !== 11 || all[i + 1] !== 16 || all[i + 2] !== 22) drawn += 1;
    const p = v.projection;
    const onScreen = [...v.drivers.values()].map((d) => p.toScreen(d.lat, d.lng))
      .filter(([x, y]) => x > 8 && y > 8 && x < p.width - 8 && y < p.height - 8);
    let white = 0;
    for (const [x, y] of onScreen.slice(0, 20)) {
      const px = ctx.getImageData(Math.round(x * dpr) - 4, Math.round(y * dpr) - 4, 9, 9).data;
      for (let i = 0; i < px.length; i += 4) if (px[i] > 230 && px[i + 1] > 230 && px[i + 2] > 230) white += 1;
    }
    return { drawn, onScreen: onScreen.length, white };
  });
}

async function checkCityView(page, label) {
  await page.evaluate(() => { location.hash = 'city'; });
  await waitFor('drivers on the map', () => dash(page, () => window.hexwireDashboard.views.city.drivers.size > 0), 20000);
  const pixels = await mapPixels(page);
  check(pixels.onScreen > 0 && pixels.white > 0,
    `${label}: the map shows drivers where they are (${pixels.onScreen} on screen, ${pixels.white} white pixels at their positions)`);
  check(pixels.drawn > 1000, `${label}: the map canvas is not blank (${pixels.drawn} pixels drawn)`);
}

/// Colours at seven points around the centre of `cell` (inside it: 30% towards its vertices).
function cellColours(page, cell) {
  return dash(page, (c) => {
    const v = window.hexwireDashboard.views.city;
    v.draw();
    const dpr = window.devicePixelRatio || 1;
    const ctx = v.canvas.getContext('2d');
    const [lat, lng] = h3.cellToLatLng(c);
    const points = [[lat, lng], ...h3.cellToBoundary(c).map(([a, b]) => [lat + 0.3 * (a - lat), lng + 0.3 * (b - lng)])];
    return points.map(([a, b]) => {
      const [x, y] = v.projection.toScreen(a, b);
      return [...ctx.getImageData(Math.round(x * dpr), Math.round(y * dpr), 1, 1).data.slice(0, 3)];
    });
  }, cell);
}

/// Sends `count` ride requests at `where` from a new anonymous rider connection of the page;
/// resolves with the number of rides the engine accepted.
function requestRides(page, port, where, count) {
  return dash(page, ({ port: p, where: w, count: n }) => new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${p}/ws`);
    let accepted = 0;
    let answered = 0;
    ws.onopen = () => ws.send(JSON.stringify({ op: 'auth', id: 0, user: 'surge-rider', role: 'rider' }));
    ws.onmessage = (event) => {
      const frame = JSON.parse(event.data);
      if (frame.op === 'auth') {
        for (let i = 1; i <= n; i++) {
          ws.send(JSON.stringify({ op: 'ride', id: i, lat: w.lat, lng: w.lng, dest_lat: w.lat + 0.02, dest_lng: w.lng }));
        }
      } else if (typeof frame.id === 'number' && frame.id >= 1) {
        answered += 1;
        if (frame.op === 'ride') accepted += 1;
        if (answered === n) {
          ws.close();
          resolve(accepted);
        }
      }
    };
    ws.onerror = () => reject(new Error('rider WebSocket failed'));
  }), { port, where, count });
}

/// Real surge: rides requested where no driver is make the engine raise that cell's multiplier
/// and publish it on surge:<cell>; the cell on the map turns from empty to warm colours.
async function checkSurgeRecolours(page, port) {
  await page.selectOption('#city-mode', 'surge');
  const where = { lat: 37.8044, lng: -122.2712 };  // Oakland: outside the simulated city's drivers
  await dash(page, (w) => {
    const v = window.hexwireDashboard.views.city;
    v.projection.lat = w.lat;
    v.projection.lng = w.lng;
    v.viewChanged();
  }, where);
  const cell = await dash(page, (w) => h3.latLngToCell(w.lat, w.lng, 7), where);
  await waitFor('the cell to be watched', () => dash(page, (c) => window.hexwireDashboard.views.city.watched.has(c), cell));
  await page.waitForTimeout(300);  // the subscriptions' replies
  const before = await cellColours(page, cell);
  const accepted = await requestRides(page, port, where, 8);
  check(accepted === 8, `the engine accepted 8 ride requests in cell ${cell}`);
  const multiplier = await waitFor('the engine to publish a surge of at least 2.2', () =>
    dash(page, (c) => {
      const s = window.hexwireDashboard.views.city.surge.get(c);
      return s && s.multiplier >= 2.2 ? s.multiplier : 0;
    }, cell), 20000);
  const after = await cellColours(page, cell);
  const changed = after.filter((rgb, i) => rgb.some((v, k) => Math.abs(v - before[i][k]) > 20)).length;
  const warm = after.filter(([r, g, b]) => r > g + 30 && r > b + 60).length;
  check(changed >= 4 && warm >= 4,
    `the engine's surge (${multiplier.toFixed(2)}) recolours cell ${cell} (${changed}/7 points changed, ${warm}/7 warm)`);
  await checkTripLines(page, where);
  await page.selectOption('#city-mode', 'drivers');
  await dash(page, () => {
    const v = window.hexwireDashboard.views.city;
    v.projection.lat = 37.765;
    v.projection.lng = -122.44;
    v.viewChanged();
  });
  await page.waitForTimeout(500);
}

/// The rides just requested arrive on their pickup cell's channel as trips and are drawn as lines
/// from the pickup to the destination (0.02° north), in the colour of their status.
async function checkTripLines(page, where) {
  const trips = await waitFor('the requested trips on the map', () => dash(page, (w) => {
    const near = [...window.hexwireDashboard.views.city.trips.values()].filter((t) =>
      Math.abs(t.pickup[0] - w.lat) < 1e-6 && Math.abs(t.destination[0] - (w.lat + 0.02)) < 1e-6);
    return near.length >= 8 ? near.length : 0;
  }, where), 10000);
  const drawn = await dash(page, (w) => {
    const v = window.hexwireDashboard.views.city;
    v.draw();
    const dpr = window.devicePixelRatio || 1;
    const ctx = v.canvas.getContext('2d');
    const styles = [...v.trips.values()].map((t) => t.status);
    // Points a third and two thirds up the line, each searched ±3 px across it.
    return [1 / 3, 2 / 3].map((f) => {
      const [x, y] = v.projection.toScreen(w.lat + 0.02 * f, w.lng);
      const row = ctx.getImageData(Math.round((x - 3) * dpr), Math.round(y * dpr), Math.ceil(7 * dpr), 1).data;
      const found = [];
      for (let i = 0; i < row.length; i += 4) found.push([row[i], row[i + 1], row[i + 2]]);
      return found;
    }).concat([styles]);
  }, where);
  const statuses = drawn.pop();
  const tripColour = ([r, g, b]) => (r > 180 && g > 140 && b < 110) ||  // waiting: amber
    (r > 150 && g > 140 && b > 200) || (g > 180 && r < 140 && b < 160);  // on the way / on board
  const hits = drawn.filter((row) => row.some(tripColour)).length;
  check(hits === 2, `${trips} trips are drawn as pickup → destination lines (${hits}/2 points on the line; ` +
    `statuses ${[...new Set(statuses)].join(', ')})`);
}

/// Case-study progress events (docs/cases/README.md): a start naming the key plot, samples, a
/// figure; published before the view watches (drawn from history), then one more live.
async function checkSimulationsView(page) {
  const channel = 'sim:browser-test';
  const base = { schema: 'hexwire-case-event/1', case: 'dynamo', experiment: 'ring', run: 'dynamo-ring-1-1' };
  const start = { ...base, type: 'start', mode: 'virtual', seed: 1, params: { nodes: '8' },
    columns: ['vnodes', 'max_over_mean', 'stddev'],
    plot: { title: 'load imbalance against vnodes', x: 'vnodes', y: ['max_over_mean', 'stddev'], log_y: false } };
  const sample = (i) => ({ ...base, type: 'sample', t: i, values: { vnodes: 2 ** i, max_over_mean: 1 + 1 / i, stddev: 0.5 / i } });
  const figure = { ...base, type: 'figure', name: 'imbalance_at_256', measured: 1.1, reference: 1.1,
    tolerance: 0.05, compare: 'within', ok: true, unit: '', source: 'test' };
  const publish = (data) => dash(page, (d) => window.hexwireDashboard.connection.request(
    { op: 'pub', channel: d.channel, data: d.data }), { channel, data });
  await publish(start);
  for (let i = 1; i <= 5; i++) await publish(sample(i));
  await publish(figure);
  await page.evaluate(() => { location.hash = 'sims'; });
  await page.fill('#sims-channel', channel);
  await page.click('#sims-watch');
  await waitFor('the retained samples', () => dash(page, () => window.hexwireDashboard.views.sims.points >= 5));
  await publish(sample(6));
  await waitFor('a live sample', () => dash(page, () => window.hexwireDashboard.views.sims.points >= 6));
  const drawn = await dash(page, () => {
    const run = [...window.hexwireDashboard.views.sims.runs.values()][0];
    return { runs: window.hexwireDashboard.views.sims.runs.size, points: run.chart.length,
      figures: run.figures.children.length };
  });
  check(drawn.runs === 1 && drawn.points === 6 && drawn.figures === 1,
    `the Simulations view draws a sim:<case> run: history then live (${drawn.points} points, ${drawn.figures} figure)`);
}

async function checkChannelsView(page) {
  await page.evaluate(() => { location.hash = 'channels'; });
  const rows = await waitFor('sys:channels rows', () => page.$$eval('#channels-table tbody tr', (r) => r.length), 15000);
  check(rows > 0, `the Channels view lists ${rows} busy channels`);
}

async function main() {
  for (const key of ['engine', 'sim', 'out']) if (!args[key]) throw new Error(`missing --${key}`);
  fs.mkdirSync(args.out, { recursive: true });
  const shot = (page, name) => page.screenshot({ path: path.join(args.out, name) });
  const port = await lib.freePort();
  let engine = await startEngine(port);
  const simulation = await startSimulation(port);
  const context = await lib.launchChromium();

  const page = await context.newPage();
  await page.setViewportSize({ width: 1280, height: 800 });
  const errors = watchErrors(page);
  await openDashboard(page, port, 'engine');
  await checkEngineView(page, '1280x800');
  await shot(page, 'dashboard-engine-1280x800.png');
  await checkCityView(page, '1280x800');
  await checkSurgeRecolours(page, port);
  await shot(page, 'dashboard-city-1280x800.png');
  await checkSimulationsView(page);
  await shot(page, 'dashboard-sims-1280x800.png');
  await checkChannelsView(page);
  await shot(page, 'dashboard-channels-1280x800.png');

  const phone = await context.newPage();
  await phone.setViewportSize(PHONE);
  const phoneErrors = watchErrors(phone);
  await openDashboard(phone, port, 'engine');
  await checkEngineView(phone, 'phone');
  await shot(phone, 'dashboard-engine-phone.png');
  await checkCityView(phone, 'phone');
  await shot(phone, 'dashboard-city-phone.png');
  check(errors.length === 0 && phoneErrors.length === 0,
    `no console errors (${[...errors, ...phoneErrors].join('; ') || 'none'})`);
  await phone.close();

  // The engine restarts: the page reconnects, re-subscribes and the numbers move again.
  await lib.stopProcess(simulation);
  await lib.stopProcess(engine);
  await waitFor('the page to notice the engine left', () => dash(page, () => window.hexwireDashboard.connection.state !== 'connected'));
  engine = await startEngine(port);
  await waitFor('the page to reconnect', () =>
    dash(page, () => window.hexwireDashboard.connection.connects >= 2 && window.hexwireDashboard.connection.state === 'connected'), 20000);
  const received = await dash(page, () => window.hexwireDashboard.views.engine.received);
  await page.evaluate(() => { location.hash = 'engine'; });
  await waitFor('sys:stats from the restarted engine', () =>
    dash(page, (n) => window.hexwireDashboard.views.engine.received >= n + 2, received), 15000);
  const uptime = await dash(page, () => window.hexwireDashboard.views.engine.latest.uptime_s);
  check(uptime < 30, `the page survives an engine restart (stats again, uptime ${uptime.toFixed(1)} s)`);
  await shot(page, 'dashboard-engine-after-restart.png');
  // While the engine was down the browser reports the refused connection attempts; nothing else.
  const unexpected = errors.filter((e) => !/WebSocket connection to .* failed/.test(e));
  check(unexpected.length === 0, `no console errors across the restart (${unexpected.join('; ') || 'none'})`);
  await lib.stopProcess(engine);
}

lib.runTest(main, 150_000);
