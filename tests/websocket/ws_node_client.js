// Conformance against Node's `ws` package (an implementation nobody here wrote): spawns the
// `hexwire` binary on 127.0.0.1 with --port 0, reads the port from its listening line, and checks
// echo of every length boundary (text and binary), fragmented sends, ping/pong, permessage-deflate,
// and the close paths (client close echoed, 1009, 1007, idle timeout 1001, SIGTERM -> 1001, exit 0).
// Usage: NODE_PATH=tests/conformance/node_modules node ws_node_client.js /path/to/hexwire [io_uring|epoll]
// Exit: 0 all passed, 1 a check failed, 4 skipped (the io_uring backend cannot be created here).
'use strict';

const { spawn } = require('child_process');
const http = require('http');
const WebSocket = require('ws');

const binary = process.argv[2];
const backend = process.argv[3] || 'io_uring';
const ECHO_LIMIT = 2 * 1024 * 1024;
let failures = 0;
let server;

function check(condition, what) {
  if (condition) {
    console.log(`ok   ${what}`);
  } else {
    failures++;
    console.log(`FAIL ${what}`);
  }
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timeout: ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

function startServer() {
  return new Promise((resolve, reject) => {
    const args = ['--port', '0', '--host', '127.0.0.1', '--shards', '2', '--no-pin',
      '--backend', backend, '--ws-deflate', '--echo', '--echo-max-message-bytes', String(ECHO_LIMIT),
      '--ws-ping-interval-ms', '200', '--ws-idle-timeout-ms', '1000', '--shutdown-timeout-ms', '2000',
      '--log-level', 'warn'];
    server = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    server.stdout.on('data', (chunk) => {
      out += chunk;
      const match = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (match) resolve(Number(match[1]));
    });
    server.stderr.on('data', (chunk) => { err += chunk; });
    server.on('exit', (code) => reject(Object.assign(new Error(`hexwire exited ${code}: ${err}`),
      { stderr: err, code })));
  });
}

function open(port, options = {}, path = '/echo') {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, options);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

function nextMessage(ws) {
  return new Promise((resolve) => ws.once('message', (data, isBinary) => resolve({ data, isBinary })));
}

function closed(ws) {
  return new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
}

function pattern(size, text) {
  const buf = Buffer.alloc(size);
  for (let i = 0; i < size; i++) buf[i] = text ? 97 + (i % 26) : (i * 31 + 7) & 0xff;
  return buf;
}

async function echoSizes(port) {
  const ws = await open(port);
  for (const size of [0, 1, 125, 126, 127, 65535, 65536, 1 << 20]) {
    for (const isBinary of [false, true]) {
      const payload = pattern(size, !isBinary);
      const reply = nextMessage(ws);
      ws.send(isBinary ? payload : payload.toString(), { binary: isBinary });
      const { data, isBinary: gotBinary } = await withTimeout(reply, 5000, `echo ${size}`);
      check(gotBinary === isBinary && Buffer.compare(data, payload) === 0,
        `echo ${isBinary ? 'binary' : 'text'} ${size} bytes`);
    }
  }
  ws.close(1000);
  await closed(ws);
}

async function fragmented(port) {
  const ws = await open(port);
  const reply = nextMessage(ws);
  ws.send('frag', { fin: false });
  ws.send('men', { fin: false });
  ws.send('ted', { fin: true });
  const { data } = await withTimeout(reply, 5000, 'fragmented echo');
  check(data.toString() === 'fragmented', 'fragmented send arrives as one message');
  ws.terminate();
}

async function pingPong(port) {
  const ws = await open(port);
  const pong = new Promise((resolve) => ws.once('pong', resolve));
  ws.ping('hello ping');
  const payload = await withTimeout(pong, 5000, 'pong');
  check(payload.toString() === 'hello ping', 'ping answered by pong with the same payload');
  ws.terminate();
}

async function deflate(port) {
  const ws = await open(port, { perMessageDeflate: true });
  check(ws.extensions.includes('permessage-deflate'), 'permessage-deflate negotiated');
  let json = '';
  for (let i = 0; i < 200; i++) json += `{"op":"msg","channel":"general","seq":${i},"data":"hi"}`;
  for (let round = 0; round < 3; round++) {
    const reply = nextMessage(ws);
    ws.send(json);
    const { data } = await withTimeout(reply, 5000, 'deflate echo');
    check(data.toString() === json, `deflate echo round ${round}`);
  }
  ws.close(1000);
  await closed(ws);
}

async function clientClose(port) {
  const ws = await open(port);
  const done = closed(ws);
  ws.close(4000, 'bye from node');
  const { code, reason } = await withTimeout(done, 5000, 'close echo');
  check(code === 4000 && reason === 'bye from node', `client close echoed (${code} "${reason}")`);
}

async function tooBig(port) {
  const ws = await open(port);
  const done = closed(ws);
  ws.send(Buffer.alloc(ECHO_LIMIT + 1, 1));
  const { code } = await withTimeout(done, 5000, '1009');
  check(code === 1009, `message above the limit closed with 1009 (got ${code})`);
}

async function badUtf8(port) {
  const ws = await open(port);
  const done = closed(ws);
  ws.send(Buffer.from([0x61, 0xc3, 0x28, 0x62]), { binary: false });
  const { code } = await withTimeout(done, 5000, '1007');
  check(code === 1007, `invalid UTF-8 text closed with 1007 (got ${code})`);
}

async function idleTimeout(port) {
  const ws = await open(port, { autoPong: false });
  let pings = 0;
  ws.on('ping', () => { pings++; });
  const { code } = await withTimeout(closed(ws), 5000, 'idle close');
  check(code === 1001 && pings >= 1, `silent client pinged (${pings}) then closed 1001 (got ${code})`);
}

async function keptAlive(port) {
  const ws = await open(port);  // answers pings automatically
  let closedEarly = false;
  ws.once('close', () => { closedEarly = true; });
  await new Promise((resolve) => setTimeout(resolve, 1600));
  check(!closedEarly, 'client answering pings outlives the idle timeout');
  ws.terminate();
}

function httpGet(port, path) {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path }, (res) => {
      let body = '';
      res.on('data', (chunk) => { body += chunk; });
      res.on('end', () => resolve({ status: res.statusCode, body }));
    }).on('error', reject);
  });
}

async function httpEndpoints(port) {
  const health = await httpGet(port, '/healthz');
  check(health.status === 200 && health.body === 'ok', 'GET /healthz');
  const metrics = await httpGet(port, '/metrics');
  check(metrics.status === 200 && metrics.body.includes('hexwire_ws_sessions_opened_total'), 'GET /metrics');
  const stats = await httpGet(port, '/api/stats');
  check(stats.status === 200 && JSON.parse(stats.body).backend === backend, 'GET /api/stats');
}

async function shutdown(port) {
  const ws = await open(port);
  const done = closed(ws);
  server.removeAllListeners('exit');  // the start-up rejection handler
  const exited = new Promise((resolve) => server.once('exit', (code) => resolve(code)));
  server.kill('SIGTERM');
  const { code } = await withTimeout(done, 5000, 'shutdown close');
  check(code === 1001, `SIGTERM sends close 1001 (got ${code})`);
  const exitCode = await withTimeout(exited, 10000, 'hexwire exit');
  check(exitCode === 0, `hexwire exits 0 after SIGTERM (got ${exitCode})`);
}

async function main() {
  let port;
  try {
    port = await withTimeout(startServer(), 10000, 'hexwire start');
  } catch (e) {
    if (backend === 'io_uring' && /io_uring/i.test(e.stderr || '')) {
      console.log(`SKIPPED: ${e.message}`);
      process.exit(4);
    }
    throw e;
  }
  console.log(`hexwire (${backend}) on port ${port}`);
  await echoSizes(port);
  await fragmented(port);
  await pingPong(port);
  await deflate(port);
  await clientClose(port);
  await tooBig(port);
  await badUtf8(port);
  await idleTimeout(port);
  await keptAlive(port);
  await httpEndpoints(port);
  await shutdown(port);
  console.log(failures === 0 ? 'all passed' : `${failures} check(s) failed`);
  process.exit(failures === 0 ? 0 : 1);
}

main().catch((e) => {
  console.log(`FAIL ${e.message}`);
  if (server) server.kill('SIGKILL');
  process.exit(1);
});
