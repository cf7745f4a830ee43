// Browser test of the dashboard (web/), run by ctest: starts an engine on a free loopback port and
// a small hexwire-sim run (chat + drivers) against it, opens the page in headless Chromium at
// 1280x800 and at a phone size, and checks what a user sees: the page connects and the engine
// view's numbers move; the map canvas is not blank where drivers are; a surge change recolours a
// cell; sim: streams and the channel table draw; no console errors; the page survives an engine
// restart. Screenshots go to --out. Usage:
//   node dashboard_test.js --engine build/release/app/hexwire --sim .../hexwire-sim --out DIR
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const lib = require('./browser_lib');

const args = lib.parseArgs(process.argv.slice(2));
const { check, waitFor } = lib;

const PHONE = { width: 390, height: 844 };

function engineArgs(port, secret) {
  return ['--host', '127.0.0.1', '--port', String(port), '--shards', '2', '--anonymous',
    '--jwt-secret', secret, '--live-map-interval-ms', '500'];
}

function startEngine(port, secret) {
  return lib.startProcess(args.engine, engineArgs(port, secret), { ready: /listening on/, name: 'hexwire' });
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

function publishAsAdmin(page, port, token, channel, data) {
  return dash(page, ({ port: p, token: t, channel: c, data: d }) => new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${p}/ws?token=${t}`);
    ws.onmessage = (event) => {
      const frame = JSON.parse(event.data);
      if (frame.op === 'auth') ws.send(JSON.stringify({ op: 'pub', id: 1, channel: c, data: d }));
      else if (frame.id === 1) {
        ws.close();
        if (frame.op === 'ack') resolve(frame.seq);
        else reject(new Error(JSON.stringify(frame)));
      }
    };
    ws.onerror = () => reject(new Error('admin WebSocket failed'));
  }), { port, token, channel, data });
}

async function checkSurgeRecolours(page, port, token) {
  await page.selectOption('#city-mode', 'surge');
  const cell = await dash(page, () => {
    const v = window.hexwireDashboard.views.city;
    return h3.latLngToCell(v.projection.lat, v.projection.lng, 7);
  });
  await waitFor('the centre cell to be watched', () => dash(page, (c) => window.hexwireDashboard.views.city.watched.has(c), cell));
  const before = await cellColours(page, cell);
  await publishAsAdmin(page, port, token, `surge:${cell}`, { multiplier: 2.9, supply: 1, demand: 12 });
  await waitFor('the surge change to reach the page', () =>
    dash(page, (c) => (window.hexwireDashboard.views.city.surge.get(c) || {}).multiplier === 2.9, cell));
  const after = await cellColours(page, cell);
  const changed = after.filter((rgb, i) => rgb.some((v, k) => Math.abs(v - before[i][k]) > 20)).length;
  const red = after.filter(([r, g, b]) => r > g + 30 && r > b + 30).length;
  check(changed >= 4 && red >= 4, `a surge change recolours cell ${cell} (${changed}/7 points changed, ${red}/7 red)`);
  await page.selectOption('#city-mode', 'drivers');
}

async function checkSimulationsView(page) {
  const channel = 'sim:browser-test';
  const point = (i) => ({ plot: 'keys', title: 'keys per node against vnodes', x: i, x_label: 'vnodes',
    series: { 'node-0': 100 + i, 'node-1': 120 - i } });
  for (let i = 1; i <= 5; i++) {
    await dash(page, (d) => window.hexwireDashboard.connection.request({ op: 'pub', channel: d.channel, data: d.data }),
      { channel, data: point(i) });
  }
  await page.evaluate(() => { location.hash = 'sims'; });
  await page.fill('#sims-channel', channel);
  await page.click('#sims-watch');
  await waitFor('the retained sim: points', () => dash(page, () => window.hexwireDashboard.views.sims.points >= 5));
  await dash(page, (d) => window.hexwireDashboard.connection.request({ op: 'pub', channel: d.channel, data: d.data }),
    { channel, data: point(6) });
  await waitFor('a live sim: point', () => dash(page, () => window.hexwireDashboard.views.sims.points >= 6));
  const plots = await dash(page, () => window.hexwireDashboard.views.sims.plots.size);
  check(plots === 1, 'the Simulations view draws a sim: stream (history, then live)');
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
  const secret = crypto.randomBytes(16).toString('hex');
  const token = lib.hs256Token(secret, { sub: 'browser-admin', role: 'admin', exp: Math.floor(Date.now() / 1000) + 900 });
  let engine = await startEngine(port, secret);
  const simulation = await startSimulation(port);
  const context = await lib.launchChromium();

  const page = await context.newPage();
  await page.setViewportSize({ width: 1280, height: 800 });
  const errors = watchErrors(page);
  await openDashboard(page, port, 'engine');
  await checkEngineView(page, '1280x800');
  await shot(page, 'dashboard-engine-1280x800.png');
  await checkCityView(page, '1280x800');
  await checkSurgeRecolours(page, port, token);
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
  engine = await startEngine(port, secret);
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
