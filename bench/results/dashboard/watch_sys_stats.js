// Prints one line per sys:stats publication of a running engine (--anonymous): wall time, engine
// uptime, messages in and publishes per second, and per stage "count/p50/p99/max" of the interval
// in microseconds. Used to check the dashboard's stage figures against hexwire-sim's own latencies.
// Usage: WS_MODULE=tests/conformance/node_modules/ws node watch_sys_stats.js ws://127.0.0.1:PORT SECONDS
'use strict';
const WebSocket = require(process.env.WS_MODULE ? require('path').resolve(process.env.WS_MODULE) : 'ws');

const [url, seconds] = process.argv.slice(2);
const ws = new WebSocket(`${url}/ws`);
const stage = (h) => `${h.count}/${h.p50}/${h.p99}/${h.max}`;
ws.on('open', () => {
  ws.send(JSON.stringify({ op: 'auth', user: `w${process.pid}` }));
  ws.send(JSON.stringify({ op: 'sub', id: '1', channel: 'sys:stats' }));
});
ws.on('message', (frame) => {
  const m = JSON.parse(frame);
  if (m.op !== 'msg') {
    console.log(JSON.stringify(m).slice(0, 200));
    return;
  }
  const s = m.data;
  const l = s.latency_us;
  console.log(`${new Date().toISOString().slice(11, 19)} t=${s.uptime_s.toFixed(0)} ` +
    `in=${s.rates.messages_in.toFixed(0)} pub=${s.rates.publishes.toFixed(0)} ` +
    `parse=${stage(l.parse)} route=${stage(l.route)} fanout=${stage(l.fanout)} send=${stage(l.send)}`);
});
setTimeout(() => process.exit(0), Number(seconds) * 1000);
