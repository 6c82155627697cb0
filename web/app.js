// The chat page: log in, rooms (joined and all, with member counts), messages, whispers,
// the online users, typing, connection status. It speaks docs/protocol.md's JSON over
// the WebSocket at /ws; connection.js keeps the socket up and chat_state.js keeps each
// room exact across reconnects. User text only ever reaches the page as textContent.
'use strict';

import {
  RoomState, joinRequest, applyJoined, applyMsg, applyHistory, applyEpoch, markDisconnected,
  utf8Length, messageTime,
} from './chat_state.js';
import { Connection } from './connection.js';
import { createRender } from './render.js';
import { messageItem, whisperItem } from './view.js';

const NAME_RE = /^[A-Za-z0-9_.-]{1,32}$/;
const ROOM_RE = /^[A-Za-z0-9_.-]{1,64}$/;
const MAX_TEXT_BYTES = 4096;
const REFRESH_MS = 10000;        // rooms and users lists, while logged in
const TYPING_SEND_MS = 3000;     // resend typing:on at most this often while typing
const TYPING_IDLE_MS = 4000;     // typing:off after this long without a keystroke
const TYPING_SHOW_MS = 6000;     // forget someone's typing without an "off" after this
const NAME_RETRIES = 10;         // name_taken while reconnecting: the old session may linger

const $ = (id) => document.getElementById(id);

const state = {
  user: null,            // the name being used; null on the login screen
  loggedIn: false,       // welcome received on the current socket
  everLoggedIn: false,   // a later name_taken is a reconnect race, not a clash
  nameRetries: 0,
  rooms: new Map(),      // joined rooms: name → RoomState, kept across reconnects
  dms: new Map(),        // whisper partner → { items: [], unread }
  view: null,            // { kind: 'room' | 'dm', name }
  allRooms: [],
  users: [],
  usersCount: 0,
  typing: new Map(),     // room → Map(user → expiry time)
  rid: 0,
  pending: new Map(),    // rid → what the request was, to put its reply or error in place
  typingSentAt: 0,      // when typing:on was last sent (0: not typing)
  typingRoom: null,     // the room it was sent to
  typingIdle: null,
  refreshTimer: null,
};

const conn = new Connection({ onOpen, onEvent, onStatus });
const {
  renderAll, renderView, renderViewHead, renderMyRooms, renderAllRooms, renderPeople, renderTyping,
  appendMessage, roomEvent, clearTyping, showError,
} = createRender({ state, isView, dmWith, showView, joinRoom });

// ---------------------------------------------------------------- requests

function request(obj, context) {
  const rid = ++state.rid;
  if (context) state.pending.set(rid, context);
  return conn.send({ ...obj, rid }) ? rid : 0;
}

function onOpen() {
  state.loggedIn = false;
  request({ op: 'hello', user: state.user }, { op: 'hello' });
}

function afterWelcome() {
  state.loggedIn = true;
  state.everLoggedIn = true;
  state.nameRetries = 0;
  conn.markHealthy();
  if (state.rooms.size === 0) state.rooms.set('lobby', new RoomState('lobby'));
  for (const room of state.rooms.values()) request(joinRequest(room), { op: 'join', room: room.name });
  if (!state.view) showView({ kind: 'room', name: state.rooms.keys().next().value });
  refreshLists();
  clearInterval(state.refreshTimer);
  state.refreshTimer = setInterval(refreshLists, REFRESH_MS);
  renderAll();
}

function refreshLists() {
  if (!state.loggedIn || document.hidden) return;
  request({ op: 'rooms' });
  request({ op: 'users' });
}

// ---------------------------------------------------------------- events

const handlers = {
  welcome: afterWelcome,
  joined(ev) {
    let room = state.rooms.get(ev.room);
    if (!room) {
      room = new RoomState(ev.room);
      state.rooms.set(ev.room, room);
    }
    const reload = applyJoined(room, ev);
    if (reload) request({ op: 'history', room: room.name, since: reload.since, limit: reload.limit });
    if (isView('room', room.name)) renderView();
    renderMyRooms();
  },
  left(ev) {
    state.rooms.delete(ev.room);
    state.typing.delete(ev.room);
    if (isView('room', ev.room)) showView(firstView());
    renderMyRooms();
    request({ op: 'rooms' });
  },
  msg(ev) {
    const room = state.rooms.get(ev.room);
    if (!room) return;
    ev.receivedAt = new Date();
    const result = applyMsg(room, ev);
    if (result.gap) request({ op: 'history', room: room.name, since: result.gap.since, limit: result.gap.limit });
    if (!result.added) return;
    clearTyping(ev.room, ev.from);
    if (isView('room', room.name)) {
      if (result.appended) appendMessage(messageItem(ev, state.user));
      else renderView();
    } else {
      room.unread++;
      renderMyRooms();
    }
  },
  history(ev) {
    const room = state.rooms.get(ev.room);
    if (!room) return;
    if (applyHistory(room, ev) > 0 && isView('room', room.name)) renderView();
  },
  epoch(ev) {
    const room = state.rooms.get(ev.room);
    if (!room) return;
    applyEpoch(room, ev);
    if (isView('room', room.name)) renderView();
  },
  user_joined(ev) {
    const room = state.rooms.get(ev.room);
    if (!room) return;
    room.members++;
    roomEvent(room, `${ev.user} joined`);
  },
  user_left(ev) {
    const room = state.rooms.get(ev.room);
    if (!room) return;
    room.members = Math.max(1, room.members - 1);
    clearTyping(ev.room, ev.user);
    roomEvent(room, `${ev.user} left`);
  },
  typing(ev) {
    if (!state.typing.has(ev.room)) state.typing.set(ev.room, new Map());
    const who = state.typing.get(ev.room);
    if (ev.on) who.set(ev.user, Date.now() + TYPING_SHOW_MS);
    else who.delete(ev.user);
    renderTyping();
  },
  whisper(ev) {
    const dm = dmWith(ev.from);
    const item = { from: ev.from, text: ev.text, time: messageTime(ev, new Date()) };
    dm.items.push(item);
    if (isView('dm', ev.from)) appendMessage(whisperItem(item, state.user));
    else {
      dm.unread++;
      renderMyRooms();
    }
  },
  whisper_sent(ev, ctx) {
    if (ctx && ctx.item) {
      ctx.item.pending = false;
      if (isView('dm', ctx.item.to)) renderView();
    }
  },
  rooms(ev) {
    state.allRooms = ev.rooms || [];
    for (const r of state.allRooms) {
      const mine = state.rooms.get(r.room);
      if (mine) mine.members = r.members;
    }
    renderAllRooms();
    renderMyRooms();
    if (state.view && state.view.kind === 'room') renderViewHead();
  },
  users(ev) {
    if (ev.room) return;
    state.users = ev.users || [];
    state.usersCount = ev.count || state.users.length;
    renderPeople();
  },
  pong() {},
  bye() {},
  error(ev, ctx) {
    onServerError(ev, ctx);
  },
};

function onEvent(ev) {
  const ctx = ev.rid !== undefined ? state.pending.get(ev.rid) : undefined;
  if (ev.rid !== undefined) state.pending.delete(ev.rid);
  const handler = handlers[ev.ev];
  if (handler) handler(ev, ctx);
}

function onServerError(ev, ctx) {
  const op = (ctx && ctx.op) || ev.op;
  if (op === 'hello') {
    if (ev.code === 'name_taken' && state.everLoggedIn && state.nameRetries < NAME_RETRIES) {
      // Our previous connection may not be gone from the server yet: try again shortly.
      state.nameRetries++;
      conn.retryLater();
      return;
    }
    backToLogin(`${ev.code}: ${ev.msg || 'refused'}`);
    return;
  }
  if (ev.code === 'server_shutdown') {
    showError('The server is restarting; reconnecting by itself…');
    return;
  }
  if (op === 'join' && ctx && ctx.room && !state.rooms.get(ctx.room)?.joined) {
    state.rooms.delete(ctx.room);
    renderMyRooms();
  }
  if (op === 'whisper' && ctx && ctx.item) {
    ctx.item.pending = false;
    ctx.item.failed = ev.code;
    if (isView('dm', ctx.item.to)) renderView();
  }
  showError(`${ev.code}${ev.msg ? ': ' + ev.msg : ''}`);
}

function onStatus({ state: s, delay, attempt }) {
  const el = $('conn-status');
  const text = {
    connecting: 'Connecting…',
    open: 'Online',
    waiting: `Reconnecting in ${Math.ceil(delay / 1000)} s (attempt ${attempt})`,
    offline: 'Offline: waiting for the network',
    stopped: 'Disconnected',
  }[s];
  el.textContent = text;
  el.dataset.state = s;
  if (s !== 'open') {
    if (state.loggedIn) markDisconnected(state.rooms);
    state.loggedIn = false;
    failPending();
  }
  $('compose-send').disabled = s !== 'open';
}

// Whispers awaiting whisper_sent on a socket that is gone may or may not have gone out.
function failPending() {
  for (const ctx of state.pending.values()) {
    if (ctx.item && ctx.item.pending) {
      ctx.item.pending = false;
      ctx.item.failed = 'connection lost';
    }
  }
  state.pending.clear();
  if (state.view) renderView();
}

// ---------------------------------------------------------------- views

function isView(kind, name) {
  return state.view !== null && state.view.kind === kind && state.view.name === name;
}

function firstView() {
  const name = state.rooms.keys().next().value;
  return name ? { kind: 'room', name } : null;
}

function dmWith(user) {
  if (!state.dms.has(user)) state.dms.set(user, { items: [], unread: 0 });
  return state.dms.get(user);
}

function showView(view) {
  state.view = view;
  if (view) {
    const holder = view.kind === 'room' ? state.rooms.get(view.name) : dmWith(view.name);
    if (holder) holder.unread = 0;
  }
  closeSidebar();
  renderAll();
  $('compose-input').focus();
}

// ---------------------------------------------------------------- actions

function login(name) {
  state.user = name;
  state.everLoggedIn = false;
  state.rooms.clear();
  state.dms.clear();
  state.view = null;
  $('me').textContent = name;
  $('login').hidden = true;
  $('chat').hidden = false;
  $('logout').hidden = false;
  try {
    localStorage.setItem('chatd.name', name);
  } catch (err) {
    // Storage may be off: only the name prefill is lost.
  }
  conn.start();
}

function backToLogin(why) {
  conn.stop();
  clearInterval(state.refreshTimer);
  state.user = null;
  state.loggedIn = false;
  $('chat').hidden = true;
  $('logout').hidden = true;
  $('login').hidden = false;
  $('me').textContent = '';
  $('login-error').textContent = why || '';
  $('login-name').focus();
}

function joinRoom(name) {
  if (!ROOM_RE.test(name)) {
    showError('Room names are 1-64 letters, digits, "_", "." or "-".');
    return;
  }
  if (!state.rooms.has(name)) state.rooms.set(name, new RoomState(name));
  request(joinRequest(state.rooms.get(name)), { op: 'join', room: name });
  showView({ kind: 'room', name });
}

function send(text) {
  const v = state.view;
  if (!v || text.trim() === '') return false;
  if (utf8Length(text) > MAX_TEXT_BYTES) {
    showError(`Too long: at most ${MAX_TEXT_BYTES} bytes.`);
    return false;
  }
  const ts = Date.now();
  if (v.kind === 'room') {
    const ok = request({ op: 'msg', room: v.name, text, ts }, { op: 'msg', room: v.name });
    if (ok) typingOff();
    return ok !== 0;
  }
  const item = { from: state.user, to: v.name, text, time: new Date(ts), pending: true };
  const ok = request({ op: 'whisper', to: v.name, text, ts }, { op: 'whisper', item });
  if (!ok) return false;
  dmWith(v.name).items.push(item);
  appendMessage(whisperItem(item, state.user));
  return true;
}

function typingOn() {
  const v = state.view;
  if (!v || v.kind !== 'room' || !state.loggedIn) return;
  const now = Date.now();
  if (now - state.typingSentAt > TYPING_SEND_MS) {
    state.typingSentAt = now;
    state.typingRoom = v.name;
    request({ op: 'typing', room: v.name, on: true });
  }
  clearTimeout(state.typingIdle);
  state.typingIdle = setTimeout(typingOff, TYPING_IDLE_MS);
}

function typingOff() {
  clearTimeout(state.typingIdle);
  if (state.typingSentAt && state.typingRoom && state.rooms.has(state.typingRoom)) {
    request({ op: 'typing', room: state.typingRoom, on: false });
  }
  state.typingSentAt = 0;
  state.typingRoom = null;
}

function closeSidebar() {
  document.body.classList.remove('sidebar-open');
  $('menu-toggle').setAttribute('aria-expanded', 'false');
}

// ---------------------------------------------------------------- wiring

$('login-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const name = $('login-name').value.trim();
  if (!NAME_RE.test(name)) {
    $('login-error').textContent = 'Names are 1-32 letters, digits, "_", "." or "-".';
    return;
  }
  $('login-error').textContent = '';
  login(name);
});

$('join-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const input = $('join-name');
  joinRoom(input.value.trim());
  input.value = '';
});

$('compose').addEventListener('submit', (e) => {
  e.preventDefault();
  const input = $('compose-input');
  if (send(input.value)) input.value = '';
});

$('compose-input').addEventListener('input', typingOn);

$('leave').addEventListener('click', () => {
  const v = state.view;
  if (v && v.kind === 'room') request({ op: 'leave', room: v.name }, { op: 'leave', room: v.name });
});

$('logout').addEventListener('click', () => {
  conn.send({ op: 'bye' });
  backToLogin('');
});

$('menu-toggle').addEventListener('click', () => {
  const open = document.body.classList.toggle('sidebar-open');
  $('menu-toggle').setAttribute('aria-expanded', String(open));
});

document.addEventListener('visibilitychange', refreshLists);
setInterval(renderTyping, 1000);

try {
  $('login-name').value = localStorage.getItem('chatd.name') || '';
} catch (err) {
  // No storage: the field starts empty.
}
onStatus({ state: 'stopped' });
$('login-name').focus();
