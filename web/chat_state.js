// What the page knows about one joined room, and the rules that keep it exact across
// reconnects (docs/protocol.md, "Recovery on join"): a room's messages are keyed by seq,
// so a replayed or re-fetched message never shows twice and the view stays in seq order.
// No DOM and no socket here: app.js renders, connection.js talks.
'use strict';

// A room keeps at most this many messages; older ones are dropped from the page (the
// server keeps its own history).
export const MAX_MESSAGES = 1000;
// How many recent messages a view that lost its continuity reloads with `history`.
export const RELOAD_LIMIT = 100;

export class RoomState {
  constructor(name) {
    this.name = name;
    this.epoch = null;      // the room's epoch, from `joined` (null: never joined)
    this.seq = 0;           // highest seq seen in this epoch
    this.members = 0;
    this.joined = false;    // joined on the current connection
    this.messages = [];     // msg events, ascending seq, no duplicates
    this.unread = 0;
    this.notice = '';       // a gap notice to show above the messages, '' for none
  }
}

// The join request: with since/epoch once the room was seen, so the server can replay
// what this page missed while it was away.
export function joinRequest(room) {
  const req = { op: 'join', room: room.name };
  if (room.epoch !== null) {
    req.since = room.seq;
    req.epoch = room.epoch;
  }
  return req;
}

// Applies a `joined` reply. Returns { history } when the page must reload recent history
// ({ since, limit } for the `history` op) because continuity is lost, else null.
export function applyJoined(room, ev) {
  room.joined = true;
  room.members = ev.members;
  const epochChanged = room.epoch !== null && room.epoch !== ev.epoch;
  const wasRecovering = room.epoch !== null;
  room.epoch = ev.epoch;
  if (ev.recovered === true) {
    // The replayed messages follow this reply, then the live ones: nothing to do.
    room.notice = '';
    return null;
  }
  if (!wasRecovering) {
    // A first join: start from now (the server sends no backlog); show recent history.
    room.seq = ev.seq;
    return ev.seq > 0 ? { since: Math.max(0, ev.seq - RELOAD_LIMIT), limit: RELOAD_LIMIT } : null;
  }
  // recovered:false (or a server without recovery): the view restarts from what the
  // server has now, and says so.
  room.notice = epochChanged
    ? 'The room was restarted while you were away: earlier messages are gone. Showing what it has now.'
    : 'Some messages could not be recovered. Reloaded the recent history.';
  room.messages = [];
  room.seq = ev.seq;
  return ev.seq > 0 ? { since: Math.max(0, ev.seq - RELOAD_LIMIT), limit: RELOAD_LIMIT } : null;
}

// Inserts a msg event by seq. Returns { added, appended, gap }: `added` false for a
// duplicate; `appended` true when it went at the end (the cheap render); `gap` is a
// { since, limit } history request when seqs were skipped (dropped while this page was
// slow), else null.
export function applyMsg(room, ev) {
  const last = room.messages.length ? room.messages[room.messages.length - 1].seq : 0;
  let gap = null;
  if (ev.seq > room.seq + 1 && room.seq > 0) {
    gap = { since: room.seq, limit: Math.min(1000, ev.seq - room.seq - 1) };
  }
  room.seq = Math.max(room.seq, ev.seq);
  if (ev.seq > last) {
    room.messages.push(ev);
    trim(room);
    return { added: true, appended: true, gap };
  }
  const at = lowerBound(room.messages, ev.seq);
  if (at < room.messages.length && room.messages[at].seq === ev.seq) return { added: false, appended: false, gap };
  room.messages.splice(at, 0, ev);
  trim(room);
  return { added: true, appended: false, gap };
}

// Merges a `history` reply; returns how many messages were new.
export function applyHistory(room, ev) {
  let added = 0;
  for (const msg of ev.msgs || []) {
    if (applyMsg(room, msg).added) added++;
  }
  return added;
}

// An `epoch` event (the room's sequence restarted, e.g. a cluster's Redis lost it).
export function applyEpoch(room, ev) {
  room.epoch = ev.epoch;
  room.seq = 0;
  room.messages = [];
  room.notice = 'The room was restarted: earlier messages are gone.';
}

// The connection dropped: every room must be joined again on the next one.
export function markDisconnected(rooms) {
  for (const room of rooms.values()) room.joined = false;
}

function lowerBound(messages, seq) {
  let lo = 0;
  let hi = messages.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (messages[mid].seq < seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function trim(room) {
  if (room.messages.length > MAX_MESSAGES) room.messages.splice(0, room.messages.length - MAX_MESSAGES);
}

// Backoff before reconnect attempt `attempt` (0 = first retry): exponential from 500 ms,
// capped at 30 s, with "equal jitter" (half fixed, half random) so a server restart does
// not bring every page back in the same millisecond, and no retry comes at once.
export function backoffDelay(attempt, random = Math.random) {
  const ceiling = Math.min(30000, 500 * 2 ** Math.min(attempt, 16));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

// Size of a string in UTF-8 bytes (the server's limits count bytes, not characters).
export function utf8Length(text) {
  return new TextEncoder().encode(text).length;
}

// A message's time: its `ts` when it looks like wall-clock milliseconds (this page sends
// Date.now()), else `fallback` (when it arrived; null for history without one).
export function messageTime(ev, fallback) {
  const ts = ev.ts;
  if (typeof ts === 'number' && Math.abs(ts - Date.now()) < 400 * 24 * 3600 * 1000) return new Date(ts);
  return fallback;
}
