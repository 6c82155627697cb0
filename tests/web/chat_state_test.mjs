// The page's recovery rules (web/chat_state.js) without a browser: node --test.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  RoomState, joinRequest, applyJoined, applyMsg, applyHistory, applyEpoch, backoffDelay, utf8Length,
  messageTime, MAX_MESSAGES, RELOAD_LIMIT,
} from '../../web/chat_state.js';

const msg = (seq, text = `m${seq}`) => ({ ev: 'msg', room: 'lobby', from: 'a', text, seq });
const seqs = (room) => room.messages.map((m) => m.seq);

test('a first join asks for no recovery and reloads recent history', () => {
  const room = new RoomState('lobby');
  assert.deepEqual(joinRequest(room), { op: 'join', room: 'lobby' });
  const reload = applyJoined(room, { ev: 'joined', room: 'lobby', members: 3, seq: 250, epoch: 7 });
  assert.deepEqual(reload, { since: 250 - RELOAD_LIMIT, limit: RELOAD_LIMIT });
  assert.equal(room.epoch, 7);
  assert.equal(room.seq, 250);
  assert.equal(room.notice, '');
  assert.equal(applyJoined(new RoomState('x'), { members: 1, seq: 0, epoch: 1 }), null);  // a new room
});

test('a rejoin carries since/epoch, and recovered:true keeps the view', () => {
  const room = new RoomState('lobby');
  applyJoined(room, { members: 1, seq: 0, epoch: 9 });
  applyMsg(room, msg(1));
  applyMsg(room, msg(2));
  assert.deepEqual(joinRequest(room), { op: 'join', room: 'lobby', since: 2, epoch: 9 });
  assert.equal(applyJoined(room, { members: 2, seq: 4, epoch: 9, recovered: true, missed: 2 }), null);
  applyMsg(room, msg(3));
  applyMsg(room, msg(4));
  assert.deepEqual(seqs(room), [1, 2, 3, 4]);
  assert.equal(room.notice, '');
});

test('recovered:false resets the view, says why and reloads history', () => {
  const room = new RoomState('lobby');
  applyJoined(room, { members: 1, seq: 0, epoch: 9 });
  for (let s = 1; s <= 5; s++) applyMsg(room, msg(s));
  const reload = applyJoined(room, { members: 1, seq: 40, epoch: 9, recovered: false });
  assert.deepEqual(reload, { since: 0, limit: RELOAD_LIMIT });
  assert.deepEqual(room.messages, []);
  assert.match(room.notice, /could not be recovered/);
  // A new epoch (the server restarted) says so.
  const restarted = applyJoined(room, { members: 1, seq: 0, epoch: 10, recovered: false });
  assert.equal(restarted, null);
  assert.match(room.notice, /restarted/);
  assert.equal(room.epoch, 10);
  // The next recovered join clears the notice.
  applyJoined(room, { members: 1, seq: 0, epoch: 10, recovered: true, missed: 0 });
  assert.equal(room.notice, '');
});

test('messages are kept once each in seq order, whatever order they come in', () => {
  const room = new RoomState('lobby');
  applyJoined(room, { members: 1, seq: 10, epoch: 1 });
  assert.deepEqual(applyMsg(room, msg(11)), { added: true, appended: true, gap: null });
  assert.equal(applyMsg(room, msg(11)).added, false);  // a replayed duplicate
  const history = applyHistory(room, { msgs: [msg(8), msg(9), msg(10), msg(11)] });
  assert.equal(history, 3);
  assert.deepEqual(seqs(room), [8, 9, 10, 11]);
  const late = applyMsg(room, msg(7));
  assert.deepEqual(late, { added: true, appended: false, gap: null });
  assert.deepEqual(seqs(room), [7, 8, 9, 10, 11]);
});

test('a skipped seq asks history for exactly the missing range', () => {
  const room = new RoomState('lobby');
  applyJoined(room, { members: 1, seq: 0, epoch: 1 });
  applyMsg(room, msg(1));
  const r = applyMsg(room, msg(5));
  assert.deepEqual(r.gap, { since: 1, limit: 3 });
  applyHistory(room, { msgs: [msg(2), msg(3), msg(4)] });
  assert.deepEqual(seqs(room), [1, 2, 3, 4, 5]);
});

test('an epoch event restarts the room', () => {
  const room = new RoomState('lobby');
  applyJoined(room, { members: 1, seq: 0, epoch: 1 });
  applyMsg(room, msg(1));
  applyEpoch(room, { ev: 'epoch', room: 'lobby', epoch: 2 });
  assert.equal(room.seq, 0);
  assert.deepEqual(room.messages, []);
  assert.equal(applyMsg(room, msg(1)).gap, null);
  assert.deepEqual(joinRequest(room), { op: 'join', room: 'lobby', since: 1, epoch: 2 });
});

test('a room keeps at most MAX_MESSAGES, dropping the oldest', () => {
  const room = new RoomState('lobby');
  applyJoined(room, { members: 1, seq: 0, epoch: 1 });
  for (let s = 1; s <= MAX_MESSAGES + 5; s++) applyMsg(room, msg(s));
  assert.equal(room.messages.length, MAX_MESSAGES);
  assert.equal(room.messages[0].seq, 6);
});

test('backoff grows exponentially to 30 s, with jitter in its upper half', () => {
  assert.equal(backoffDelay(0, () => 0), 250);
  assert.equal(backoffDelay(0, () => 1), 500);
  assert.equal(backoffDelay(3, () => 0), 2000);
  assert.equal(backoffDelay(3, () => 1), 4000);
  assert.equal(backoffDelay(20, () => 1), 30000);
  assert.equal(backoffDelay(1000, () => 0), 15000);
  for (let a = 0; a < 12; a++) {
    const d = backoffDelay(a);
    assert.ok(d > 0 && d <= 30000, `attempt ${a}: ${d}`);
  }
});

test('helpers: UTF-8 length and message time', () => {
  assert.equal(utf8Length('abc'), 3);
  assert.equal(utf8Length('é€😀'), 2 + 3 + 4);
  const now = Date.now();
  assert.equal(messageTime({ ts: now }, null).getTime(), now);
  const fallback = new Date(0);
  assert.equal(messageTime({ ts: 123456789 }, fallback), fallback);  // a monotonic clock, not wall time
  assert.equal(messageTime({}, null), null);
});
