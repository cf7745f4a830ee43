// Browser test of hexwire-sim's HTML reports, run by ctest: makes two short runs (chat with
// --verify and --html, echo with --report), draws them compared with `hexwire-sim report`, renders
// both pages in headless Chromium at 1280x800 and at a phone size, and checks that every chart drew
// data points (series points in the data and coloured pixels on its canvas) without page errors.
// A file that is not a report is refused with status 2. Screenshots go to --out. Usage:
//   node report_test.js --sim build/release/sim/tools/hexwire-sim --out DIR
'use strict';

const { execFileSync, spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const lib = require('./browser_lib');

const args = lib.parseArgs(process.argv.slice(2));
const { check } = lib;

function runSim(simArgs) {
  const result = spawnSync(args.sim, simArgs, { encoding: 'utf8', timeout: 60_000 });
  if (result.status !== 0) {
    throw new Error(`hexwire-sim ${simArgs.join(' ')} exited ${result.status}:\n${result.stdout}\n${result.stderr}`);
  }
  return result;
}

/// Per chart: title, points in its data, and saturated (series-coloured) pixels on its canvas.
function inspectCharts(page) {
  return page.evaluate(() => window.hexwireReport.charts.map((c) => {
    const canvas = c.element.querySelector('canvas');
    const ctx = canvas.getContext('2d');
    const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
    let coloured = 0;
    for (let i = 0; i < data.length; i += 4) {
      const max = Math.max(data[i], data[i + 1], data[i + 2]);
      const min = Math.min(data[i], data[i + 1], data[i + 2]);
      if (data[i + 3] > 0 && max - min > 60) coloured += 1;
    }
    return { title: c.title, points: c.points, coloured };
  }));
}

async function checkPage(context, file, viewport, minCharts, out) {
  const page = await context.newPage();
  await page.setViewportSize(viewport);
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(`file://${file}`);
  await page.waitForFunction(() => window.hexwireReport && window.hexwireReport.charts.length > 0);
  await page.waitForTimeout(300);
  const charts = await inspectCharts(page);
  const name = `${path.basename(file, '.html')} ${viewport.width}x${viewport.height}`;
  check(charts.length >= minCharts, `${name}: ${charts.length} charts (at least ${minCharts})`);
  const empty = charts.filter((c) => c.points === 0 || c.coloured < 20);
  check(empty.length === 0, `${name}: every chart drew data points` +
    (empty.length ? ` (empty: ${empty.map((c) => `${c.title} ${c.points}/${c.coloured}`).join(', ')})` : ''));
  check(errors.length === 0, `${name}: no page errors (${errors.join('; ') || 'none'})`);
  await page.screenshot({ path: path.join(out, `report-${path.basename(file, '.html')}-${viewport.width}.png`), fullPage: true });
  await page.close();
}

async function main() {
  for (const key of ['sim', 'out']) if (!args[key]) throw new Error(`missing --${key}`);
  fs.mkdirSync(args.out, { recursive: true });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hexwire-report-'));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  const file = (name) => path.join(dir, name);

  runSim(['chat', '--duration', '3', '--drain', '1', '--connections', '30', '--publish-rate', '100',
    '--threads', '1', '--verify', '--report', file('chat.json'), '--html', file('chat.html')]);
  runSim(['echo', '--duration', '2', '--drain', '1', '--connections', '10', '--rate', '500',
    '--threads', '1', '--report', file('echo.json')]);
  execFileSync(args.sim, ['report', file('chat.json'), file('echo.json'), '--html', file('compare.html')]);
  fs.writeFileSync(file('other.json'), '{"hello": "world"}');
  const refused = spawnSync(args.sim, ['report', file('other.json'), '--html', file('x.html')], { encoding: 'utf8' });
  check(refused.status === 2 && /not a hexwire-sim report/.test(refused.stderr),
    `a JSON file that is not a report is refused (${refused.status}: ${refused.stderr.trim()})`);
  check(!fs.existsSync(file('x.html')), 'nothing is written for a refused report');

  const context = await lib.launchChromium();
  // chat: throughput, connections, ack/deliver/connect over time, 3 x (histogram + CDF), errors.
  for (const viewport of [{ width: 1280, height: 800 }, { width: 390, height: 844 }]) {
    await checkPage(context, file('chat.html'), viewport, 12, args.out);
    await checkPage(context, file('compare.html'), viewport, 14, args.out);
  }
}

lib.runTest(main, 120_000);
