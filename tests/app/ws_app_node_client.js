// The /ws protocol against Node's `ws` package (a client nobody here wrote): spawns
// app_ws_test_server, then checks auth (anonymous and JWT on the URL), sub/pub/ack/msg with the
// same order on two subscribers, resume with since, errors (bad_request with id, unauthorized,
// forbidden, too_large) with the connection still usable, and that every frame is JSON text.
// Usage: NODE_PATH=tests/conformance/node_modules node ws_app_node_client.js /path/to/app_ws_test_server
// Exit: 0 all passed, 1 a check failed, 4 skipped (the engine cannot start here).
'use strict';

const { spawn } = require('child_process');
const crypto = require('crypto');
const WebSocket = require('ws');

const SECRET = 'node-secret';
let failures = 0;
let server;

function check(condition, what) {
  console.log(`${condition ? 'ok  ' : 'FAIL'} ${what}`);
  if (!condition) failures++;
}

function b64url(buffer) {
  return Buffer.from(buffer).toString('base64').replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
}

function jwt(claims) {
  const head = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const body = b64url(JSON.stringify(claims));
  const mac = crypto.createHmac('sha256', SECRET).update(`${head}.${body}`).digest();
  return `${head}.${body}.${b64url(mac)}`;
}

function startServer(binary) {
  return new Promise((resolve, reject) => {
    server = spawn(binary, [SECRET], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    server.stdout.on('data', (chunk) => {
      out += chunk;
      const match = /listening on port (\d+)/.exec(out);
      if (match) resolve(Number(match[1]));
    });
    server.on('exit', (code) => reject(Object.assign(new Error(`server exited ${code}`), { code })));
  });
}

/// A client that queues every frame (checking it is JSON text) and lets the test await ops.
class Client {
  constructor(port, path = '/ws') {
    this.frames = [];
    this.waiters = [];
    this.nonJson = 0;
    this.ws = new WebSocket(`ws://127.0.0.1:${port}${path}`);
    this.ws.on('message', (data, isBinary) => {
      let frame;
      try {
        frame = JSON.parse(data.toString());
      } catch (e) {
        this.nonJson++;
        return;
      }
      if (isBinary) this.nonJson++;
      this.frames.push(frame);
      this.flush();
    });
    this.opened = new Promise((resolve, reject) => {
      this.ws.on('open', resolve);
      this.ws.on('error', reject);
    });
  }
  flush() {
    for (let i = 0; i < this.waiters.length; i++) {
      const w = this.waiters[i];
      const at = this.frames.findIndex(w.match);
      if (at >= 0) {
        const [frame] = this.frames.splice(at, 1);
        this.waiters.splice(i, 1);
        clearTimeout(w.timer);
        w.resolve(frame);
        i--;
      }
    }
  }
  next(match, what) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timeout waiting for ${what}`)), 5000);
      this.waiters.push({ match, resolve, timer });
      this.flush();
    });
  }
  op(op) { return this.next((f) => f.op === op, op); }
  send(obj) { this.ws.send(typeof obj === 'string' ? obj : JSON.stringify(obj)); }
  async login(user) {
    await this.opened;
    this.send({ op: 'auth', id: 0, user });
    return this.op('auth');
  }
}

async function main() {
  const binary = process.argv[2];
  let port;
  try {
    port = await startServer(binary);
  } catch (e) {
    console.log(`SKIPPED: ${e.message}`);
    process.exit(4);
  }

  const a = new Client(port);
  const b = new Client(port);
  const p = new Client(port);
  check((await a.login('alice')).user === 'alice', 'anonymous auth');
  await b.login('bob');
  await p.login('pat');
  a.send({ op: 'sub', id: 'sa', channel: 'room' });
  b.send({ op: 'sub', id: 'sb', channel: 'room' });
  const subbed = await a.op('subbed');
  check(subbed.id === 'sa' && subbed.channel === 'room' && subbed.seq === 0, 'subbed reply');
  await b.op('subbed');

  const N = 200;
  for (let i = 0; i < N; i++) p.send({ op: 'pub', id: i, channel: 'room', data: { i, s: 'é"\n' } });
  let acksInOrder = true;
  for (let i = 0; i < N; i++) {
    const ack = await p.op('ack');
    acksInOrder = acksInOrder && ack.id === i && ack.seq === i + 1 && Number.isInteger(ack.ts);
  }
  check(acksInOrder, 'acks in order with seq and ts');
  const seenA = [];
  const seenB = [];
  for (let i = 0; i < N; i++) seenA.push(await a.op('msg'));
  for (let i = 0; i < N; i++) seenB.push(await b.op('msg'));
  check(seenA.every((m, i) => m.seq === i + 1 && m.data.i === i && m.from === 'pat'),
    'subscriber A: every message once, in seq order, data intact');
  check(JSON.stringify(seenA) === JSON.stringify(seenB), 'subscriber B saw the same sequence');
  check(seenA[0].data.s === 'é"\n', 'data strings forwarded byte for byte');

  // Resume: a late subscriber asks from seq 150.
  const late = new Client(port);
  await late.login('late');
  late.send({ op: 'sub', id: 1, channel: 'room', since: 150 });
  const resumed = await late.op('subbed');
  check(resumed.recovered === true && resumed.seq === N, 'resume subbed: recovered, seq');
  const backlog = [];
  for (let i = 0; i < N - 150; i++) backlog.push((await late.op('msg')).seq);
  check(backlog[0] === 151 && backlog[backlog.length - 1] === N, 'resume backlog 151..200');

  // Errors keep the connection usable.
  a.send('{"op":"pub",');
  check((await a.op('error')).code === 'bad_request', 'malformed JSON: bad_request');
  a.send({ op: 'sub', id: 77, channel: 'no spaces' });
  const bad = await a.op('error');
  check(bad.code === 'bad_request' && bad.id === 77, 'invalid channel: bad_request with id');
  a.send({ op: 'sub', id: 78, channel: 'user:bob' });
  check((await a.op('error')).code === 'forbidden', "another user's channel: forbidden");
  a.send({ op: 'pub', id: 79, channel: 'room', data: 'x'.repeat(70 * 1024) });
  check((await a.op('error')).code === 'too_large', '70 KiB message: too_large');
  a.send({ op: 'history', id: 80, channel: 'room', since: 195, limit: 10 });
  const history = await a.op('history');
  check(history.id === 80 && history.messages.length === 5 && history.messages[0].seq === 196,
    'history after the errors');

  const anonymous = new Client(port);
  await anonymous.opened;
  anonymous.send({ op: 'pub', id: 5, channel: 'room', data: 1 });
  check((await anonymous.op('error')).code === 'unauthorized', 'pub before auth: unauthorized');

  const token = jwt({ sub: 'tess', exp: Math.floor(Date.now() / 1000) + 60, channels: ['room'] });
  const viaUrl = new Client(port, `/ws?token=${token}`);
  check((await viaUrl.op('auth')).user === 'tess', 'JWT on the upgrade URL');
  viaUrl.send({ op: 'sub', id: 1, channel: 'other' });
  check((await viaUrl.op('error')).code === 'forbidden', 'channel outside the token patterns');

  const all = [a, b, p, late, anonymous, viaUrl];
  check(all.every((c) => c.nonJson === 0), 'every frame was a JSON text frame');
  for (const c of all) c.ws.close();
}

main()
  .catch((e) => {
    failures++;
    console.log(`FAIL ${e.message}`);
  })
  .finally(() => {
    if (server) server.stdin.end();
    setTimeout(() => process.exit(failures === 0 ? 0 : 1), 300);
  });
