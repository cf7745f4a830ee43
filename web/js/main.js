// Entry point of the dashboard: one connection, four views, hash navigation (#city, #engine,
// #sims, #channels) and the connection badge. window.hexwireDashboard exposes the views to the
// browser tests (tests/browser/) and to curious users in the console.

import { connectionFromPage } from './connection.js';
import { CityView } from './city_view.js';
import { EngineView } from './engine_view.js';
import { SimsView } from './sims_view.js';
import { ChannelsView } from './channels_view.js';

const connection = connectionFromPage(window.location);
const root = document;
const views = {
  city: new CityView(connection, root.querySelector('#view-city')),
  engine: new EngineView(connection, root.querySelector('#view-engine')),
  sims: new SimsView(connection, root.querySelector('#view-sims')),
  channels: new ChannelsView(connection, root.querySelector('#view-channels')),
};

function showView() {
  const name = (location.hash.slice(1).split('?')[0]) || 'city';
  const current = views[name] ? name : 'city';
  for (const section of document.querySelectorAll('.view')) {
    section.classList.toggle('active', section.id === `view-${current}`);
  }
  for (const link of document.querySelectorAll('nav a')) {
    link.classList.toggle('active', link.dataset.view === current);
  }
  views.city.show(current === 'city');
}

const status = document.querySelector('#status');
connection.onState((state, detail) => {
  status.dataset.state = state;
  const labels = { connecting: 'connecting…', connected: 'live', closed: 'disconnected', error: 'refused' };
  status.textContent = detail ? `${labels[state]} · ${detail}` : labels[state];
});

window.addEventListener('hashchange', showView);
window.addEventListener('pagehide', () => connection.leaveAll());
showView();
connection.start();
window.hexwireDashboard = { connection, views };
