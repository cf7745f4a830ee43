// One /ws connection to the engine for the whole page (docs/protocol.md): authenticates with the
// page's ?token= (a JWT) or, when the engine runs --anonymous, as an anonymous user; keeps a set
// of channel subscriptions and re-subscribes them after every reconnect; matches replies to
// requests by id. Views register a handler per channel and never touch the socket.

const MIN_RETRY_MS = 500;
const MAX_RETRY_MS = 5000;

export class Connection {
  constructor({ url, token, user }) {
    this.url = url;
    this.token = token;
    this.user = user;
    this.ws = null;
    this.state = 'connecting';
    this.nextId = 1;
    this.pending = new Map();        // request id -> {resolve, reject}
    this.channels = new Map();       // channel -> {handlers, onSubscribed, resume, lastSeq}
    this.stateListeners = new Set(); // fn(state, detail)
    this.retryMs = MIN_RETRY_MS;
    this.connects = 0;               // authenticated sessions so far (reconnects = connects - 1)
  }

  onState(fn) {
    this.stateListeners.add(fn);
    fn(this.state, '');
  }

  setState(state, detail = '') {
    this.state = state;
    for (const fn of this.stateListeners) fn(state, detail);
  }

  start() {
    this.open();
  }

  open() {
    const target = this.token ? `${this.url}?token=${encodeURIComponent(this.token)}` : this.url;
    const ws = new WebSocket(target);
    this.ws = ws;
    this.setState('connecting');
    ws.onopen = () => {
      if (!this.token) this.send({ op: 'auth', id: this.takeId(), user: this.user });
    };
    ws.onmessage = (event) => this.receive(event.data);
    ws.onclose = () => this.closed();
    ws.onerror = () => {};  // onclose follows and reports
  }

  closed() {
    this.ws = null;
    for (const { reject } of this.pending.values()) reject(new Error('connection closed'));
    this.pending.clear();
    const wait = this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
    this.setState('closed', `reconnecting in ${(wait / 1000).toFixed(1)} s`);
    setTimeout(() => this.open(), wait);
  }

  takeId() {
    return this.nextId++;
  }

  send(message) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(message));
  }

  /// Sends `message` with a fresh id; resolves with the reply, rejects with an error reply.
  request(message) {
    return new Promise((resolve, reject) => {
      if (this.state !== 'connected') {
        reject(new Error('not connected'));
        return;
      }
      const id = this.takeId();
      this.pending.set(id, { resolve, reject });
      this.send({ ...message, id });
    });
  }

  receive(text) {
    let frame;
    try {
      frame = JSON.parse(text);
    } catch {
      return;
    }
    if (frame.id !== undefined && this.pending.has(frame.id)) {
      const { resolve, reject } = this.pending.get(frame.id);
      this.pending.delete(frame.id);
      if (frame.op === 'error') reject(Object.assign(new Error(frame.message), { code: frame.code }));
      else resolve(frame);
      return;
    }
    if (frame.op === 'auth') {
      this.authenticated(frame.user);
    } else if (frame.op === 'error' && this.state !== 'connected') {
      this.setState('error', `${frame.code}: ${frame.message}`);
    } else if (frame.op === 'msg') {
      const entry = this.channels.get(frame.channel);
      if (!entry) return;
      entry.lastSeq = Math.max(entry.lastSeq, frame.seq);
      for (const fn of entry.handlers) fn(frame);
    }
  }

  authenticated(user) {
    this.retryMs = MIN_RETRY_MS;
    this.connects += 1;
    this.setState('connected', user);
    for (const channel of this.channels.keys()) this.subscribeOnWire(channel);
  }

  subscribeOnWire(channel) {
    const entry = this.channels.get(channel);
    const message = { op: 'sub', channel };
    // A re-subscription resumes after the last seq seen: missed messages follow the reply.
    if (entry.resume && entry.lastSeq > 0) message.since = entry.lastSeq;
    this.request(message).then((reply) => {
      if (!reply.recovered) entry.lastSeq = 0;  // e.g. the engine restarted: seqs begin anew
      for (const fn of entry.onSubscribed) fn(reply);
    }).catch((error) => {
      if (error.code) console.warn(`hexwire: sub ${channel}: ${error.code} ${error.message}`);
      for (const fn of this.stateListeners) fn(this.state, `${channel}: ${error.message}`);
    });
  }

  /// Calls handler(msg) for every message of `channel` from now on, across reconnects. Options:
  /// resume (re-subscribe with `since`, so nothing is missed while disconnected) and
  /// onSubscribed(reply) (after each accepted sub, with the channel's seq).
  subscribe(channel, handler, { resume = false, onSubscribed = null } = {}) {
    let entry = this.channels.get(channel);
    if (!entry) {
      entry = { handlers: new Set(), onSubscribed: new Set(), resume, lastSeq: 0 };
      this.channels.set(channel, entry);
      if (onSubscribed) entry.onSubscribed.add(onSubscribed);
      if (this.state === 'connected') this.subscribeOnWire(channel);
    } else if (onSubscribed) {
      entry.onSubscribed.add(onSubscribed);
    }
    entry.handlers.add(handler);
  }

  unsubscribe(channel, handler) {
    const entry = this.channels.get(channel);
    if (!entry) return;
    entry.handlers.delete(handler);
    if (entry.handlers.size === 0) {
      this.channels.delete(channel);
      if (this.state === 'connected') this.request({ op: 'unsub', channel }).catch(() => {});
    }
  }

  /// Ends every subscription explicitly (page closing): a connection that merely closes leaves
  /// its user a member of its channels, collecting offline notifications.
  leaveAll() {
    if (this.state !== 'connected') return;
    for (const channel of this.channels.keys()) this.send({ op: 'unsub', channel });
  }

  /// The retained messages of `channel` after `since` (oldest first), following "more" pages.
  async history(channel, limit, since = 0) {
    const messages = [];
    for (;;) {
      const reply = await this.request({ op: 'history', channel, since, limit });
      messages.push(...reply.messages);
      if (!reply.more || reply.messages.length === 0 || messages.length >= limit) break;
      since = reply.messages[reply.messages.length - 1].seq;
    }
    return messages.slice(-limit);
  }
}

/// The /ws address of the engine that served this page, and the identity to use.
export function connectionFromPage(location) {
  const params = new URLSearchParams(location.search);
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const token = params.get('token') || sessionStorage.getItem('hexwire.token') || '';
  if (params.get('token')) sessionStorage.setItem('hexwire.token', token);
  // One anonymous user per browser, so that reloads do not leave a trail of offline members.
  let user = localStorage.getItem('hexwire.user');
  if (!user) {
    user = `dashboard-${Math.random().toString(36).slice(2, 10)}`;
    localStorage.setItem('hexwire.user', user);
  }
  return new Connection({ url: `${scheme}://${location.host}/ws`, token, user });
}
