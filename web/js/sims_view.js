// Simulations view: a sim:<case> stream drawn live as its key plot. The events are those of the
// case-study runs (docs/cases/README.md, schema hexwire-case-event/1): `start` names the plot
// (x column, y columns, log scale) and the run's parameters, each `sample` adds one point,
// `note` and `figure` fill the lists beside it, `end` closes the run. The channel's retained
// history is drawn first, so a run that began before the page opened is shown whole.

import { SeriesChart } from './charts.js';

const MAX_POINTS = 5000;
const SCHEMA = 'hexwire-case-event/';

export class SimsView {
  constructor(connection, root) {
    this.connection = connection;
    this.input = root.querySelector('#sims-channel');
    this.info = root.querySelector('#sims-info');
    this.parent = root.querySelector('#sims-charts');
    this.runs = new Map();  // run id -> {chart, plot, figures, notes, status}
    this.channel = null;
    this.points = 0;
    this.handler = (msg) => this.add(msg.data);
    root.querySelector('#sims-watch').addEventListener('click', () => this.watch(this.input.value.trim()));
    this.input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') this.watch(this.input.value.trim());
    });
    const fromHash = new URLSearchParams(location.hash.split('?')[1] || '').get('channel');
    this.watch(fromHash || this.input.value.trim());
  }

  watch(channel) {
    if (!/^sim:[A-Za-z0-9_.:@-]+$/.test(channel)) {
      this.info.textContent = 'a simulation stream is named sim:<case>, e.g. sim:dynamo';
      return;
    }
    if (this.channel) this.connection.unsubscribe(this.channel, this.handler);
    this.channel = channel;
    this.input.value = channel;
    this.parent.replaceChildren();
    this.runs.clear();
    this.points = 0;
    this.info.textContent = `waiting for ${channel} (hexwire-sim <case> … --url publishes there)…`;
    this.connection.subscribe(channel, this.handler, {
      resume: true,
      onSubscribed: (reply) => this.backfill(channel, reply.seq),
    });
  }

  async backfill(channel, seq) {
    if (seq === 0 || this.runs.size > 0) return;
    try {
      const messages = await this.connection.history(channel, MAX_POINTS, Math.max(0, seq - MAX_POINTS));
      if (channel !== this.channel || this.runs.size > 0) return;
      for (const m of messages) this.add(m.data, false);
      for (const run of this.runs.values()) run.chart.redraw();
    } catch (error) {
      console.warn(`hexwire: ${channel} history: ${error.message}`);
    }
  }

  add(event, redraw = true) {
    if (!event || typeof event !== 'object' || typeof event.schema !== 'string' ||
        !event.schema.startsWith(SCHEMA)) {
      return;
    }
    if (event.type === 'start') {
      this.start(event);
      return;
    }
    const run = this.runs.get(event.run);
    if (!run) return;  // its start is older than the retained history
    if (event.type === 'sample' && event.values) {
      const x = event.values[run.plot.x];
      if (typeof x !== 'number') return;
      const values = {};
      for (const name of run.plot.y) values[name] = event.values[name];
      run.chart.push(x, values, redraw);
      this.points += 1;
    } else if (event.type === 'note') {
      this.line(run.notes, `t=${event.t} s: ${event.text}`);
    } else if (event.type === 'figure') {
      const verdict = event.ok ? '✓' : '✗';
      this.line(run.figures, `${verdict} ${event.name}: ${event.measured}${event.unit || ''} ` +
        `(reference ${event.reference}, ${event.compare} ${event.tolerance})`, event.ok ? 'ok' : 'miss');
    } else if (event.type === 'end') {
      run.status.textContent = `finished: ${event.figures} figures, ${event.misses} missed, ` +
        `${event.sim_s} s simulated in ${event.wall_s} s`;
    }
    this.info.textContent = `${this.channel}: ${this.runs.size} run(s), ${this.points} samples`;
  }

  start(event) {
    const plot = event.plot || {};
    const y = Array.isArray(plot.y) ? plot.y : [];
    if (!plot.x || y.length === 0 || this.runs.has(event.run)) return;
    const box = document.createElement('div');
    box.className = 'run';
    this.parent.prepend(box);
    const chart = new SeriesChart(box, `${event.case} ${event.experiment}: ${plot.title || ''}`, y, {
      maxPoints: MAX_POINTS, time: false, log: Boolean(plot.log_y), xLabel: plot.x,
    });
    const status = document.createElement('p');
    status.className = 'info';
    const params = Object.entries(event.params || {}).map(([k, v]) => `${k}=${v}`).join(' ');
    status.textContent = `${event.mode || ''} run, seed ${event.seed}: ${params}`;
    const figures = document.createElement('ul');
    figures.className = 'figures';
    const notes = document.createElement('ul');
    notes.className = 'notes';
    box.append(status, figures, notes);
    this.runs.set(event.run, { chart, plot: { x: plot.x, y }, figures, notes, status });
    this.info.textContent = `${this.channel}: ${this.runs.size} run(s)`;
  }

  line(list, text, className = '') {
    const item = document.createElement('li');
    item.textContent = text;
    if (className) item.className = className;
    list.append(item);
  }
}
