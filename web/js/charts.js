// Small helpers around uPlot (global `uPlot`, from npm via vendor/): a titled time-series chart
// that keeps a bounded window of points and follows its container's width, and number formats.

const PALETTE = ['#4aa8ff', '#f0883e', '#3fb950', '#d2a8ff', '#f85149', '#e3b341', '#56d4dd',
  '#ff7b72', '#a5d6ff', '#7ee787', '#ffa657', '#bc8cff'];

export function color(i) {
  return PALETTE[i % PALETTE.length];
}

export function formatNumber(v, digits = 1) {
  if (v === null || v === undefined || Number.isNaN(v)) return '–';
  const a = Math.abs(v);
  if (a >= 1e9) return `${(v / 1e9).toFixed(digits)}G`;
  if (a >= 1e6) return `${(v / 1e6).toFixed(digits)}M`;
  if (a >= 1e4) return `${(v / 1e3).toFixed(digits)}k`;
  if (a >= 100 || Number.isInteger(v)) return `${Math.round(v)}`;
  return v.toFixed(digits);
}

export function formatBytes(v) {
  if (!v) return '0 B';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i += 1;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

export function formatMicros(us) {
  if (us === null || us === undefined) return '–';
  if (us >= 1e6) return `${(us / 1e6).toFixed(2)} s`;
  if (us >= 1e3) return `${(us / 1e3).toFixed(2)} ms`;
  return `${us.toFixed(us < 10 ? 1 : 0)} µs`;
}

/// A chart of `series` (names) against x, keeping at most `maxPoints`. Options: time (x is Unix
/// seconds), log (log-scale y), yLabel, format (value formatter for the axis), step.
export class SeriesChart {
  constructor(parent, title, series, { maxPoints = 300, time = true, log = false, yLabel = '',
    xLabel = '', format = formatNumber, step = false } = {}) {
    this.maxPoints = maxPoints;
    this.names = [...series];
    this.element = document.createElement('div');
    this.element.className = 'chart';
    const heading = document.createElement('h2');
    heading.textContent = title;
    this.element.append(heading);
    parent.append(this.element);
    this.data = [[], ...this.names.map(() => [])];
    const paths = step && uPlot.paths.stepped ? uPlot.paths.stepped({ align: 1 }) : undefined;
    this.plot = new uPlot({
      width: this.width(),
      height: 200,
      scales: { x: { time }, y: log ? { distr: 3 } : { auto: true } },
      axes: [
        { stroke: '#8a96a3', grid: { stroke: '#2a3440' }, label: xLabel || undefined },
        { stroke: '#8a96a3', grid: { stroke: '#2a3440' }, label: yLabel || undefined,
          size: 72, values: (u, values) => values.map((v) => format(v)) },
      ],
      series: [{}, ...this.names.map((name, i) => ({
        label: name, stroke: color(i), width: 1.5, paths,
        value: (u, v) => format(v),
      }))],
    }, this.data, this.element);
    this.resizeObserver = new ResizeObserver(() => this.plot.setSize({ width: this.width(), height: 200 }));
    this.resizeObserver.observe(this.element);
  }

  width() {
    return Math.max(200, (this.element.clientWidth || 400) - 16);
  }

  /// Appends one point: x and an object of series name -> value (missing: gap).
  push(x, values, redraw = true) {
    this.data[0].push(x);
    this.names.forEach((name, i) => {
      const v = values[name];
      this.data[i + 1].push(v === undefined || v === null || Number.isNaN(v) ? null : v);
    });
    if (this.data[0].length > this.maxPoints) {
      for (const column of this.data) column.splice(0, column.length - this.maxPoints);
    }
    if (redraw) this.redraw();
  }

  clear() {
    for (const column of this.data) column.length = 0;
    this.redraw();
  }

  redraw() {
    this.plot.setData(this.data);
  }

  /// Points held (for tests and the "no data yet" notes).
  get length() {
    return this.data[0].length;
  }
}
