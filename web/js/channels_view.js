// Channels view: the busiest channels from sys:channels (published by the engine while someone
// watches it): message rate, members, subscriptions, history depth, last seq and owner shard.

import { formatNumber } from './charts.js';

// null: the broker keeps that figure in a shared store and does not know it locally.
const known = (value) => (value === null || value === undefined ? '—' : formatNumber(value));

export class ChannelsView {
  constructor(connection, root) {
    this.body = root.querySelector('#channels-table tbody');
    this.info = root.querySelector('#channels-info');
    this.info.textContent = 'waiting for sys:channels…';
    this.updates = 0;
    connection.subscribe('sys:channels', (msg) => this.render(msg.data));
  }

  render(report) {
    if (!report || !Array.isArray(report.channels)) return;
    this.updates += 1;
    if (report.available === false) {
      this.info.textContent = 'this engine\'s broker does not report channel activity';
      this.body.replaceChildren();
      return;
    }
    this.info.textContent = `${formatNumber(report.owned)} channels; the ${report.channels.length} busiest ` +
      `of the last interval (${new Date(report.ts / 1000).toLocaleTimeString()})`;
    const rows = report.channels.map((c) => {
      const tr = document.createElement('tr');
      for (const value of [c.channel, formatNumber(c.rate), known(c.members),
        formatNumber(c.subscriptions), known(c.history), c.seq, c.owner]) {
        const td = document.createElement('td');
        td.textContent = value;
        tr.append(td);
      }
      return tr;
    });
    this.body.replaceChildren(...rows);
  }
}
