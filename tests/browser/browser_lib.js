// Shared scaffolding of the browser tests: Debian's Chromium through playwright-core (from
// web/node_modules), child processes that are always stopped (also when a test fails or times
// out), free loopback ports, and the SKIP exit code when Chromium is missing.
'use strict';

const { spawn } = require('child_process');
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');

const SKIP = 4;  // ctest SKIP_RETURN_CODE
const CHROMIUM = process.env.HEXWIRE_CHROMIUM || '/usr/bin/chromium';
const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const children = new Set();
const cleanups = [];

function stopAll() {
  for (const child of children) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  children.clear();
  for (const fn of cleanups.splice(0)) {
    try {
      fn();
    } catch {
      // best effort
    }
  }
}
process.on('exit', stopAll);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    stopAll();
    process.exit(1);
  });
}

function loadPlaywright() {
  const modulePath = path.join(__dirname, '..', '..', 'web', 'node_modules', 'playwright-core');
  if (!fs.existsSync(CHROMIUM) || !fs.existsSync(modulePath)) {
    console.log(`SKIP: needs ${CHROMIUM} and web/node_modules/playwright-core (scripts/setup.sh)`);
    process.exit(SKIP);
  }
  return require(modulePath);
}

/// Chromium with a fresh profile in a temporary folder (removed at exit).
async function launchChromium() {
  const { chromium } = loadPlaywright();
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'hexwire-chromium-'));
  cleanups.push(() => fs.rmSync(profile, { recursive: true, force: true }));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, args: CHROMIUM_FLAGS, headless: true,
    viewport: { width: 1280, height: 800 },
  });
  cleanups.unshift(() => context.close().catch(() => {}));
  return context;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/// Starts `command`; resolves once a line of its output matches `ready` (rejects when it exits
/// first or after `timeoutMs`). The child is killed at exit whatever happens.
function startProcess(command, args, { ready, timeoutMs = 15000, name = path.basename(command) } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let output = '';
    let done = false;
    const timer = setTimeout(() => finish(new Error(`${name} not ready after ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const finish = (error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (error) reject(error);
      else resolve(child);
    };
    const onData = (chunk) => {
      output += chunk;
      if (output.length > 100_000) output = output.slice(-50_000);
      if (!ready || ready.test(output)) finish();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => {
      children.delete(child);
      finish(new Error(`${name} exited (${code}) before it was ready:\n${output}`));
    });
    child.output = () => output;
  });
}

/// Stops a child with SIGINT and waits for it (SIGKILL after `graceMs`).
function stopProcess(child, graceMs = 5000) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve();
      return;
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      children.delete(child);
      resolve();
    });
    child.kill('SIGINT');
  });
}

/// Polls `fn` (async allowed) until it returns a truthy value; throws `what` after timeoutMs.
async function waitFor(what, fn, timeoutMs = 15000, everyMs = 200) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

function check(condition, message) {
  if (!condition) throw new Error(`check failed: ${message}`);
  console.log(`ok - ${message}`);
}

/// Runs `main` with an overall deadline; exits 0 on success, 1 on failure, always cleaning up.
function runTest(main, deadlineMs) {
  const watchdog = setTimeout(() => {
    console.error(`FAIL: the test did not finish within ${deadlineMs / 1000} s`);
    stopAll();
    process.exit(1);
  }, deadlineMs);
  main().then(() => {
    clearTimeout(watchdog);
    stopAll();
    console.log('PASS');
    process.exit(0);
  }, (error) => {
    clearTimeout(watchdog);
    console.error(`FAIL: ${error.stack || error}`);
    stopAll();
    process.exit(1);
  });
}

function parseArgs(argv) {
  const args = {};
  for (let i = 0; i < argv.length; i += 2) args[argv[i].replace(/^--/, '')] = argv[i + 1];
  return args;
}

module.exports = {
  SKIP, launchChromium, freePort, startProcess, stopProcess, waitFor, check, runTest,
  parseArgs, stopAll,
};
