// One WebSocket to /ws on the page's own host and port, kept up by itself: on a drop it
// reconnects with exponential backoff and jitter (chat_state.js backoffDelay), at once
// when the browser says the network is back, and it notices a dead link that never
// closed (no bytes for a while despite its pings). One JSON object per text message,
// both ways (docs/protocol.md).
'use strict';

import { backoffDelay } from './chat_state.js';

const PING_EVERY_MS = 20000;   // an app-level `ping` op: browsers cannot send ping frames
const DEAD_AFTER_MS = 45000;   // nothing received for this long: the link is dead

export class Connection {
  // handlers: onOpen(), onEvent(ev), onStatus({ state, delay, attempt })
  // state is 'connecting' | 'open' | 'waiting' (to reconnect) | 'offline' | 'stopped'.
  constructor(handlers) {
    this.handlers = handlers;
    this.ws = null;
    this.wanted = false;
    this.attempt = 0;
    this.retryTimer = null;
    this.pingTimer = null;
    this.lastHeard = 0;
    window.addEventListener('online', () => this.reconnectNow());
    window.addEventListener('offline', () => this.status('offline'));
  }

  url() {
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    return `${scheme}//${location.host}/ws`;
  }

  start() {
    this.wanted = true;
    this.attempt = 0;
    this.open();
  }

  // Stops for good (log out): no reconnect.
  stop() {
    this.wanted = false;
    clearTimeout(this.retryTimer);
    this.drop(1000);
    this.status('stopped');
  }

  isOpen() {
    return this.ws !== null && this.ws.readyState === WebSocket.OPEN;
  }

  send(obj) {
    if (!this.isOpen()) return false;
    this.ws.send(JSON.stringify(obj));
    return true;
  }

  // The session is established (welcome received): the next drop starts backoff afresh.
  markHealthy() {
    this.attempt = 0;
  }

  // Gives up on this socket (e.g. the server refused the name for now) and retries later.
  retryLater() {
    this.drop(1000);
    this.scheduleRetry();
  }

  reconnectNow() {
    if (!this.wanted || this.isOpen()) return;
    clearTimeout(this.retryTimer);
    this.drop(1000);
    this.open();
  }

  open() {
    clearTimeout(this.retryTimer);
    this.status('connecting');
    let ws;
    try {
      ws = new WebSocket(this.url());
    } catch (err) {
      this.scheduleRetry();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      this.lastHeard = Date.now();
      this.startPings();
      this.status('open');
      this.handlers.onOpen();
    };
    ws.onmessage = (e) => {
      this.lastHeard = Date.now();
      let ev;
      try {
        ev = JSON.parse(e.data);
      } catch (err) {
        console.warn('chatd: not JSON from the server', e.data);
        return;
      }
      this.handlers.onEvent(ev);
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;  // an older socket we already dropped
      this.ws = null;
      this.stopPings();
      if (this.wanted) this.scheduleRetry();
    };
  }

  // Forgets the current socket at once (its close event is ignored) and closes it.
  drop(code) {
    const ws = this.ws;
    this.ws = null;
    this.stopPings();
    if (ws === null) return;
    ws.onopen = ws.onmessage = ws.onclose = null;
    try {
      ws.close(code);
    } catch (err) {
      // Already closing: nothing more to do.
    }
  }

  scheduleRetry() {
    if (!this.wanted) return;
    clearTimeout(this.retryTimer);
    if (!navigator.onLine) {
      this.status('offline');  // the 'online' event reconnects
      return;
    }
    const delay = backoffDelay(this.attempt);
    this.status('waiting', delay, this.attempt + 1);
    this.attempt++;
    this.retryTimer = setTimeout(() => this.open(), delay);
  }

  startPings() {
    this.stopPings();
    this.pingTimer = setInterval(() => {
      if (Date.now() - this.lastHeard > DEAD_AFTER_MS) {
        this.drop(4000);
        this.scheduleRetry();
        return;
      }
      this.send({ op: 'ping', ts: Date.now() });
    }, PING_EVERY_MS);
  }

  stopPings() {
    clearInterval(this.pingTimer);
    this.pingTimer = null;
  }

  status(state, delay = 0, attempt = 0) {
    this.handlers.onStatus({ state, delay, attempt });
  }
}
