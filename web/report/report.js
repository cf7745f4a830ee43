// The hexwire-sim HTML report: draws one or more JSON reports (embedded by hexwire-sim as
// #hexwire-runs) with uPlot, inlined beside this script. The JSON is the source of truth; this
// page only draws it: throughput, latency percentiles over time per kind, the latency
// distribution and CDF from the full histogram with percentile markers, errors over time, the
// verification summary and the settings. window.hexwireReport lists every chart and its points.
(function () {
  'use strict';

  const runs = JSON.parse(document.getElementById('hexwire-runs').textContent);
  const root = document.getElementById('report');
  const charts = [];
  window.hexwireReport = { runs, charts };

  const COLORS = ['#1f6feb', '#d9480f', '#2f9e44', '#9c36b5', '#e03131', '#f08c00', '#0c8599', '#5c7cfa'];
  const DASHES = [[], [6, 3], [2, 2], [10, 4, 2, 4]];
  const PERCENTILES = [['p50', 'p50'], ['p90', 'p90'], ['p99', 'p99'], ['p99_9', 'p99.9']];

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    return node;
  }

  function fmtMicros(us) {
    if (us === null || us === undefined || Number.isNaN(us)) return '–';
    if (us >= 1e6) return `${(us / 1e6).toFixed(2)} s`;
    if (us >= 1e3) return `${(us / 1e3).toFixed(2)} ms`;
    return `${us.toFixed(us < 10 ? 2 : 0)} µs`;
  }

  function fmtNumber(v) {
    if (v === null || v === undefined || Number.isNaN(v)) return '–';
    const a = Math.abs(v);
    if (a >= 1e6) return `${(v / 1e6).toFixed(2)}M`;
    if (a >= 1e4) return `${(v / 1e3).toFixed(1)}k`;
    return Number.isInteger(v) ? String(v) : v.toFixed(1);
  }

  const label = (i) => runs[i].label;
  const many = runs.length > 1;

  function section(title, note) {
    const s = el('section', {}, el('h2', {}, title));
    if (note) s.append(el('p', { class: 'note' }, note));
    root.append(s);
    return s;
  }

  /// A uPlot chart; `series` = [{label, values, color, dash}], x shared. Records its points.
  function chart(parent, title, x, series, { xLabel = '', yLabel = '', logX = false, logY = false,
    xFormat = fmtNumber, yFormat = fmtNumber, step = false, markers = [] } = {}) {
    const box = el('div', { class: 'chart' }, el('h3', {}, title));
    parent.append(box);
    const width = () => Math.max(280, box.clientWidth - 20);
    const paths = step && uPlot.paths.stepped ? uPlot.paths.stepped({ align: 1 }) : undefined;
    const hooks = markers.length ? { draw: [(u) => drawMarkers(u, markers)] } : {};
    const plot = new uPlot({
      width: width(),
      height: 240,
      scales: { x: { time: false, distr: logX ? 3 : 1 }, y: logY ? { distr: 3 } : { auto: true } },
      axes: [
        { label: xLabel, values: (u, vals) => vals.map((v) => xFormat(v)) },
        { label: yLabel, size: 70, values: (u, vals) => vals.map((v) => yFormat(v)) },
      ],
      series: [{ label: xLabel || 'x', value: (u, v) => xFormat(v) }, ...series.map((s) => ({
        label: s.label, stroke: s.color, dash: s.dash, width: 1.5, paths,
        value: (u, v) => yFormat(v),
        // Dense series are lines; a few isolated samples (e.g. connects in one second) are dots.
        points: { show: s.values.filter((v) => v !== null && v !== undefined).length < 60, size: 5 },
      }))],
      hooks,
    }, [x, ...series.map((s) => s.values)], box);
    new ResizeObserver(() => plot.setSize({ width: width(), height: 240 })).observe(box);
    const points = series.reduce((n, s) => n + s.values.filter((v) => v !== null && v !== undefined).length, 0);
    charts.push({ title, points, series: series.length, plot, element: box });
    return plot;
  }

  function drawMarkers(u, markers) {
    const ctx = u.ctx;
    ctx.save();
    ctx.font = `${10 * devicePixelRatio}px sans-serif`;
    for (const m of markers) {
      const x = Math.round(u.valToPos(m.x, 'x', true));
      if (!Number.isFinite(x)) continue;
      ctx.strokeStyle = m.color;
      ctx.fillStyle = m.color;
      ctx.setLineDash([4, 3]);
      ctx.beginPath();
      ctx.moveTo(x, u.bbox.top);
      ctx.lineTo(x, u.bbox.top + u.bbox.height);
      ctx.stroke();
      ctx.fillText(m.label, x + 3, u.bbox.top + 12 * devicePixelRatio * (1 + (m.row || 0)));
    }
    ctx.restore();
  }

  // ---- time series ------------------------------------------------------------------------

  const seconds = Math.max(0, ...runs.map((r) => (r.report.intervals || []).length));
  const xs = Array.from({ length: seconds }, (_, i) => i);

  function perSecond(runIndex, pick) {
    const byIndex = new Map((runs[runIndex].report.intervals || []).map((row) => [row.second, row]));
    return xs.map((s) => {
      const row = byIndex.get(s);
      const v = row ? pick(row) : undefined;
      return v === undefined ? null : v;
    });
  }

  function counterKeys() {
    const skip = new Set(['second', 'connections', 'errors']);
    const keys = new Set();
    for (const r of runs) {
      for (const row of r.report.intervals || []) {
        for (const [k, v] of Object.entries(row)) if (typeof v === 'number' && !skip.has(k)) keys.add(k);
      }
    }
    return [...keys];
  }

  function latencyKinds() {
    const kinds = new Set();
    for (const r of runs) for (const k of Object.keys(r.report.latency_us || {})) kinds.add(k);
    return [...kinds];
  }

  function header() {
    const title = many ? `hexwire-sim: ${runs.length} runs compared` : `hexwire-sim: ${runs[0].report.scenario}`;
    root.append(el('h1', {}, title));
    const table = el('table', { class: 'summary' });
    const head = el('tr', {}, el('th', {}, ''));
    for (let i = 0; i < runs.length; i++) head.append(el('th', {}, label(i)));
    table.append(head);
    const row = (name, fn) => {
      const tr = el('tr', {}, el('th', {}, name));
      runs.forEach((r) => tr.append(el('td', {}, fn(r.report))));
      table.append(tr);
    };
    row('scenario', (r) => r.scenario);
    row('target', (r) => r.target);
    row('duration (measured)', (r) => `${r.duration_s.measured.toFixed(1)} s of ${r.duration_s.planned} s`);
    for (const [k, v] of Object.entries(runs[0].report.rates_per_s || {})) {
      row(`${k} /s`, (r) => fmtNumber((r.rates_per_s || {})[k]));
      void v;
    }
    for (const kind of latencyKinds()) {
      row(`${kind} p50 / p99 / p99.9 / max`, (r) => {
        const l = (r.latency_us || {})[kind];
        return l ? [l.p50, l.p99, l.p99_9, l.max].map(fmtMicros).join(' / ') : '–';
      });
    }
    row('errors', (r) => fmtNumber(r.errors.total));
    row('verification', (r) => (r.verification ? (r.verification.clean ? 'clean' : 'ANOMALIES') : 'not verified'));
    root.append(table);
  }

  function throughput() {
    const s = section('Throughput over time', 'Messages per second, from the per-second intervals.');
    const series = [];
    counterKeys().forEach((key, k) => runs.forEach((r, i) => series.push({
      label: many ? `${label(i)} ${key}` : key, values: perSecond(i, (row) => row[key]),
      color: COLORS[k % COLORS.length], dash: DASHES[i % DASHES.length],
    })));
    chart(s, 'Messages per second', xs, series, { xLabel: 'second' });
    const conns = runs.map((r, i) => ({ label: many ? `${label(i)} connections` : 'connections',
      values: perSecond(i, (row) => row.connections), color: COLORS[i % COLORS.length], dash: [] }));
    chart(s, 'Open connections', xs, conns, { xLabel: 'second' });
  }

  function latencyOverTime() {
    const s = section('Latency percentiles over time',
      'Per second, from the full histogram of that second, measured from the intended send time.');
    for (const kind of latencyKinds()) {
      const series = [];
      const keys = [['p50', 'p50'], ['p90', 'p90'], ['p99', 'p99'], ['p99_9', 'p99.9'], ['max', 'max']];
      keys.forEach(([key, name], k) => runs.forEach((r, i) => {
        const values = perSecond(i, (row) => (row[kind] ? row[kind][key] : undefined));
        if (values.every((v) => v === null)) return;
        series.push({ label: many ? `${label(i)} ${name}` : name, values,
          color: COLORS[k % COLORS.length], dash: DASHES[i % DASHES.length] });
      }));
      if (series.length) chart(s, `${kind} latency`, xs, series, { xLabel: 'second', logY: true, yFormat: fmtMicros });
    }
  }

  // ---- distributions ----------------------------------------------------------------------

  function distributions() {
    const s = section('Latency distribution',
      'From every bucket of the run\'s full histogram (1% wide): share of samples per bucket, and ' +
      'the cumulative distribution with the report\'s percentiles marked.');
    for (const kind of latencyKinds()) {
      const perRun = runs.map((r) => ((r.report.latency_histograms_us || {})[kind] || {}).buckets || null);
      if (perRun.every((b) => !b)) {
        s.append(el('p', { class: 'note' }, `${kind}: this report has no histogram buckets ` +
          '(written by a hexwire-sim without latency_histograms_us).'));
        continue;
      }
      // One x axis: every bucket upper bound of every run.
      const xsSet = new Set();
      for (const b of perRun) if (b) for (const [, upper] of b) xsSet.add(Math.max(upper, 0.001));
      const x = [...xsSet].sort((a, b) => a - b);
      const index = new Map(x.map((v, i) => [v, i]));
      const shares = [];
      const cdfs = [];
      perRun.forEach((buckets, i) => {
        const share = x.map(() => null);
        const cdf = x.map(() => null);
        if (buckets) {
          const total = buckets.reduce((n, b) => n + b[2], 0);
          let running = 0;
          for (const [, upper, count] of buckets) {
            running += count;
            const at = index.get(Math.max(upper, 0.001));
            share[at] = (100 * count) / total;
            cdf[at] = (100 * running) / total;
          }
          // carry the CDF across buckets of other runs, so each line is continuous
          let last = null;
          for (let k = 0; k < cdf.length; k++) {
            if (cdf[k] === null) cdf[k] = last;
            else last = cdf[k];
          }
        }
        shares.push({ label: many ? label(i) : 'share of samples', values: share,
          color: COLORS[i % COLORS.length], dash: [] });
        cdfs.push({ label: many ? label(i) : 'cumulative', values: cdf,
          color: COLORS[i % COLORS.length], dash: [] });
      });
      const markers = [];
      runs.forEach((r, i) => {
        const l = (r.report.latency_us || {})[kind];
        if (!l) return;
        PERCENTILES.forEach(([key, name], k) => {
          if (l[key] > 0) markers.push({ x: l[key], label: many ? `${name} (${i + 1})` : name,
            color: COLORS[i % COLORS.length], row: k });
        });
      });
      const pct = (v) => (v === null || v === undefined ? '–' : `${v.toFixed(v < 1 ? 2 : 0)}%`);
      chart(s, `${kind}: histogram`, x, shares, { xLabel: 'latency', logX: true, xFormat: fmtMicros,
        yFormat: pct, step: true, markers });
      chart(s, `${kind}: CDF`, x, cdfs, { xLabel: 'latency', logX: true, xFormat: fmtMicros,
        yFormat: pct, markers });
    }
  }

  function errors() {
    const s = section('Errors over time', 'Errors per second by kind (docs/simulator.md, "Error kinds").');
    const kinds = new Set();
    for (const r of runs) for (const row of r.report.intervals || []) for (const k of Object.keys(row.errors_by_kind || {})) kinds.add(k);
    const series = [];
    runs.forEach((r, i) => {
      series.push({ label: many ? `${label(i)} all errors` : 'all errors', values: perSecond(i, (row) => row.errors),
        color: COLORS[i % COLORS.length], dash: [] });
      [...kinds].forEach((kind, k) => series.push({ label: many ? `${label(i)} ${kind}` : kind,
        values: perSecond(i, (row) => (row.errors_by_kind || {})[kind] || 0),
        color: COLORS[(k + 1) % COLORS.length], dash: DASHES[(i + 1) % DASHES.length] }));
    });
    chart(s, 'Errors per second', xs, series, { xLabel: 'second' });
    const totals = el('table', { class: 'kv' });
    const kindsAll = Object.keys(runs[0].report.errors || {});
    totals.append(el('tr', {}, el('th', {}, 'kind'), ...runs.map((r, i) => el('th', {}, label(i)))));
    for (const k of kindsAll) totals.append(el('tr', {}, el('th', {}, k), ...runs.map((r) => el('td', {}, fmtNumber(r.report.errors[k])))));
    s.append(totals);
  }

  function keyValueTable(parent, rows) {
    const keys = new Set();
    rows.forEach((obj) => Object.keys(obj || {}).forEach((k) => keys.add(k)));
    const table = el('table', { class: 'kv' });
    table.append(el('tr', {}, el('th', {}, ''), ...runs.map((r, i) => el('th', {}, label(i)))));
    for (const k of keys) {
      table.append(el('tr', {}, el('th', {}, k), ...rows.map((obj) => el('td', {}, obj && k in obj ? String(obj[k]) : '–'))));
    }
    parent.append(table);
  }

  function verification() {
    const s = section('Verification', 'Whether every message reached every subscriber exactly once and in order (--verify).');
    if (runs.every((r) => !r.report.verification)) {
      s.append(el('p', { class: 'note' }, 'Not verified: run hexwire-sim with --verify.'));
      return;
    }
    keyValueTable(s, runs.map((r) => r.report.verification || { verified: 'no' }));
  }

  function settings() {
    const s = section('Settings', 'The flags each run used, as hexwire-sim recorded them.');
    keyValueTable(s, runs.map((r) => ({ seed: r.report.seed, arrival: r.report.arrival, ...r.report.settings })));
  }

  header();
  throughput();
  latencyOverTime();
  distributions();
  errors();
  verification();
  settings();
})();
