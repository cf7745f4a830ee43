// City view: a canvas map of hexagons (h3-js outlines) coloured by available drivers, open
// requests or surge, with drivers as dots, their recent tracks, and trips as pickup → destination
// lines, live from the cell:<res-7> and surge:<res-7> channels of the visible area
// (docs/dispatch-protocol.md).
// Pan by dragging, zoom with the wheel or the buttons; projection in map_projection.js.

import { Projection } from './map_projection.js';
import { TRIP_STYLES, drawLegend, rampColor } from './city_legend.js';

const ENGINE_RES = 7;          // the engine publishes cell: and surge: per res-7 cell
const MAX_WATCHED_CELLS = 150; // 2 subscriptions each; the engine allows 1,000 per connection
const DRIVER_TTL_MS = 15_000;  // a driver not heard of for this long is no longer shown
const TRACK_MS = 60_000;       // track length kept per driver
const TRIP_TTL_MS = 600_000;   // a trip not heard of for this long (its cell left the view) goes
const ENDED_TRIP_MS = 5_000;   // a completed, cancelled or unmatched trip stays this long, faded
const ENDED = new Set(['completed', 'cancelled', 'unmatched']);
const MIN_SCALE = 300;         // pixels per degree of latitude
const MAX_SCALE = 400_000;
const SF = [37.765, -122.44];  // hexwire-sim's city (docs/simulator.md)

export class CityView {
  constructor(connection, root) {
    this.connection = connection;
    this.canvas = root.querySelector('#city-map');
    this.legend = root.querySelector('#city-legend');
    this.info = root.querySelector('#city-info');
    this.modeSelect = root.querySelector('#city-mode');
    this.resSelect = root.querySelector('#city-res');
    this.projection = new Projection(SF[0], SF[1], 7000);
    this.drivers = new Map();   // driver -> {lat, lng, heading, seen, track: [[lat, lng, t]]}
    this.surge = new Map();     // res-7 cell -> {multiplier, supply, demand, seen}
    this.trips = new Map();     // trip -> {status, driver, pickup: [lat, lng], destination, seen}
    this.watched = new Set();   // res-7 cells subscribed
    this.boundaries = new Map(); // cell -> [[lat, lng]] (cache)
    this.handlers = {
      // cell: carries driver positions and, in a pickup's cell, trips (they have `trip`)
      cell: (m) => (m.data && typeof m.data.trip === 'string' ? this.onTrip(m) : this.onPosition(m)),
      surge: (m) => this.onSurge(m),
    };
    this.dirty = true;
    this.visible = false;
    this.bindInput(root);
    new ResizeObserver(() => this.resize()).observe(this.canvas);
    setInterval(() => this.expire(), 1000);
    const frame = () => {
      if (this.dirty && this.visible) this.draw();
      requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  }

  get mode() {
    return this.modeSelect.value;
  }

  get resolution() {
    return Number(this.resSelect.value);
  }

  show(visible) {
    this.visible = visible;
    if (visible) {
      this.resize();
      this.updateWatched();
    }
  }

  bindInput(root) {
    let drag = null;
    this.canvas.addEventListener('pointerdown', (e) => {
      drag = { x: e.clientX, y: e.clientY };
      this.canvas.setPointerCapture(e.pointerId);
    });
    this.canvas.addEventListener('pointermove', (e) => {
      if (!drag) return;
      this.projection.pan(e.clientX - drag.x, e.clientY - drag.y);
      drag = { x: e.clientX, y: e.clientY };
      this.viewChanged();
    });
    this.canvas.addEventListener('pointerup', () => { drag = null; });
    this.canvas.addEventListener('wheel', (e) => {
      e.preventDefault();
      const rect = this.canvas.getBoundingClientRect();
      this.zoom(e.deltaY < 0 ? 1.25 : 0.8, e.clientX - rect.left, e.clientY - rect.top);
    }, { passive: false });
    root.querySelector('#city-zoom-in').addEventListener('click', () => this.zoom(1.5));
    root.querySelector('#city-zoom-out').addEventListener('click', () => this.zoom(1 / 1.5));
    this.modeSelect.addEventListener('change', () => { this.dirty = true; });
    this.resSelect.addEventListener('change', () => { this.dirty = true; });
  }

  zoom(factor, x = this.projection.width / 2, y = this.projection.height / 2) {
    this.projection.zoomAt(factor, x, y, MIN_SCALE, MAX_SCALE);
    this.viewChanged();
  }

  viewChanged() {
    this.dirty = true;
    clearTimeout(this.watchTimer);
    this.watchTimer = setTimeout(() => this.updateWatched(), 250);
  }

  resize() {
    const rect = this.canvas.getBoundingClientRect();
    if (rect.width === 0) return;
    const dpr = window.devicePixelRatio || 1;
    this.canvas.width = Math.round(rect.width * dpr);
    this.canvas.height = Math.round(rect.height * dpr);
    this.projection.resize(rect.width, rect.height);
    this.dirty = true;
  }

  /// Subscribes to cell:/surge: of the res-7 cells covering the view (nearest the centre first,
  /// at most MAX_WATCHED_CELLS) and unsubscribes from the rest.
  updateWatched() {
    const [south, west, north, east] = this.projection.bounds(0.1);
    const polygon = [[south, west], [north, west], [north, east], [south, east]];
    let cells = [];
    try {
      cells = h3.polygonToCells(polygon, ENGINE_RES);
    } catch {
      cells = [];
    }
    const p = this.projection;
    const distance = (cell) => {
      const [lat, lng] = h3.cellToLatLng(cell);
      return (lat - p.lat) ** 2 + ((lng - p.lng) * Math.cos((p.lat * Math.PI) / 180)) ** 2;
    };
    if (cells.length > MAX_WATCHED_CELLS) {
      cells = cells.map((c) => [distance(c), c]).sort((a, b) => a[0] - b[0])
        .slice(0, MAX_WATCHED_CELLS).map(([, c]) => c);
    }
    const next = new Set(cells);
    for (const cell of this.watched) {
      if (!next.has(cell)) {
        this.connection.unsubscribe(`cell:${cell}`, this.handlers.cell);
        this.connection.unsubscribe(`surge:${cell}`, this.handlers.surge);
      }
    }
    for (const cell of next) {
      if (!this.watched.has(cell)) {
        this.connection.subscribe(`cell:${cell}`, this.handlers.cell);
        this.connection.subscribe(`surge:${cell}`, this.handlers.surge, {
          onSubscribed: (reply) => this.lastSurge(cell, reply.seq),
        });
      }
    }
    this.watched = next;
    this.dirty = true;
  }

  /// Surge is published only when it changes: the last retained value is the current one.
  async lastSurge(cell, seq) {
    if (seq === 0) return;
    try {
      const [last] = await this.connection.history(`surge:${cell}`, 1, seq - 1);
      if (last) this.onSurge(last);
    } catch {
      // not connected any more: the next subscription asks again
    }
  }

  onPosition(msg) {
    const d = msg.data;
    if (!d || typeof d.lat !== 'number' || typeof d.lng !== 'number') return;
    const now = Date.now();
    let driver = this.drivers.get(d.driver);
    if (!driver) {
      driver = { track: [] };
      this.drivers.set(d.driver, driver);
    }
    Object.assign(driver, { lat: d.lat, lng: d.lng, heading: d.heading || 0, seen: now });
    driver.track.push([d.lat, d.lng, now]);
    this.dirty = true;
  }

  onTrip(msg) {
    const d = msg.data;
    const point = (p) => (p && typeof p.lat === 'number' && typeof p.lng === 'number'
      ? [p.lat, p.lng] : null);
    const pickup = point(d.pickup);
    const destination = point(d.destination);
    if (!pickup || !destination || typeof d.status !== 'string') return;
    this.trips.set(d.trip, { status: d.status, driver: d.driver || '', pickup, destination,
      seen: Date.now() });
    this.dirty = true;
  }

  onSurge(msg) {
    const cell = msg.channel.slice('surge:'.length);
    const d = msg.data;
    if (!d || typeof d.multiplier !== 'number') return;
    this.surge.set(cell, { multiplier: d.multiplier, supply: d.supply, demand: d.demand, seen: Date.now() });
    this.dirty = true;
  }

  expire() {
    const now = Date.now();
    for (const [id, driver] of this.drivers) {
      if (now - driver.seen > DRIVER_TTL_MS) this.drivers.delete(id);
      else driver.track = driver.track.filter(([, , t]) => now - t <= TRACK_MS);
    }
    for (const [id, trip] of this.trips) {
      const ttl = ENDED.has(trip.status) ? ENDED_TRIP_MS : TRIP_TTL_MS;
      if (now - trip.seen > ttl) this.trips.delete(id);
    }
    if (this.boundaries.size > 20_000) this.boundaries.clear();
    this.dirty = true;
  }

  boundary(cell) {
    let b = this.boundaries.get(cell);
    if (!b) {
      b = h3.cellToBoundary(cell);
      this.boundaries.set(cell, b);
    }
    return b;
  }

  /// Values per cell for the current mode: Map cell -> number, and the cells' resolution.
  cellValues() {
    const values = new Map();
    if (this.mode === 'drivers') {
      for (const d of this.drivers.values()) {
        const cell = h3.latLngToCell(d.lat, d.lng, this.resolution);
        values.set(cell, (values.get(cell) || 0) + 1);
      }
      return values;
    }
    for (const [cell, s] of this.surge) {
      if (!this.watched.has(cell)) continue;
      values.set(cell, this.mode === 'surge' ? s.multiplier : s.demand);
    }
    return values;
  }

  scaleRange(values) {
    if (this.mode === 'surge') return [1, 3];
    let max = this.mode === 'drivers' ? 3 : 5;
    for (const v of values.values()) max = Math.max(max, v);
    return [0, max];
  }

  /// Each trip as a line from its pickup (ring) to its destination (square), styled by status:
  /// waiting for a driver, driver on the way, rider on board; ended trips fade out.
  drawTrips(ctx) {
    const p = this.projection;
    for (const trip of this.trips.values()) {
      const style = TRIP_STYLES[trip.status] || TRIP_STYLES.ended;
      const [x0, y0] = p.toScreen(trip.pickup[0], trip.pickup[1]);
      const [x1, y1] = p.toScreen(trip.destination[0], trip.destination[1]);
      ctx.strokeStyle = style.color;
      ctx.fillStyle = style.color;
      ctx.lineWidth = 2;
      ctx.setLineDash(style.dash);
      ctx.beginPath();
      ctx.moveTo(x0, y0);
      ctx.lineTo(x1, y1);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.beginPath();
      ctx.arc(x0, y0, 4, 0, 2 * Math.PI);
      ctx.stroke();
      ctx.fillRect(x1 - 3, y1 - 3, 6, 6);
    }
  }

  draw() {
    this.dirty = false;
    const ctx = this.canvas.getContext('2d');
    const dpr = window.devicePixelRatio || 1;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const p = this.projection;
    ctx.fillStyle = '#0b1016';
    ctx.fillRect(0, 0, p.width, p.height);
    const path = (cell) => {
      ctx.beginPath();
      this.boundary(cell).forEach(([lat, lng], i) => {
        const [x, y] = p.toScreen(lat, lng);
        if (i === 0) ctx.moveTo(x, y);
        else ctx.lineTo(x, y);
      });
      ctx.closePath();
    };
    ctx.strokeStyle = '#1f2a36';
    ctx.lineWidth = 1;
    for (const cell of this.watched) {
      path(cell);
      ctx.stroke();
    }
    const values = this.cellValues();
    const [lo, hi] = this.scaleRange(values);
    for (const [cell, v] of values) {
      path(cell);
      ctx.fillStyle = rampColor(this.mode, (v - lo) / (hi - lo || 1), 0.55);
      ctx.fill();
    }
    ctx.strokeStyle = 'rgba(125, 211, 252, 0.6)';
    ctx.lineWidth = 1.5;
    for (const d of this.drivers.values()) {
      if (d.track.length < 2) continue;
      ctx.beginPath();
      d.track.forEach(([lat, lng], i) => {
        const [x, y] = p.toScreen(lat, lng);
        if (i === 0) ctx.moveTo(x, y);
        else ctx.lineTo(x, y);
      });
      ctx.stroke();
    }
    this.drawTrips(ctx);
    ctx.fillStyle = '#ffffff';
    for (const d of this.drivers.values()) {
      const [x, y] = p.toScreen(d.lat, d.lng);
      ctx.beginPath();
      ctx.arc(x, y, 3, 0, 2 * Math.PI);
      ctx.fill();
    }
    drawLegend(this.legend, this.mode, lo, hi, this.resolution);
    this.info.textContent = `${this.drivers.size} drivers · ${this.trips.size} trips · ` +
      `${this.watched.size} res-7 cells watched` +
      ` · ${Math.round(p.metresPerPixel() * 100)} m per 100 px`;
  }
}
