// Makes the README's dashboard picture (docs/images/dashboard-city.png): an engine on a free port,
// scripts/run.sh's default simulation against it for a few seconds, and a 1280x800 screenshot of
// the City view. Not a test; run it by hand after a visible change to the page:
//   node tests/browser/readme_screenshot.js --engine build/release/app/hexwire \
//     --sim build/release/sim/tools/hexwire-sim --out docs/images/dashboard-city.png
'use strict';

const lib = require('./browser_lib');

const args = lib.parseArgs(process.argv.slice(2));

async function main() {
  const port = await lib.freePort();
  await lib.startProcess(args.engine, ['--port', String(port), '--anonymous'], { ready: /listening on/ });
  await lib.startProcess(args.sim, ['--url', `ws://127.0.0.1:${port}`, '--duration', '60',
    '--publish-rate', '200'], { ready: /\[\s*\d+\/\d+ s\]/, timeoutMs: 30000 });
  const context = await lib.launchChromium();
  const page = await context.newPage();
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto(`http://127.0.0.1:${port}/#city`);
  await lib.waitFor('drivers on the map', () =>
    page.evaluate(() => window.hexwireDashboard.views.city.drivers.size > 500), 30000);
  await page.waitForTimeout(6000);  // a few positions per driver, so that tracks show
  await page.screenshot({ path: args.out });
  console.log(`wrote ${args.out}`);
}

lib.runTest(main, 120_000);
