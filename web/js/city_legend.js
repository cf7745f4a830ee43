// Colours and legend of the City map: one ramp per mode (drivers, open requests, surge) and the
// line styles of trips by status.

const RAMPS = {
  drivers: [[20, 60, 120], [40, 160, 255], [180, 240, 255]],
  requests: [[60, 30, 90], [190, 80, 200], [255, 190, 250]],
  surge: [[40, 160, 80], [230, 190, 40], [240, 60, 50]],
};

const TITLES = {
  drivers: 'available drivers per cell',
  requests: 'open requests per res-7 cell (surge demand)',
  surge: 'surge multiplier per res-7 cell',
};

const WAITING = { color: 'rgba(251, 191, 36, 0.9)', dash: [4, 4], label: 'trip waiting for a driver' };
const PICKUP = { color: 'rgba(196, 181, 253, 0.95)', dash: [8, 4], label: 'trip, driver on the way' };
const RIDING = { color: 'rgba(74, 222, 128, 0.95)', dash: [], label: 'trip, rider on board' };
const ENDED_STYLE = { color: 'rgba(148, 163, 184, 0.45)', dash: [2, 4], label: 'trip ended' };
/// Trip line style per trip status (docs/dispatch-protocol.md); `ended` for the terminal ones.
export const TRIP_STYLES = {
  requested: WAITING, offered: WAITING, matched: PICKUP, arrived: PICKUP, on_trip: RIDING,
  completed: ENDED_STYLE, cancelled: ENDED_STYLE, unmatched: ENDED_STYLE, ended: ENDED_STYLE,
};

/// The colour at fraction t (clamped to [0, 1]) of the mode's ramp, with alpha.
export function rampColor(mode, t, alpha = 1) {
  const stops = RAMPS[mode];
  const x = Math.max(0, Math.min(1, t)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  const c = stops[i].map((v, k) => Math.round(v + (stops[i + 1][k] - v) * f));
  return `rgba(${c[0]}, ${c[1]}, ${c[2]}, ${alpha})`;
}

export function drawLegend(element, mode, lo, hi, resolution) {
  const stops = [0, 0.5, 1].map((t) => rampColor(mode, t)).join(', ');
  const fmt = (v) => (mode === 'surge' ? `${v.toFixed(1)}×` : `${Math.round(v)}`);
  const title = mode === 'drivers' ? `${TITLES.drivers} (res ${resolution})` : TITLES[mode];
  const key = `${mode}|${lo}|${hi}|${resolution}`;
  if (element.dataset.key === key) return;
  element.dataset.key = key;
  element.innerHTML = `<div></div><div class="ramp"></div><div class="ends"><span></span><span></span></div>
    <div class="row"><span class="dot"></span>driver (available)</div>
    <div class="row"><span class="line"></span>driver track, last 60 s</div>` +
    [WAITING, PICKUP, RIDING, ENDED_STYLE].map((style) =>
      `<div class="row"><span class="trip" style="border-top-color: ${style.color};` +
      ` border-top-style: ${style.dash.length ? 'dashed' : 'solid'}"></span>${style.label}</div>`).join('');
  element.firstElementChild.textContent = title;
  element.querySelector('.ramp').style.background = `linear-gradient(to right, ${stops})`;
  const [low, high] = element.querySelectorAll('.ends span');
  low.textContent = fmt(lo);
  high.textContent = `${fmt(hi)}${mode === 'surge' ? '+' : ''}`;
}
