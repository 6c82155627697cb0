// DOM builders for the page's lists: a message, a whisper, a list button. User text only
// ever goes in as textContent, never as markup.
'use strict';

import { messageTime } from './chat_state.js';

export function timeElement(time) {
  const t = document.createElement('time');
  if (time) {
    t.dateTime = time.toISOString();
    t.textContent = time.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  }
  return t;
}

export function messageItem(ev, me) {
  const li = document.createElement('li');
  li.className = ev.from === me ? 'msg mine' : 'msg';
  li.dataset.seq = ev.seq;
  const from = document.createElement('span');
  from.className = 'from';
  from.textContent = ev.from;
  const text = document.createElement('span');
  text.className = 'text';
  text.textContent = ev.text;
  li.append(from, timeElement(messageTime(ev, ev.receivedAt || null)), text);
  return li;
}

export function whisperItem(w, me) {
  const li = document.createElement('li');
  li.className = w.from === me ? 'msg mine whisper' : 'msg whisper';
  const from = document.createElement('span');
  from.className = 'from';
  from.textContent = w.from;
  const text = document.createElement('span');
  text.className = 'text';
  text.textContent = w.text;
  li.append(from, timeElement(w.time), text);
  if (w.pending || w.failed) {
    const s = document.createElement('span');
    s.className = 'delivery';
    s.textContent = w.pending ? 'sending…' : `not delivered (${w.failed})`;
    li.append(s);
  }
  return li;
}

export function listButton(label, ariaLabel, current, onClick, badge) {
  const li = document.createElement('li');
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = label;
  b.setAttribute('aria-label', ariaLabel);
  if (current) b.setAttribute('aria-current', 'page');
  b.addEventListener('click', onClick);
  if (badge) {
    const s = document.createElement('span');
    s.className = 'badge';
    s.textContent = String(badge);
    b.append(s);
  }
  li.append(b);
  return li;
}
