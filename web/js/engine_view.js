// Engine view: the sys:stats stream (docs/dashboard.md) as number tiles and live charts of the
// last 5 minutes: throughput, per-stage latency percentiles, connections, memory and each shard's
// CPU load. On (re)subscription the window is refilled from the channel's history.

import { SeriesChart, formatBytes, formatMicros, formatNumber } from './charts.js';

const CHANNEL = 'sys:stats';
const WINDOW_POINTS = 300;  // 5 minutes at one publication per second
// What each engine histogram times (docs/protocol.md "Metrics"). They overlap: route starts at
// receive, so it includes parse; fanout and send time live deliveries only.
const STAGES = [['parse', 'receive → parsed'], ['route', 'pub received → ack (route)'],
  ['fanout', 'sequenced → delivery starts (fan-out)'], ['send', 'delivery → frames queued (send)']];

const TILES = [
  ['connections', 'connections', (s) => formatNumber(s.connections.tcp)],
  ['authenticated', 'authenticated', (s) => formatNumber(s.connections.authenticated)],
  ['messages_in', 'messages in /s', (s) => formatNumber(s.rates.messages_in)],
  ['messages_out', 'messages out /s', (s) => formatNumber(s.rates.messages_out)],
  ['deliveries', 'deliveries /s', (s) => formatNumber(s.rates.deliveries)],
  ['publishes', 'publishes (acks) /s', (s) => formatNumber(s.rates.publishes)],
  ['frames_per_send', 'frames per send', (s) => formatNumber(s.frames_per_send, 2)],
  ['rss', 'memory (RSS)', (s) => formatBytes(s.memory.rss_bytes)],
  ['errors', 'errors /s', (s) => formatNumber(s.rates.errors)],
  ['uptime', 'uptime', (s) => `${Math.round(s.uptime_s)} s`],
];

export class EngineView {
  constructor(connection, root) {
    this.connection = connection;
    this.root = root;
    this.received = 0;
    this.lastTs = 0;
    this.tiles = new Map();
    this.latest = null;
    this.notice = document.createElement('p');
    this.notice.className = 'info';
    this.notice.textContent = 'waiting for sys:stats (published once a second)…';
    root.querySelector('#engine-tiles').before(this.notice);
    this.buildTiles(root.querySelector('#engine-tiles'));
    this.charts = null;
    this.chartsParent = root.querySelector('#engine-charts');
    connection.subscribe(CHANNEL, (msg) => this.add(msg.data), {
      onSubscribed: (reply) => this.backfill(reply.seq),
    });
  }

  buildTiles(parent) {
    for (const [key, label] of TILES) {
      const tile = document.createElement('div');
      tile.className = 'tile';
      tile.innerHTML = '<div class="label"></div><div class="value" data-key="">–</div>';
      tile.querySelector('.label').textContent = label;
      tile.querySelector('.value').dataset.key = key;
      parent.append(tile);
      this.tiles.set(key, tile.querySelector('.value'));
    }
  }

  buildCharts(shards) {
    const p = this.chartsParent;
    const opts = { maxPoints: WINDOW_POINTS };
    this.charts = {
      throughput: new SeriesChart(p, 'Throughput (per second)',
        ['messages in', 'messages out', 'deliveries', 'publishes'], opts),
      stages: STAGES.map(([, title]) => new SeriesChart(p, `Latency ${title}`,
        ['p50', 'p99', 'p99.9'], { ...opts, log: true, format: formatMicros })),
      connections: new SeriesChart(p, 'Connections', ['tcp', 'websocket', 'authenticated'], opts),
      memory: new SeriesChart(p, 'Memory', ['RSS', 'send queues'], { ...opts, format: formatBytes }),
      load: new SeriesChart(p, 'Shard CPU load (%)',
        Array.from({ length: shards }, (_, i) => `shard ${i}`), opts),
      sends: new SeriesChart(p, 'Sends', ['sends /s', 'frames per send'], opts),
    };
  }

  async backfill(lastSeq) {
    if (lastSeq === 0) return;
    try {
      const since = Math.max(0, lastSeq - WINDOW_POINTS);
      const messages = await this.connection.history(CHANNEL, WINDOW_POINTS, since);
      for (const m of messages) this.add(m.data, false);
      this.redraw();
    } catch (error) {
      console.warn(`hexwire: ${CHANNEL} history: ${error.message}`);
    }
  }

  /// One sys:stats payload. Points arrive in ts order except history merged after live ones:
  /// those older than the newest shown are skipped.
  add(stats, redraw = true) {
    if (!stats || typeof stats.ts !== 'number' || stats.ts <= this.lastTs) return;
    this.lastTs = stats.ts;
    this.received += 1;
    this.latest = stats;
    if (!this.charts) this.buildCharts(stats.shards);
    this.notice.textContent = '';
    const t = stats.ts / 1e6;
    const c = this.charts;
    c.throughput.push(t, {
      'messages in': stats.rates.messages_in, 'messages out': stats.rates.messages_out,
      deliveries: stats.rates.deliveries, publishes: stats.rates.publishes,
    }, false);
    STAGES.forEach(([key], i) => {
      const h = stats.latency_us[key];
      const has = h && h.count > 0;
      c.stages[i].push(t, { p50: has ? h.p50 : null, p99: has ? h.p99 : null,
        'p99.9': has ? h.p999 : null }, false);
    });
    c.connections.push(t, stats.connections, false);
    c.memory.push(t, { RSS: stats.memory.rss_bytes, 'send queues': stats.memory.send_queue_bytes },
      false);
    const load = {};
    for (const s of stats.shard_load) load[`shard ${s.shard}`] = s.cpu * 100;
    c.load.push(t, load, false);
    c.sends.push(t, { 'sends /s': stats.rates.sends, 'frames per send': stats.frames_per_send },
      false);
    if (redraw) this.redraw();
  }

  redraw() {
    if (!this.charts || !this.latest) return;
    for (const [key, , format] of TILES) this.tiles.get(key).textContent = format(this.latest);
    const c = this.charts;
    for (const chart of [c.throughput, ...c.stages, c.connections, c.memory, c.load, c.sends]) {
      chart.redraw();
    }
  }
}
