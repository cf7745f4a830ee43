// Simulations view: a sim:<name> stream drawn as its key plots, live. Each message's data names a
// plot and carries one point per series (format in docs/dashboard.md, "sim: streams"); a plot is
// created the first time its id appears. The channel's retained history is drawn first.

import { SeriesChart } from './charts.js';

const MAX_POINTS = 2000;

export class SimsView {
  constructor(connection, root) {
    this.connection = connection;
    this.input = root.querySelector('#sims-channel');
    this.info = root.querySelector('#sims-info');
    this.parent = root.querySelector('#sims-charts');
    this.plots = new Map();  // plot id -> {chart, names}
    this.channel = null;
    this.handler = (msg) => this.add(msg);
    this.points = 0;
    root.querySelector('#sims-watch').addEventListener('click', () => this.watch(this.input.value.trim()));
    this.input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') this.watch(this.input.value.trim());
    });
    const fromHash = new URLSearchParams(location.hash.split('?')[1] || '').get('channel');
    this.watch(fromHash || this.input.value.trim());
  }

  watch(channel) {
    if (!channel.startsWith('sim:')) {
      this.info.textContent = 'a simulation stream is named sim:<case>';
      return;
    }
    if (this.channel) this.connection.unsubscribe(this.channel, this.handler);
    this.channel = channel;
    this.input.value = channel;
    this.parent.replaceChildren();
    this.plots.clear();
    this.points = 0;
    this.info.textContent = `waiting for ${channel}…`;
    this.connection.subscribe(channel, this.handler, {
      resume: true,
      onSubscribed: (reply) => this.backfill(channel, reply.seq),
    });
  }

  async backfill(channel, seq) {
    if (seq === 0 || this.points > 0) return;
    try {
      const messages = await this.connection.history(channel, MAX_POINTS, Math.max(0, seq - MAX_POINTS));
      if (channel !== this.channel || this.points > 0) return;
      for (const m of messages) this.add(m, false);
      for (const { chart } of this.plots.values()) chart.redraw();
    } catch (error) {
      console.warn(`hexwire: ${channel} history: ${error.message}`);
    }
  }

  add(msg, redraw = true) {
    const d = msg.data;
    if (!d || typeof d !== 'object' || typeof d.series !== 'object' || d.series === null) return;
    const id = String(d.plot || 'progress');
    let plot = this.plots.get(id);
    if (!plot) {
      const names = Object.keys(d.series);
      const time = typeof d.x !== 'number';
      const chart = new SeriesChart(this.parent, d.title || id, names, {
        maxPoints: MAX_POINTS, time, xLabel: d.x_label || '', yLabel: d.y_label || '',
        step: d.style === 'step',
      });
      plot = { chart, names, time };
      this.plots.set(id, plot);
    }
    const x = plot.time ? msg.ts / 1e6 : d.x;
    plot.chart.push(x, d.series, redraw);
    this.points += 1;
    this.info.textContent = `${this.channel}: ${this.points} points in ${this.plots.size} plot(s)`;
  }
}
