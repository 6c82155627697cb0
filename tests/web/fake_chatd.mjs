// A stand-in for chatd, for developing and testing the web page before the shard serves
// HTTP and WebSocket: one port, first bytes `GET ` → HTTP (the files of web/ with the
// same CSP as chatd, and WebSocket at /ws), `{` → JSON lines. It implements the contract
// (docs/protocol.md) only as far as the page uses it — hello, join (with recovery by
// since/epoch), leave, msg, whisper, users, rooms, history, typing, ping, bye — in one
// process, with no limits. It is not chatd: the browser test runs against the real
// server whenever that serves /ws (see README.md).
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocketServer } from 'ws';

const WEB = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'web');
const TYPES = { '.html': 'text/html; charset=utf-8', '.css': 'text/css; charset=utf-8', '.js': 'text/javascript; charset=utf-8' };
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
  "connect-src 'self' ws: wss:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
const NAME_RE = /^[A-Za-z0-9_.-]{1,32}$/;
const ROOM_RE = /^[A-Za-z0-9_.-]{1,64}$/;
const HISTORY = 1000;

class Chat {
  constructor() {
    this.users = new Map();  // name → session
    this.rooms = new Map();  // name → { epoch, seq, members: Set<session>, history: [] }
  }

  handle(s, req) {
    const reply = (obj) => s.send(req.rid !== undefined ? { ...obj, rid: req.rid } : obj);
    const error = (code, msg) => reply({ ev: 'error', code, msg, op: req.op });
    if (req.op === 'ping') return reply({ ev: 'pong', ...(req.ts !== undefined ? { ts: req.ts } : {}) });
    if (req.op === 'bye') {
      reply({ ev: 'bye' });
      return s.end();
    }
    if (req.op === 'hello') {
      if (s.user) return error('already_logged_in', 'already logged in');
      if (typeof req.user !== 'string' || !NAME_RE.test(req.user)) return error('bad_name', 'bad name');
      if (this.users.has(req.user)) return error('name_taken', 'name taken');
      s.user = req.user;
      this.users.set(s.user, s);
      return reply({ ev: 'welcome', user: s.user, shard: 0, shards: 1 });
    }
    if (!['join', 'leave', 'msg', 'whisper', 'users', 'rooms', 'history', 'typing'].includes(req.op)) {
      return error('unknown_op', 'unknown op');
    }
    if (!s.user) return error('not_logged_in', 'say hello first');
    const needsRoom = ['join', 'leave', 'msg', 'history', 'typing'].includes(req.op) ||
      (req.op === 'users' && req.room !== undefined);
    if (needsRoom && (typeof req.room !== 'string' || !ROOM_RE.test(req.room))) return error('bad_room', 'bad room');
    const room = needsRoom ? this.rooms.get(req.room) : undefined;
    const member = room !== undefined && room.members.has(s);
    switch (req.op) {
      case 'join': return this.join(s, req, reply);
      case 'leave':
        if (!member) return error('not_in_room', 'not in room');
        this.leave(s, req.room);
        return reply({ ev: 'left', room: req.room });
      case 'msg': {
        if (!member) return error('not_in_room', 'not in room');
        const ev = { ev: 'msg', room: req.room, from: s.user, text: req.text, seq: ++room.seq };
        if (req.id !== undefined) ev.id = req.id;
        if (req.ts !== undefined) ev.ts = req.ts;
        room.history.push(ev);
        if (room.history.length > HISTORY) room.history.shift();
        for (const m of room.members) m.send(ev);
        return undefined;
      }
      case 'whisper': {
        const to = this.users.get(req.to);
        if (!to) return error('no_such_user', 'no such user');
        if (to === s) return error('self_whisper', 'that is you');
        to.send({ ev: 'whisper', from: s.user, text: req.text, ...(req.ts !== undefined ? { ts: req.ts } : {}) });
        return reply({ ev: 'whisper_sent', to: req.to });
      }
      case 'users': {
        const names = req.room !== undefined ? (room ? [...room.members].map((m) => m.user) : []) : [...this.users.keys()];
        names.sort();
        return reply({ ev: 'users', users: names, count: names.length, ...(req.room !== undefined ? { room: req.room } : {}) });
      }
      case 'rooms': {
        const list = [...this.rooms.entries()].sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([name, r]) => ({ room: name, members: r.members.size }));
        return reply({ ev: 'rooms', rooms: list });
      }
      case 'history': {
        if (!member) return error('not_in_room', 'not in room');
        const since = req.since ?? 0;
        const limit = Math.min(req.limit ?? 100, 1000);
        return reply({ ev: 'history', room: req.room, msgs: room.history.filter((m) => m.seq > since).slice(0, limit) });
      }
      case 'typing':
        if (!member) return error('not_in_room', 'not in room');
        for (const m of room.members) if (m !== s) m.send({ ev: 'typing', room: req.room, user: s.user, on: !!req.on });
        return undefined;
      default: return undefined;
    }
  }

  join(s, req, reply) {
    let room = this.rooms.get(req.room);
    if (!room) {
      room = { epoch: Math.floor(Math.random() * 2 ** 52), seq: 0, members: new Set(), history: [] };
      this.rooms.set(req.room, room);
    }
    if (!room.members.has(s)) {
      for (const m of room.members) m.send({ ev: 'user_joined', room: req.room, user: s.user });
      room.members.add(s);
    }
    const joined = { ev: 'joined', room: req.room, members: room.members.size, seq: room.seq, epoch: room.epoch };
    if (req.since === undefined) return reply(joined);
    const oldest = room.history.length ? room.history[0].seq : room.seq + 1;
    const recovered = req.epoch === room.epoch && req.since <= room.seq && req.since + 1 >= oldest;
    if (!recovered) return reply({ ...joined, recovered: false });
    const missed = room.history.filter((m) => m.seq > req.since);
    reply({ ...joined, recovered: true, missed: missed.length });
    for (const m of missed) s.send(m);
    return undefined;
  }

  leave(s, name) {
    const room = this.rooms.get(name);
    if (!room || !room.members.delete(s)) return;
    for (const m of room.members) m.send({ ev: 'user_left', room: name, user: s.user });
    if (room.members.size === 0) this.rooms.delete(name);
  }

  gone(s) {
    for (const name of [...this.rooms.keys()]) this.leave(s, name);
    if (s.user && this.users.get(s.user) === s) this.users.delete(s.user);
  }
}

function serveFile(req, res) {
  const url = new URL(req.url, 'x:/');
  if (url.pathname === '/healthz') {
    res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
    return res.end('ok\n');
  }
  const name = url.pathname === '/' ? 'index.html' : url.pathname.slice(1);
  const type = TYPES[path.extname(name)];
  if (!type || name.includes('/') || !fs.existsSync(path.join(WEB, name))) {
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
    return res.end('404 Not Found\n');
  }
  res.writeHead(200, { 'Content-Type': type, 'Content-Security-Policy': CSP, 'Cache-Control': 'no-cache' });
  return res.end(fs.readFileSync(path.join(WEB, name)));
}

// Starts a fake on `port` (0: any); resolves to { port, close() }.
export function startFakeChatd(port = 0) {
  const chat = new Chat();
  const httpServer = http.createServer(serveFile);
  const wss = new WebSocketServer({ noServer: true });
  const sockets = new Set();
  httpServer.on('upgrade', (req, socket, head) => {
    if (new URL(req.url, 'x:/').pathname !== '/ws') return socket.destroy();
    wss.handleUpgrade(req, socket, head, (ws) => {
      const s = { user: null, send: (o) => ws.send(JSON.stringify(o)), end: () => ws.close(1000) };
      ws.on('message', (data, binary) => {
        if (binary) return ws.close(1003);
        let req;
        try { req = JSON.parse(String(data)); } catch { return s.send({ ev: 'error', code: 'bad_json', msg: 'not JSON' }); }
        chat.handle(s, req);
      });
      ws.on('close', () => chat.gone(s));
    });
  });
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.once('data', (first) => {
      socket.pause();
      socket.unshift(first);
      if (first[0] === 0x7b) return jsonLines(socket, chat);  // '{'
      httpServer.emit('connection', socket);
      socket.resume();
      return undefined;
    });
  });
  return new Promise((resolve) => {
    server.listen(port, '127.0.0.1', () => resolve({
      port: server.address().port,
      close: () => new Promise((done) => {
        for (const sock of sockets) sock.destroy();
        wss.close();
        server.close(() => done());
      }),
    }));
  });
}

function jsonLines(socket, chat) {
  const s = { user: null, send: (o) => socket.write(JSON.stringify(o) + '\n'), end: () => socket.end() };
  let buf = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk) => {
    buf += chunk;
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).replace(/\r$/, '');
      buf = buf.slice(nl + 1);
      if (line.trim() === '') continue;
      let req;
      try { req = JSON.parse(line); } catch { s.send({ ev: 'error', code: 'bad_json', msg: 'not JSON' }); continue; }
      chat.handle(s, req);
    }
  });
  socket.on('close', () => chat.gone(s));
  socket.on('error', () => {});
  socket.resume();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const port = Number(process.argv[2] || 7000);
  startFakeChatd(port).then((f) => console.log(`fake chatd on http://127.0.0.1:${f.port}/`));
}
